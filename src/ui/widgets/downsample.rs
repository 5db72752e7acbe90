//! Reduces a series to what a chart of a given width can show: per column at most two points, the
//! lowest and the highest in the order they occur, so spikes and dips survive (the M4 idea without
//! the first and last, which a line through neighbouring columns already draws).

/// A column's index, and its lowest and highest point as `(ms, value)`.
type Column = (usize, (i64, f64), (i64, f64));

/// Points of `timestamps_ms`/`values` (ascending in time) inside `[start_ms, end_ms]`, as
/// `(ms since start_ms, value)`, at most two for each of `columns` equal slices of the range.
/// Non-finite values are dropped.
pub fn downsample(
    timestamps_ms: &[i64],
    values: &[f64],
    start_ms: i64,
    end_ms: i64,
    columns: usize,
) -> Vec<(f64, f64)> {
    let span = (end_ms - start_ms).max(1);
    let columns = columns.max(1);
    let inside = timestamps_ms
        .iter()
        .zip(values)
        .filter(|(t, v)| **t >= start_ms && **t <= end_ms && v.is_finite())
        .map(|(t, v)| (*t, *v));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity((columns * 2).min(values.len()));
    // The current column's lowest and highest point, each with its time.
    let mut column: Option<Column> = None;
    let flush = |out: &mut Vec<(f64, f64)>, (_, lo, hi): Column| {
        let (first, second) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
        out.push(((first.0 - start_ms) as f64, first.1));
        if second != first {
            out.push(((second.0 - start_ms) as f64, second.1));
        }
    };
    for (t, v) in inside {
        let c = (((t - start_ms) as i128 * columns as i128) / span as i128).min(columns as i128 - 1) as usize;
        match &mut column {
            Some((current, lo, hi)) if *current == c => {
                if v < lo.1 {
                    *lo = (t, v);
                }
                if v > hi.1 {
                    *hi = (t, v);
                }
            }
            _ => {
                if let Some(done) = column.take() {
                    flush(&mut out, done);
                }
                column = Some((c, (t, v), (t, v)));
            }
        }
    }
    if let Some(done) = column {
        flush(&mut out, done);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_point_when_there_is_room() {
        let ts = [0, 1000, 2000];
        let out = downsample(&ts, &[1.0, 2.0, 3.0], 0, 3000, 100);
        assert_eq!(out, vec![(0.0, 1.0), (1000.0, 2.0), (2000.0, 3.0)]);
    }

    #[test]
    fn keeps_the_lowest_and_highest_of_each_column_in_time_order() {
        // 3 hours of 1-second data into 100 columns: at most 200 points, the spike kept.
        let ts: Vec<i64> = (0..10_800).map(|s| s * 1000).collect();
        let mut values: Vec<f64> = (0..10_800).map(|s| (s % 7) as f64).collect();
        values[5000] = 1000.0;
        let out = downsample(&ts, &values, 0, 10_800_000, 100);
        assert!(out.len() <= 200, "{} points", out.len());
        assert!(out.contains(&(5_000_000.0, 1000.0)), "the spike survives");
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "ascending in time");
        assert_eq!(out.iter().map(|p| p.1).fold(f64::INFINITY, f64::min), 0.0);
    }

    #[test]
    fn drops_points_outside_the_range_and_non_finite_values() {
        let out = downsample(&[-1000, 0, 1000, 5000], &[9.0, f64::NAN, 2.0, 9.0], 0, 2000, 10);
        assert_eq!(out, vec![(1000.0, 2.0)]);
        assert!(downsample(&[], &[], 0, 1000, 0).is_empty());
    }
}
