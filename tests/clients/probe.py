"""A few calls per service of the local cloud through one Python client, for the protocol matrix.

Usage: python probe.py <endpoint-url> [--awscli]

With --awscli the calls go through the botocore the aws CLI v1 carries (awscli.botocore), which is what
`aws` itself sends; otherwise through the botocore installed beside boto3. Prints one JSON document:
per service, the client's version, the protocol its requests spoke (seen on the wire, before sending)
and each call's outcome: "ok", or the error code when the call was expected to fail, or "FAILED: …".
"""

import json
import sys
import uuid

if "--awscli" in sys.argv:
    from awscli.botocore import session as botocore_session
    from awscli.botocore.config import Config
    import awscli as client_pkg
else:
    from botocore import session as botocore_session
    from botocore.config import Config
    import boto3 as client_pkg

ENDPOINT = sys.argv[1]
SESSION = botocore_session.get_session()
RUN = uuid.uuid4().hex[:8]


def wire_protocol(request):
    h = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
    ctype = h.get("content-type", "")
    if h.get("smithy-protocol") == "rpc-v2-cbor":
        return "rpc-v2-cbor"
    if "x-amz-target" in h:
        return "awsJson1.0" if "1.0" in ctype else "awsJson1.1"
    if ctype.startswith("application/x-www-form-urlencoded"):
        return "awsQuery"
    return None


def probe(service, calls):
    client = SESSION.create_client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )
    seen = set()
    # REST protocols say nothing in the headers; their name comes from the client's model.
    rest = {"rest-xml": "restXml", "rest-json": "restJson1"}.get(client.meta.service_model.protocol, "rest")
    client.meta.events.register("before-send", lambda request, **_: seen.add(wire_protocol(request) or rest))
    outcomes = {}
    for name, kwargs, expected_error in calls:
        key = name if expected_error is None else f"{name} ({expected_error})"
        try:
            getattr(client, name)(**kwargs)
            outcomes[key] = "ok" if expected_error is None else f"FAILED: no error, expected {expected_error}"
        except Exception as e:  # noqa: BLE001 - every failure is an outcome to report
            # The CLI's vendored botocore raises its own ClientError class; both carry `response`.
            error = getattr(e, "response", {}).get("Error") if hasattr(e, "response") else None
            if error is None:
                outcomes[key] = f"FAILED: {type(e).__name__}: {e}"
            elif expected_error is not None and error.get("Code") == expected_error:
                outcomes[key] = expected_error
            else:
                outcomes[key] = f"FAILED: {error.get('Code')}: {error.get('Message')}"
    return {"protocols": sorted(seen), "calls": outcomes}


TEMPLATE = '{"Resources": {"S": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}}}}'
ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

SERVICES = {
    "kinesis": [
        ("create_stream", {"StreamName": f"probe-{RUN}", "ShardCount": 1}, None),
        ("describe_stream_summary", {"StreamName": f"probe-{RUN}"}, None),
        ("list_streams", {}, None),
        ("describe_limits", {}, None),
        ("describe_stream_summary", {"StreamName": "no-such-stream"}, "ResourceNotFoundException"),
    ],
    "cloudwatch": [
        ("put_metric_data", {"Namespace": "Probe", "MetricData": [{"MetricName": "M", "Value": 1.0}]}, None),
        ("list_metrics", {"Namespace": "Probe"}, None),
        ("put_dashboard", {"DashboardName": f"probe-{RUN}", "DashboardBody": '{"widgets": []}'}, None),
        ("list_dashboards", {}, None),
        ("describe_alarms", {}, None),
        ("get_dashboard", {"DashboardName": "no-such-dashboard"}, "ResourceNotFound"),
    ],
    "firehose": [
        ("list_delivery_streams", {}, None),
        ("describe_delivery_stream", {"DeliveryStreamName": "no-such"}, "ResourceNotFoundException"),
    ],
    "cloudformation": [
        ("validate_template", {"TemplateBody": TEMPLATE}, None),
        ("list_stacks", {}, None),
        ("describe_stacks", {"StackName": "no-such-stack"}, "ValidationError"),
    ],
    "s3": [
        ("create_bucket", {"Bucket": f"probe-{RUN}"}, None),
        ("put_object", {"Bucket": f"probe-{RUN}", "Key": "k", "Body": b"hello"}, None),
        ("list_objects_v2", {"Bucket": f"probe-{RUN}"}, None),
        ("get_object", {"Bucket": f"probe-{RUN}", "Key": "missing"}, "NoSuchKey"),
    ],
    "logs": [
        ("create_log_group", {"logGroupName": f"/probe/{RUN}"}, None),
        ("describe_log_groups", {"logGroupNamePrefix": "/probe/"}, None),
        ("create_log_group", {"logGroupName": f"/probe/{RUN}"}, "ResourceAlreadyExistsException"),
    ],
    "iam": [
        ("create_role", {"RoleName": f"probe-{RUN}", "AssumeRolePolicyDocument": ROLE_POLICY}, None),
        ("get_role", {"RoleName": f"probe-{RUN}"}, None),
        ("get_role", {"RoleName": "no-such-role"}, "NoSuchEntity"),
    ],
    "sts": [
        ("get_caller_identity", {}, None),
    ],
}

result = {"client": client_pkg.__version__, "services": {}}
for service, calls in SERVICES.items():
    result["services"][service] = probe(service, calls)
print(json.dumps(result, indent=1, sort_keys=True))
