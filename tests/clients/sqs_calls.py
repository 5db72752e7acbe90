"""The SQS calls a script written against AWS makes, through whichever boto3 runs this file.

Usage: python sqs_calls.py <endpoint-url>

Prints one JSON document: each call's answer (or its error code, message and HTTP status), made
comparable across clients and runs: queue URLs lose the endpoint, message and request ids and receipt
handles become placeholders, timestamps become "<time>". boto3 checks the MD5 digests of what it
sends and receives, so a wrong digest fails the script.
"""

import base64
import json
import sys

import boto3
import botocore
from botocore.config import Config

ENDPOINT = sys.argv[1]
VOLATILE = {"MessageId", "ReceiptHandle", "SentTimestamp", "ApproximateFirstReceiveTimestamp",
            "CreatedTimestamp", "LastModifiedTimestamp", "SenderId"}

sqs = boto3.client("sqs", endpoint_url=ENDPOINT, region_name="us-east-1",
                   config=Config(retries={"max_attempts": 1}))
sent = []


def protocol_of(request, **_):
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
    if "x-amz-target" in headers:
        sent.append("awsJson1_0")
    elif headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        sent.append("awsQuery")
    else:
        sent.append("other")


sqs.meta.events.register("before-send", protocol_of)


def comparable(value, key=None):
    if isinstance(value, dict):
        return {k: comparable(v, k) for k, v in sorted(value.items()) if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if key in VOLATILE:
        return "<" + key + ">"
    if isinstance(value, str) and value.startswith(ENDPOINT):
        return value[len(ENDPOINT):]
    return value


def call(name, **kwargs):
    try:
        return comparable(getattr(sqs, name)(**kwargs))
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        return {"error": err.get("Code"), "message": err.get("Message"),
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


out = {}
url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
out["CreateQueue again"] = call("create_queue", QueueName="orders", Attributes={"VisibilityTimeout": "0"})
out["CreateQueue conflict"] = call("create_queue", QueueName="orders", Attributes={"VisibilityTimeout": "9"})
out["GetQueueUrl"] = call("get_queue_url", QueueName="orders")
out["GetQueueUrl missing"] = call("get_queue_url", QueueName="missing")
out["SendMessage"] = call("send_message", QueueUrl=url, MessageBody="héllo <world>",
                          MessageAttributes={"kind": {"DataType": "String", "StringValue": "greeting"},
                                             "n": {"DataType": "Number", "StringValue": "7"},
                                             "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
out["SendMessageBatch"] = call("send_message_batch", QueueUrl=url, Entries=[
    {"Id": "a", "MessageBody": "first"},
    {"Id": "b", "MessageBody": "delayed", "DelaySeconds": 901},
])
out["ReceiveMessage"] = call("receive_message", QueueUrl=url, MaxNumberOfMessages=10,
                             AttributeNames=["All"], MessageAttributeNames=["All"])
out["ReceiveMessage"]["Messages"].sort(key=lambda m: m["Body"])
out["GetQueueAttributes"] = call("get_queue_attributes", QueueUrl=url, AttributeNames=["All"])
out["SetQueueAttributes bad"] = call("set_queue_attributes", QueueUrl=url, Attributes={"DelaySeconds": "901"})
handles = [m["ReceiptHandle"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
out["DeleteMessageBatch"] = call("delete_message_batch", QueueUrl=url, Entries=[
    {"Id": "h%d" % i, "ReceiptHandle": h} for i, h in enumerate(handles)] + [{"Id": "bad", "ReceiptHandle": "nope"}])
out["DeleteMessage bad handle"] = call("delete_message", QueueUrl=url, ReceiptHandle="nope")
out["TagQueue"] = call("tag_queue", QueueUrl=url, Tags={"team": "data"})
out["ListQueueTags"] = call("list_queue_tags", QueueUrl=url)
out["ListQueues"] = call("list_queues", QueueNamePrefix="ord")
out["PurgeQueue"] = call("purge_queue", QueueUrl=url)
out["PurgeQueue again"] = call("purge_queue", QueueUrl=url)
out["DeleteQueue"] = call("delete_queue", QueueUrl=url)
out["SendMessage deleted"] = call("send_message", QueueUrl=url, MessageBody="x")
out["protocols"] = sorted(set(sent))
print(json.dumps(out, indent=1, sort_keys=True))
