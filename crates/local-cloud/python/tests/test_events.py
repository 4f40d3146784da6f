"""Tests of local_moto.events: EventBridge rules' Lambda targets are queued on the edge (the event as AWS sends it,
an `Input`, an `InputPath`, an `InputTransformer`), SQS targets only where the queue policy allows the rule, events
that cannot be delivered go to the target's DLQ with AWS's attributes (after the RetryPolicy's retries where
retrying can help), patterns match and are checked as AWS does, scheduled rules fire on AWS's timing, input
templates are filled as AWS documents, and `Ref` of a CloudFormation event bus is its name."""

import datetime
import json
import re
import time
import urllib.parse

import botocore.exceptions
import pytest

from conftest import unique
from local_moto import events_schedule


def queue(aws, name: str = "events-queue") -> tuple[str, str]:
    """A new queue's URL and ARN."""
    url = aws("sqs").create_queue(QueueName=unique(name))["QueueUrl"]
    return url, aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def queue_policy(queue_arn: str, rule_arn: str) -> str:
    """The queue policy AWS documents for an EventBridge rule's SQS target or DLQ
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]})


def allow_rule(aws, queue_url: str, queue_arn: str, rule_arn: str) -> None:
    aws("sqs").set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": queue_policy(queue_arn, rule_arn)})


def invoke_path(arn: str) -> str:
    """Where a rule's Lambda target is queued: the edge's asynchronous invocation route."""
    return f"/_local/lambda/async/{urllib.parse.quote(arn, safe='')}"


def test_lambda_targets_receive_the_event_on_the_edge(aws, function, edge):
    events = aws("events")
    plain, constant, shaped = (function()["FunctionArn"] for _ in range(3))
    queue_url, queue_arn = queue(aws)
    rule, source = unique("orders"), unique("shop.orders")  # rules share the default bus: a source of its own
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    allow_rule(aws, queue_url, queue_arn, rule_arn)
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
    assert (request["headers"]["x-local-source-principal"], request["headers"]["x-local-source-arn"]) == (
        "events.amazonaws.com", rule_arn)
    event = json.loads(request["body"])
    assert event["source"] == source and event["detail-type"] == "Order placed"
    assert event["detail"] == {"id": 42}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"]), event["time"]
    assert "ingestion-time" not in event
    assert json.loads(edge.wait_for("POST", invoke_path(constant))["body"]) == {"fixed": True}
    assert json.loads(edge.wait_for("POST", invoke_path(shaped))["body"]) == {"order": 42}
    # The SQS target, which the queue policy allows.
    messages = aws("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"]
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
    queue_url, queue_arn = queue(aws, "transformed")
    rule, source = unique("shaped"), unique("shop.shaped")
    rule_arn = aws("events").put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    allow_rule(aws, queue_url, queue_arn, rule_arn)
    transformer = {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"order": <id>, "rule": <aws.events.rule-name>}'}
    aws("events").put_targets(Rule=rule, Targets=[
        {"Id": "fn", "Arn": arn, "InputTransformer": transformer},
        {"Id": "queue", "Arn": queue_arn, "InputTransformer": transformer},
    ])
    out = aws("events").put_events(Entries=[{"Source": source, "DetailType": "x", "Detail": json.dumps({"id": "A-7"})}])
    assert out["FailedEntryCount"] == 0
    assert json.loads(edge.wait_for("POST", invoke_path(arn))["body"]) == {"order": "A-7", "rule": rule}
    body = json.loads(aws("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"][0]["Body"])
    assert body["order"] == "A-7"


# Content filtering, as AWS documents each operator
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
ORDER = {"id": "1", "source": "shop.orders", "detail-type": "Order placed", "account": "123456789012",
         "region": "us-east-1", "time": "2026-01-01T00:00:00Z", "resources": [],
         "detail": {"orderId": "ord-17", "total": 150, "status": "placed", "channel": "web"}}


@pytest.mark.parametrize("detail_pattern, matches", [
    ({"orderId": [{"prefix": "ord-"}]}, True),
    ({"orderId": [{"prefix": "ORD-"}]}, False),  # prefix is case-sensitive
    ({"orderId": [{"prefix": {"equals-ignore-case": "ORD-"}}]}, True),
    ({"orderId": [{"suffix": "-17"}]}, True),
    ({"total": [{"numeric": [">", 100, "<=", 150]}]}, True),  # the upper bound is inclusive with <=
    ({"total": [{"numeric": [">", 100, "<", 150]}]}, False),
    ({"total": [{"numeric": [">=", 200]}]}, False),
    ({"total": ["150"]}, False),  # a string never matches a number
    ({"status": [{"anything-but": "cancelled"}]}, True),
    ({"status": [{"anything-but": ["placed", "cancelled"]}]}, False),
    ({"status": [{"anything-but": {"prefix": "pla"}}]}, False),
    ({"coupon": [{"anything-but": "x"}]}, False),  # anything-but needs the field to exist
    ({"coupon": [{"exists": False}]}, True),
    ({"channel": [{"wildcard": "w*"}]}, True),
])
def test_patterns_match_as_aws_documents(aws, detail_pattern, matches):
    answer = aws("events").test_event_pattern(EventPattern=json.dumps({"detail": detail_pattern}),
                                              Event=json.dumps(ORDER))
    assert answer["Result"] is matches


@pytest.mark.parametrize("pattern, field", [
    ({"detail": {"total": [{"numeric": [">", "100"]}]}}, "detail.total"),
    ({"detail": {"total": [{"numeric": ["<", 200, ">", 100]}]}}, "detail.total"),
    ({"detail": {"orderId": [{"prefix": 5}]}}, "detail.orderId"),
    ({"detail": {"orderId": [{"starts-with": "ord"}]}}, "detail.orderId"),
    ({"detail": {"status": "placed"}}, "detail.status"),
    ({"detail": {"status": [{"anything-but": {"contains": "x"}}]}}, "detail.status"),
])
def test_a_malformed_pattern_is_refused_naming_the_field(aws, pattern, field):
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        aws("events").put_rule(Name=unique("bad"), EventPattern=json.dumps(pattern))
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidEventPatternException"
    assert error["Message"].startswith("Event pattern is not valid. Reason: ") and field in error["Message"]


def test_a_malformed_pattern_fails_the_stack_naming_the_resource(stack):
    created = stack({"Resources": {"OrdersRule": {"Type": "AWS::Events::Rule", "Properties": {
        "EventPattern": {"detail": {"total": [{"numeric": [">", "lots"]}]}}}}}})
    assert created["StackStatus"] in ("CREATE_FAILED", "ROLLBACK_COMPLETE"), created["StackStatus"]
    failed = [e for e in created["events"] if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "OrdersRule"
    assert "detail.total" in failed[0]["ResourceStatusReason"]


def test_input_path_sends_part_of_the_event(aws, function, edge):
    arn = function()["FunctionArn"]
    rule, source = unique("path"), unique("shop.path")
    aws("events").put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    aws("events").put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn, "InputPath": "$.detail"}])
    aws("events").put_events(Entries=[{"Source": source, "DetailType": "x", "Detail": json.dumps({"id": 7})}])
    assert json.loads(edge.wait_for("POST", invoke_path(arn))["body"]) == {"id": 7}


def received(aws, url: str, wait_s: int = 5) -> list[dict]:
    return aws("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=wait_s, MessageAttributeNames=["All"]).get(
        "Messages", [])


def test_an_sqs_target_gets_nothing_unless_its_policy_allows_the_rule(aws):
    events = aws("events")
    (url, arn), (dlq_url, dlq_arn) = queue(aws), queue(aws, "events-dlq")
    rule, source = unique("guarded"), unique("shop.guarded")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    allow_rule(aws, dlq_url, dlq_arn, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}}])
    events.put_events(Entries=[{"Source": source, "DetailType": "x", "Detail": "{}"}])
    [dead] = received(aws, dlq_url)
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NO_PERMISSIONS"
    assert received(aws, url, 0) == []

    allow_rule(aws, url, arn, rule_arn)
    events.put_events(Entries=[{"Source": source, "DetailType": "x", "Detail": "{}"}])
    assert json.loads(received(aws, url)[0]["Body"])["source"] == source


def test_a_rule_without_lambda_permission_sends_the_event_to_the_target_dlq(aws, function, edge):
    """A missing resource-based permission is not retried: the event goes straight to the DLQ, with AWS's
    attributes (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html)."""
    events = aws("events")
    arn = function()["FunctionArn"]
    edge.answers[invoke_path(arn)] = (403, {}, b'{"Message": "not authorized"}')
    dlq_url, dlq_arn = queue(aws, "events-dlq")
    rule, source = unique("denied"), unique("shop.denied")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    allow_rule(aws, dlq_url, dlq_arn, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn},
                                            "RetryPolicy": {"MaximumRetryAttempts": 3}}])
    events.put_events(Entries=[{"Source": source, "DetailType": "x", "Detail": json.dumps({"n": 1})}])
    [dead] = received(aws, dlq_url)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS" and attributes["RETRY_ATTEMPTS"] == "0"
    assert (attributes["RULE_ARN"], attributes["TARGET_ARN"]) == (rule_arn, arn)
    assert "lambda:InvokeFunction" in attributes["ERROR_MESSAGE"]
    assert json.loads(dead["Body"])["detail"] == {"n": 1}
    assert len([r for r in edge.requests if r["path"] == invoke_path(arn)]) == 1  # not retried


def test_a_retriable_failure_is_retried_per_the_retry_policy_then_dead_lettered(aws, function, edge):
    events = aws("events")
    arn = function()["FunctionArn"]
    edge.answers[invoke_path(arn)] = (500, {}, b"{}")
    dlq_url, dlq_arn = queue(aws, "events-dlq")
    rule, source = unique("flaky"), unique("shop.flaky")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    allow_rule(aws, dlq_url, dlq_arn, rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn},
                                            "RetryPolicy": {"MaximumRetryAttempts": 1}}])
    events.put_events(Entries=[{"Source": source, "DetailType": "x", "Detail": "{}"}])
    [dead] = received(aws, dlq_url, 10)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["RETRY_ATTEMPTS"] == "1"
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert len([r for r in edge.requests if r["path"] == invoke_path(arn)]) == 2


def test_a_dlq_whose_policy_does_not_allow_the_rule_gets_nothing(aws, function, edge):
    events = aws("events")
    arn = function()["FunctionArn"]
    edge.answers[invoke_path(arn)] = (403, {}, b"{}")
    dlq_url, dlq_arn = queue(aws, "events-dlq")
    rule, source = unique("nodlq"), unique("shop.nodlq")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}}])
    events.put_events(Entries=[{"Source": source, "DetailType": "x", "Detail": "{}"}])
    edge.wait_for("POST", invoke_path(arn))
    assert received(aws, dlq_url, 1) == []


def test_a_cloudformation_queue_policy_sets_and_removes_the_policy(aws, stack):
    template = {"Resources": {
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Policy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                   "Action": "sqs:SendMessage", "Resource": "*"}]}}}},
        "Outputs": {"Url": {"Value": {"Ref": "Queue"}}}}
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    url = created["Outputs"][0]["OutputValue"]
    policy = json.loads(aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"][
        "Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    aws("cloudformation").delete_stack(StackName=created["StackName"])


# Scheduled rules: AWS's timing, one clock per rule (the tests move time instead of waiting).
def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("expression, when, fires", [
    ("cron(0 12 * * ? *)", "2026-03-04T12:00", True),
    ("cron(0 12 * * ? *)", "2026-03-04T12:01", False),
    ("cron(0/15 * * * ? *)", "2026-03-04T07:45", True),
    ("cron(0/15 * * * ? *)", "2026-03-04T07:50", False),
    ("cron(0 10 ? * MON-FRI *)", "2026-03-06T10:00", True),  # a Friday
    ("cron(0 10 ? * MON-FRI *)", "2026-03-07T10:00", False),  # a Saturday
    ("cron(0 18 L * ? *)", "2026-02-28T18:00", True),  # the last day of February 2026
    ("cron(0 8 ? * 2#1 *)", "2026-03-02T08:00", True),  # the first Monday of March 2026
    ("cron(0 8 ? * 2#1 *)", "2026-03-09T08:00", False),
    ("cron(15 10 ? JAN,MAR * 2026)", "2026-03-04T10:15", True),
])
def test_cron_expressions_fire_at_the_minutes_aws_documents(expression, when, fires):
    assert events_schedule.cron_matches(expression, at(when)) is fires


def test_a_rate_rule_fires_a_period_after_its_creation_then_every_period(aws, function):
    arn = function()["FunctionArn"]
    rule = unique("tick")
    rule_arn = aws("events").put_rule(Name=rule, ScheduleExpression="rate(2 minutes)")["RuleArn"]
    aws("events").put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn}])
    fired, schedules, t0 = [], {}, time.time()

    def fire(rule_obj, event):
        if rule_obj.arn == rule_arn:
            fired.append(event)

    events_schedule.tick(schedules, t0, fire)
    events_schedule.tick(schedules, t0 + 119, fire)
    assert fired == []  # not at once, as on AWS
    events_schedule.tick(schedules, t0 + 121, fire)
    events_schedule.tick(schedules, t0 + 250, fire)
    assert [e["time"] for e in fired] == [int(t0 + 120), int(t0 + 240)]
    assert (fired[0]["source"], fired[0]["detail-type"], fired[0]["resources"]) == (
        "aws.events", "Scheduled Event", [rule_arn])
    aws("events").disable_rule(Name=rule)
    events_schedule.tick(schedules, t0 + 370, fire)
    assert len(fired) == 2  # a disabled rule does not fire


def test_a_cron_rule_fires_at_its_minute(aws):
    rule = unique("nightly")
    rule_arn = aws("events").put_rule(Name=rule, ScheduleExpression="cron(* * * * ? *)")["RuleArn"]
    fired, schedules = [], {}
    start = (int(time.time()) // 60 + 1) * 60 - 30  # 30 s before a minute starts
    events_schedule.tick(schedules, start, lambda r, e: fired.append(e) if r.arn == rule_arn else None)
    events_schedule.tick(schedules, start + 29, lambda r, e: fired.append(e) if r.arn == rule_arn else None)
    assert fired == []
    events_schedule.tick(schedules, start + 31, lambda r, e: fired.append(e) if r.arn == rule_arn else None)
    assert [e["time"] for e in fired] == [start + 30]


def test_the_scheduler_thread_delivers_to_the_targets(aws, function, edge, monkeypatch):
    """The running scheduler (the launcher's), with its documented speed-up so a minute passes in a second."""
    monkeypatch.setenv(events_schedule.SPEEDUP_ENV, "60")
    arn = function()["FunctionArn"]
    rule = unique("every-minute")
    aws("events").put_rule(Name=rule, ScheduleExpression="rate(1 minute)")
    aws("events").put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn}])
    event = json.loads(edge.wait_for("POST", invoke_path(arn), timeout=10)["body"])
    assert event["detail-type"] == "Scheduled Event" and event["detail"] == {}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    aws("events").remove_targets(Rule=rule, Ids=["fn"])
    aws("events").delete_rule(Name=rule)
