//! CloudWatch's members whose wire form depends on their type. Output timestamps are tagged in CBOR
//! and written in ISO 8601 in awsQuery ([`is_timestamp_member`]). On the way in, awsQuery must type
//! every member: in a form every value is text, and the operations read the JSON document the other
//! protocols send. Taken from the CloudWatch API model (2010-08-01) for every operation `dispatch`
//! serves; a member not named here is a string. Only `Value` needs its parent: a datum's value is a
//! number, a dimension's or a tag's a string.
//!
//! | member | type |
//! |---|---|
//! | Period, EvaluationPeriods, DatapointsToAlarm, EvaluationInterval, PendingPeriod, RecoveryPeriod, MaxDatapoints, MaxRecords, StorageResolution | integer |
//! | Threshold, Values, Counts, SampleCount, Sum, Minimum, Maximum, `MetricData.Value` | double |
//! | ActionsEnabled, ReturnData, IncludeLinkedAccounts, StrictEntityValidation | boolean |
//! | Timestamp, StartTime, EndTime, StartDate, EndDate | timestamp |
//!
//! Outputs need less: numbers and booleans are already typed in JSON; timestamps are named by
//! [`is_timestamp_member`] (as for CBOR), and `ExtendedStatistics` and `AlarmContributorAttributes`
//! are maps.

use crate::cloud::protocol::query_tree::{QueryShapes, Scalar};

pub const SHAPES: QueryShapes =
    QueryShapes { input_scalar, input_list, output_map, output_timestamp: is_timestamp_member };

/// Output members the SDK models as timestamps (tagged in CBOR, epoch seconds in JSON).
pub fn is_timestamp_member(name: &str) -> bool {
    name.ends_with("Timestamp")
        || name.ends_with("Timestamps")
        || matches!(name, "LastModified" | "StartTime" | "EndTime" | "StartDate" | "EndDate" | "EvaluationDate")
}

fn input_scalar(path: &[&str]) -> Scalar {
    match path {
        [.., "MetricData", "Value"] => Scalar::Double,
        [.., name] => match *name {
            "Period" | "EvaluationPeriods" | "DatapointsToAlarm" | "EvaluationInterval" | "PendingPeriod"
            | "RecoveryPeriod" | "MaxDatapoints" | "MaxRecords" | "StorageResolution" => Scalar::Integer,
            "Threshold" | "Values" | "Counts" | "SampleCount" | "Sum" | "Minimum" | "Maximum" => Scalar::Double,
            "ActionsEnabled" | "ReturnData" | "IncludeLinkedAccounts" | "StrictEntityValidation" => Scalar::Boolean,
            "Timestamp" | "StartTime" | "EndTime" | "StartDate" | "EndDate" => Scalar::Timestamp,
            _ => Scalar::String,
        },
        [] => Scalar::String,
    }
}

/// Input lists, so `Name=` with no members reads as an empty list.
fn input_list(path: &[&str]) -> bool {
    matches!(
        path.last().copied(),
        Some(
            "MetricData"
                | "EntityMetricData"
                | "Dimensions"
                | "Values"
                | "Counts"
                | "MetricDataQueries"
                | "Metrics"
                | "Statistics"
                | "ExtendedStatistics"
                | "AlarmNames"
                | "AlarmTypes"
                | "OKActions"
                | "AlarmActions"
                | "InsufficientDataActions"
                | "DashboardNames"
                | "Tags"
                | "TagKeys"
        )
    )
}

/// Operations whose API model has an output, so their awsQuery answer holds an `<OpResult>`
/// element even when it is empty; the rest (PutMetricData, PutMetricAlarm, SetAlarmState,
/// DeleteAlarms, Enable/DisableAlarmActions) answer only `ResponseMetadata`.
pub fn has_output(operation: &str) -> bool {
    !matches!(
        operation,
        "PutMetricData"
            | "PutMetricAlarm"
            | "SetAlarmState"
            | "DeleteAlarms"
            | "EnableAlarmActions"
            | "DisableAlarmActions"
    )
}

fn output_map(name: &str) -> bool {
    matches!(name, "ExtendedStatistics" | "AlarmContributorAttributes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datums_value_is_a_number_and_a_dimensions_a_string() {
        assert_eq!(input_scalar(&["MetricData", "Value"]), Scalar::Double);
        assert_eq!(input_scalar(&["EntityMetricData", "MetricData", "Value"]), Scalar::Double);
        assert_eq!(input_scalar(&["MetricData", "Dimensions", "Value"]), Scalar::String);
        assert_eq!(input_scalar(&["Tags", "Value"]), Scalar::String);
        assert_eq!(input_scalar(&["MetricDataQueries", "MetricStat", "Period"]), Scalar::Integer);
        assert_eq!(input_scalar(&["MetricData", "StatisticValues", "Sum"]), Scalar::Double);
        assert_eq!(input_scalar(&["MetricDataQueries", "ReturnData"]), Scalar::Boolean);
        assert_eq!(input_scalar(&["StartTime"]), Scalar::Timestamp);
        assert_eq!(input_scalar(&["MetricDataQueries", "Expression"]), Scalar::String);
        assert!(input_list(&["MetricData", "Dimensions"]) && !input_list(&["MetricData", "Unit"]));
    }
}
