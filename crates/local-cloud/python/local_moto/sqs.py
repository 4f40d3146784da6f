"""SQS: a queue never invokes Lambda itself. moto 5.2.1 runs a queue's event source mappings inside SendMessage (one
receive with the queue's wait time, a synthetic event, the batch deleted or made visible again at once); on AWS,
Lambda's pollers receive from the queue, and so does our Lambda service (crates/local-cloud/src/lambda/
event_sources/sqs.rs). What we rely on and keep: moto moves a message to the queue's dead-letter queue when a
ReceiveMessage finds it visible again after `maxReceiveCount` receives, as SQS does. And a mapping whose function
may run longer than the queue's visibility timeout is refused, as Lambda refuses it. `AWS::SQS::QueuePolicy` is
modelled in CloudFormation (moto 5.2.1 has no model), and `service_may_send` reads a queue's policy as SQS does for
a service principal (EventBridge's SQS targets and target dead-letter queues are delivered only where it allows)."""

import fnmatch
import json

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.core.common_models import CloudFormationModel
from moto.core.utils import unix_time
from moto.sqs.models import Queue, SQSBackend, sqs_backends

from local_moto.common import Context, gone


def patch(ctx: Context) -> None:
    del ctx
    no_invocation_on_send()
    check_visibility_timeout()
    cheap_retention_check()


def no_invocation_on_send() -> None:
    """`Queue.add_message` (SendMessage, SendMessageBatch, the DLQ move) invokes every mapping it finds in
    `queue.lambda_event_source_mappings`, which CreateEventSourceMapping (API and CloudFormation alike) fills. Queues
    now hold none: the attribute reads as a fresh empty dict and ignores what is stored in it, so the mapping stays
    in the Lambda backend only (ListEventSourceMappings), where our poller reads it."""
    Queue.lambda_event_source_mappings = property(lambda self: {}, lambda self, value: None)


def check_visibility_timeout() -> None:
    """CreateEventSourceMapping (API and CloudFormation) of an SQS queue whose visibility timeout is shorter than the
    function's timeout fails as on AWS: "Lambda validates this requirement when you create or update an event source
    mapping and will return an error if the function timeout exceeds the queue's visibility timeout"
    (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html)."""
    original = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self, spec):
        arn, name = spec.get("EventSourceArn") or "", spec.get("FunctionName") or ""
        queue = next((q for q in sqs_backends[self.account_id][self.region_name].queues.values()
                      if q.queue_arn == arn), None)
        if queue is not None and name:
            fn = self._lambdas.get_function_by_name_or_arn_with_qualifier(name)
            visibility, timeout = int(queue.visibility_timeout), int(fn.timeout)
            if timeout > visibility:
                raise InvalidParameterValueException(
                    f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} seconds")
        return original(self, spec)

    LambdaBackend.create_event_source_mapping = create_event_source_mapping


def cheap_retention_check() -> None:
    """ReceiveMessage checks each message it returns against the queue's retention period through
    GetQueueAttributes, which also counts every message of the queue (ApproximateNumberOf...): a receive of 10 from
    a queue holding 500 messages took ~350 ms, and the poller's throughput fell with the queue's depth. The same
    check, reading the queue's retention period directly."""

    def is_message_valid_based_on_retention_period(self, queue_name, message):
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > unix_time()

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def queue_of_arn(arn: str):
    """The queue an ARN names (`arn:aws:sqs:region:account:name`), or None."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        return None
    try:
        return sqs_backends[parts[4]][parts[3]].get_queue(parts[5])
    except Exception as e:  # noqa: BLE001 - moto's QueueDoesNotExist
        if gone(e) or "DoesNotExist" in type(e).__name__:
            return None
        raise


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal, service: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return service in _listed(principal.get("Service", [])) or "*" in _listed(principal.get("AWS", []))
    return False


def _action_matches(action, wanted: str) -> bool:
    return any(fnmatch.fnmatchcase(wanted.lower(), a.lower()) for a in _listed(action))


def _conditions_hold(conditions: dict, context: dict) -> bool:
    """The condition operators a queue policy for a service uses; an unknown operator or key does not hold."""
    for operator, tests in (conditions or {}).items():
        if_exists = operator.endswith("IfExists")
        op = operator.removesuffix("IfExists")
        for key, expected in tests.items():
            actual = context.get(key.lower())
            if actual is None:
                if if_exists:
                    continue
                return False
            wanted = _listed(expected)
            if op in ("ArnEquals", "StringEquals"):
                ok = actual in wanted
            elif op in ("ArnLike", "StringLike"):
                ok = any(fnmatch.fnmatchcase(actual, w) for w in wanted)
            else:
                return False
            if not ok:
                return False
    return True


def service_may_send(queue, service: str, source_arn: str, source_account: str) -> bool:
    """Whether the queue's policy lets `service` (events.amazonaws.com) call sqs:SendMessage for `source_arn`:
    an Allow statement naming the service (or `*`), the action and the queue, whose conditions (aws:SourceArn,
    aws:SourceAccount) hold, and no Deny that matches. No policy: no service may send, as on AWS
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions)."""
    try:
        statements = json.loads(queue.policy or "{}").get("Statement", [])
    except ValueError:
        return False
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": source_account}
    allowed = False
    for statement in _listed(statements):
        if not (_principal_matches(statement.get("Principal"), service)
                and _action_matches(statement.get("Action", []), "sqs:SendMessage")
                and any(fnmatch.fnmatchcase(queue.queue_arn, r) for r in _listed(statement.get("Resource", "*")))
                and _conditions_hold(statement.get("Condition"), context)):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


class CfnQueuePolicy(CloudFormationModel):
    """AWS::SQS::QueuePolicy, which moto 5.2.1 does not model (a template with one failed): its `PolicyDocument` is
    set as the `Policy` of each queue of `Queues` (queue URLs) and removed at delete
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queuepolicy.html). Defined at
    module level, so the class lives as long as the process (moto finds models as CloudFormationModel's
    subclasses)."""

    __module__ = "moto.sqs.models"

    def __init__(self, name: str, queue_urls: list[str], account_id: str, region_name: str):
        self.name, self.queue_urls = name, queue_urls
        self.account_id, self.region_name = account_id, region_name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str):
        return self.name

    @staticmethod
    def _set(account_id: str, region_name: str, urls: list[str], policy: str) -> None:
        backend = sqs_backends[account_id][region_name]
        for url in urls:
            backend.set_queue_attributes(url.rstrip("/").split("/")[-1], {"Policy": policy})

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = cloudformation_json["Properties"]
        document = props["PolicyDocument"]
        policy = document if isinstance(document, str) else json.dumps(document)
        urls = _listed(props["Queues"])
        cls._set(account_id, region_name, urls, policy)
        return cls(resource_name, urls, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id, region_name):
        for url in self.queue_urls:
            try:
                self._set(account_id, region_name, [url], "")
            except Exception as e:  # noqa: BLE001 - the queue went first
                if not (gone(e) or "DoesNotExist" in type(e).__name__):
                    raise
