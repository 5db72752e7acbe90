//! Text sparklines (`▁▂▃▄▅▆▇█`) for one-line charts in the CLI.

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// At most `width` bars: the last `width` buckets of `values`, each the maximum of the points it
/// covers when there are more points than bars, scaled between the values' minimum and maximum.
pub fn sparkline(values: &[f64], width: usize) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() || width == 0 {
        return String::new();
    }
    let per = finite.len().div_ceil(width);
    let buckets: Vec<f64> = finite.chunks(per).map(|c| c.iter().copied().fold(f64::NEG_INFINITY, f64::max)).collect();
    let lo = buckets.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = buckets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    buckets
        .iter()
        .map(|v| {
            if hi <= lo {
                BARS[0]
            } else {
                let i = ((v - lo) / (hi - lo) * (BARS.len() - 1) as f64).round() as usize;
                BARS[i.min(BARS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_between_min_and_max() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 8), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&[5.0, 5.0], 8), "▁▁");
        assert_eq!(sparkline(&[], 8), "");
        assert_eq!(sparkline(&[0.0, 9.0, 1.0, 1.0], 2), "█▁");
    }
}
