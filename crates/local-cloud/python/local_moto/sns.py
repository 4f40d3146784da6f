"""SNS: a Lambda subscription receives the notification as AWS sends it (moto 5.2.1 wrote a fixed example record:
topic `arn:aws:sns:EXAMPLE`, made-up message attributes), invoked asynchronously on the edge as `sns.amazonaws.com`
for the topic, so the function's resource policy decides, as on AWS. An SQS subscription delivers only where the
queue's policy lets `sns.amazonaws.com` send for the topic (moto delivered to any queue); with raw message delivery,
the message attributes become SQS message attributes (a Binary one broke every later receive in moto). A Firehose
subscription puts each notification, one line, into its delivery stream (moto delivered nothing).
`AWS::SNS::Subscription` is modelled for CloudFormation (moto 5.2.1 has no model: SAM's SNS events and every
explicit subscription failed)."""

import base64
import datetime
import json
import sys

from moto.core.common_models import CloudFormationModel
from moto.sns.models import Subscription, sns_backends
from moto.sqs.models import sqs_backends

from local_moto.common import Context, Source, edge_invoke_async, gone, in_background
from local_moto.sqs import queue_of_arn, service_may_send

PRINCIPAL = "sns.amazonaws.com"
# "Messages with more than 10 message attributes directed towards Raw Message Delivery enabled Amazon SQS
# subscriptions will be discarded" (https://docs.aws.amazon.com/sns/latest/dg/SNSMessageAttributes.html).
RAW_MAX_ATTRIBUTES = 10


def patch(ctx: Context) -> None:
    patch_publish(ctx.edge_url)


def lambda_event(subscription, message: str, message_id: str, subject, message_attributes, now=None) -> dict:
    """The event AWS sends a Lambda subscription
    (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html#with-sns-example)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    region = subscription.topic.arn.split(":")[3]
    return {"Records": [{
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription.arn,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "Signature": "EXAMPLE",
            "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-local.pem",
            "MessageId": message_id,
            "Message": message,
            "MessageAttributes": {name: {"Type": a["Type"], "Value": a["Value"]}
                                  for name, a in (message_attributes or {}).items()},
            "Type": "Notification",
            "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription.arn}",
            "TopicArn": subscription.topic.arn,
            "Subject": subject,
        },
    }]}


def is_raw(subscription) -> bool:
    """Whether RawMessageDelivery is on (stored as a boolean or as the text it was given)."""
    return str(subscription.attributes.get("RawMessageDelivery", False)).lower() == "true"


def raw_attributes(message_attributes) -> dict:
    """The SQS message attributes of a raw delivery: each SNS attribute with its type; a Binary one as bytes (moto
    passed the base64 text, which made every later ReceiveMessage of the queue fail)."""
    out = {}
    for name, a in (message_attributes or {}).items():
        if a["Type"].startswith("Binary"):
            out[name] = {"DataType": a["Type"], "BinaryValue": base64.b64decode(a["Value"])}
        else:
            out[name] = {"DataType": a["Type"], "StringValue": str(a["Value"])}
    return out


def deliver_to_queue(subscription, original, message, message_id, subject, message_attributes, group_id,
                     deduplication_id) -> None:
    """One notification to an SQS subscription: only where the queue's policy lets SNS send for the topic, "To
    enable an Amazon SNS topic to send messages to an Amazon SQS queue ... Amazon SQS queue's policy must allow the
    Amazon SNS topic to perform the sqs:SendMessage action"
    (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html); the message is dropped
    otherwise, silently for the publisher, as on AWS; so is a raw delivery of more than 10 message attributes."""
    topic = subscription.topic
    queue = queue_of_arn(subscription.endpoint)
    if queue is None or not service_may_send(queue, PRINCIPAL, topic.arn, topic.account_id):
        why = "does not exist" if queue is None else "has no policy that lets sns.amazonaws.com send for the topic"
        print(f"SNS: a message of {topic.arn} to {subscription.endpoint} is dropped: the queue {why}",
              file=sys.stderr, flush=True)
        return
    if not is_raw(subscription):
        original(subscription, message, message_id, subject=subject, message_attributes=message_attributes,
                 group_id=group_id, deduplication_id=deduplication_id)
        return
    if len(message_attributes or {}) > RAW_MAX_ATTRIBUTES:
        print(f"SNS: a message of {topic.arn} to {subscription.endpoint} is dropped: raw message delivery to SQS "
              f"takes at most {RAW_MAX_ATTRIBUTES} message attributes", file=sys.stderr, flush=True)
        return
    region, account = subscription.endpoint.split(":")[3:5]
    sqs_backends[account][region].send_message(queue.name, message, message_attributes=raw_attributes(message_attributes),
                               deduplication_id=deduplication_id, group_id=group_id, validate_group_id=False)


def firehose_record(subscription, message: str, message_id: str, subject, message_attributes, now=None) -> bytes:
    """What SNS puts into a subscribed Firehose delivery stream: the notification's JSON (Type, MessageId, TopicArn,
    Subject, Message, Timestamp, UnsubscribeURL, MessageAttributes), or with raw message delivery the message alone,
    each followed by a line break, which separates the messages in a buffered S3 object
    (https://docs.aws.amazon.com/sns/latest/dg/firehose-archived-message-format-S3.html)."""
    if is_raw(subscription):
        return message.encode() + b"\n"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    region = subscription.topic.arn.split(":")[3]
    notification = {"Type": "Notification", "MessageId": message_id, "TopicArn": subscription.topic.arn}
    if subject:
        notification["Subject"] = subject
    notification.update({
        "Message": message,
        "Timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "UnsubscribeURL": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription.arn}",
    })
    if message_attributes:
        notification["MessageAttributes"] = {name: {"Type": a["Type"], "Value": a["Value"]}
                                             for name, a in message_attributes.items()}
    return json.dumps(notification, separators=(",", ":")).encode() + b"\n"


def deliver_to_firehose(subscription, message, message_id, subject, message_attributes) -> None:
    """One notification to a Firehose subscription: PutRecord on its delivery stream
    (`arn:aws:firehose:region:account:deliverystream/name`), which moto writes to the stream's destination. AWS
    needs the subscription's `SubscriptionRoleArn` (a role SNS assumes to put records); without one, nothing is
    delivered (https://docs.aws.amazon.com/sns/latest/dg/prereqs-kinesis-data-firehose.html)."""
    from moto.firehose.models import firehose_backends

    topic = subscription.topic
    if not subscription.attributes.get("SubscriptionRoleArn"):
        print(f"SNS: a message of {topic.arn} to {subscription.endpoint} is dropped: the subscription has no "
              "SubscriptionRoleArn", file=sys.stderr, flush=True)
        return
    _, _, _, region, account, resource = subscription.endpoint.split(":", 5)
    name = resource.removeprefix("deliverystream/")
    record = firehose_record(subscription, message, message_id, subject, message_attributes)
    try:
        firehose_backends[account][region].put_record(name, {"Data": record})
    except Exception as e:  # noqa: BLE001 - the stream is gone, or its destination refused: SNS's retries end
        print(f"SNS: a message of {topic.arn} to {subscription.endpoint} is dropped: {e}", file=sys.stderr,
              flush=True)


def patch_publish(edge_url: str) -> None:
    """A `lambda` subscription queues the notification on the function's asynchronous queue (in the background, so
    Publish does not wait); an `sqs` one goes through `deliver_to_queue`, a `firehose` one `deliver_to_firehose`. Filter policies (on the message attributes
    or, with `FilterPolicyScope` `MessageBody`, on the message) and JSON message structures apply first, as moto
    applies them. The other protocols stay moto's."""
    original = Subscription.publish

    def publish(self, message, message_id, subject=None, message_attributes=None, group_id=None,
                deduplication_id=None, message_structure=None):
        if self.protocol not in ("lambda", "sqs", "firehose"):
            return original(self, message, message_id, subject=subject, message_attributes=message_attributes,
                            group_id=group_id, deduplication_id=deduplication_id,
                            message_structure=message_structure)
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(
                message_attributes, message):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        if self.protocol == "firehose":
            deliver_to_firehose(self, message, message_id, subject, message_attributes)
            return None
        if self.protocol == "sqs":
            deliver_to_queue(self, original, message, message_id, subject, message_attributes, group_id,
                             deduplication_id)
            return None
        event = lambda_event(self, message, message_id, subject, message_attributes)
        source = Source(PRINCIPAL, self.topic.arn, self.topic.account_id)
        in_background(edge_invoke_async)(edge_url, self.endpoint, json.dumps(event).encode(), source)
        return None

    Subscription.publish = publish


def _as_attribute(name: str, value):
    """A CloudFormation property as the subscription attribute Subscribe stores: RawMessageDelivery as a boolean
    (`true` or `"true"`), a JSON object as JSON text."""
    if name == "RawMessageDelivery":
        return str(value).lower() == "true"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class CfnSubscription(CloudFormationModel):
    """AWS::SNS::Subscription: Subscribe with its attributes (`FilterPolicyScope` first, as the filter policy is
    checked against it), Unsubscribe at delete; the physical id is the subscription ARN
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-subscription.html). Defined at
    module level, so the class lives as long as the process (moto finds models as CloudFormationModel's
    subclasses)."""

    __module__ = "moto.sns.models"
    ATTRIBUTES = ("FilterPolicyScope", "FilterPolicy", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy",
                  "SubscriptionRoleArn")

    def __init__(self, arn: str, account_id: str, region_name: str):
        self.arn, self.account_id, self.region_name = arn, account_id, region_name

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str):
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = cloudformation_json["Properties"]
        topic_arn = props["TopicArn"]
        region = props.get("Region") or topic_arn.split(":")[3]
        backend = sns_backends[account_id][region]
        subscription = backend.subscribe(topic_arn, props["Endpoint"], props["Protocol"])
        for name in cls.ATTRIBUTES:
            if props.get(name) is not None:
                backend.set_subscription_attributes(subscription.arn, name, _as_attribute(name, props[name]))
        return cls(subscription.arn, account_id, region)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id, region_name):
        try:
            sns_backends[self.account_id][self.region_name].unsubscribe(self.arn)
        except Exception as e:  # noqa: BLE001 - the topic went first
            if not gone(e):
                raise
