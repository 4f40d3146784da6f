"""Tests of local_moto.logs: a log stream keeps its newest `EVENTS_PER_STREAM` events, dropping the oldest."""

import time

from conftest import unique
from local_moto import logs


def test_a_stream_keeps_its_newest_events(aws, monkeypatch):
    assert logs.EVENTS_PER_STREAM == 10_000  # the bound docs/local-cloud.md documents
    monkeypatch.setattr(logs, "EVENTS_PER_STREAM", 5)
    client, group, stream = aws("logs"), unique("/aws/lambda/capped"), "2026/12/05/[$LATEST]0123"
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)  # CloudWatch Logs refuses events older than 14 days
    for batch in (range(0, 4), range(4, 8)):
        client.put_log_events(logGroupName=group, logStreamName=stream,
                              logEvents=[{"timestamp": now + i, "message": f"line {i}"} for i in batch])
    events = client.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    assert [e["message"] for e in events] == [f"line {i}" for i in range(3, 8)]
    found = client.filter_log_events(logGroupName=group, filterPattern="line")["events"]
    assert [e["message"] for e in found] == [f"line {i}" for i in range(3, 8)]
