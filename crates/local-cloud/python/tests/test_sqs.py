"""Tests of local_moto.sqs: a message sent to a queue with an event source mapping stays in the queue (no invocation
by moto: our Lambda service polls), and the redrive policy moves a message received `maxReceiveCount` times to the
dead-letter queue on the next receive, as SQS does; a mapping whose function's timeout exceeds the queue's visibility
timeout is refused."""

import json
import time
import urllib.parse

import botocore.exceptions
import pytest

from conftest import unique


def queue(aws, **attributes) -> tuple[str, str]:
    """A new queue's URL and ARN."""
    url = aws("sqs").create_queue(QueueName=unique("q"), Attributes=attributes)["QueueUrl"]
    arn = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def test_a_mapped_queue_keeps_its_messages_for_the_poller(aws, function, edge):
    url, arn = queue(aws)
    fn = function()["FunctionArn"]
    mapping = aws("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=fn, BatchSize=5)
    aws("sqs").send_message(QueueUrl=url, MessageBody="for the poller")

    invoked = f"/_local/lambda/invoke/{urllib.parse.quote(fn, safe='')}"
    time.sleep(0.5)  # moto's own invocation was synchronous, inside SendMessage: nothing can come later
    assert not [r for r in edge.requests if r["path"] == invoked], "moto invoked the function itself"
    got = aws("sqs").receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in got] == ["for the poller"]
    assert got[0]["Attributes"]["ApproximateReceiveCount"] == "1", "nobody received it before"
    # The mapping itself is still there, for the poller to find.
    listed = aws("lambda").list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [(m["UUID"], m["BatchSize"], m["State"]) for m in listed] == [(mapping["UUID"], 5, "Enabled")]


def test_a_message_received_max_receive_count_times_moves_to_the_dead_letter_queue(aws):
    dlq_url, dlq_arn = queue(aws)
    url, _ = queue(aws, VisibilityTimeout="1",
                   RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}))
    aws("sqs").send_message(QueueUrl=url, MessageBody="poison")
    sqs = aws("sqs")
    for count in ("1", "2"):
        got = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], WaitTimeSeconds=5)["Messages"]
        assert got[0]["Attributes"]["ApproximateReceiveCount"] == count
    # Visible again after 1 s: the third receive finds it past maxReceiveCount and moves it instead.
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)
    moved = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in moved] == ["poison"]


def test_a_function_slower_than_the_visibility_timeout_cannot_be_mapped(aws, function):
    _, arn = queue(aws, VisibilityTimeout="4")
    slow = function(Timeout=5)["FunctionArn"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        aws("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=slow)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Queue visibility timeout: 4 seconds is less than Function timeout: 5 seconds" in str(refused.value)
    fitting = function(Timeout=4)["FunctionArn"]
    aws("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=fitting)


def test_a_message_past_the_retention_period_is_not_received(aws):
    url, _ = queue(aws, MessageRetentionPeriod="60")
    aws("sqs").send_message(QueueUrl=url, MessageBody="kept")
    got = aws("sqs").receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in got] == ["kept"]
    import moto.sqs.models as models
    backend = models.sqs_backends["123456789012"]["us-east-1"]
    name = url.rsplit("/", 1)[1]
    for message in backend.get_queue(name)._messages:
        message.sent_timestamp -= 61_000  # sent 61 s ago: past the 60 s retention
    assert "Messages" not in aws("sqs").receive_message(QueueUrl=url)
