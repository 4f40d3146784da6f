"""Lambda: every invocation moto makes runs on the edge (our native Lambda runtime) instead of Docker, functions
keep `LoggingConfig` and `DeadLetterConfig`, asynchronous invocation settings (`PutFunctionEventInvokeConfig`) behave
as AWS's, CloudFormation functions, permissions and event invoke configs are complete and deletable, and a deleted
function gives its code back at once."""

import base64
import gzip
import json
import sys
import urllib.parse
import urllib.request

from moto.awslambda.models import (EventInvokeConfig, LambdaBackend, LambdaFunction, LambdaStorage, Permission,
                                   lambda_backends)
from moto.awslambda.responses import LambdaResponse
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult

from local_moto.common import Context, Source, edge_invoke, edge_invoke_async, gone, in_background, tags


def patch(ctx: Context) -> None:
    patch_invocations(ctx.edge_url)
    patch_log_subscriptions(ctx.edge_url)
    patch_logging_config()
    patch_cloudformation(ctx.edge_url)
    patch_deleted_code()
    patch_dead_letter_config()
    patch_event_invoke_config()
    patch_invoke_payload()
    patch_stream_mappings()
    patch_filter_criteria()


def patch_invocations(edge_url: str) -> None:
    """Every synchronous invocation moto makes (event source mappings, Step Functions) goes through
    LambdaFunction.invoke (which would start Docker): send it to the edge at `{edge}/_local/lambda/invoke/<arn>`.
    The asynchronous ones (S3, SNS, EventBridge, log subscriptions) never get here: they are queued on the edge."""

    def invoke(self, body, request_headers, response_headers):
        # moto passes the event as a JSON string ("" for none) and reads `x-amz-function-error` afterwards.
        payload = body.encode() if isinstance(body, str) else (body or b"")
        out, error = edge_invoke(edge_url, self.function_arn, payload or b"{}")
        if error:
            response_headers["x-amz-function-error"] = error
        return out

    LambdaFunction.invoke = invoke


def patch_stream_mappings() -> None:
    """A DynamoDB stream's mappings are run by the edge's poller (`src/lambda/event_sources/dynamodb.rs`), which
    reads the stream with GetShardIterator/GetRecords as Lambda does. moto 5.2.1 registers the mapping on the table
    and invokes the function inside each PutItem/UpdateItem/DeleteItem (with every record since, a disabled mapping
    too) and then empties the shard, so GetRecords lost them: the mapping is not registered on the table."""
    original = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self, spec):
        esm = original(self, spec)
        arn = esm.event_source_arn or ""
        if arn.startswith("arn:aws:dynamodb:") and "/stream/" in arn:
            from moto.dynamodb import dynamodb_backends
            table_name = arn.split(":table/", 1)[1].split("/stream/", 1)[0]
            table = dynamodb_backends[self.account_id][self.region_name].get_table(table_name)
            table.lambda_event_source_mappings.pop(esm.function_arn, None)
        return esm

    LambdaBackend.create_event_source_mapping = create_event_source_mapping


def patch_filter_criteria() -> None:
    """A mapping's `FilterCriteria` patterns are checked as Lambda checks them at CreateEventSourceMapping and
    UpdateEventSourceMapping (and so at deploy): a pattern that is not a valid EventBridge-style pattern is refused
    with InvalidParameterValueException "Invalid request provided: Invalid filter pattern definition.", where moto
    5.2.1 stored anything (the edge's poller would then have discarded every record). The syntax:
    https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-syntax"""
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.events.exceptions import InvalidEventPatternException

    from . import events_patterns

    def check(spec) -> None:
        for f in ((spec or {}).get("FilterCriteria") or {}).get("Filters") or []:
            try:
                events_patterns.check(f.get("Pattern") or "")
            except InvalidEventPatternException:
                raise InvalidParameterValueException(
                    "Invalid request provided: Invalid filter pattern definition."
                ) from None

    create = LambdaBackend.create_event_source_mapping
    update = LambdaBackend.update_event_source_mapping

    def create_event_source_mapping(self, spec):
        check(spec)
        return create(self, spec)

    def update_event_source_mapping(self, uuid, spec):
        check(spec)
        return update(self, uuid, spec)

    LambdaBackend.create_event_source_mapping = create_event_source_mapping
    LambdaBackend.update_event_source_mapping = update_event_source_mapping


def patch_log_subscriptions(edge_url: str) -> None:
    """A CloudWatch Logs subscription filter invokes its function asynchronously, as `logs.amazonaws.com` for the
    log group (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample):
    queue the event moto builds (`awslogs.data`, gzipped and base64-encoded) on the edge instead of running it
    synchronously inside PutLogEvents."""

    def send_log_event(self, function_arn, filter_name, log_group_name, log_stream_name, log_events):
        data = {"messageType": "DATA_MESSAGE", "owner": self.account_id, "logGroup": log_group_name,
                "logStream": log_stream_name, "subscriptionFilters": [filter_name], "logEvents": log_events}
        compressed = gzip.compress(json.dumps(data, separators=(",", ":")).encode())
        payload = json.dumps({"awslogs": {"data": base64.b64encode(compressed).decode()}}).encode()
        group_arn = f"arn:aws:logs:{self.region_name}:{self.account_id}:log-group:{log_group_name}:*"
        source = Source("logs.amazonaws.com", group_arn, self.account_id)
        in_background(edge_invoke_async)(edge_url, function_arn, payload, source)

    LambdaBackend.send_log_event = send_log_event


def patch_logging_config() -> None:
    """moto 5.2.1 drops a function's `LoggingConfig` (CreateFunction, UpdateFunctionConfiguration and
    CloudFormation alike): keep it and answer it in the configuration, so the runtime logs where AWS would."""
    original_init = LambdaFunction.__init__
    original_config = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def with_defaults(self, logging_config):
        if not logging_config:
            return None
        out = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
        out.update({k: v for k, v in logging_config.items() if v is not None})
        return out

    def __init__(self, account_id, spec, region, version=1):
        original_init(self, account_id, spec, region, version)
        self.logging_config = with_defaults(self, spec.get("LoggingConfig"))

    def get_configuration(self, on_create=False):
        config = original_config(self, on_create)
        if getattr(self, "logging_config", None):
            config["LoggingConfig"] = self.logging_config
        return config

    def update_configuration(self, config_updates):
        if "LoggingConfig" in config_updates:
            self.logging_config = with_defaults(self, config_updates["LoggingConfig"])
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration


def patch_cloudformation(edge_url: str) -> None:
    """AWS::Lambda::Function keeps `LoggingConfig`, `Architectures` and `Tags`, and its deletion stops the
    function's instances on the edge; AWS::Lambda::Permission gets a statement id and is deletable."""
    original_function = LambdaFunction.create_from_cloudformation_json.__func__

    def create_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        fn = original_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json["Properties"]
        if props.get("LoggingConfig"):
            fn.update_configuration({"LoggingConfig": props["LoggingConfig"]})
        if props.get("Architectures"):
            fn.architectures = props["Architectures"]
        fn.tags.update(tags(props.get("Tags")))
        return fn

    original_delete = LambdaFunction.delete

    def delete_function(self, account_id, region):
        original_delete(self, account_id, region)
        url = f"{edge_url}/_local/lambda/functions/{urllib.parse.quote(self.function_name, safe='')}/instances"
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10).read()
        except OSError as e:
            print(f"could not stop the instances of {self.function_name}: {e}", file=sys.stderr, flush=True)

    LambdaFunction.create_from_cloudformation_json = classmethod(create_function)
    LambdaFunction.delete = delete_function

    def create_permission(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = dict(cloudformation_json["Properties"])
        backend = lambda_backends[account_id][region_name]
        fn = backend.get_function(props.pop("FunctionName"))
        props["StatementId"] = resource_name
        fn.policy.add_statement(raw=json.dumps(props))
        permission = Permission(region=region_name)
        permission.function_name, permission.sid = fn.function_name, resource_name
        return permission

    def delete_permission(self, account_id, region_name):
        try:
            lambda_backends[account_id][region_name].remove_permission(self.function_name, self.sid)
        except Exception as e:  # the function (and its policy) went first
            if not gone(e) and "Unknown" not in type(e).__name__:
                raise

    Permission.create_from_cloudformation_json = classmethod(create_permission)
    Permission.physical_resource_id = property(lambda self: getattr(self, "sid", ""))
    Permission.delete = delete_permission


def patch_deleted_code() -> None:
    """A deleted function (DeleteFunction, or its stack's deletion) drops its code at once. moto's function and its
    resource policy refer to each other, so the function is freed only by Python's full garbage collection, which
    a busy moto runs rarely: until then it kept its zip (`code_bytes`, and the base64 `ZipFile` of an API
    CreateFunction), 17 MB per deploy+destroy of the CRUD pattern, and moto's RSS climbed by that much a cycle."""
    original_del = LambdaStorage.del_function

    def functions(storage):
        for group in storage._functions.values():
            yield from ([group["latest"]] if group["latest"] else []) + list(group["versions"])

    def del_function(self, name_or_arn, qualifier=None):
        before = list(functions(self))
        original_del(self, name_or_arn, qualifier)
        left = {id(fn) for fn in functions(self)}
        for fn in before:
            if id(fn) not in left:
                fn.code_bytes = b""
                if isinstance(fn.code, dict) and "ZipFile" in fn.code:
                    fn.code = {**fn.code, "ZipFile": ""}

    LambdaStorage.del_function = del_function


def patch_dead_letter_config() -> None:
    """moto 5.2.1 drops a function's `DeadLetterConfig` (CreateFunction, UpdateFunctionConfiguration and
    CloudFormation alike): keep it and answer it in the configuration, so a failed asynchronous event reaches the
    dead-letter queue on the edge. An empty `TargetArn` removes it, as on AWS."""
    original_init = LambdaFunction.__init__
    original_config = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration
    original_cfn = LambdaFunction.create_from_cloudformation_json.__func__

    def target(config) -> str | None:
        return (config or {}).get("TargetArn") or None

    def __init__(self, account_id, spec, region, version=1):
        original_init(self, account_id, spec, region, version)
        self.dead_letter_target = target(spec.get("DeadLetterConfig"))

    def get_configuration(self, on_create=False):
        config = original_config(self, on_create)
        if getattr(self, "dead_letter_target", None):
            config["DeadLetterConfig"] = {"TargetArn": self.dead_letter_target}
        return config

    def update_configuration(self, config_updates):
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_target = target(config_updates["DeadLetterConfig"])
        return original_update(self, config_updates)

    def create_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        fn = original_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        fn.dead_letter_target = target(cloudformation_json["Properties"].get("DeadLetterConfig"))
        return fn

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction.create_from_cloudformation_json = classmethod(create_function)


def patch_event_invoke_config() -> None:
    """moto 5.2.1 appends each PutFunctionEventInvokeConfig to a list and answers the first, so a second Put (a
    Terraform update) changed nothing; UpdateFunctionEventInvokeConfig replaced instead of merging and answered
    `LastModified` as a string, which typed SDKs refuse. As on AWS: Put replaces the whole configuration, Update
    changes only the settings it names (of an existing configuration), both answered alike."""

    def put(self, function_name, config):
        fn = self.get_function(function_name)
        event_config = EventInvokeConfig(fn.function_arn, fn.last_modified, config)
        fn.event_invoke_config = [event_config]
        return event_config.response()

    def update(self, function_name, config):
        self.get_function_event_invoke_config(function_name)  # UnknownEventConfig (404) when there is none
        current = dict(self.get_function(function_name).event_invoke_config[0].config)
        merged = {**current, **config}
        if "DestinationConfig" in config:
            merged["DestinationConfig"] = {**current.get("DestinationConfig", {}), **config["DestinationConfig"]}
        return put(self, function_name, merged)

    def update_response(self):
        function_name = urllib.parse.unquote(self.path.rsplit("/", 2)[1])
        return ActionResult(self.backend.update_function_event_invoke_config(function_name, self.json_body))

    LambdaBackend.put_function_event_invoke_config = put
    LambdaBackend.update_function_event_invoke_config = update
    LambdaResponse.update_function_event_invoke_config = update_response


def patch_invoke_payload() -> None:
    """Invoke reads its `Qualifier` from the query string only. moto 5.2.1 also looked for it in the payload, so an
    event that is not a JSON object (a Map state's item: `1`, `"a"`, a list) failed with a TypeError (500), and an
    event with a `qualifier` key picked a version; on AWS the payload is any JSON and only the function sees it."""
    original = LambdaResponse.invoke

    def invoke(self):
        self._get_param = lambda name, if_none=None: (self.querystring.get(name) or [if_none])[0]
        return original(self)

    LambdaResponse.invoke = invoke


class CfnEventInvokeConfig(CloudFormationModel):
    """AWS::Lambda::EventInvokeConfig (what SAM's `EventInvokeConfig` becomes), which moto 5.2.1 does not model.
    Defined at module level, so the class lives as long as the process: moto finds models as CloudFormationModel's
    subclasses, which forget a class nothing else refers to."""

    __module__ = "moto.awslambda.models"  # filed under the lambda service, like moto's own models
    SETTINGS = ("MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig")

    def __init__(self, function_name: str, qualifier: str):
        self.function_name, self.qualifier = function_name, qualifier

    @property
    def physical_resource_id(self) -> str:
        return f"{self.function_name}:{self.qualifier}"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = cloudformation_json["Properties"]
        config = {k: props[k] for k in cls.SETTINGS if k in props}
        for key in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts"):
            if key in config:
                config[key] = int(config[key])  # CloudFormation passes template numbers as strings
        lambda_backends[account_id][region_name].put_function_event_invoke_config(props["FunctionName"], config)
        return cls(props["FunctionName"], props.get("Qualifier", "$LATEST"))

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id, region_name):
        try:
            lambda_backends[account_id][region_name].delete_function_event_invoke_config(self.function_name)
        except Exception as e:  # the function (or its configuration) went first
            if not gone(e) and "Unknown" not in type(e).__name__:
                raise
