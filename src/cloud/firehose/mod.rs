//! Amazon Data Firehose: delivery streams that read a Kinesis stream (or take DirectPut records),
//! buffer, compress and write objects into the local S3.

pub mod format;
