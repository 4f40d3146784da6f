"""Tests of local_moto.sns: a Lambda subscription queues AWS's notification event on the edge's asynchronous
invocation route, naming the topic as the source (the function's resource policy decides there), after the
subscription's filter policy."""

import json
import re
import urllib.parse

from conftest import ACCOUNT, unique


def async_path(arn: str) -> str:
    return f"/_local/lambda/async/{urllib.parse.quote(arn, safe='')}"


def test_a_lambda_subscription_queues_the_notification_as_aws_sends_it(aws, function, edge):
    arn = function()["FunctionArn"]
    sns = aws("sns")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)["SubscriptionArn"]
    message_id = sns.publish(TopicArn=topic, Message="hello", Subject="greeting", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"}})["MessageId"]

    request = edge.wait_for("POST", async_path(arn))
    assert request["headers"]["x-local-source-principal"] == "sns.amazonaws.com"
    assert request["headers"]["x-local-source-arn"] == topic
    assert request["headers"]["x-local-source-account"] == ACCOUNT
    record = json.loads(request["body"])["Records"][0]
    assert (record["EventSource"], record["EventVersion"]) == ("aws:sns", "1.0")
    assert record["EventSubscriptionArn"] == subscription
    notification = record["Sns"]
    assert (notification["TopicArn"], notification["MessageId"]) == (topic, message_id)
    assert (notification["Message"], notification["Subject"], notification["Type"]) == (
        "hello", "greeting", "Notification")
    assert notification["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"}}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", notification["Timestamp"])


def test_the_filter_policy_applies_before_the_function_is_invoked(aws, function, edge):
    arn = function()["FunctionArn"]
    sns = aws("sns")
    topic = sns.create_topic(Name=unique("filtered"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn,
                  Attributes={"FilterPolicy": json.dumps({"kind": ["order"]})})
    sns.publish(TopicArn=topic, Message="skipped", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "refund"}})
    sns.publish(TopicArn=topic, Message="kept", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"}})
    edge.wait_for("POST", async_path(arn))
    messages = [json.loads(r["body"])["Records"][0]["Sns"]["Message"]
                for r in edge.requests if r["path"] == async_path(arn)]
    assert messages == ["kept"]
