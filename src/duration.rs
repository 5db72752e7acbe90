//! The one way the console reads a length of time from a person: `--since` of `metrics`,
//! `dashboard show` and `health` all go through [`parse`], so the same text means the same
//! span everywhere.
//!
//! | text      | meaning                                        |
//! |-----------|------------------------------------------------|
//! | `90s`     | seconds                                        |
//! | `15m`     | minutes                                        |
//! | `3h`      | hours                                          |
//! | `2d`      | days                                           |
//! | `1w`      | weeks                                          |
//! | `15`      | refused: a bare number meant seconds to one command and minutes to another, so a unit is required |
//! | `0m`      | refused: a span is at least one second         |
//! | > 455 d   | refused: CloudWatch keeps no data older than 15 months |

use std::time::Duration;

/// CloudWatch's longest retention (one-hour data points, 15 months).
pub const MAX: Duration = Duration::from_secs(455 * 86_400);

/// `text` as a span of time, by the rule in the module's table.
pub fn parse(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("'{s}' is not a duration such as 90s, 15m, 3h or 2d"))?;
    let scale: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "" => return Err(format!("'{s}' needs a unit: {n}s, {n}m, {n}h, {n}d or {n}w")),
        _ => return Err(format!("'{s}' has an unknown unit '{unit}' (use s, m, h, d or w)")),
    };
    match n.checked_mul(scale).map(Duration::from_secs) {
        Some(d) if d.is_zero() => Err(format!("'{s}' must be at least one second")),
        Some(d) if d <= MAX => Ok(d),
        _ => Err(format!("'{s}' is longer than CloudWatch keeps data (15 months)")),
    }
}

/// [`parse`], then no longer than `max` (a command whose data does not reach further back).
pub fn parse_at_most(text: &str, max: Duration) -> Result<Duration, String> {
    let d = parse(text)?;
    if d > max {
        return Err(format!("'{}': the range must be between 1 second and {}", text.trim(), describe(max)));
    }
    Ok(d)
}

/// `15 days`, `3 hours`, `90 seconds`: the largest whole unit.
pub fn describe(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = [(86_400, "day"), (3600, "hour"), (60, "minute")]
        .into_iter()
        .find(|(size, _)| secs >= *size && secs.is_multiple_of(*size))
        .map_or((secs, "second"), |(size, unit)| (secs / size, unit));
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_reads_the_same_everywhere() {
        assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse("3h"), Ok(Duration::from_secs(10_800)));
        assert_eq!(parse("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse(" 10m "), Ok(Duration::from_secs(600)));
    }

    #[test]
    fn a_bare_number_zero_or_an_unknown_unit_is_refused_with_the_reason() {
        assert!(parse("15").is_err_and(|e| e.contains("needs a unit: 15s, 15m")));
        assert!(parse("0m").is_err_and(|e| e.contains("at least one second")));
        assert!(parse("15x").is_err_and(|e| e.contains("unknown unit 'x'")));
        assert!(parse("m").is_err());
        assert!(parse("").is_err());
        assert!(parse("-5m").is_err());
    }

    #[test]
    fn huge_numbers_are_refused_not_wrapped() {
        assert!(parse("99999999999999999999s").is_err());
        assert!(parse("18446744073709551615w").is_err_and(|e| e.contains("15 months")));
        assert!(parse("456d").is_err());
        assert_eq!(parse("455d"), Ok(MAX));
    }

    #[test]
    fn a_command_can_ask_for_a_shorter_bound() {
        let fifteen_days = Duration::from_secs(15 * 86_400);
        assert_eq!(parse_at_most("15d", fifteen_days), Ok(fifteen_days));
        assert!(parse_at_most("16d", fifteen_days).is_err_and(|e| e.contains("between 1 second and 15 days")));
        assert_eq!(describe(Duration::from_secs(90)), "90 seconds");
        assert_eq!(describe(Duration::from_secs(3600)), "1 hour");
    }
}
