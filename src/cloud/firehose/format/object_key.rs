//! Firehose's object keys: the evaluated prefix and the object name.
