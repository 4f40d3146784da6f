"""Tests of local_moto.sns: a Lambda subscription queues AWS's notification event on the edge's asynchronous
invocation route, naming the topic as the source (the function's resource policy decides there), after the
subscription's filter policy. An SQS subscription delivers only where the queue policy allows the topic, as the SNS
envelope or (raw message delivery) the message itself; filter policies on attributes and on the message body; and
AWS::SNS::Subscription in CloudFormation."""

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


def queue(aws, topic: str | None = None, allowed: bool = True) -> tuple[str, str]:
    """A new queue's URL and ARN; with `topic`, its policy lets SNS send for that topic (`allowed`) or for another."""
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if topic is not None:
        source = topic if allowed else topic + "-other"
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(queue_policy(arn, source))})
    return url, arn


def queue_policy(queue_arn: str, topic_arn: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}


def received(aws, url: str) -> list[dict]:
    return aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages", [])


def test_an_sqs_subscription_delivers_only_where_the_queue_policy_allows_the_topic(aws):
    sns = aws("sns")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    no_policy, no_policy_arn = queue(aws)
    other_topic, other_topic_arn = queue(aws, topic, allowed=False)
    allowed, allowed_arn = queue(aws, topic)
    for arn in (no_policy_arn, other_topic_arn, allowed_arn):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    message_id = sns.publish(TopicArn=topic, Message="hello", Subject="greeting", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"}})["MessageId"]

    assert received(aws, no_policy) == [], "no queue policy: nothing delivered"
    assert received(aws, other_topic) == [], "a policy for another topic: nothing delivered"
    [message] = received(aws, allowed)
    envelope = json.loads(message["Body"])
    assert (envelope["Type"], envelope["TopicArn"], envelope["MessageId"]) == ("Notification", topic, message_id)
    assert (envelope["Message"], envelope["Subject"]) == ("hello", "greeting")
    assert envelope["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"}}
    assert "MessageAttributes" not in message, "the attributes are in the envelope, not on the SQS message"


def test_raw_message_delivery_sends_the_message_itself_with_its_attributes(aws):
    sns = aws("sns")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    raw, raw_arn = queue(aws, topic)
    wrapped, wrapped_arn = queue(aws, topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=wrapped_arn, Attributes={"RawMessageDelivery": "false"})
    sns.publish(TopicArn=topic, Message='{"id": 1}', MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})

    [message] = received(aws, raw)
    assert message["Body"] == '{"id": 1}'
    assert message["MessageAttributes"] == {"kind": {"StringValue": "order", "DataType": "String"},
                                            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"}}
    [message] = received(aws, wrapped)
    assert json.loads(message["Body"])["Message"] == '{"id": 1}', "RawMessageDelivery false: the envelope"

    many = {f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(11)}
    sns.publish(TopicArn=topic, Message="eleven attributes", MessageAttributes=many)
    assert received(aws, raw) == [], "more than 10 attributes: discarded for a raw subscription"
    [message] = received(aws, wrapped)
    assert json.loads(message["Body"])["Message"] == "eleven attributes", "the envelope carries them all"


def test_filter_policies_on_the_attributes_and_on_the_message_body(aws):
    sns = aws("sns")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    by_attributes, by_attributes_arn = queue(aws, topic)
    by_body, by_body_arn = queue(aws, topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=by_attributes_arn, Attributes={
        "FilterPolicy": json.dumps({"kind": ["order"], "total": [{"numeric": [">=", 100]}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=by_body_arn, Attributes={
        "FilterPolicyScope": "MessageBody",
        "FilterPolicy": json.dumps({"type": ["order"], "order": {"total": [{"numeric": [">=", 100]}]}})})

    def publish(name: str, kind: str, total: int):
        sns.publish(TopicArn=topic, Message=json.dumps({"name": name, "type": kind, "order": {"total": total}}),
                    MessageAttributes={"kind": {"DataType": "String", "StringValue": kind},
                                       "total": {"DataType": "Number", "StringValue": str(total)}})

    publish("big-order", "order", 150)
    publish("small-order", "order", 5)
    publish("refund", "refund", 150)
    sns.publish(TopicArn=topic, Message="not json, no attributes")
    names = [json.loads(json.loads(m["Body"])["Message"])["name"] for m in received(aws, by_attributes)]
    assert names == ["big-order"]
    names = [json.loads(json.loads(m["Body"])["Message"])["name"] for m in received(aws, by_body)]
    assert names == ["big-order"]


def test_cloudformation_subscriptions_with_their_attributes(aws, stack):
    template = {"Resources": {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Policy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "Queue"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
                "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": "Topic"}}}}]}}},
        "Subscription": {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": "Topic"}, "Protocol": "sqs", "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
            "RawMessageDelivery": True, "FilterPolicyScope": "MessageBody",
            "FilterPolicy": {"type": ["order"]}}}}}
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    topic, url = created["resources"]["Topic"], created["resources"]["Queue"]
    subscription = created["resources"]["Subscription"]
    attributes = aws("sns").get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
    assert (attributes["TopicArn"], attributes["RawMessageDelivery"], attributes["FilterPolicyScope"]) == (
        topic, "true", "MessageBody")
    aws("sns").publish(TopicArn=topic, Message=json.dumps({"type": "refund"}))
    aws("sns").publish(TopicArn=topic, Message=json.dumps({"type": "order"}))
    assert [m["Body"] for m in received(aws, url)] == ['{"type": "order"}']

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    left = [s["SubscriptionArn"] for s in aws("sns").list_subscriptions()["Subscriptions"]]
    assert subscription not in left, "deleting the stack unsubscribes"


def test_a_cloudformation_lambda_subscription_invokes_the_function(aws, stack, edge, function):
    """What SAM writes for a function's `Events: Type: SNS`: an AWS::SNS::Subscription of protocol `lambda` (with an
    attribute filter policy) beside the function's permission."""
    arn = function()["FunctionArn"]
    created = stack({"Resources": {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Subscription": {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": "Topic"}, "Protocol": "lambda", "Endpoint": arn,
            "FilterPolicy": {"kind": ["order"]}}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    topic = created["resources"]["Topic"]
    aws("sns").publish(TopicArn=topic, Message="skipped", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "refund"}})
    aws("sns").publish(TopicArn=topic, Message="kept", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"}})
    request = edge.wait_for("POST", async_path(arn))
    record = json.loads(request["body"])["Records"][0]
    assert (record["EventSubscriptionArn"], record["Sns"]["Message"]) == (created["resources"]["Subscription"], "kept")
    assert [json.loads(r["body"])["Records"][0]["Sns"]["Message"]
            for r in edge.requests if r["path"] == async_path(arn)] == ["kept"]


def test_a_firehose_subscription_puts_each_notification_into_the_stream(aws, role_arn):
    """The delivery stream's S3 destination gets the notification's JSON, one line per message; a raw
    subscription the message alone; a subscription without SubscriptionRoleArn nothing."""
    s3, sns = aws("s3"), aws("sns")
    bucket = unique("archive")
    s3.create_bucket(Bucket=bucket)
    streams = {}
    for kind in ("wrapped", "raw", "no-role"):
        name = unique(kind)
        streams[kind] = aws("firehose").create_delivery_stream(
            DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
                "RoleARN": role_arn, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": f"{kind}/"})[
            "DeliveryStreamARN"]
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=streams["wrapped"],
                  Attributes={"SubscriptionRoleArn": role_arn})
    sns.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=streams["raw"],
                  Attributes={"SubscriptionRoleArn": role_arn, "RawMessageDelivery": "true"})
    subscription = sns.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=streams["no-role"])
    message_id = sns.publish(TopicArn=topic, Message='{"id": 1}', Subject="s", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"}})["MessageId"]

    def objects(prefix: str) -> list[bytes]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        return [s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed]

    [wrapped] = objects("wrapped/")
    assert wrapped.endswith(b"\n") and wrapped.count(b"\n") == 1
    notification = json.loads(wrapped)
    assert (notification["Type"], notification["MessageId"], notification["TopicArn"]) == (
        "Notification", message_id, topic)
    assert (notification["Message"], notification["Subject"]) == ('{"id": 1}', "s")
    assert notification["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"}}
    assert objects("raw/") == [b'{"id": 1}\n']
    assert objects("no-role/") == [], f"{subscription['SubscriptionArn']} has no SubscriptionRoleArn"
