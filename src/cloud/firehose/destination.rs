//! The S3 destination: ExtendedS3DestinationConfiguration (and the plain S3DestinationConfiguration,
//! which AWS stores as an extended one) read and validated, the destination description Describe
//! returns, and the merge UpdateDestination applies.

use serde_json::{Map, Value, json};

use super::format::compression::Compression;
use super::format::prefix;
use super::model::S3Destination;
use super::validate::{arn, constraint, invalid, length, opt_int, opt_str, req_str};
use crate::cloud::error::ApiError;

const NO_ENCRYPTION: &str = "NoEncryption";

fn object(input: &Value, member: &str) -> Result<Option<Value>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(ApiError::serialization(format!("{member} must be a structure"))),
    }
}

fn enabled(v: &Option<Value>) -> bool {
    v.as_ref().and_then(|v| v.get("Enabled")).is_some_and(|e| e == &json!(true) || e == &json!("true"))
}

/// Reads an S3 destination configuration; `wire` names it in messages; `extended` allows the
/// members only the extended form has.
pub fn parse(input: &Value, wire: &str, extended: bool) -> Result<S3Destination, ApiError> {
    let role_arn = req_str(input, "RoleARN", &format!("{wire}.roleARN"))?;
    arn(role_arn, &format!("{wire}.roleARN"), 512)?;
    let bucket_arn = req_str(input, "BucketARN", &format!("{wire}.bucketARN"))?;
    arn(bucket_arn, &format!("{wire}.bucketARN"), 2048)?;
    if !bucket_arn.starts_with("arn:aws:s3:::") || bucket_arn.len() == "arn:aws:s3:::".len() {
        return Err(invalid(format!("Bucket ARN {bucket_arn} is not an S3 bucket ARN.")));
    }
    let prefix = opt_str(input, "Prefix")?.filter(|p| !p.is_empty());
    let error_prefix = opt_str(input, "ErrorOutputPrefix")?.filter(|p| !p.is_empty());
    for (value, member) in [(prefix, "prefix"), (error_prefix, "errorOutputPrefix")] {
        if let Some(v) = value {
            length(v, &format!("{wire}.{member}"), 0, 1024)?;
        }
    }
    prefix::validate(prefix, error_prefix).map_err(invalid)?;
    let hints = object(input, "BufferingHints")?.unwrap_or_else(|| json!({}));
    let size = opt_int(&hints, "SizeInMBs", &format!("{wire}.bufferingHints.sizeInMBs"), 1..=128)?.unwrap_or(5);
    let interval = opt_int(&hints, "IntervalInSeconds", &format!("{wire}.bufferingHints.intervalInSeconds"), 0..=900)?
        .unwrap_or(300);
    let compression = match opt_str(input, "CompressionFormat")? {
        None => Compression::Uncompressed,
        Some(c) => Compression::parse(c).ok_or_else(|| {
            constraint(
                c,
                &format!("{wire}.compressionFormat"),
                "Member must satisfy enum value set: [UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY]",
            )
        })?,
    };
    let encryption =
        object(input, "EncryptionConfiguration")?.unwrap_or_else(|| json!({ "NoEncryptionConfig": NO_ENCRYPTION }));
    let logging = object(input, "CloudWatchLoggingOptions")?;
    let mut dest = S3Destination {
        role_arn: role_arn.to_string(),
        bucket_arn: bucket_arn.to_string(),
        prefix: prefix.map(str::to_string),
        error_output_prefix: error_prefix.map(str::to_string),
        size_mb: size as u32,
        interval_s: interval as u32,
        compression,
        file_extension: None,
        custom_time_zone: None,
        encryption,
        logging,
        processing: None,
        backup_mode: "Disabled".into(),
        backup: None,
    };
    if extended {
        parse_extended(input, wire, &mut dest)?;
    }
    Ok(dest)
}

fn parse_extended(input: &Value, wire: &str, dest: &mut S3Destination) -> Result<(), ApiError> {
    for member in ["DataFormatConversionConfiguration", "DynamicPartitioningConfiguration"] {
        if enabled(&object(input, member)?) {
            return Err(invalid(format!("{member} is not supported by the local cloud.")));
        }
    }
    dest.processing = object(input, "ProcessingConfiguration")?;
    if enabled(&dest.processing) {
        return Err(invalid("ProcessingConfiguration (Lambda transformation) is not supported by the local cloud."));
    }
    if let Some(ext) = opt_str(input, "FileExtension")?.filter(|e| !e.is_empty()) {
        length(ext, &format!("{wire}.fileExtension"), 0, 128)?;
        let ok = ext.starts_with('.')
            && ext.len() > 1
            && ext[1..].chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || "!-_.*'()".contains(c));
        if !ok {
            return Err(constraint(
                ext,
                &format!("{wire}.fileExtension"),
                "Member must satisfy regular expression pattern: ^$|\\.[0-9a-z!\\-_.*'()]+",
            ));
        }
        dest.file_extension = Some(ext.to_string());
    }
    if let Some(tz) = opt_str(input, "CustomTimeZone")?.filter(|t| !t.is_empty()) {
        length(tz, &format!("{wire}.customTimeZone"), 0, 50)?;
        if !prefix::valid_time_zone(tz) {
            return Err(invalid(format!("CustomTimeZone {tz} is not a valid time zone.")));
        }
        dest.custom_time_zone = Some(tz.to_string());
    }
    let mode = opt_str(input, "S3BackupMode")?.unwrap_or("Disabled");
    if !["Disabled", "Enabled"].contains(&mode) {
        return Err(constraint(
            mode,
            &format!("{wire}.s3BackupMode"),
            "Member must satisfy enum value set: [Disabled, Enabled]",
        ));
    }
    dest.backup_mode = mode.to_string();
    if let Some(backup) = object(input, "S3BackupConfiguration")? {
        dest.backup = Some(Box::new(parse(&backup, &format!("{wire}.s3BackupConfiguration"), false)?));
    }
    if mode == "Enabled" && dest.backup.is_none() {
        return Err(invalid("S3BackupConfiguration is required when S3BackupMode is Enabled."));
    }
    Ok(())
}

/// The configuration a destination was made from, in the API's shape (what an update merges into).
pub fn to_config(dest: &S3Destination) -> Value {
    let mut v = json!({
        "RoleARN": dest.role_arn,
        "BucketARN": dest.bucket_arn,
        "BufferingHints": { "SizeInMBs": dest.size_mb, "IntervalInSeconds": dest.interval_s },
        "CompressionFormat": dest.compression.as_str(),
        "EncryptionConfiguration": dest.encryption,
        "S3BackupMode": dest.backup_mode,
    });
    let mut set = |k: &str, val: Option<Value>| {
        if let Some(val) = val {
            v[k] = val;
        }
    };
    set("Prefix", dest.prefix.clone().map(Value::from));
    set("ErrorOutputPrefix", dest.error_output_prefix.clone().map(Value::from));
    set("CloudWatchLoggingOptions", dest.logging.clone());
    set("ProcessingConfiguration", dest.processing.clone());
    set("FileExtension", dest.file_extension.clone().map(Value::from));
    set("CustomTimeZone", dest.custom_time_zone.clone().map(Value::from));
    set("S3BackupConfiguration", dest.backup.as_deref().map(to_config));
    v
}

/// Merges an ExtendedS3DestinationUpdate or S3DestinationUpdate into the current configuration, as
/// AWS does: members not given keep their values (BufferingHints member by member).
pub fn merge(current: &S3Destination, update: &Value, wire: &str, extended: bool) -> Result<S3Destination, ApiError> {
    let mut config = to_config(current);
    let Some(fields) = update.as_object() else {
        return Err(ApiError::serialization(format!("{wire} must be a structure")));
    };
    for (k, v) in fields {
        if k == "BufferingHints"
            && let (Some(old), Some(new)) = (config.get_mut(k).and_then(Value::as_object_mut), v.as_object())
        {
            old.extend(new.clone());
            continue;
        }
        if k == "S3BackupUpdate" {
            let base =
                current.backup.as_deref().cloned().unwrap_or_else(|| S3Destination { backup: None, ..current.clone() });
            config["S3BackupConfiguration"] = to_config(&merge(&base, v, &format!("{wire}.s3BackupUpdate"), false)?);
            continue;
        }
        config[k.as_str()] = v.clone();
    }
    parse(&config, wire, extended || current.file_extension.is_some() || current.backup.is_some())
}

fn logging(dest: &S3Destination) -> Value {
    dest.logging.clone().unwrap_or_else(|| json!({ "Enabled": false }))
}

/// S3DestinationDescription.
pub fn describe_plain(dest: &S3Destination) -> Value {
    let mut d = Map::new();
    d.insert("RoleARN".into(), dest.role_arn.clone().into());
    d.insert("BucketARN".into(), dest.bucket_arn.clone().into());
    if let Some(p) = &dest.prefix {
        d.insert("Prefix".into(), p.clone().into());
    }
    if let Some(p) = &dest.error_output_prefix {
        d.insert("ErrorOutputPrefix".into(), p.clone().into());
    }
    d.insert("BufferingHints".into(), json!({ "SizeInMBs": dest.size_mb, "IntervalInSeconds": dest.interval_s }));
    d.insert("CompressionFormat".into(), dest.compression.as_str().into());
    d.insert("EncryptionConfiguration".into(), dest.encryption.clone());
    d.insert("CloudWatchLoggingOptions".into(), logging(dest));
    Value::Object(d)
}

/// ExtendedS3DestinationDescription.
pub fn describe_extended(dest: &S3Destination) -> Value {
    let mut d = describe_plain(dest);
    d["S3BackupMode"] = dest.backup_mode.clone().into();
    if let Some(b) = &dest.backup {
        d["S3BackupDescription"] = describe_plain(b);
    }
    if let Some(p) = &dest.processing {
        d["ProcessingConfiguration"] = p.clone();
    }
    if let Some(e) = &dest.file_extension {
        d["FileExtension"] = e.clone().into();
    }
    if let Some(tz) = &dest.custom_time_zone {
        d["CustomTimeZone"] = tz.clone().into();
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Value {
        json!({
            "RoleARN": "arn:aws:iam::000000000000:role/r",
            "BucketARN": "arn:aws:s3:::out",
            "BufferingHints": { "SizeInMBs": 1, "IntervalInSeconds": 60 },
            "CompressionFormat": "GZIP",
        })
    }

    #[test]
    fn defaults_and_ranges_are_as_the_service_model_says() {
        let d =
            parse(&json!({ "RoleARN": "arn:aws:iam::0:role/r", "BucketARN": "arn:aws:s3:::b" }), "x", true).unwrap();
        assert_eq!((d.size_mb, d.interval_s, d.compression), (5, 300, Compression::Uncompressed));
        assert_eq!(d.bucket(), "b");
        let mut c = config();
        c["BufferingHints"]["IntervalInSeconds"] = json!(901);
        let e = parse(&c, "extendedS3DestinationConfiguration", true).unwrap_err();
        assert!(
            e.message.contains("extendedS3DestinationConfiguration.bufferingHints.intervalInSeconds"),
            "{}",
            e.message
        );
        c["BufferingHints"]["IntervalInSeconds"] = json!(0);
        c["CompressionFormat"] = json!("BROTLI");
        assert!(parse(&c, "x", true).unwrap_err().message.contains("enum value set"));
    }

    #[test]
    fn an_update_keeps_what_it_does_not_name() {
        let d = parse(&config(), "x", true).unwrap();
        let u =
            merge(&d, &json!({ "BufferingHints": { "IntervalInSeconds": 120 }, "Prefix": "new/" }), "x", true).unwrap();
        assert_eq!((u.size_mb, u.interval_s, u.prefix.as_deref()), (1, 120, Some("new/")));
        assert_eq!((u.compression, u.bucket_arn.as_str()), (Compression::Gzip, "arn:aws:s3:::out"));
        let desc = describe_extended(&u);
        assert_eq!(desc["BufferingHints"], json!({ "SizeInMBs": 1, "IntervalInSeconds": 120 }));
        assert_eq!(desc["EncryptionConfiguration"], json!({ "NoEncryptionConfig": "NoEncryption" }));
        assert_eq!(desc["S3BackupMode"], "Disabled");
    }
}
