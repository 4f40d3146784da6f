"""SNS: a Lambda subscription receives the notification as AWS sends it (moto 5.2.1 wrote a fixed example record:
topic `arn:aws:sns:EXAMPLE`, made-up message attributes), invoked asynchronously on the edge as `sns.amazonaws.com`
for the topic, so the function's resource policy decides, as on AWS."""

import datetime
import json

from moto.sns.models import Subscription

from local_moto.common import Context, Source, edge_invoke_async, in_background


def patch(ctx: Context) -> None:
    patch_lambda_subscriptions(ctx.edge_url)


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


def patch_lambda_subscriptions(edge_url: str) -> None:
    """A `lambda` subscription queues the notification on the function's asynchronous queue (in the background, so
    Publish does not wait); filter policies and JSON message structures are applied first, as moto does for the
    other protocols. The other protocols stay moto's."""
    original = Subscription.publish

    def publish(self, message, message_id, subject=None, message_attributes=None, group_id=None,
                deduplication_id=None, message_structure=None):
        if self.protocol != "lambda":
            return original(self, message, message_id, subject=subject, message_attributes=message_attributes,
                            group_id=group_id, deduplication_id=deduplication_id,
                            message_structure=message_structure)
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(
                message_attributes, message):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        event = lambda_event(self, message, message_id, subject, message_attributes)
        source = Source("sns.amazonaws.com", self.topic.arn, self.topic.account_id)
        in_background(edge_invoke_async)(edge_url, self.endpoint, json.dumps(event).encode(), source)
        return None

    Subscription.publish = publish
