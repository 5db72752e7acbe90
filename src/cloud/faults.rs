//! Fault injection: rates of throttling, internal errors, added latency and dropped connections,
//! per service or for all, so clients' retry paths can be exercised locally.

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Key under which rates apply to every service without rates of its own.
pub const ALL: &str = "*";

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultRates {
    /// Fraction of requests answered with a throttling error.
    pub throttle: f64,
    /// Fraction of requests answered with an internal error.
    pub error: f64,
    /// Latency added to every request, in milliseconds.
    pub latency_ms: u64,
    /// Fraction of requests whose connection is dropped without an answer.
    pub reset: f64,
    /// Apply to the next `count` requests only, then clear (deterministic retry tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttle,
    Error,
    Reset,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultSpecError {
    #[error("fault '{0}' is not one of throttle, error, latency, reset")]
    UnknownKind(String),
    #[error("'{0}' is not KIND=VALUE (e.g. throttle=0.2 or latency=20ms)")]
    Malformed(String),
    #[error("rate '{0}' for {1} must be a number between 0 and 1")]
    BadRate(String, &'static str),
    #[error("latency '{0}' must be milliseconds like 20ms or 20")]
    BadLatency(String),
}

impl FaultRates {
    pub fn validate(&self) -> Result<(), FaultSpecError> {
        for (name, rate) in [("throttle", self.throttle), ("error", self.error), ("reset", self.reset)] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(FaultSpecError::BadRate(rate.to_string(), name));
            }
        }
        Ok(())
    }

    pub fn is_none(&self) -> bool {
        FaultRates { count: None, ..*self } == FaultRates::default() || self.count == Some(0)
    }
}

/// Parses `[service:]throttle=0.2,error=0.01,latency=20ms,reset=0.005`.
pub fn parse_spec(spec: &str) -> Result<(String, FaultRates), FaultSpecError> {
    let (service, list) = match spec.split_once(':') {
        Some((svc, rest)) if !svc.contains('=') => (svc.trim().to_string(), rest),
        _ => (ALL.to_string(), spec),
    };
    let mut rates = FaultRates::default();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (kind, value) = item.split_once('=').ok_or_else(|| FaultSpecError::Malformed(item.to_string()))?;
        let rate = |name: &'static str| -> Result<f64, FaultSpecError> {
            value
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| FaultSpecError::BadRate(value.to_string(), name))
        };
        match kind.trim() {
            "throttle" => rates.throttle = rate("throttle")?,
            "error" => rates.error = rate("error")?,
            "reset" => rates.reset = rate("reset")?,
            "latency" => {
                rates.latency_ms =
                    value.trim_end_matches("ms").parse().map_err(|_| FaultSpecError::BadLatency(value.to_string()))?
            }
            other => return Err(FaultSpecError::UnknownKind(other.to_string())),
        }
    }
    Ok((service, rates))
}

#[derive(Debug, Default)]
pub struct Faults {
    rates: RwLock<BTreeMap<String, FaultRates>>,
    /// Faults injected so far, by service and kind (`kinesis.throttle`).
    injected: RwLock<BTreeMap<String, u64>>,
}

impl Faults {
    pub fn set(&self, service: &str, rates: FaultRates) {
        let mut map = self.rates.write().unwrap_or_else(|p| p.into_inner());
        if rates.is_none() {
            map.remove(service);
        } else {
            map.insert(service.to_string(), rates);
        }
    }

    pub fn clear(&self) {
        self.rates.write().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn injected(&self) -> BTreeMap<String, u64> {
        self.injected.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn snapshot(&self) -> BTreeMap<String, FaultRates> {
        self.rates.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn rates_for(&self, service: &str) -> FaultRates {
        let map = self.rates.read().unwrap_or_else(|p| p.into_inner());
        map.get(service).or_else(|| map.get(ALL)).copied().unwrap_or_default()
    }

    /// Draws this request's fate: latency to add and, perhaps, a fault.
    pub fn roll(&self, service: &str) -> (Duration, Option<Fault>) {
        let rates = {
            let read = self.rates.read().unwrap_or_else(|p| p.into_inner());
            if read.is_empty() {
                return (Duration::ZERO, None);
            }
            let key = if read.contains_key(service) { service } else { ALL };
            let Some(rates) = read.get(key).copied() else { return (Duration::ZERO, None) };
            drop(read);
            if rates.count.is_some() {
                self.consume_one(key);
            }
            rates
        };
        let draw = fastrand::f64();
        let fault = if draw < rates.reset {
            Some(Fault::Reset)
        } else if draw < rates.reset + rates.throttle {
            Some(Fault::Throttle)
        } else if draw < rates.reset + rates.throttle + rates.error {
            Some(Fault::Error)
        } else {
            None
        };
        if let Some(f) = fault {
            let kind = match f {
                Fault::Reset => "reset",
                Fault::Throttle => "throttle",
                Fault::Error => "error",
            };
            *self
                .injected
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .entry(format!("{service}.{kind}"))
                .or_default() += 1;
        }
        (Duration::from_millis(rates.latency_ms), fault)
    }

    fn consume_one(&self, key: &str) {
        let mut map = self.rates.write().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = map.get_mut(key)
            && let Some(n) = r.count.as_mut()
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let (svc, r) = parse_spec("throttle=0.2,error=0.01,latency=20ms,reset=0.005").unwrap();
        assert_eq!(svc, ALL);
        assert_eq!(r, FaultRates { throttle: 0.2, error: 0.01, latency_ms: 20, reset: 0.005, count: None });
        let (svc, r) = parse_spec("kinesis:throttle=1").unwrap();
        assert_eq!((svc.as_str(), r.throttle), ("kinesis", 1.0));
        assert_eq!(parse_spec("throttle=2").unwrap_err(), FaultSpecError::BadRate("2".into(), "throttle"));
        assert_eq!(parse_spec("slow=1").unwrap_err(), FaultSpecError::UnknownKind("slow".into()));
        assert!(matches!(parse_spec("latency=fast").unwrap_err(), FaultSpecError::BadLatency(_)));
    }

    #[test]
    fn service_rates_override_the_default() {
        let faults = Faults::default();
        faults.set(ALL, FaultRates { error: 1.0, ..Default::default() });
        faults.set("sts", FaultRates { throttle: 1.0, ..Default::default() });
        assert_eq!(faults.roll("sts").1, Some(Fault::Throttle));
        assert_eq!(faults.roll("kinesis").1, Some(Fault::Error));
        faults.clear();
        assert_eq!(faults.roll("kinesis").1, None);
        assert_eq!(faults.injected().get("sts.throttle"), Some(&1));
    }

    #[test]
    fn counted_faults_expire() {
        let faults = Faults::default();
        faults.set(ALL, FaultRates { throttle: 1.0, count: Some(2), ..Default::default() });
        assert_eq!(faults.roll("sts").1, Some(Fault::Throttle));
        assert_eq!(faults.roll("sts").1, Some(Fault::Throttle));
        assert_eq!(faults.roll("sts").1, None);
        assert!(faults.snapshot().is_empty());
    }
}
