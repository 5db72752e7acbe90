//! Values and times as the dashboard widgets print them: short, with CloudWatch's units abbreviated.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// A unit as a chart labels it (`Milliseconds` → `ms`); counts and unknown units print nothing.
pub fn unit_suffix(unit: Option<&str>) -> &'static str {
    match unit {
        Some("Milliseconds") => "ms",
        Some("Microseconds") => "µs",
        Some("Seconds") => "s",
        Some("Bytes") => "B",
        Some("Kilobytes") => "kB",
        Some("Megabytes") => "MB",
        Some("Bytes/Second") => "B/s",
        Some("Percent") => "%",
        _ => "",
    }
}

/// A value in at most ~6 characters: `12.3k`, `4.56M`, `0.25`, `-3`.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    let a = v.abs();
    let (scaled, suffix) = match a {
        _ if a >= 1e12 => (v / 1e12, "T"),
        _ if a >= 1e9 => (v / 1e9, "G"),
        _ if a >= 1e6 => (v / 1e6, "M"),
        _ if a >= 1e4 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let text = if (scaled.fract() == 0.0 && scaled.abs() < 1e4) || scaled.abs() >= 100.0 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    format!("{text}{suffix}")
}

/// A value with its unit: `12.3k ms`, `42 %`.
pub fn value(v: f64, unit: Option<&str>) -> String {
    match unit_suffix(unit) {
        "" => number(v),
        u => format!("{} {u}", number(v)),
    }
}

/// A time of the range in the viewer's time zone: `14:05` within a day's range, `11-28 14:05`
/// beyond, with seconds when the range is a few minutes.
pub fn clock(ms: i64, range_ms: i64, tz: &TimeZone) -> String {
    let Ok(at) = Timestamp::from_millisecond(ms) else { return "?".to_string() };
    let civil = tz.to_datetime(at);
    let pattern = if range_ms > 86_400_000 {
        "%m-%d %H:%M"
    } else if range_ms <= 600_000 {
        "%H:%M:%S"
    } else {
        "%H:%M"
    };
    civil.strftime(pattern).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_stay_short() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(12.345), "12.3");
        assert_eq!(number(9999.0), "9999");
        assert_eq!(number(12_345.0), "12.3k");
        assert_eq!(number(4_560_000.0), "4.56M");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(f64::NAN), "-");
        assert_eq!(value(250.0, Some("Milliseconds")), "250 ms");
        assert_eq!(value(3.0, Some("Count")), "3");
    }

    #[test]
    fn clocks_follow_the_range_and_the_zone() {
        let noon = 1_795_953_600_000;
        assert_eq!(clock(noon, 3_600_000, &TimeZone::UTC), "12:00");
        assert_eq!(clock(noon + 5_000, 300_000, &TimeZone::UTC), "12:00:05");
        assert_eq!(clock(noon, 3 * 86_400_000, &TimeZone::UTC), "11-29 12:00");
        let tokyo = TimeZone::fixed(jiff::tz::offset(9));
        assert_eq!(clock(noon, 3_600_000, &tokyo), "21:00");
    }
}
