"""EventBridge: rules get Lambda targets, invoked asynchronously on the edge as `events.amazonaws.com` for the rule
(moto 5.2.1 raises NotImplementedError for them), input transformers fill their templates as AWS does, and `Ref` of a
CloudFormation event bus is its name."""

import copy
import json
import threading

from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
from moto.events.models import EventBus, Rule
from moto.events.utils import EventTemplateParser

from local_moto.common import Context, Source, edge_invoke_async, in_background


def patch(ctx: Context) -> None:
    patch_lambda_targets(ctx.edge_url)
    patch_input_transformer()
    patch_event_bus_cloudformation()


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


def lambda_event(target: dict, event: dict, rule=None) -> bytes:
    """The payload a Lambda target receives: its `Input`, its `InputTransformer`'s output, or the event as AWS
    sends it (no `ingestion-time`, `time` in ISO 8601)."""
    if isinstance(event.get("time"), (int, float)):  # moto keeps epoch seconds; AWS sends ISO 8601
        event = {**event, "time": iso_8601_datetime_without_milliseconds(utcfromtimestamp(event["time"]))}
    if "Input" in target:
        return target["Input"].encode()
    if "InputTransformer" in target:
        t = target["InputTransformer"]
        return transform(t.get("InputTemplate") or "", t.get("InputPathsMap", {}), event, rule).encode()
    return json.dumps({k: v for k, v in event.items() if k != "ingestion-time"}).encode()


def patch_lambda_targets(edge_url: str) -> None:
    """Lambda targets for EventBridge rules, queued on the function's asynchronous queue (in the background, so
    PutEvents does not wait); the other targets stay with moto's own code."""
    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        if not self.event_pattern.matches_event(original_event):
            return
        is_lambda = [t for t in self.targets if t["Arn"].split(":")[2:3] == ["lambda"]]
        for target in is_lambda:
            payload = lambda_event(target, copy.deepcopy(original_event), self)
            source = Source("events.amazonaws.com", self.arn, self.account_id)
            in_background(edge_invoke_async)(edge_url, target["Arn"], payload, source)
        rest = copy.copy(self)  # a shallow copy, so concurrent ListTargets calls never see a partial list
        rest.targets = [t for t in self.targets if t not in is_lambda]
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
