"""Tests of local_moto.events: EventBridge rules' Lambda targets run on the edge (the event as AWS sends it, an
`Input`, an `InputTransformer`), the other targets stay moto's, and `Ref` of a CloudFormation event bus is its
name."""

import json
import re
import urllib.parse

from conftest import unique


def invoke_path(arn: str) -> str:
    return f"/_local/lambda/invoke/{urllib.parse.quote(arn, safe='')}"


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

    event = json.loads(edge.wait_for("POST", invoke_path(plain))["body"])
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
