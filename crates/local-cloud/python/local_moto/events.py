"""EventBridge: rules get Lambda targets, run on the edge (moto 5.2.1 raises NotImplementedError for them), and
`Ref` of a CloudFormation event bus is its name."""

import copy
import json

from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
from moto.events.models import EventBus, Rule
from moto.events.utils import EventTemplateParser

from local_moto.common import Context, edge_invoke, in_background


def patch(ctx: Context) -> None:
    patch_lambda_targets(ctx.edge_url)
    patch_event_bus_cloudformation()


def lambda_event(target: dict, event: dict):
    """The payload a Lambda target receives: its `Input`, its `InputTransformer`'s output, or the event as AWS
    sends it (no `ingestion-time`, `time` in ISO 8601)."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputTransformer" in target:
        t = target["InputTransformer"]
        return EventTemplateParser.parse(t.get("InputTemplate"), t.get("InputPathsMap", {}), event)
    event = {k: v for k, v in event.items() if k != "ingestion-time"}
    if isinstance(event.get("time"), (int, float)):  # moto keeps epoch seconds; AWS sends ISO 8601
        event["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(event["time"]))
    return event


def patch_lambda_targets(edge_url: str) -> None:
    """Lambda targets for EventBridge rules, invoked in the background; the other targets stay with moto's own
    code."""
    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        if not self.event_pattern.matches_event(original_event):
            return
        is_lambda = [t for t in self.targets if t["Arn"].split(":")[2:3] == ["lambda"]]
        for target in is_lambda:
            payload = json.dumps(lambda_event(target, copy.deepcopy(original_event))).encode()
            in_background(edge_invoke)(edge_url, target["Arn"], payload)
        rest = copy.copy(self)  # a shallow copy, so concurrent ListTargets calls never see a partial list
        rest.targets = [t for t in self.targets if t not in is_lambda]
        original(rest, original_event, transform_input)

    Rule.send_to_targets = send_to_targets


def patch_event_bus_cloudformation() -> None:
    """`!Ref` of an AWS::Events::EventBus is its name on AWS; moto 5.2.1's EventBus has no physical resource id, so
    a Ref resolved to the model object itself (a rule on the bus failed with "'EventBus' object has no attribute
    'split'")."""
    if not hasattr(EventBus, "physical_resource_id"):
        EventBus.physical_resource_id = property(lambda self: self.name)
