"""EventBridge: rules get Lambda targets, invoked asynchronously on the edge as `events.amazonaws.com` for the rule
(moto 5.2.1 raises NotImplementedError for them); Lambda and SQS targets are delivered as AWS delivers them (an SQS
target only where the queue's policy allows the rule; `InputPath`; a target's `RetryPolicy` for retriable failures
and its `DeadLetterConfig` for events that could not be delivered); input transformers fill their templates as AWS
does; event patterns are checked at PutRule (`events_patterns`); scheduled rules fire (`events_schedule`); and `Ref`
of a CloudFormation event bus is its name."""

import copy
import json
import sys
import threading
import time

from moto.awslambda.models import lambda_backends
from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
from moto.events.models import EventBus, EventsBackend, Rule
from moto.events.utils import EventTemplateParser
from moto.sqs.models import sqs_backends

from local_moto import events_patterns, events_schedule
from local_moto.common import Context, Source, edge_invoke_async, in_background
from local_moto.sqs import queue_of_arn, service_may_send

PRINCIPAL = "events.amazonaws.com"
# A target's RetryPolicy when it has none: "By default, EventBridge retries sending the event for 24 hours and up
# to 185 times" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
DEFAULT_RETRY_ATTEMPTS, DEFAULT_EVENT_AGE_S = 185, 86400
# The pause before retry n (exponential, capped; AWS adds jitter and documents no exact figures).
RETRY_BASE_S, RETRY_CAP_S = 1.0, 60.0


def patch(ctx: Context) -> None:
    patch_targets(ctx.edge_url)
    patch_input_transformer()
    patch_event_bus_cloudformation()
    patch_pattern_check()
    patch_test_event_pattern()
    events_schedule.start(lambda rule, event: rule.send_to_targets(event))


def patch_test_event_pattern() -> None:
    """TestEventPattern answers `{"Result": true|false}` as AWS does (moto 5.2.1 answers an empty body), with the
    same matching as the rules' and the same check of the pattern as PutRule's."""
    from moto.events.models import EventPattern
    from moto.events.responses import EventsHandler

    def test_event_pattern(self) -> str:
        pattern = self._get_param("EventPattern")
        events_patterns.check(pattern)
        event = json.loads(self._get_param("Event"))
        return json.dumps({"Result": bool(EventPattern.load(pattern).matches_event(event))})

    EventsHandler.test_event_pattern = test_event_pattern


def patch_pattern_check() -> None:
    """PutRule (API, CloudFormation, Terraform) refuses a malformed pattern, naming the field."""
    original = EventsBackend.put_rule

    def put_rule(self, name, *args, **kwargs):
        pattern = kwargs.get("event_pattern") if "event_pattern" in kwargs else (args[2] if len(args) > 2 else None)
        if pattern:
            events_patterns.check(pattern)
        return original(self, name, *args, **kwargs)

    EventsBackend.put_rule = put_rule


def transform(template: str, paths_map: dict, event: dict, rule=None) -> str:
    """An input transformer's output text, as AWS fills its template
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html): each `<name>` of
    `paths_map` (a JSON path into the event) or of the predefined variables is replaced by its value, as JSON where
    the placeholder stands outside a JSON string (`{"id": <id>}` -> `{"id": "abc"}`) and as its text inside one
    (`"order <id> placed"`); a variable whose path matches nothing is not created and its placeholder stays. moto
    5.2.1 inserted values unquoted and parsed the result as JSON, so a string variable outside quotes or a
    template that is not JSON failed the whole PutEvents with a 500."""
    from jsonpath_ng.ext import parse

    variables = {}
    for name, path in (paths_map or {}).items():
        matches = parse(path).find(event)
        if matches:
            variables[name] = matches[0].value
    variables["aws.events.event"] = {k: v for k, v in event.items() if k != "detail"}
    variables["aws.events.event.json"] = event
    if "ingestion-time" in event:
        variables["aws.events.event.ingestion-time"] = event["ingestion-time"]
    if rule is not None:
        variables["aws.events.rule-arn"] = rule.arn
        variables["aws.events.rule-name"] = rule.name
    out, i, in_string = [], 0, False
    while i < len(template):
        c = template[i]
        if c == "\\" and in_string:
            out.append(template[i:i + 2])
            i += 2
            continue
        if c == '"':
            in_string = not in_string
        elif c == "<":
            end = template.find(">", i)
            name = template[i + 1:end] if end > 0 else None
            if name in variables:
                value = variables[name]
                if in_string:
                    out.append(value if isinstance(value, str) else json.dumps(value))
                else:
                    out.append(json.dumps(value))
                i = end + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def transformed(text: str):
    """The transformer's output as moto's targets take it: the JSON value, or the text when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return text


# The rule whose targets moto is sending to on this thread (for `<aws.events.rule-arn>` and `-name>`).
SENDING = threading.local()


def patch_input_transformer() -> None:
    """moto's own targets (SQS, logs, other buses) fill input templates with `transform` too."""

    def parse(input_template, input_paths_map, event):
        if not input_template:  # no transformer: the event as moto sends it
            return original(input_template, input_paths_map, event)
        rule = getattr(SENDING, "rule", None)
        return transformed(transform(input_template, input_paths_map, event, rule))

    original = EventTemplateParser.parse
    EventTemplateParser.parse = staticmethod(parse)


def target_payload(target: dict, event: dict, rule=None) -> bytes:
    """What a target receives: its `Input`, the part of the event its `InputPath` selects, its `InputTransformer`'s
    output, or the event as AWS sends it (no `ingestion-time`, `time` in ISO 8601)
    (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html)."""
    if isinstance(event.get("time"), (int, float)):  # moto keeps epoch seconds; AWS sends ISO 8601
        event = {**event, "time": iso_8601_datetime_without_milliseconds(utcfromtimestamp(event["time"]))}
    event = {k: v for k, v in event.items() if k != "ingestion-time"}
    if "Input" in target:
        return target["Input"].encode()
    if target.get("InputPath"):
        from jsonpath_ng.ext import parse

        matches = parse(target["InputPath"]).find(event)
        return json.dumps(matches[0].value if matches else None).encode()
    if "InputTransformer" in target:
        t = target["InputTransformer"]
        return transform(t.get("InputTemplate") or "", t.get("InputPathsMap", {}), event, rule).encode()
    return json.dumps(event).encode()


class Undeliverable(Exception):
    """A target that cannot take the event: `code` is the DLQ's ERROR_CODE, `retriable` whether to retry."""

    def __init__(self, code: str, message: str, retriable: bool):
        super().__init__(message)
        self.code, self.retriable = code, retriable


def deliver_to_lambda(edge_url: str, rule, target: dict, payload: bytes) -> None:
    arn = target["Arn"]
    name = arn.split(":")[6] if arn.count(":") >= 6 else arn
    backend = lambda_backends[rule.account_id][rule.region_name]
    try:
        backend.get_function(name)
    except Exception:  # noqa: BLE001 - moto's UnknownFunctionException
        raise Undeliverable("RESOURCE_NOT_FOUND", f"Function not found: {arn}", retriable=False) from None
    status = edge_invoke_async(edge_url, arn, payload, Source(PRINCIPAL, rule.arn, rule.account_id))
    if status == 403:
        raise Undeliverable("NO_PERMISSIONS", f"{PRINCIPAL} is not authorized to perform lambda:InvokeFunction "
                            f"on {arn} for {rule.arn}", retriable=False)
    if not 200 <= status < 300:
        raise Undeliverable("SDK_CLIENT_ERROR", f"Lambda answered {status or 'nothing'} for {arn}",
                            retriable=True)


def deliver_to_sqs(rule, target: dict, payload: bytes) -> None:
    queue = queue_of_arn(target["Arn"])
    if queue is None:
        raise Undeliverable("RESOURCE_NOT_FOUND", f"Queue not found: {target['Arn']}", retriable=False)
    if not service_may_send(queue, PRINCIPAL, rule.arn, rule.account_id):
        raise Undeliverable("NO_PERMISSIONS", f"The queue policy of {target['Arn']} does not allow {PRINCIPAL} "
                            f"to call sqs:SendMessage for {rule.arn}", retriable=False)
    group_id = target.get("SqsParameters", {}).get("MessageGroupId")
    sqs_backends[queue.account_id][queue.region].send_message(queue.name, payload.decode(), group_id=group_id)


def retry_policy(target: dict) -> tuple[int, int]:
    """(maximum retry attempts, maximum event age in seconds) of a target (CloudFormation passes strings)."""
    policy = target.get("RetryPolicy") or {}
    return (int(policy.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)),
            int(policy.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE_S)))


def deliver(edge_url: str, rule, target: dict, event: dict) -> None:
    """Delivers one event to one target as EventBridge does: a missing resource or permission goes to the target's
    dead-letter queue at once (retrying cannot help), a retriable failure is retried per the target's RetryPolicy
    and then goes there; with no DLQ the event is dropped (and logged). A function error is not a delivery failure:
    the event was delivered, and Lambda's own asynchronous retries and destinations take it from there."""
    payload = target_payload(target, copy.deepcopy(event), rule)
    attempts, max_age = retry_policy(target)
    started, retries = time.monotonic(), 0
    while True:
        try:
            if target["Arn"].split(":")[2:3] == ["lambda"]:
                deliver_to_lambda(edge_url, rule, target, payload)
            else:
                deliver_to_sqs(rule, target, payload)
            return
        except Undeliverable as failure:
            pause = min(RETRY_BASE_S * 2 ** retries, RETRY_CAP_S)
            exhausted = None
            if not failure.retriable:
                pass
            elif retries >= attempts:
                exhausted = "MaximumRetryAttempts"
            elif time.monotonic() - started + pause > max_age:
                exhausted = "MaximumEventAgeInSeconds"
            else:
                retries += 1
                time.sleep(pause)
                continue
            to_dead_letter_queue(rule, target, event, failure, retries, exhausted)
            return


def to_dead_letter_queue(rule, target: dict, event: dict, failure: Undeliverable, retries: int,
                         exhausted: str | None) -> None:
    """The event, with AWS's attributes (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS,
    EXHAUSTED_RETRY_CONDITION), on the target's DLQ, if it has one whose policy lets the rule send
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html); else dropped, with a log line."""
    dlq_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
    what = f"an event of {rule.arn} could not be delivered to {target['Arn']}: {failure.code}: {failure}"
    if not dlq_arn:
        print(f"EventBridge: {what}; dropped (the target has no DeadLetterConfig)", file=sys.stderr, flush=True)
        return
    queue = queue_of_arn(dlq_arn)
    if queue is None or not service_may_send(queue, PRINCIPAL, rule.arn, rule.account_id):
        why = "does not exist" if queue is None else "has no policy letting the rule send to it"
        print(f"EventBridge: {what}; dropped: its dead-letter queue {dlq_arn} {why}", file=sys.stderr, flush=True)
        return
    attributes = {"RULE_ARN": rule.arn, "TARGET_ARN": target["Arn"], "ERROR_CODE": failure.code,
                  "ERROR_MESSAGE": str(failure), "RETRY_ATTEMPTS": str(retries)}
    if exhausted:
        attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
    body = target_payload({}, copy.deepcopy(event), rule).decode()
    sqs_backends[queue.account_id][queue.region].send_message(
        queue.name, body, message_attributes={k: {"DataType": "String", "StringValue": v}
                                              for k, v in attributes.items()})


def patch_targets(edge_url: str) -> None:
    """Lambda and SQS targets delivered by `deliver` (in the background, so PutEvents does not wait); the other
    targets stay with moto's own code."""
    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        if not self.event_pattern.matches_event(original_event):
            return
        ours = [t for t in self.targets if t["Arn"].split(":")[2:3] in (["lambda"], ["sqs"])]
        for target in ours:
            in_background(deliver)(edge_url, self, target, copy.deepcopy(original_event))
        rest = copy.copy(self)  # a shallow copy, so concurrent ListTargets calls never see a partial list
        rest.targets = [t for t in self.targets if t not in ours]
        SENDING.rule = self
        try:
            original(rest, original_event, transform_input)
        finally:
            SENDING.rule = None

    Rule.send_to_targets = send_to_targets


def patch_event_bus_cloudformation() -> None:
    """`!Ref` of an AWS::Events::EventBus is its name on AWS; moto 5.2.1's EventBus has no physical resource id, so
    a Ref resolved to the model object itself (a rule on the bus failed with "'EventBus' object has no attribute
    'split'")."""
    if not hasattr(EventBus, "physical_resource_id"):
        EventBus.physical_resource_id = property(lambda self: self.name)
