"""The baseline for `cargo bench --bench producer`: the same ticker records put by boto3 the way a plain
Python producer does it, PutRecords batches of 500 from one thread, failed records sent again.

Usage: python producer_boto3.py <endpoint-url> <stream> <records>
Prints {"records": N, "seconds": wall, "cpu_seconds": this process's CPU}.
"""

import datetime
import json
import random
import resource
import sys
import time

import boto3

url, stream, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
kinesis = boto3.client("kinesis", endpoint_url=url, region_name="us-east-1")
tickers = ["AAPL", "AMZN", "MSFT", "INTC", "TBV"]
key = str(int(time.time() * 1000))


def record():
    body = {
        "EVENT_TIME": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
        "TICKER": random.choice(tickers),
        "PRICE": random.random() * 100,
    }
    return {"Data": json.dumps(body).encode(), "PartitionKey": key, "ExplicitHashKey": str(random.getrandbits(128))}


start = time.monotonic()
cpu0 = resource.getrusage(resource.RUSAGE_SELF)
sent = 0
while sent < total:
    batch = [record() for _ in range(min(500, total - sent))]
    while batch:
        out = kinesis.put_records(StreamName=stream, Records=batch)
        batch = [r for r, res in zip(batch, out["Records"]) if "ErrorCode" in res]
    sent += min(500, total - sent)
cpu1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "records": sent,
    "seconds": time.monotonic() - start,
    "cpu_seconds": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
}))
