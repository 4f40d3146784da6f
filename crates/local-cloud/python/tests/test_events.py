"""Tests of local_moto.events: EventBridge rules' Lambda targets are queued on the edge (the event as AWS sends it,
an `Input`, an `InputTransformer`), the other targets stay moto's, input templates are filled as AWS documents, and
`Ref` of a CloudFormation event bus is its name."""

import json
import re
import urllib.parse

from conftest import unique


def invoke_path(arn: str) -> str:
    """Where a rule's Lambda target is queued: the edge's asynchronous invocation route."""
    return f"/_local/lambda/async/{urllib.parse.quote(arn, safe='')}"


def test_lambda_targets_receive_the_event_on_the_edge(aws, function, edge):
    events = aws("events")
    plain, constant, shaped = (function()["FunctionArn"] for _ in range(3))
    queue_url = aws("sqs").create_queue(QueueName=unique("events-queue"))["QueueUrl"]
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    rule, source = unique("orders"), unique("shop.orders")  # rules share the default bus: a source of its own
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[
        {"Id": "plain", "Arn": plain},
        {"Id": "constant", "Arn": constant, "Input": '{"fixed": true}'},
        {"Id": "shaped", "Arn": shaped, "InputTransformer": {
            "InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>}'}},
        {"Id": "queue", "Arn": queue_arn},
    ])
    events.put_events(Entries=[{"Source": source, "DetailType": "Order placed",
                                "Detail": json.dumps({"id": 42})}])

    request = edge.wait_for("POST", invoke_path(plain))
    rule_arn = events.describe_rule(Name=rule)["Arn"]
    assert (request["headers"]["x-local-source-principal"], request["headers"]["x-local-source-arn"]) == (
        "events.amazonaws.com", rule_arn)
    event = json.loads(request["body"])
    assert event["source"] == source and event["detail-type"] == "Order placed"
    assert event["detail"] == {"id": 42}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"]), event["time"]
    assert "ingestion-time" not in event
    assert json.loads(edge.wait_for("POST", invoke_path(constant))["body"]) == {"fixed": True}
    assert json.loads(edge.wait_for("POST", invoke_path(shaped))["body"]) == {"order": 42}
    # The SQS target stays with moto's own code.
    messages = aws("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(messages[0]["Body"])["detail"] == {"id": 42}
    assert len(events.list_targets_by_rule(Rule=rule)["Targets"]) == 4


def test_an_event_that_does_not_match_invokes_nothing(aws, function, edge):
    arn = function()["FunctionArn"]
    rule, source = unique("nothing"), unique("shop.rare")
    aws("events").put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    aws("events").put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn}])
    aws("events").put_events(Entries=[{"Source": unique("shop.other"), "DetailType": "x", "Detail": "{}"}])
    aws("events").put_events(Entries=[{"Source": source, "DetailType": "x", "Detail": "{}"}])
    edge.wait_for("POST", invoke_path(arn))
    assert len([r for r in edge.requests if r["path"] == invoke_path(arn)]) == 1


def test_ref_of_a_cloudformation_event_bus_is_its_name(aws, stack):
    bus = unique("orders-bus")
    created = stack({"Resources": {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": bus}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {
            "EventBusName": {"Ref": "Bus"}, "EventPattern": {"source": ["shop.orders"]}}},
    }, "Outputs": {"BusName": {"Value": {"Ref": "Bus"}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    assert created["Outputs"] == [{"OutputKey": "BusName", "OutputValue": bus}]
    rules = aws("events").list_rules(EventBusName=bus)["Rules"]
    assert [r["EventBusName"] for r in rules] == [bus]


# The examples of AWS's documentation (eb-transform-target-input.html), on its example EC2 event.
EC2_EVENT = {
    "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2", "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING"},
}
PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}


def test_input_templates_are_filled_as_aws_documents():
    from local_moto.events import transform

    def out(template):
        return json.loads(transform(template, PATHS, EC2_EVENT))

    assert out('"instance <instance> is in <state>"') == "instance i-0123456789 is in RUNNING"
    assert out('"instance \\"<instance>\\" is in <state>"') == 'instance "i-0123456789" is in RUNNING'
    assert out('{"instance" : <instance>, "state": <state>}') == {"instance": "i-0123456789", "state": "RUNNING"}
    assert out('{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}') \
        == {"instance": "i-0123456789", "state": "RUNNING", "instanceStatus": 'instance "i-0123456789" is in RUNNING'}
    assert out('{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}') == {
        "instance": "i-0123456789", "state": [9, "RUNNING", True], "Transformed": "Yes"}
    original = out('{"originalEvent": <aws.events.event.json>}')["originalEvent"]
    assert original == EC2_EVENT
    # A path that matches nothing creates no variable; numbers and objects go in as JSON.
    assert transform("<nothing> <instance>", {"nothing": "$.detail.absent", **PATHS}, EC2_EVENT) == \
        '<nothing> "i-0123456789"'
    assert json.loads(transform('{"d": <detail>}', {"detail": "$.detail"}, EC2_EVENT)) == {"d": EC2_EVENT["detail"]}


def test_a_transformer_whose_output_is_not_json_no_longer_fails_put_events(aws, function, edge):
    """moto 5.2.1 parsed every filled template as JSON: a string variable outside quotes (`{"id": <id>}`) made
    PutEvents answer 500. AWS fills it and delivers."""
    arn = function()["FunctionArn"]
    queue_url = aws("sqs").create_queue(QueueName=unique("transformed"))["QueueUrl"]
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    rule, source = unique("shaped"), unique("shop.shaped")
    aws("events").put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    transformer = {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>, "rule": <aws.events.rule-name>}'}
    aws("events").put_targets(Rule=rule, Targets=[
        {"Id": "fn", "Arn": arn, "InputTransformer": transformer},
        {"Id": "queue", "Arn": queue_arn, "InputTransformer": transformer},
    ])
    out = aws("events").put_events(Entries=[{"Source": source, "DetailType": "x", "Detail": json.dumps({"id": "A-7"})}])
    assert out["FailedEntryCount"] == 0
    assert json.loads(edge.wait_for("POST", invoke_path(arn))["body"]) == {"order": "A-7", "rule": rule}
    body = json.loads(aws("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"][0]["Body"])
    assert body["order"] == "A-7"
