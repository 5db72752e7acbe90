//! How the console writes values for people: the CLI's tables and the TUI's views both format
//! through here, so a number, a byte count, a span or a time reads the same in both.
//!
//! | value | function | examples |
//! |---|---|---|
//! | a plain number, as few decimals as it needs | [`number`] | `42`, `3.142`, `1234.5` |
//! | a large count with an SI suffix | [`si`] | `950`, `1.2k`, `3.4M`, `5G` |
//! | a value in at most ~5 columns, for chart axes and legends | [`short`], [`short_with_unit`] | `0.25`, `85.5`, `2010`, `12.3k`, `250 ms` |
//! | bytes, in powers of 1024 (Kinesis limits are MiB) | [`bytes`] | `512 B`, `1.5 KiB`, `2 MiB` |
//! | a value in a CloudWatch unit | [`with_unit`] | `1.2k`, `2 MiB`, `350ms`, `1.5s`, `40%` |
//! | a span, exact (how a flag is written back) | [`span`] | `90s`, `15m`, `3h`, `1d` |
//! | an age, largest whole unit, rounded down | [`age`] | `59s`, `3m`, `2h`, `4d` |
//! | how long ago, from a given `now_ms` | [`ago`] | `3m ago`, `0s ago` |
//! | a point in time, UTC, to the second | [`timestamp`] | `2026-11-29T03:38:25Z` |
//! | a time on a chart's axis, in the viewer's zone | [`clock`] | `14:05`, `14:05:30`, `11-28 14:05` |
//! | a CloudWatch unit as an axis labels it | [`unit_suffix`] | `ms`, `B/s`, `%` |
//! | text cut to a display width | [`truncate`] | `orders-str…` |
//! | text cut or padded to exactly a width | [`fit`] | `orders    ` |
//!
//! Widths are display columns (`unicode-width`), not bytes or chars: a CJK character takes two
//! columns, a combining accent none, and a table lines up in a terminal either way.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A value with as few decimals as it needs: whole numbers bare, large ones to one decimal,
/// small ones to three.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// Decimals kept after scaling: `1.2k` and `12k` are both three significant figures or fewer.
fn scaled(v: f64) -> String {
    let s = if v.abs() >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}") };
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// A count with an SI suffix past a thousand (`1.2k`, `3.4M`, `5G`, `7T`); below, [`number`].
pub fn si(v: f64) -> String {
    const SUFFIXES: [(f64, &str); 4] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    if !v.is_finite() {
        return v.to_string();
    }
    match SUFFIXES.iter().find(|(size, _)| v.abs() >= *size) {
        Some((size, suffix)) => {
            // Rounding may carry into the next suffix (999,950 is 1000k): say 1M instead.
            let text = scaled(v / size);
            match SUFFIXES.iter().rev().find(|(s, _)| s > size) {
                Some((bigger, next)) if text.trim_start_matches('-') == "1000" => {
                    format!("{}{next}", scaled(v / bigger))
                }
                _ => format!("{text}{suffix}"),
            }
        }
        None => number(v),
    }
}

/// A value in at most about five columns, for chart axes and legends where room is short: whole
/// numbers below ten thousand as they are, three significant figures for fractions (`0.25`, `42.8`),
/// [`si`] past ten thousand.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    let a = v.abs();
    if a >= 10_000.0 {
        return si(v);
    }
    let text = if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// [`short`] with the unit's axis label after it (`12.3k ms`, `42 %`); counts have none.
pub fn short_with_unit(v: f64, unit: Option<&str>) -> String {
    match unit_suffix(unit) {
        "" => short(v),
        u => format!("{} {u}", short(v)),
    }
}

/// A byte count in powers of 1024: `512 B`, `1.5 KiB`, `2 MiB`, `3.2 GiB`.
pub fn bytes(v: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if !v.is_finite() {
        return v.to_string();
    }
    let mut scaled_v = v;
    let mut unit = 0;
    while scaled_v.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        scaled_v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{} B", number(v.round())) } else { format!("{} {}", scaled(scaled_v), UNITS[unit]) }
}

/// A value in the unit CloudWatch names (`Bytes`, `Milliseconds`, `Seconds`, `Percent`, `Count`,
/// `…/Second`); an unknown or absent unit leaves the number as [`number`] writes it.
pub fn with_unit(v: f64, unit: Option<&str>) -> String {
    let Some(unit) = unit else { return number(v) };
    if let Some(base) = unit.strip_suffix("/Second") {
        return format!("{}/s", with_unit(v, Some(base)));
    }
    match unit {
        "Bytes" => bytes(v),
        "Kilobytes" => bytes(v * 1024.0),
        "Megabytes" => bytes(v * 1024.0 * 1024.0),
        "Gigabytes" => bytes(v * 1024.0 * 1024.0 * 1024.0),
        "Milliseconds" if v.abs() < 1000.0 => format!("{}ms", scaled(v)),
        "Milliseconds" => seconds(v / 1000.0),
        "Microseconds" if v.abs() < 1000.0 => format!("{}µs", scaled(v)),
        "Microseconds" => with_unit(v / 1000.0, Some("Milliseconds")),
        "Seconds" => seconds(v),
        "Percent" => format!("{}%", scaled(v)),
        "Count" => si(v),
        _ => number(v),
    }
}

/// Seconds as a reading (`1.5s`, `12m`, `3.2h`, `2d`): one or two significant units, unlike
/// [`span`], which writes exact flag values.
fn seconds(v: f64) -> String {
    let a = v.abs();
    if a < 60.0 {
        format!("{}s", scaled(v))
    } else if a < 3600.0 {
        format!("{}m", scaled(v / 60.0))
    } else if a < 86_400.0 {
        format!("{}h", scaled(v / 3600.0))
    } else {
        format!("{}d", scaled(v / 86_400.0))
    }
}

/// A span as the CLI takes it (`duration::parse` reads it back): the largest unit that divides
/// it exactly, so `90s` stays `90s` and `3600` is `1h`.
pub fn span(secs: i64) -> String {
    match secs {
        0 => "0s".to_string(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// An age in the largest whole unit, rounded down (`59s`, `1m`, `3d`); negative ages (a clock
/// behind the data's) read as `0s`.
pub fn age(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    match s {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3_600 => format!("{}h", s / 3_600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// `3m ago`: the [`age`] of `then_ms` at `now_ms`. `now_ms` is passed in rather than read so the
/// local cloud's clock (or a test's) decides what "now" is, and views stay pure.
pub fn ago(then_ms: i64, now_ms: i64) -> String {
    format!("{} ago", age(now_ms.saturating_sub(then_ms)))
}

/// A point in time in UTC, RFC 3339 to the second: `2026-11-29T03:38:25Z`. Out of range: empty.
pub fn timestamp(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// A point in time in UTC, RFC 3339 to the millisecond: `2026-11-29T03:38:25.120Z`. Out of range: empty.
pub fn timestamp_ms(ms: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// The columns `s` takes in a terminal.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` display columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `s` cut or padded with spaces to exactly `cols` display columns (a table cell).
pub fn fit(s: &str, cols: usize) -> String {
    let mut out = truncate(s, cols);
    let pad = cols.saturating_sub(width(&out));
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// A unit as a chart's axis labels it (`Milliseconds` → `ms`); counts and unknown units print nothing.
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

/// A time of a chart's range in the viewer's time zone: `14:05` within a day's range, `11-28 14:05`
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
    fn numbers_take_the_decimals_they_need() {
        assert_eq!(number(42.0), "42");
        assert_eq!(number(-7.0), "-7");
        assert_eq!(number(1.23456), "1.235");
        assert_eq!(number(1234.56), "1234.6");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn counts_get_si_suffixes() {
        assert_eq!(si(950.0), "950");
        assert_eq!(si(1000.0), "1k");
        assert_eq!(si(1234.0), "1.2k");
        assert_eq!(si(12_345.0), "12.3k");
        assert_eq!(si(123_456.0), "123k");
        assert_eq!(si(3_400_000.0), "3.4M");
        assert_eq!(si(5e9), "5G");
        assert_eq!(si(-2500.0), "-2.5k");
        assert_eq!(si(999_950.0), "1M");
    }

    #[test]
    fn bytes_use_powers_of_1024() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(1_048_576.0), "1 MiB");
        assert_eq!(bytes(3.2 * 1024.0 * 1024.0 * 1024.0), "3.2 GiB");
        assert_eq!(bytes(5.0 * 1024f64.powi(5)), "5120 TiB");
    }

    #[test]
    fn cloudwatch_units_read_naturally() {
        assert_eq!(with_unit(1234.0, Some("Count")), "1.2k");
        assert_eq!(with_unit(2_097_152.0, Some("Bytes")), "2 MiB");
        assert_eq!(with_unit(350.0, Some("Milliseconds")), "350ms");
        assert_eq!(with_unit(1500.0, Some("Milliseconds")), "1.5s");
        assert_eq!(with_unit(90_000.0, Some("Milliseconds")), "1.5m");
        assert_eq!(with_unit(7200.0, Some("Seconds")), "2h");
        assert_eq!(with_unit(40.0, Some("Percent")), "40%");
        assert_eq!(with_unit(1024.0, Some("Bytes/Second")), "1 KiB/s");
        assert_eq!(with_unit(2.5, Some("Widgets")), "2.500");
        assert_eq!(with_unit(2.5, None), "2.500");
    }

    #[test]
    fn spans_are_written_as_flags_take_them() {
        assert_eq!(span(90), "90s");
        assert_eq!(span(900), "15m");
        assert_eq!(span(10_800), "3h");
        assert_eq!(span(86_400), "1d");
        assert_eq!(span(0), "0s");
        for s in [90, 900, 10_800, 86_400, 5400] {
            let back = crate::duration::parse(&span(s)).map(|d| d.as_secs() as i64);
            assert_eq!(back, Ok(s), "{}", span(s));
        }
    }

    #[test]
    fn ages_use_the_largest_whole_unit_from_the_given_now() {
        assert_eq!(age(59_999), "59s");
        assert_eq!(age(60_000), "1m");
        assert_eq!(age(3 * 86_400_000 + 1), "3d");
        assert_eq!(age(-5), "0s");
        assert_eq!(ago(1_000_000, 1_000_000 + 180_000), "3m ago");
        assert_eq!(ago(2_000, 1_000), "0s ago");
        assert_eq!(ago(i64::MIN, i64::MAX), "106751991167d ago");
    }

    #[test]
    fn timestamps_are_rfc3339_utc_to_the_second() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(1_796_009_905_999), "2026-11-30T03:38:25Z");
        assert_eq!(timestamp(i64::MAX), "");
        assert_eq!(timestamp_ms(1_796_009_905_120), "2026-11-30T03:38:25.120Z");
    }

    #[test]
    fn truncation_counts_display_columns() {
        assert_eq!(truncate("orders-stream", 13), "orders-stream");
        assert_eq!(truncate("orders-stream", 8), "orders-…");
        assert_eq!(truncate("abc", 1), "…");
        assert_eq!(truncate("abc", 0), "");
        // Two columns per CJK character: four columns hold one and the ellipsis.
        assert_eq!(truncate("注文ストリーム", 4), "注…");
        assert_eq!(width(&truncate("注文ストリーム", 5)), 5);
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit("注文ストリーム", 6), "注文… ");
        assert_eq!(width(&fit("注文ストリーム", 6)), 6);
    }

    #[test]
    fn clocks_follow_the_range_and_the_zone() {
        let noon = 1_795_953_600_000;
        assert_eq!(clock(noon, 3_600_000, &TimeZone::UTC), "12:00");
        assert_eq!(clock(noon + 5_000, 300_000, &TimeZone::UTC), "12:00:05");
        assert_eq!(clock(noon, 3 * 86_400_000, &TimeZone::UTC), "11-29 12:00");
        let tokyo = TimeZone::fixed(jiff::tz::offset(9));
        assert_eq!(clock(noon, 3_600_000, &tokyo), "21:00");
        assert_eq!(unit_suffix(Some("Milliseconds")), "ms");
        assert_eq!(unit_suffix(Some("Count")), "");
    }

    #[test]
    fn short_values_keep_three_figures_and_switch_to_si_past_a_thousand() {
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(42.75), "42.8");
        assert_eq!(short(85.5), "85.5");
        assert_eq!(short(950.0), "950");
        assert_eq!(short(1500.0), "1500");
        assert_eq!(short(2010.4), "2010");
        assert_eq!(short(12_345.0), "12.3k");
        assert_eq!(short(-3.0), "-3");
        assert_eq!(short(2.0 / 3.0), "0.67");
        assert_eq!(short(f64::NAN), "-");
        assert_eq!(short_with_unit(250.0, Some("Milliseconds")), "250 ms");
        assert_eq!(short_with_unit(3.0, Some("Count")), "3");
    }
}
