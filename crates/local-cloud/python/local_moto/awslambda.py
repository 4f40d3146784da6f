"""Lambda: every invocation moto makes runs on the edge (our native Lambda runtime) instead of Docker, functions
keep `LoggingConfig`, CloudFormation functions and permissions are complete and deletable, and a deleted function
gives its code back at once."""

import json
import sys
import urllib.parse
import urllib.request

from moto.awslambda.models import LambdaBackend, LambdaFunction, LambdaStorage, Permission, lambda_backends

from local_moto.common import Context, edge_invoke, gone, in_background, tags


def patch(ctx: Context) -> None:
    patch_invocations(ctx.edge_url)
    patch_logging_config()
    patch_cloudformation(ctx.edge_url)
    patch_deleted_code()


def patch_invocations(edge_url: str) -> None:
    """Every invocation moto makes goes through LambdaFunction.invoke (which would start Docker): send it to the
    edge at `{edge}/_local/lambda/invoke/<function-arn>`. SNS deliveries run in the background, as AWS's."""

    def invoke(self, body, request_headers, response_headers):
        # moto passes the event as a JSON string ("" for none) and reads `x-amz-function-error` afterwards.
        payload = body.encode() if isinstance(body, str) else (body or b"")
        out, error = edge_invoke(edge_url, self.function_arn, payload or b"{}")
        if error:
            response_headers["x-amz-function-error"] = error
        return out

    LambdaFunction.invoke = invoke
    LambdaBackend.send_sns_message = in_background(LambdaBackend.send_sns_message)


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
