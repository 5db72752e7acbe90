//! One bucket's statistics: count, sum, min, max and the value distribution percentiles come from.
//!
//! The distribution is exact (each distinct value with its count) up to [`EXACT_LIMIT`] distinct
//! values; past that it becomes a log-bucketed sketch in which every value is replaced by the centre
//! of its bucket, bounding the relative error of any percentile to [`RELATIVE_ACCURACY`] (1 %).
//! Samples given only as statistic sets carry no values; a bucket holding any of them answers no
//! percentile, as CloudWatch does.

/// Distinct values kept exactly before a distribution is sketched.
pub const EXACT_LIMIT: usize = 64;
/// Relative error bound of a sketched percentile.
pub const RELATIVE_ACCURACY: f64 = 0.01;

#[derive(Debug, Clone, PartialEq)]
pub struct Agg {
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// `(value, count)` sorted by value.
    pub dist: Vec<(f64, f64)>,
    pub sketched: bool,
    /// Some samples came as statistic sets without values.
    pub partial: bool,
}

impl Agg {
    pub fn empty() -> Self {
        Agg {
            count: 0.0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            dist: Vec::new(),
            sketched: false,
            partial: false,
        }
    }

    pub fn value(v: f64) -> Self {
        Agg { count: 1.0, sum: v, min: v, max: v, dist: vec![(v, 1.0)], sketched: false, partial: false }
    }

    /// Distinct values with repeat counts (the `Values`/`Counts` form).
    pub fn values(pairs: &[(f64, f64)]) -> Self {
        let mut agg = Agg::empty();
        for &(v, c) in pairs {
            agg.count += c;
            agg.sum += v * c;
            agg.min = agg.min.min(v);
            agg.max = agg.max.max(v);
        }
        agg.dist = pairs.to_vec();
        agg.normalise();
        agg
    }

    pub fn stats(count: f64, sum: f64, min: f64, max: f64) -> Self {
        Agg { count, sum, min, max, dist: Vec::new(), sketched: false, partial: true }
    }

    pub fn is_empty(&self) -> bool {
        self.count <= 0.0 && self.dist.is_empty() && !self.min.is_finite()
    }

    /// Folds `other` in; the distribution only when `with_dist` (percentiles need it, sums do not).
    pub fn merge(&mut self, other: &Agg, with_dist: bool) {
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.partial |= other.partial;
        if with_dist {
            self.sketched |= other.sketched;
            self.dist.extend_from_slice(&other.dist);
            self.normalise();
        }
    }

    /// Sorts, merges equal values and sketches past the exact limit.
    fn normalise(&mut self) {
        self.dist.retain(|(v, c)| v.is_finite() && *c > 0.0);
        if self.sketched || self.dist.len() > EXACT_LIMIT {
            self.sketched = true;
            for entry in &mut self.dist {
                entry.0 = bucket_centre(entry.0);
            }
        }
        self.dist.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.dist.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                kept.1 += later.1;
                true
            } else {
                false
            }
        });
        if self.dist.len() > EXACT_LIMIT && !self.sketched {
            self.normalise();
        }
    }

    pub fn average(&self) -> Option<f64> {
        (self.count > 0.0).then(|| self.sum / self.count)
    }

    /// Nearest-rank percentile `p` (0–100): the smallest value with at least p % of samples at or below it.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.partial || self.dist.is_empty() {
            return None;
        }
        let total: f64 = self.dist.iter().map(|(_, c)| c).sum();
        let rank = (p / 100.0 * total).max(f64::MIN_POSITIVE);
        let mut seen = 0.0;
        for &(v, c) in &self.dist {
            seen += c;
            if seen >= rank - 1e-9 {
                return Some(v.clamp(self.min, self.max));
            }
        }
        self.dist.last().map(|(v, _)| *v)
    }
}

/// Centre of the logarithmic bucket holding `v` (sign kept; zero is its own bucket).
pub fn bucket_centre(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let gamma = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY);
    let index = (v.abs().ln() / gamma.ln()).ceil();
    let centre = 2.0 * gamma.powf(index) / (gamma + 1.0);
    centre.copysign(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_known_values() {
        let mut a = Agg::empty();
        for v in [3.0, 1.0, 2.0, 4.0] {
            a.merge(&Agg::value(v), true);
        }
        assert_eq!((a.count, a.sum, a.min, a.max), (4.0, 10.0, 1.0, 4.0));
        assert_eq!(a.average(), Some(2.5));
        assert_eq!(a.percentile(50.0), Some(2.0));
        assert_eq!(a.percentile(75.0), Some(3.0));
        assert_eq!(a.percentile(100.0), Some(4.0));
    }

    #[test]
    fn values_with_counts_weigh_percentiles() {
        let a = Agg::values(&[(10.0, 9.0), (100.0, 1.0)]);
        assert_eq!(a.count, 10.0);
        assert_eq!(a.sum, 190.0);
        assert_eq!(a.percentile(90.0), Some(10.0));
        assert_eq!(a.percentile(91.0), Some(100.0));
    }

    #[test]
    fn sketch_bounds_relative_error() {
        let mut a = Agg::empty();
        for i in 1..=1000 {
            a.merge(&Agg::value(i as f64), true);
        }
        assert!(a.sketched);
        for p in [50.0, 90.0, 99.0] {
            let exact = p * 10.0;
            let got = a.percentile(p).unwrap();
            assert!((got - exact).abs() / exact <= 0.021, "p{p}: {got} vs {exact}");
        }
    }

    #[test]
    fn statistic_sets_answer_no_percentile() {
        let mut a = Agg::value(1.0);
        a.merge(&Agg::stats(2.0, 5.0, 2.0, 3.0), true);
        assert_eq!((a.count, a.sum, a.min, a.max), (3.0, 6.0, 1.0, 3.0));
        assert_eq!(a.percentile(50.0), None);
    }
}
