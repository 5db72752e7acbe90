//! Damaged state found while the cloud runs or starts: a corrupt segment, an unreadable alarms file, a
//! shard directory that metadata names but the disk lacks. One damaged resource never stops the cloud;
//! it is set aside (quarantined), reported here, shown by `/_kc/health` and `local status`, and logged.

use std::sync::Mutex;

use serde::Serialize;

/// One damaged resource and what was done with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DamageReport {
    /// The service that found it (`kinesis`, `cloudwatch`, …).
    pub service: String,
    /// What is damaged: a stream name, a file path.
    pub resource: String,
    /// What was wrong and what the cloud did about it, in words for an operator.
    pub reason: String,
}

/// The reports of one running cloud, in the order they were made.
#[derive(Debug, Default)]
pub struct Damage {
    reports: Mutex<Vec<DamageReport>>,
}

impl Damage {
    /// Records a damaged resource and logs it. Reporting the same resource twice keeps the newer reason.
    pub fn report(&self, service: &str, resource: impl Into<String>, reason: impl Into<String>) {
        let report = DamageReport { service: service.to_string(), resource: resource.into(), reason: reason.into() };
        tracing::error!(service = %report.service, resource = %report.resource, reason = %report.reason, "damaged state quarantined");
        let mut reports = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        reports.retain(|r| !(r.service == report.service && r.resource == report.resource));
        reports.push(report);
    }

    /// Forgets a service's reports, as a reset does.
    pub fn clear(&self, service: &str) {
        self.reports.lock().unwrap_or_else(|p| p.into_inner()).retain(|r| r.service != service);
    }

    pub fn list(&self) -> Vec<DamageReport> {
        self.reports.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_report_of_one_resource_replaces_the_first_and_clear_is_per_service() {
        let damage = Damage::default();
        damage.report("kinesis", "orders", "segment 3 is corrupt");
        damage.report("cloudwatch", "alarms.json", "not JSON");
        damage.report("kinesis", "orders", "segment 4 is corrupt");
        let list = damage.list();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].reason, "segment 4 is corrupt");
        damage.clear("kinesis");
        assert_eq!(damage.list().iter().map(|r| r.resource.as_str()).collect::<Vec<_>>(), ["alarms.json"]);
    }
}
