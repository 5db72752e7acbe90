//! Pattern 4's workload, shaped like the reference's taxi replay: New York yellow-cab trip events (every
//! field of the TLC records the replay sends, a monotonically increasing `trip_id`, `type: "trip"`),
//! made by a seeded generator from the distributions in `assets/taxi/nyc.json`, and replayed in event-time
//! (drop-off) order with a speed-up factor, as the replay tool does: a trip that dropped off one hour after
//! the first is due 3600 / speed-up seconds into the run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::json;

use super::Workload;
use crate::kpl::UserRecord;
use crate::text_format::timestamp;

const MODEL: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/taxi/nyc.json"));
/// The replay tool's default speed-up: a day of trips in about 13 seconds.
pub const DEFAULT_SPEEDUP: f64 = 6480.0;
const MILES_PER_DEGREE_LAT: f64 = 69.0;
/// At New York's latitude a degree of longitude is shorter.
const MILES_PER_DEGREE_LON: f64 = 52.5;
/// Roads are longer than the straight line between pick-up and drop-off.
const ROAD_FACTOR: f64 = 1.3;

#[derive(Debug, Deserialize)]
struct Model {
    start: String,
    trips_per_hour: f64,
    hourly_demand: Vec<f64>,
    speed_mph_by_hour: Vec<f64>,
    zones: Vec<Zone>,
    distance_miles: LogNormal,
    airport_distance_miles: LogNormal,
    fare: Fare,
    passengers: Vec<(u32, f64)>,
    payment_type: Vec<(u32, f64)>,
    vendor: Vec<(u32, f64)>,
    tip_share_card: Normal,
}

#[derive(Debug, Deserialize)]
struct Zone {
    lat: f64,
    lon: f64,
    spread_miles: f64,
    weight: f64,
    airport: bool,
    name: String,
}

#[derive(Debug, Deserialize)]
struct LogNormal {
    median: f64,
    sigma: f64,
    min: f64,
    max: f64,
}

#[derive(Debug, Deserialize)]
struct Normal {
    mean: f64,
    sd: f64,
}

#[derive(Debug, Deserialize)]
struct Fare {
    initial: f64,
    per_mile: f64,
    per_minute_slow: f64,
    slow_share: f64,
    mta_tax: f64,
    improvement_surcharge: f64,
    overnight_surcharge: f64,
    peak_surcharge: f64,
    jfk_flat: f64,
    airport_toll: f64,
    airport_toll_share: f64,
}

/// A trip made but not yet sent: trips are made in pick-up order and sent in drop-off order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    dropoff_ms: i64,
    made: u64,
    body: String,
}

pub struct Taxi {
    model: Model,
    rng: fastrand::Rng,
    speedup: f64,
    /// The next pick-up time.
    cursor_ms: i64,
    pending: BinaryHeap<Reverse<Pending>>,
    made: u64,
    next_trip_id: u64,
    first_dropoff_ms: Option<i64>,
}

impl Taxi {
    pub fn new(seed: u64, speedup: f64) -> anyhow::Result<Taxi> {
        let model: Model = serde_json::from_str(MODEL).context("reading assets/taxi/nyc.json")?;
        anyhow::ensure!(
            model.hourly_demand.len() == 24 && model.speed_mph_by_hour.len() == 24,
            "the taxi model needs 24 hours"
        );
        anyhow::ensure!(!model.zones.is_empty(), "the taxi model has no zones");
        anyhow::ensure!(speedup.is_finite() && speedup > 0.0, "the speed-up must be a positive number");
        let start = time::OffsetDateTime::parse(&model.start, &time::format_description::well_known::Rfc3339)
            .context("the taxi model's start time")?;
        let cursor_ms = (start.unix_timestamp_nanos() / 1_000_000) as i64;
        Ok(Taxi {
            model,
            rng: fastrand::Rng::with_seed(seed),
            speedup,
            cursor_ms,
            pending: BinaryHeap::new(),
            made: 0,
            next_trip_id: 1,
            first_dropoff_ms: None,
        })
    }

    /// Makes trips until the earliest drop-off waiting is final: every trip not made yet picks up (and so
    /// drops off) after the cursor.
    fn fill(&mut self) {
        while self.pending.peek().is_none_or(|Reverse(p)| p.dropoff_ms > self.cursor_ms) {
            let trip = self.make_trip(self.cursor_ms);
            self.pending.push(Reverse(trip));
            let hour = hour_of(self.cursor_ms);
            let per_ms = self.model.trips_per_hour * self.model.hourly_demand[hour] / 3_600_000.0;
            let gap = -(1.0 - self.rng.f64()).ln() / per_ms.max(1e-9);
            self.cursor_ms += gap.ceil().max(1.0) as i64;
        }
    }

    fn make_trip(&mut self, pickup_ms: i64) -> Pending {
        let m = &self.model;
        let zone_weights: Vec<f64> = m.zones.iter().map(|z| z.weight).collect();
        let zone = &m.zones[pick(&mut self.rng, &zone_weights)];
        let (plat, plon) = (
            zone.lat + normal(&mut self.rng) * zone.spread_miles / MILES_PER_DEGREE_LAT,
            zone.lon + normal(&mut self.rng) * zone.spread_miles / MILES_PER_DEGREE_LON,
        );
        let dist = if zone.airport { &m.airport_distance_miles } else { &m.distance_miles };
        let miles = (dist.median * (dist.sigma * normal(&mut self.rng)).exp()).clamp(dist.min, dist.max);
        // Airport trips head for Midtown; others anywhere.
        let angle = if zone.airport {
            let (mlat, mlon) = (m.zones[0].lat - zone.lat, m.zones[0].lon - zone.lon);
            (mlon * MILES_PER_DEGREE_LON).atan2(mlat * MILES_PER_DEGREE_LAT) + normal(&mut self.rng) * 0.3
        } else {
            self.rng.f64() * std::f64::consts::TAU
        };
        let straight = miles / ROAD_FACTOR;
        let (dlat, dlon) = (
            plat + straight * angle.cos() / MILES_PER_DEGREE_LAT,
            plon + straight * angle.sin() / MILES_PER_DEGREE_LON,
        );
        let hour = hour_of(pickup_ms);
        let mph = m.speed_mph_by_hour[hour] * (0.25 * normal(&mut self.rng)).exp();
        let minutes = (miles / mph.max(1.0) * 60.0).max(1.0);
        let dropoff_ms = pickup_ms + (minutes * 60_000.0) as i64;

        let f = &m.fare;
        let jfk_flat = zone.airport && zone.name.starts_with("JFK") && self.rng.f64() < 0.8;
        let (rate_code, fare) = if jfk_flat {
            (2, f.jfk_flat)
        } else {
            let metered = f.initial + f.per_mile * miles + f.per_minute_slow * minutes * f.slow_share;
            (1, (metered * 2.0).round() / 2.0)
        };
        let weekday = (pickup_ms.div_euclid(86_400_000) + 4).rem_euclid(7) < 5; // 1970-01-01 was a Thursday
        let mut extra = 0.0;
        if !(6..20).contains(&hour) {
            extra += f.overnight_surcharge;
        }
        if weekday && (16..20).contains(&hour) {
            extra += f.peak_surcharge;
        }
        let tolls = if zone.airport && self.rng.f64() < f.airport_toll_share { f.airport_toll } else { 0.0 };
        let payment = m.payment_type[pick(&mut self.rng, &weights(&m.payment_type))].0;
        let tip = if payment == 1 {
            cents((fare * (m.tip_share_card.mean + m.tip_share_card.sd * normal(&mut self.rng))).max(0.0))
        } else {
            0.0
        };
        let total = cents(fare + extra + f.mta_tax + tip + tolls + f.improvement_surcharge);
        let body = json!({
            "vendor_id": m.vendor[pick(&mut self.rng, &weights(&m.vendor))].0,
            "pickup_datetime": timestamp(pickup_ms),
            "dropoff_datetime": timestamp(dropoff_ms),
            "passenger_count": m.passengers[pick(&mut self.rng, &weights(&m.passengers))].0,
            "trip_distance": cents(miles),
            "pickup_latitude": round6(plat),
            "pickup_longitude": round6(plon),
            "dropoff_latitude": round6(dlat),
            "dropoff_longitude": round6(dlon),
            "rate_code_id": rate_code,
            "store_and_fwd_flag": if self.rng.f64() < 0.01 { "Y" } else { "N" },
            "payment_type": payment,
            "fare_amount": fare,
            "extra": extra,
            "mta_tax": f.mta_tax,
            "tip_amount": tip,
            "tolls_amount": tolls,
            "improvement_surcharge": f.improvement_surcharge,
            "total_amount": total,
            "type": "trip",
        });
        self.made += 1;
        Pending { dropoff_ms, made: self.made, body: body.to_string() }
    }
}

impl Workload for Taxi {
    fn next_record(&mut self) -> Option<UserRecord> {
        self.fill();
        let Reverse(trip) = self.pending.pop()?;
        self.first_dropoff_ms.get_or_insert(trip.dropoff_ms);
        let trip_id = self.next_trip_id;
        self.next_trip_id += 1;
        // The trip id goes first, as the replay writes it, and keys the record.
        let data = format!(r#"{{"trip_id":{trip_id},{}"#, &trip.body[1..]);
        Some(UserRecord { partition_key: trip_id.to_string(), explicit_hash_key: None, data: data.into_bytes() })
    }

    fn next_due(&mut self) -> Option<Duration> {
        self.fill();
        let Reverse(next) = self.pending.peek()?;
        let first = self.first_dropoff_ms.unwrap_or(next.dropoff_ms);
        Some(Duration::from_secs_f64((next.dropoff_ms - first).max(0) as f64 / 1000.0 / self.speedup))
    }
}

fn hour_of(ms: i64) -> usize {
    (ms.div_euclid(3_600_000).rem_euclid(24)) as usize
}

fn weights(table: &[(u32, f64)]) -> Vec<f64> {
    table.iter().map(|(_, w)| *w).collect()
}

/// An index drawn with the given weights.
fn pick(rng: &mut fastrand::Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.f64() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u = 1.0 - rng.f64();
    let v = rng.f64();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trips(seed: u64, n: usize) -> Vec<serde_json::Value> {
        let mut taxi = Taxi::new(seed, DEFAULT_SPEEDUP).expect("the bundled model reads");
        (0..n).map(|_| serde_json::from_slice(&taxi.next_record().expect("endless").data).expect("JSON")).collect()
    }

    #[test]
    fn trips_carry_every_field_in_drop_off_order_with_increasing_ids() {
        let t = trips(11, 3_000);
        for (i, trip) in t.iter().enumerate() {
            assert_eq!(trip["trip_id"], i as u64 + 1);
            assert_eq!(trip["type"], "trip");
            for field in [
                "vendor_id",
                "pickup_datetime",
                "dropoff_datetime",
                "passenger_count",
                "trip_distance",
                "pickup_latitude",
                "pickup_longitude",
                "dropoff_latitude",
                "dropoff_longitude",
                "rate_code_id",
                "store_and_fwd_flag",
                "payment_type",
                "fare_amount",
                "extra",
                "mta_tax",
                "tip_amount",
                "tolls_amount",
                "improvement_surcharge",
                "total_amount",
            ] {
                assert!(!trip[field].is_null(), "trip {i} lacks {field}");
            }
            assert!(trip["pickup_datetime"].as_str() <= trip["dropoff_datetime"].as_str());
        }
        let dropoffs: Vec<&str> = t.iter().map(|x| x["dropoff_datetime"].as_str().unwrap()).collect();
        assert!(dropoffs.windows(2).all(|w| w[0] <= w[1]), "sent in event-time (drop-off) order");
        assert!(dropoffs[0].starts_with("2018-01-01T"));
    }

    #[test]
    fn distributions_look_like_new_york() {
        let t = trips(5, 20_000);
        let mut distances: Vec<f64> = t.iter().map(|x| x["trip_distance"].as_f64().unwrap()).collect();
        distances.sort_by(f64::total_cmp);
        let median = distances[distances.len() / 2];
        assert!((1.3..2.3).contains(&median), "median trip {median} miles");
        let in_manhattan = t
            .iter()
            .filter(|x| {
                let (lat, lon) = (x["pickup_latitude"].as_f64().unwrap(), x["pickup_longitude"].as_f64().unwrap());
                (40.68..40.88).contains(&lat) && (-74.03..-73.90).contains(&lon)
            })
            .count();
        assert!(in_manhattan * 100 / t.len() > 80, "most pick-ups are in Manhattan: {in_manhattan}");
        for x in &t {
            let total = x["total_amount"].as_f64().unwrap();
            let parts: f64 = ["fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge"]
                .iter()
                .map(|f| x[*f].as_f64().unwrap())
                .sum();
            assert!((total - parts).abs() < 0.011, "total {total} is the sum of its parts {parts}");
            assert!(x["fare_amount"].as_f64().unwrap() >= 2.5);
        }
        let cash_tips = t.iter().filter(|x| x["payment_type"] == 2 && x["tip_amount"].as_f64() != Some(0.0)).count();
        assert_eq!(cash_tips, 0, "cash tips are not recorded");
    }

    #[test]
    fn the_replay_is_due_by_drop_off_time_over_the_speed_up_and_a_seed_repeats_it() {
        let mut taxi = Taxi::new(3, 3600.0).unwrap();
        assert_eq!(taxi.next_due(), Some(Duration::ZERO), "the first trip is due at once");
        let first = taxi.next_record().unwrap();
        let mut last = Duration::ZERO;
        for _ in 0..5_000 {
            let due = taxi.next_due().unwrap();
            assert!(due >= last, "due times never go back");
            last = due;
            taxi.next_record();
        }
        // At 3600x, an hour of trips is due within about a second; 5,000 trips are under an hour at night.
        assert!(last > Duration::ZERO && last < Duration::from_secs(3), "{last:?}");
        let again = Taxi::new(3, 3600.0).unwrap().next_record().unwrap();
        assert_eq!(first, again);
    }
}
