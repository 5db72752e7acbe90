//! Prefix and error-output-prefix expressions: their rules and their evaluation.
//!
//! Rules from Firehose's "Custom Prefixes for Amazon S3 Objects": `!{namespace:value}` expressions with the
//! namespaces `timestamp` (a Java DateTimeFormatter pattern, see [`super::timestamp`]), `firehose`
//! (`random-string`, `error-output-type`) and the dynamic-partitioning ones, which this local cloud refuses.

use super::timestamp::{self, Pattern};

/// AWS's preamble for a prefix rule violation, typo included: it is what the service sends
/// ("Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix cannot be null or
/// empty when Prefix contains expressions", as seen from CreateDeliveryStream).
const CONSTRAINT: &str = "Ths supplied prefix(es) do not satisfy the following constraint: ";
/// The Prefix and ErrorOutputPrefix members of the service model are 0–1024 characters long.
pub const MAX_LEN: usize = 1024;
/// What Firehose appends to a Prefix with no timestamp expression (and uses for an absent Prefix).
pub const DEFAULT_TIMESTAMP: &str = "yyyy/MM/dd/HH/";
const ERROR_OUTPUT_TYPE: &str = "!{firehose:error-output-type}";

/// One piece of a parsed prefix.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    Timestamp(Pattern),
    RandomString,
    ErrorOutputType,
}

/// Checks Prefix and ErrorOutputPrefix as CreateDeliveryStream does; Err is the InvalidArgumentException message.
pub fn validate(prefix: Option<&str>, error_output_prefix: Option<&str>) -> Result<(), String> {
    let prefix = prefix.unwrap_or("");
    let error_prefix = error_output_prefix.unwrap_or("");
    check_len("prefix", prefix)?;
    check_len("errorOutputPrefix", error_prefix)?;
    let pieces = parse(prefix, "Prefix")?;
    let error_pieces = parse(error_prefix, "ErrorOutputPrefix")?;
    let has_expr = |p: &[Piece]| p.iter().any(|x| !matches!(x, Piece::Literal(_)));
    if pieces.contains(&Piece::ErrorOutputType) {
        return Err(format!("{CONSTRAINT}Prefix cannot contain {ERROR_OUTPUT_TYPE}"));
    }
    if has_expr(&pieces) && error_prefix.is_empty() {
        return Err(format!("{CONSTRAINT}ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"));
    }
    if has_expr(&error_pieces) && !error_pieces.contains(&Piece::ErrorOutputType) {
        return Err(format!(
            "{CONSTRAINT}ErrorOutputPrefix must contain at least one instance of {ERROR_OUTPUT_TYPE} \
             when it contains expressions"
        ));
    }
    Ok(())
}

fn check_len(member: &str, value: &str) -> Result<(), String> {
    if value.chars().count() > MAX_LEN {
        return Err(format!(
            "1 validation error detected: Value at 'extendedS3DestinationConfiguration.{member}' failed \
             to satisfy constraint: Member must have length less than or equal to {MAX_LEN}"
        ));
    }
    Ok(())
}

/// Splits a prefix into literals and expressions; `field` names it in messages.
fn parse(s: &str, field: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("!{") {
        if start > 0 {
            pieces.push(Piece::Literal(rest[..start].to_string()));
        }
        let body_and_tail = &rest[start + 2..];
        let bad = || {
            format!(
                "{CONSTRAINT}The sequence !{{ can only appear in !{{namespace:value}} expressions \
                 ({field}: {s:?})"
            )
        };
        let end = body_and_tail.find('}').ok_or_else(bad)?;
        let (namespace, value) = body_and_tail[..end].split_once(':').ok_or_else(bad)?;
        pieces.push(expression(namespace, value, field).map_err(|e| e.unwrap_or_else(bad))?);
        rest = &body_and_tail[end + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest.to_string()));
    }
    Ok(pieces)
}

/// One `!{namespace:value}`; Err(None) means "not an expression at all" (the generic `!{` message).
fn expression(namespace: &str, value: &str, field: &str) -> Result<Piece, Option<String>> {
    match namespace {
        "timestamp" => timestamp::compile(value).map(Piece::Timestamp).map_err(|why| {
            Some(format!(
                "{CONSTRAINT}!{{timestamp:{value}}} in {field} is not a valid DateTimeFormatter pattern: {why}"
            ))
        }),
        "firehose" => match value {
            "random-string" => Ok(Piece::RandomString),
            "error-output-type" => Ok(Piece::ErrorOutputType),
            other => Err(Some(format!(
                "{CONSTRAINT}!{{firehose:{other}}} in {field} is not supported; the firehose namespace \
                 takes random-string or error-output-type"
            ))),
        },
        "partitionKeyFromQuery" | "partitionKeyFromLambda" if field == "ErrorOutputPrefix" => Err(Some(format!(
            "{CONSTRAINT}ErrorOutputPrefix cannot use the partitionKeyFromQuery and \
                 partitionKeyFromLambda namespaces"
        ))),
        "partitionKeyFromQuery" | "partitionKeyFromLambda" => Err(Some(format!(
            "The {namespace} namespace in Prefix can only be used when dynamic partitioning is enabled \
             (DynamicPartitioningConfiguration), which this local cloud does not offer"
        ))),
        _ => Err(None),
    }
}

pub struct Expansion<'a> {
    /// The approximate arrival time of the oldest record in the object (epoch ms).
    pub timestamp_ms: i64,
    /// CustomTimeZone: an IANA name, "UTC" by default.
    pub time_zone: &'a str,
    /// `!{firehose:error-output-type}` (e.g. "processing-failed"); None outside error prefixes.
    pub error_output_type: Option<&'a str>,
}

/// The prefix as delivered: expressions evaluated, Firehose's default `!{timestamp:yyyy/MM/dd/HH/}` appended
/// to a prefix without a timestamp expression (an absent prefix means just that default),
/// `!{firehose:random-string}` a fresh 11-character random string per call.
///
/// Error prefixes (`error_output_type` set) get no default appended: AWS's examples evaluate
/// `myFirehoseFailures/!{firehose:error-output-type}/` to `myFirehoseFailures/processing-failed/`. For a
/// stream without an ErrorOutputPrefix use [`default_error_output_prefix`]. Every timestamp expression
/// evaluates the same instant. A prefix that fails [`validate`] is delivered literally (never panics).
pub fn expand(prefix: Option<&str>, e: &Expansion) -> String {
    let raw = prefix.unwrap_or("");
    let mut pieces = parse(raw, "Prefix").unwrap_or_else(|_| vec![Piece::Literal(raw.to_string())]);
    let has_timestamp = pieces.iter().any(|p| matches!(p, Piece::Timestamp(_)));
    if !has_timestamp
        && e.error_output_type.is_none()
        && let Ok(p) = timestamp::compile(DEFAULT_TIMESTAMP)
    {
        pieces.push(Piece::Timestamp(p));
    }
    let when = timestamp::Instant::new(e.timestamp_ms, e.time_zone);
    let mut out = String::with_capacity(raw.len() + 32);
    for piece in &pieces {
        match piece {
            Piece::Literal(s) => out.push_str(s),
            Piece::Timestamp(p) => p.format(&when, &mut out),
            Piece::RandomString => out.push_str(&random_string()),
            Piece::ErrorOutputType => out.push_str(e.error_output_type.unwrap_or("")),
        }
    }
    out
}

/// The ErrorOutputPrefix Firehose uses when none is configured (allowed only when Prefix has no
/// expressions): `<Prefix><error-output-type>/` then the default timestamp, as the docs' example
/// `myFirehosePrefix` → `myFirehosePrefix/processing-failed/2018/08/27/` shows.
pub fn default_error_output_prefix(prefix: Option<&str>) -> String {
    format!("{}{ERROR_OUTPUT_TYPE}/!{{timestamp:{DEFAULT_TIMESTAMP}}}", prefix.unwrap_or(""))
}

/// Whether `time_zone` is one CustomTimeZone accepts.
pub fn valid_time_zone(time_zone: &str) -> bool {
    timestamp::zone(time_zone).is_some()
}

/// AWS's example outputs (`046b6c7f-0b`, `5abf82daaa5`) are the first 11 characters of a random UUID.
fn random_string() -> String {
    let mut s = uuid::Uuid::new_v4().to_string();
    s.truncate(11);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2018-08-27T10:30:00Z, the instant of AWS's examples.
    const AUG27: i64 = 1_535_365_800_000;

    fn at(ms: i64, tz: &str) -> Expansion<'_> {
        Expansion { timestamp_ms: ms, time_zone: tz, error_output_type: None }
    }

    #[test]
    fn error_output_prefix_required_when_prefix_has_expressions() {
        let err = validate(Some("!{timestamp:yyyy/MM/dd}"), None).unwrap_err();
        assert_eq!(
            err,
            "Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix cannot \
             be null or empty when Prefix contains expressions"
        );
        assert_eq!(validate(Some("!{timestamp:yyyy}"), Some("")), Err(err));
        assert_eq!(validate(Some("plain/"), None), Ok(()));
        assert_eq!(validate(None, None), Ok(()));
    }

    #[test]
    fn error_output_prefix_with_expressions_needs_error_output_type() {
        let err = validate(Some("a/"), Some("err/!{timestamp:yyyy}/")).unwrap_err();
        assert!(err.ends_with(
            "ErrorOutputPrefix must contain at least one instance of !{firehose:error-output-type} \
             when it contains expressions"
        ));
        assert_eq!(validate(Some("a/"), Some("errors/")), Ok(()));
        assert_eq!(
            validate(Some("a/!{timestamp:yyyy}/"), Some("e/!{firehose:error-output-type}/!{timestamp:yyyy}/")),
            Ok(())
        );
    }

    #[test]
    fn prefix_cannot_contain_error_output_type() {
        let err =
            validate(Some("x/!{firehose:error-output-type}/"), Some("!{firehose:error-output-type}")).unwrap_err();
        assert!(err.ends_with("Prefix cannot contain !{firehose:error-output-type}"));
    }

    #[test]
    fn bang_brace_only_in_expressions() {
        for bad in ["a/!{timestamp:yyyy", "a/!{nonsense}/", "a/!{other:x}/"] {
            let err = validate(Some(bad), Some("!{firehose:error-output-type}")).unwrap_err();
            assert!(err.contains("The sequence !{ can only appear in !{namespace:value} expressions"), "{bad}: {err}");
        }
        let err = validate(Some("!{firehose:uuid}"), Some("e/")).unwrap_err();
        assert!(err.contains("random-string or error-output-type"), "{err}");
    }

    #[test]
    fn bad_timestamp_pattern_is_refused() {
        let err = validate(Some("!{timestamp:yyyy/qq}"), Some("e/!{firehose:error-output-type}")).unwrap_err();
        assert!(err.contains("is not a valid DateTimeFormatter pattern"), "{err}");
    }

    #[test]
    fn dynamic_partitioning_namespaces_are_refused() {
        let err =
            validate(Some("!{partitionKeyFromQuery:customer}/"), Some("e/!{firehose:error-output-type}")).unwrap_err();
        assert!(err.contains("only be used when dynamic partitioning is enabled"), "{err}");
        let err =
            validate(Some("a/"), Some("e/!{firehose:error-output-type}/!{partitionKeyFromLambda:k}")).unwrap_err();
        assert!(err.contains("ErrorOutputPrefix cannot use the partitionKeyFromQuery"), "{err}");
    }

    #[test]
    fn lengths_up_to_1024() {
        let max = "a".repeat(1024);
        assert_eq!(validate(Some(&max), Some(&max)), Ok(()));
        let long = "a".repeat(1025);
        let err = validate(Some(&long), None).unwrap_err();
        assert!(err.contains("'extendedS3DestinationConfiguration.prefix'"), "{err}");
        assert!(err.contains("less than or equal to 1024"), "{err}");
        let err = validate(None, Some(&long)).unwrap_err();
        assert!(err.contains("errorOutputPrefix"), "{err}");
    }

    #[test]
    fn default_timestamp_suffix_is_appended() {
        assert_eq!(expand(None, &at(AUG27, "UTC")), "2018/08/27/10/");
        assert_eq!(expand(Some(""), &at(AUG27, "UTC")), "2018/08/27/10/");
        assert_eq!(expand(Some("logs/"), &at(AUG27, "UTC")), "logs/2018/08/27/10/");
        // A prefix with its own timestamp expression gets nothing appended.
        assert_eq!(expand(Some("y=!{timestamp:yyyy}/"), &at(AUG27, "UTC")), "y=2018/");
    }

    #[test]
    fn aws_examples_evaluate_as_documented() {
        let p = "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/";
        assert_eq!(expand(Some(p), &at(AUG27, "UTC")), "myPrefix/year=2018/month=08/day=27/hour=10/");
        let e = Expansion { error_output_type: Some("processing-failed"), ..at(AUG27, "UTC") };
        assert_eq!(
            expand(Some("myFirehoseFailures/!{firehose:error-output-type}/"), &e),
            "myFirehoseFailures/processing-failed/"
        );
        assert_eq!(
            expand(
                Some("myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}"),
                &e
            ),
            "myFirehoseFailures/processing-failed/2018/anyMonth/27"
        );
        assert_eq!(
            expand(Some(&default_error_output_prefix(Some("myFirehosePrefix/"))), &e),
            "myFirehosePrefix/processing-failed/2018/08/27/10/"
        );
        assert_eq!(expand(Some("dt=!{timestamp:yyyy'-'MM'-'dd}/"), &at(AUG27, "UTC")), "dt=2018-08-27/");
    }

    #[test]
    fn time_zone_applies_to_the_prefix() {
        // 10:30 UTC is 19:30 in Tokyo; 2018-08-27T23:30Z is already the 28th there.
        assert_eq!(expand(None, &at(AUG27, "Asia/Tokyo")), "2018/08/27/19/");
        let late = AUG27 + 13 * 3_600_000;
        assert_eq!(expand(None, &at(late, "Asia/Tokyo")), "2018/08/28/08/");
        // Summer time: New York is UTC-4 in August, UTC-5 in January.
        assert_eq!(expand(None, &at(AUG27, "America/New_York")), "2018/08/27/06/");
        let jan = 1_516_876_200_000; // 2018-01-25T10:30Z
        assert_eq!(expand(None, &at(jan, "America/New_York")), "2018/01/25/05/");
        assert!(valid_time_zone("UTC"));
        assert!(valid_time_zone("Asia/Tokyo"));
        assert!(!valid_time_zone("Mars/Olympus_Mons"));
        assert!(!valid_time_zone(""));
    }

    #[test]
    fn random_string_is_fresh_and_11_characters() {
        let p = Some("r=!{firehose:random-string}/s=!{firehose:random-string}/!{timestamp:yyyy}/");
        let a = expand(p, &at(AUG27, "UTC"));
        let b = expand(p, &at(AUG27, "UTC"));
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('/').collect();
        let (r1, r2) = (&parts[0][2..], &parts[1][2..]);
        for r in [r1, r2] {
            assert_eq!(r.len(), 11, "{a}");
            assert!(r.chars().all(|c| c.is_ascii_hexdigit() || c == '-'), "{a}");
        }
        assert_ne!(r1, r2, "each instance is a new random string");
    }
}
