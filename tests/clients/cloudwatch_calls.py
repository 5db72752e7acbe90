"""The CloudWatch calls a script written against AWS makes, through whichever boto3 runs this file.

Usage: python cloudwatch_calls.py <endpoint-url> <t0-epoch-seconds>

Prints one JSON document: each call's answer (or its error code and message), with the answers made
comparable across clients and runs: times become seconds after t0, request ids and the instants the
cloud stamps on its own (last modified, state updated) become "<time>".
"""

import datetime
import json
import sys

import boto3
import botocore
from botocore.config import Config

ENDPOINT, T0 = sys.argv[1], int(sys.argv[2])
NS = "Client/Test"
DIMS = [{"Name": "Stream", "Value": "s1"}]
STAMPED = {
    "LastModified",
    "AlarmConfigurationUpdatedTimestamp",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
}

cw = boto3.client(
    "cloudwatch",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    config=Config(retries={"max_attempts": 1}),
)
sent = []


def protocol_of(request, **_):
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
    if headers.get("smithy-protocol") == "rpc-v2-cbor":
        sent.append("rpc-v2-cbor")
    elif "x-amz-target" in headers:
        sent.append("awsJson1_0")
    elif headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        sent.append("awsQuery")
    else:
        sent.append("other")
    if headers.get("content-encoding") == "gzip":
        sent.append("gzip")


cw.meta.events.register("before-send", protocol_of)


def at(seconds):
    return datetime.datetime.fromtimestamp(T0 + seconds, tz=datetime.timezone.utc)


def comparable(value, key=None):
    if isinstance(value, dict):
        out = {k: comparable(v, k) for k, v in sorted(value.items()) if k != "ResponseMetadata"}
        if "Datapoints" in out:  # CloudWatch returns them in no particular order
            out["Datapoints"].sort(key=lambda p: p.get("Timestamp", 0))
        return out
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, datetime.datetime):
        return "<time>" if key in STAMPED else round(value.timestamp() - T0, 3)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def call(name, **kwargs):
    try:
        answer = getattr(cw, name)(**kwargs)
        return comparable(answer)
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        return {"error": err.get("Code"), "message": err.get("Message"), "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


def metric(name):
    return {"Namespace": NS, "MetricName": name, "Dimensions": DIMS}


out = {}
out["PutMetricData"] = call(
    "put_metric_data",
    Namespace=NS,
    MetricData=[
        {"MetricName": "Delivered", "Dimensions": DIMS, "Timestamp": at(0), "Value": 3.0, "Unit": "Count"},
        {"MetricName": "Delivered", "Dimensions": DIMS, "Timestamp": at(60), "Values": [1.0, 2.0], "Counts": [2.0, 3.0], "Unit": "Count"},
        {
            "MetricName": "Attempted",
            "Dimensions": DIMS,
            "Timestamp": at(0),
            "StatisticValues": {"SampleCount": 2.0, "Sum": 6.0, "Minimum": 2.0, "Maximum": 4.0},
            "Unit": "Count",
        },
        {"MetricName": "Attempted", "Dimensions": DIMS, "Timestamp": at(60), "Value": 10.0, "Unit": "Count"},
    ],
)
# Large enough (over 10 KiB) that the SDK compresses it, as both boto3 releases do for PutMetricData.
out["PutMetricData gzip"] = call(
    "put_metric_data",
    Namespace=NS,
    MetricData=[
        {"MetricName": "Bulk", "Dimensions": [{"Name": "Part", "Value": f"p{i:03d}-" + "x" * 40}], "Timestamp": at(0), "Value": float(i)}
        for i in range(150)
    ],
)
out["GetMetricData"] = call(
    "get_metric_data",
    MetricDataQueries=[
        {"Id": "m1", "MetricStat": {"Metric": metric("Delivered"), "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "m2", "MetricStat": {"Metric": metric("Attempted"), "Period": 60, "Stat": "Sum"}, "ReturnData": True},
        {"Id": "e1", "Expression": "100*(m1/m2)", "Label": "Success %"},
    ],
    StartTime=at(0),
    EndTime=at(180),
    ScanBy="TimestampAscending",
)
out["GetMetricStatistics"] = call(
    "get_metric_statistics",
    Namespace=NS,
    MetricName="Delivered",
    Dimensions=DIMS,
    StartTime=at(0),
    EndTime=at(180),
    Period=60,
    Statistics=["Sum", "SampleCount", "Maximum", "Average"],
)
lm = call("list_metrics", Namespace=NS, MetricName="Delivered")
out["ListMetrics"] = lm
out["ListMetrics bulk count"] = len(call("list_metrics", Namespace=NS, MetricName="Bulk").get("Metrics", []))
out["PutMetricAlarm"] = call(
    "put_metric_alarm",
    AlarmName="client-alarm",
    AlarmDescription="more than five attempts",
    Namespace=NS,
    MetricName="Attempted",
    Dimensions=DIMS,
    Statistic="Sum",
    Period=60,
    EvaluationPeriods=1,
    Threshold=5.0,
    ComparisonOperator="GreaterThanThreshold",
    TreatMissingData="notBreaching",
    ActionsEnabled=False,
    Tags=[{"Key": "team", "Value": "streams"}],
)
out["PutMetricAlarm bad period"] = call(
    "put_metric_alarm",
    AlarmName="bad",
    Namespace=NS,
    MetricName="Attempted",
    Statistic="Sum",
    Period=7,
    EvaluationPeriods=1,
    Threshold=1.0,
    ComparisonOperator="GreaterThanThreshold",
)
out["SetAlarmState"] = call("set_alarm_state", AlarmName="client-alarm", StateValue="ALARM", StateReason="set by hand")
out["DescribeAlarms"] = call("describe_alarms", AlarmNames=["client-alarm"])
out["DescribeAlarms missing"] = call("describe_alarms", AlarmNames=["no-such-alarm"])
out["SetAlarmState missing"] = call("set_alarm_state", AlarmName="no-such-alarm", StateValue="OK", StateReason="x")
body = json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 6, "height": 6,
                                "properties": {"metrics": [[NS, "Delivered", "Stream", "s1"]], "region": "us-east-1", "stat": "Sum", "period": 60}}]})
out["PutDashboard"] = call("put_dashboard", DashboardName="client-dash", DashboardBody=body)
out["GetDashboard"] = call("get_dashboard", DashboardName="client-dash")
out["ListDashboards"] = call("list_dashboards", DashboardNamePrefix="client-")
out["DeleteDashboards"] = call("delete_dashboards", DashboardNames=["client-dash"])
out["ListDashboards after delete"] = call("list_dashboards", DashboardNamePrefix="client-")
out["GetDashboard missing"] = call("get_dashboard", DashboardName="client-dash")
out["protocols"] = sorted(set(sent))
print(json.dumps(out, indent=1, sort_keys=True))
