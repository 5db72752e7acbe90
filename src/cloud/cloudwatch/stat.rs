//! The statistics a query can ask of a bucket: Sum, Average, Minimum, Maximum, SampleCount and
//! percentiles (`p99`, `p99.9`).

use super::storage::agg::Agg;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    Sum,
    Average,
    Minimum,
    Maximum,
    SampleCount,
    Percentile(f64),
}

impl Stat {
    pub fn parse(s: &str) -> Option<Stat> {
        Some(match s {
            "Sum" => Stat::Sum,
            "Average" => Stat::Average,
            "Minimum" => Stat::Minimum,
            "Maximum" => Stat::Maximum,
            "SampleCount" => Stat::SampleCount,
            _ => return parse_percentile(s).map(Stat::Percentile),
        })
    }

    pub fn needs_values(self) -> bool {
        matches!(self, Stat::Percentile(_))
    }

    pub fn of(self, agg: &Agg) -> Option<f64> {
        let v = match self {
            Stat::Sum => agg.sum,
            Stat::Average => agg.average()?,
            Stat::Minimum => agg.min,
            Stat::Maximum => agg.max,
            Stat::SampleCount => agg.count,
            Stat::Percentile(p) => agg.percentile(p)?,
        };
        v.is_finite().then_some(v)
    }
}

/// `pNN` or `pNN.NN`, 0–100.
pub fn parse_percentile(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('p')?;
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let valid = !whole.is_empty() && whole.len() <= 3 && frac.len() <= 2 && (digits.contains('.') <= !frac.is_empty());
    let all_digits = whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit());
    let p: f64 = digits.parse().ok()?;
    (valid && all_digits && (0.0..=100.0).contains(&p)).then_some(p)
}
