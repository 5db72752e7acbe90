//! The five compression formats Firehose writes objects in.
