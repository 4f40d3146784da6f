"""SQS: a queue never invokes Lambda itself. moto 5.2.1 runs a queue's event source mappings inside SendMessage (one
receive with the queue's wait time, a synthetic event, the batch deleted or made visible again at once); on AWS,
Lambda's pollers receive from the queue, and so does our Lambda service (crates/local-cloud/src/lambda/
event_sources/sqs.rs). What we rely on and keep: moto moves a message to the queue's dead-letter queue when a
ReceiveMessage finds it visible again after `maxReceiveCount` receives, as SQS does. And a mapping whose function
may run longer than the queue's visibility timeout is refused, as Lambda refuses it."""

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.core.utils import unix_time
from moto.sqs.models import Queue, SQSBackend, sqs_backends

from local_moto.common import Context


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
