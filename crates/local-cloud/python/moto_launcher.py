"""moto, started the way the local cloud needs it (pinned to moto 5.2.1).

Run by the `local-cloud` daemon (crates/local-cloud/src/moto.rs); not meant to be run by hand, though it can be:

    python3 moto_launcher.py --port 5000 --edge-url http://127.0.0.1:4566

What it adds to a plain `python3 -m moto.server`:
  * `GET /_local/health`                              -> 200 {"moto_version": ..., "pid": ...}
  * `GET /_local/lambda/functions/<name-or-arn>/code` -> the function's deployment zip, header `x-code-sha256`
  * Lambda invocations that moto makes itself (SNS, S3 notifications, EventBridge targets, SQS and DynamoDB
    event source mappings, Step Functions, moto's own Invoke API) are POSTed to the edge at
    `{edge}/_local/lambda/invoke/<function-arn>` (our native Lambda runtime) instead of Docker.
  * EventBridge rules get Lambda targets (moto 5.2.1 raises NotImplementedError for them).
  * A load balancer created without `Scheme` is internet-facing, as on AWS.
  * S3 event notifications carry what AWS's records carry (`userIdentity`, `requestParameters`, ...) and an
    `eventTime` as AWS writes it (ISO 8601, milliseconds, `Z`).
  * Step Functions executions really run (moto's `execute_state_machine`), so their Lambda tasks reach us too.
  * Lambda functions keep `LoggingConfig` (moto drops it), so their logs go to the configured log group.
  * CloudFormation creates what our patterns need and moto's CloudFormation lacks (see `patch_cloudformation`):
    AWS::ApiGateway::RestApi from an OpenAPI `Body` (routes, integrations, gateway responses) and without `Name`,
    AWS::ApiGateway::Stage, AWS::ApiGatewayV2::VpcLink, a Method's whole integration (private integrations keep
    `ConnectionId` and `IntegrationTarget`), load balancers' `Type` and attributes, target groups' `Targets`,
    security groups' egress rules, buckets' notifications, public access block and ownership controls, `Ref` of
    an event bus (its name), `Fn::Cidr`, deletable RestApi/Deployment/Method/Permission, target
    groups/listeners/rules and internet gateways/attachments/route tables/routes/subnet associations; a resource
    type moto does not model, or a resource whose creation raises, fails the stack with a CREATE_FAILED event
    naming it (moto would skip it or answer HTTP 500), and every resource gets
    its CREATE_COMPLETE event.
  * `--exit-on-stdin-eof`: exit when stdin closes, so moto never outlives the daemon, even one killed by SIGKILL.
"""

import argparse
import copy
import datetime
import functools
import importlib.metadata
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

PINNED_MOTO = "5.2.1"
SETUP_COMMAND = "cargo xtask setup"
# How long moto waits for the edge to run one invocation: past Lambda's 900 s maximum timeout.
INVOKE_TIMEOUT_S = 960


def check_moto_version() -> str:
    """Exits with code 3 unless the pinned moto is installed (`MOTO_LAUNCHER_EXPECT` exists for tests only)."""
    expected = os.environ.get("MOTO_LAUNCHER_EXPECT", PINNED_MOTO)
    try:
        installed = importlib.metadata.version("moto")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != expected:
        what = f"moto {installed} is installed" if installed else f"moto is not installed for {sys.executable}"
        print(f"{what}; this launcher was written for moto {expected}: run `{SETUP_COMMAND}`", file=sys.stderr)
        sys.exit(3)
    return installed


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True, help="port moto listens on; 0: a free one, printed at start-up")
    p.add_argument("--edge-url", required=True, help="the local cloud's edge, which runs Lambda functions")
    p.add_argument("--region", default="us-east-1", help="region of functions named without an ARN")
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    return p.parse_args()


def edge_invoke(edge_url: str, function_arn: str, payload: bytes) -> tuple[bytes, str | None]:
    """Runs one invocation on the edge; returns (payload, function error or None). Never raises."""
    url = f"{edge_url}/_local/lambda/invoke/{urllib.parse.quote(function_arn, safe='')}"
    req = urllib.request.Request(url, data=payload, method="POST", headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=INVOKE_TIMEOUT_S) as resp:
            return resp.read(), resp.headers.get("X-Amz-Function-Error")
    except urllib.error.HTTPError as e:  # the edge could not run the function at all
        return e.read(), "Unhandled"
    except OSError as e:
        err = {"errorMessage": f"local cloud edge {edge_url} unreachable: {e}", "errorType": "EdgeUnreachable"}
        return json.dumps(err).encode(), "Unhandled"


def in_background(fn):
    """Runs `fn` on its own thread: for the sources AWS invokes asynchronously (SNS, S3, EventBridge)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        threading.Thread(target=fn, args=args, kwargs=kwargs, daemon=True).start()

    return wrapper


def patch_lambda(edge_url: str) -> None:
    """Every invocation moto makes goes through LambdaFunction.invoke (which would start Docker): send it to the edge."""
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.s3 import notifications as s3_notifications

    def invoke(self, body, request_headers, response_headers):
        # moto passes the event as a JSON string ("" for none) and reads `x-amz-function-error` afterwards
        # (SQS keeps a message whose batch failed).
        payload = body.encode() if isinstance(body, str) else (body or b"")
        out, error = edge_invoke(edge_url, self.function_arn, payload or b"{}")
        if error:
            response_headers["x-amz-function-error"] = error
        return out

    LambdaFunction.invoke = invoke
    LambdaBackend.send_sns_message = in_background(LambdaBackend.send_sns_message)
    s3_notifications._invoke_awslambda = in_background(s3_notifications._invoke_awslambda)
    s3_notifications._get_s3_event = s3_event_as_aws_sends_it(s3_notifications._get_s3_event)


def aws_time_now() -> str:
    """Now as AWS writes event times: ISO 8601 in UTC with milliseconds and `Z` (`2026-01-22T10:15:58.456Z`)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def s3_event_as_aws_sends_it(original):
    """moto 5.2.1's S3 notification records lack what AWS always sends (`userIdentity`, `requestParameters`,
    `responseElements`, the bucket's `ownerIdentity`, the object's `sequencer`) and write `eventTime` without a zone
    (`...T10:15:58.456789`); typed event parsers (aws_lambda_events) refuse such a record. Fill them in as AWS
    writes them (`...T10:15:58.456Z`)."""

    @functools.wraps(original)
    def s3_event(*args, **kwargs):
        event = original(*args, **kwargs)
        for record in event.get("Records", []):
            record["eventTime"] = aws_time_now()
            record.setdefault("userIdentity", {"principalId": "AWS:AIDAJDPLRKLG7UEXAMPLE"})
            record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
            record.setdefault("responseElements", {
                "x-amz-request-id": os.urandom(8).hex().upper(),
                "x-amz-id-2": os.urandom(24).hex(),
            })
            s3 = record.get("s3", {})
            s3.get("bucket", {}).setdefault("ownerIdentity", {"principalId": "A3NL1KOZZKExample"})
            # Increasing per key, as S3's: the time in nanoseconds, in hex.
            s3.get("object", {}).setdefault("sequencer", f"{time.time_ns():018X}")
        return event

    return s3_event


def patch_eventbridge(edge_url: str) -> None:
    """Lambda targets for EventBridge rules; the other targets stay with moto's own code."""
    from moto.events.models import Rule
    from moto.events.utils import EventTemplateParser
    from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp

    original = Rule.send_to_targets

    def lambda_event(target, event):
        if "Input" in target:
            return json.loads(target["Input"])
        if "InputTransformer" in target:
            t = target["InputTransformer"]
            return EventTemplateParser.parse(t.get("InputTemplate"), t.get("InputPathsMap", {}), event)
        event = {k: v for k, v in event.items() if k != "ingestion-time"}
        if isinstance(event.get("time"), (int, float)):  # moto keeps epoch seconds; AWS sends ISO 8601
            event["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(event["time"]))
        return event

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


def patch_elbv2_scheme_default() -> None:
    """CreateLoadBalancer without `Scheme` makes an internet-facing load balancer on AWS (Terraform sends no
    `Scheme` for `internal = false`); moto 5.2.1 stored no scheme at all, which read as internal."""
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.create_load_balancer

    @functools.wraps(original)
    def create_load_balancer(self, *args, **kwargs):
        if kwargs.get("scheme") is None:
            kwargs["scheme"] = "internet-facing"
        return original(self, *args, **kwargs)

    ELBv2Backend.create_load_balancer = create_load_balancer


def patch_lambda_logging_config() -> None:
    """moto 5.2.1 drops a function's `LoggingConfig` (CreateFunction, UpdateFunctionConfiguration and
    CloudFormation alike): keep it and answer it in the configuration, so the runtime logs where AWS would."""
    from moto.awslambda.models import LambdaFunction

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


# --------------------------------------------------------------------------------------------------------------
# CloudFormation: what our patterns need and moto's CloudFormation lacks.
# --------------------------------------------------------------------------------------------------------------

class ResourceFailed(Exception):
    """One resource of a stack could not be created, updated or deleted: becomes a *_FAILED stack event."""

    def __init__(self, logical_id: str, resource_type: str, action: str, reason: str):
        super().__init__(f"{logical_id} ({resource_type}): {reason}")
        self.logical_id, self.resource_type, self.action, self.reason = logical_id, resource_type, action, reason


def _reason(error: Exception) -> str:
    """A readable reason for an exception raised by moto (its API errors carry a message)."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return f"{type(error).__name__}: {message}"


def _gone(error: Exception) -> bool:
    """moto's 'not found' errors (the thing to delete is already gone)."""
    return "NotFound" in type(error).__name__ or getattr(error, "code", None) == 404


# Methods of an OpenAPI path item (the other keys are parameters, summaries, extensions).
OPENAPI_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method"}
# Lambda function names deleted by a stack, so the edge can stop their instances.
_EDGE_URL: list[str] = []


def _openapi_security(doc: dict, op: dict) -> tuple[str, bool]:
    """(authorizationType, apiKeyRequired) of an operation: IAM (`x-amazon-apigateway-authtype: awsSigv4`) and
    API keys are modelled by the local data plane; an authorizer is refused rather than silently left open."""
    schemes = (doc.get("components") or {}).get("securitySchemes") or doc.get("securityDefinitions") or {}
    auth, api_key = "NONE", False
    for requirement in op.get("security", doc.get("security")) or []:
        for name in requirement:
            scheme = schemes.get(name) or {}
            if scheme.get("x-amazon-apigateway-authorizer") or scheme.get("x-amazon-apigateway-authtype") not in (
                None, "awsSigv4"
            ):
                raise NotImplementedError(
                    f"security scheme `{name}` is an authorizer; the local cloud does not run authorizers yet"
                )
            if scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
                auth = "AWS_IAM"
            elif scheme.get("type") == "apiKey":
                api_key = True
            else:
                raise NotImplementedError(f"security scheme `{name}` is not supported by the local cloud")
    return auth, api_key


def _resource_for_path(backend, api, path: str):
    """The API's resource for `path`, creating it and its missing ancestors."""
    resource = api.get_resource_for_path("/")
    current = ""
    for part in [p for p in path.split("/") if p]:
        current += "/" + part
        found = api.get_resource_for_path(current)
        resource = found or backend.create_resource(api.id, resource.id, part)
    return resource


def import_openapi(backend, api, doc: dict) -> None:
    """Imports an OpenAPI/Swagger `Body` into `api` the way API Gateway does: resources, methods (with IAM or API
    key requirements), integrations (uppercased types; `connectionId` and `integrationTarget`, which moto's
    integrations do not have, kept on them and answered by `Integration.to_json`), integration and method
    responses, binary media types and gateway responses. moto's own `put_rest_api` breaks on path-level
    `parameters` and on the root path, and drops those fields."""
    for path in sorted(doc.get("paths") or {}):
        item = doc["paths"][path] or {}
        resource = _resource_for_path(backend, api, path)
        shared_params = item.get("parameters") or []
        for key, op in item.items():
            if key.lower() not in OPENAPI_METHODS or not isinstance(op, dict):
                continue
            verb = "ANY" if key.lower() == "x-amazon-apigateway-any-method" else key.upper()
            auth, api_key = _openapi_security(doc, op)
            request_params = {
                f"method.request.{'querystring' if p['in'] == 'query' else p['in']}.{p['name']}": bool(p.get("required"))
                for p in shared_params + (op.get("parameters") or [])
                if isinstance(p, dict) and p.get("in") in ("path", "query", "header") and p.get("name")
            }
            backend.put_method(api.id, resource.id, verb, auth, api_key_required=api_key,
                               request_parameters=request_params or None)
            for code in op.get("responses") or {}:
                backend.put_method_response(api.id, resource.id, verb, str(code), None, None)
            integ = op.get("x-amazon-apigateway-integration")
            if not integ:
                continue
            args = backend._build_integration_args(integ)
            args = {k: v for k, v in args.items() if v is not None}
            args["integration_type"] = str(args.get("integration_type", "")).upper()
            if "connection_type" in args:
                args["connection_type"] = str(args["connection_type"]).upper()
            integration = backend.put_integration(
                function_id=api.id, resource_id=resource.id, method_type=verb,
                uri=args.pop("uri", None), integration_method=args.pop("integration_method", None), **args,
            )
            integration.connection_id = integ.get("connectionId")
            integration.integration_target = integ.get("integrationTarget")
            for response in backend._build_integration_responses_args(integ):
                backend.put_integration_response(
                    function_id=api.id, resource_id=resource.id, method_type=verb,
                    **{k: v for k, v in response.items() if v is not None},
                )
    for media_type in doc.get("x-amazon-apigateway-binary-media-types") or []:
        if media_type not in api.binaryMediaTypes:
            api.binaryMediaTypes.append(media_type)
    for response_type, response in (doc.get("x-amazon-apigateway-gateway-responses") or {}).items():
        backend.put_gateway_response(
            api.id, response_type, response.get("statusCode"), response.get("responseParameters"),
            response.get("responseTemplates"),
        )


def _openapi_body(props: dict):
    if "BodyS3Location" in props:
        raise NotImplementedError("BodyS3Location is not supported by the local cloud: inline the definition as Body")
    body = props.get("Body")
    if isinstance(body, str):
        import yaml

        body = yaml.safe_load(body)
    return body


def _tags(tags) -> dict:
    if isinstance(tags, list):
        return {t["Key"]: t["Value"] for t in tags}
    return dict(tags or {})


def patch_rest_api_cloudformation() -> None:
    """AWS::ApiGateway::RestApi: `Name` optional (the Body's `info.title`, as on AWS), `Body` imported, updates in
    place (the Body re-imported), deletion supported; Deployments get a physical id and are deletable."""
    from moto.apigateway.models import Deployment, Integration, RestAPI, apigateway_backends

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        body = _openapi_body(props)
        info = (body or {}).get("info") or {}
        backend = apigateway_backends[account_id][region_name]
        config = props.get("EndpointConfiguration")
        policy = props.get("Policy")
        api = backend.create_rest_api(
            name=props.get("Name") or info.get("title") or kwargs.get("LogicalId") or resource_name,
            description=props.get("Description") or info.get("description") or "",
            api_key_source=props.get("ApiKeySourceType"),
            endpoint_configuration={"types": config["Types"]} if config and config.get("Types") else None,
            tags=_tags(props.get("Tags")) or None,
            policy=json.dumps(policy) if isinstance(policy, dict) else policy,
            minimum_compression_size=props.get("MinimumCompressionSize"),
            disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"),
        )
        api.binaryMediaTypes = list(props.get("BinaryMediaTypes") or [])
        if body:
            import_openapi(backend, api, body)
        return api

    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        body = _openapi_body(props)
        api = original_resource
        backend = apigateway_backends[account_id][region_name]
        api.name = props.get("Name") or ((body or {}).get("info") or {}).get("title") or api.name
        api.description = props.get("Description") or api.description
        api.binaryMediaTypes = list(props.get("BinaryMediaTypes") or [])
        if body is not None:
            api.resources = {}
            api.default = api.add_child("/")
            api.root_resource_id = api.default.id
            api.gateway_responses = {}
            import_openapi(backend, api, body)
        return api

    def delete_api(self, account_id, region_name):
        apigateway_backends[account_id][region_name].apis.pop(self.id, None)

    RestAPI.create_from_cloudformation_json = classmethod(create)
    RestAPI.update_from_cloudformation_json = classmethod(update)
    RestAPI.delete = delete_api

    original_deployment = Deployment.create_from_cloudformation_json.__func__

    def create_deployment(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        deployment = original_deployment(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        deployment.rest_api_id = cloudformation_json["Properties"]["RestApiId"]
        return deployment

    def delete_deployment(self, account_id, region_name):
        try:
            apigateway_backends[account_id][region_name].delete_deployment(self.rest_api_id, self.id)
        except Exception as e:  # the API went first: its deployments went with it
            if not _gone(e):
                raise

    Deployment.create_from_cloudformation_json = classmethod(create_deployment)
    Deployment.physical_resource_id = property(lambda self: self.id)
    Deployment.delete = delete_deployment

    original_to_json = Integration.to_json

    def to_json(self):
        out = original_to_json(self)
        for attr, key in (("connection_id", "connectionId"), ("integration_target", "integrationTarget")):
            if getattr(self, attr, None):
                out[key] = getattr(self, attr)
        return out

    Integration.to_json = to_json


def define_stage_model():
    """AWS::ApiGateway::Stage, which moto 5.2.1 does not model (a stack 'creates' it and nothing exists)."""
    from moto.apigateway.models import apigateway_backends
    from moto.core.common_models import CloudFormationModel

    class CfnStage(CloudFormationModel):
        __module__ = "moto.apigateway.models"  # moto's model registry files a model under its module's service

        def __init__(self, rest_api_id: str, name: str):
            self.rest_api_id, self.name = rest_api_id, name

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @staticmethod
        def cloudformation_name_type() -> str:
            return "StageName"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::ApiGateway::Stage"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return False

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                            **kwargs):
            props = cloudformation_json["Properties"]
            backend = apigateway_backends[account_id][region_name]
            name = props.get("StageName") or resource_name
            backend.create_stage(
                props["RestApiId"], name, props.get("DeploymentId"),
                variables=props.get("Variables") or {}, description=props.get("Description", ""),
                cacheClusterEnabled=props.get("CacheClusterEnabled"), cacheClusterSize=props.get("CacheClusterSize"),
                tags=_tags(props.get("Tags")) or None, tracing_enabled=props.get("TracingEnabled"),
            )
            return cls(props["RestApiId"], name)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                            account_id, region_name):
            props = cloudformation_json["Properties"]
            if props.get("StageName", original_resource.name) != original_resource.name or (
                props["RestApiId"] != original_resource.rest_api_id
            ):
                original_resource.delete(account_id, region_name)
                return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                           region_name)
            stage = apigateway_backends[account_id][region_name].get_stage(original_resource.rest_api_id,
                                                                            original_resource.name)
            stage.deployment_id = props.get("DeploymentId")
            stage.variables = props.get("Variables") or {}
            stage.description = props.get("Description", "")
            return original_resource

        def delete(self, account_id, region_name):
            try:
                apigateway_backends[account_id][region_name].delete_stage(self.rest_api_id, self.name)
            except Exception as e:
                if not _gone(e):
                    raise

    return CfnStage


def patch_lambda_cloudformation() -> None:
    """AWS::Lambda::Function keeps `LoggingConfig`, `Architectures` and `Tags`, and its deletion stops the
    function's instances on the edge; AWS::Lambda::Permission gets a statement id and is deletable."""
    from moto.awslambda.models import LambdaFunction, Permission, lambda_backends

    original_function = LambdaFunction.create_from_cloudformation_json.__func__

    def create_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        fn = original_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json["Properties"]
        if props.get("LoggingConfig"):
            fn.update_configuration({"LoggingConfig": props["LoggingConfig"]})
        if props.get("Architectures"):
            fn.architectures = props["Architectures"]
        fn.tags.update(_tags(props.get("Tags")))
        return fn

    original_delete = LambdaFunction.delete

    def delete_function(self, account_id, region):
        original_delete(self, account_id, region)
        for edge in _EDGE_URL:
            url = f"{edge}/_local/lambda/functions/{urllib.parse.quote(self.function_name, safe='')}/instances"
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
            if not _gone(e) and "Unknown" not in type(e).__name__:
                raise

    Permission.create_from_cloudformation_json = classmethod(create_permission)
    Permission.physical_resource_id = property(lambda self: getattr(self, "sid", ""))
    Permission.delete = delete_permission


def patch_cloudformation_failures(pinned: str) -> None:
    """Stacks fail like AWS's: an unmodelled type or a raising resource is a *_FAILED event naming the resource
    and a CREATE_FAILED / UPDATE_FAILED / DELETE_FAILED stack (moto skips the first silently and answers the
    second with HTTP 500, leaving a half-made stack); each resource created gets a CREATE_COMPLETE event. Types
    whose update moto cannot do in place are replaced when stateless, else the update fails."""
    from moto.cloudformation import models as cfn, parsing

    replaceable = {"AWS::Lambda::Permission", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Method",
                   "AWS::Logs::LogGroup"}

    def stack_of(resources_map):
        backend = cfn.cloudformation_backends[resources_map._account_id][resources_map._region_name]
        return backend.stacks.get(resources_map.stack_id)

    def add_event(stack, logical_id, resource_type, status, reason=None, physical_id=""):
        if stack is None:
            return
        stack.events.append(cfn.Event(
            stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical_id,
            physical_resource_id=physical_id or "", resource_type=resource_type, resource_status=status,
            resource_status_reason=reason, resource_properties=None,
        ))

    def unsupported(resource_type: str) -> bool:
        return (resource_type not in parsing.NULL_MODELS and not resource_type.startswith("Custom::")
                and resource_type not in parsing.get_model_map())

    original_create = parsing.parse_and_create_resource
    original_update = parsing.parse_and_update_resource

    def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
        resource_type = resource_json.get("Type", "")
        condition = resource_json.get("Condition")
        if condition and not resources_map.lazy_condition_map[condition]:
            return None
        if unsupported(resource_type):
            raise ResourceFailed(logical_id, resource_type, "CREATE",
                                 f"{resource_type} is not supported by the local cloud (moto {pinned}'s "
                                 "CloudFormation does not model it); see docs/local-cloud.md")
        try:
            resource = original_create(logical_id, resource_json, resources_map, account_id, region_name)
        except ResourceFailed:
            raise
        except Exception as e:
            raise ResourceFailed(logical_id, resource_type, "CREATE", _reason(e)) from e
        add_event(stack_of(resources_map), logical_id, resource_type, "CREATE_COMPLETE",
                  physical_id=getattr(resource, "physical_resource_id", ""))
        return resource

    def parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):
        resource_type = resource_json.get("Type", "")
        cls = parsing.resource_class_from_type(resource_type)
        try:
            if cls is not None and hasattr(cls.update_from_cloudformation_json, "__isabstractmethod__"):
                if resource_type not in replaceable:
                    raise ResourceFailed(logical_id, resource_type, "UPDATE",
                                         f"updating {resource_type} is not supported by the local cloud: destroy "
                                         "the deployment and deploy again")
                old = resources_map._parsed_resources.pop(logical_id, None)
                if old is not None:
                    resources_map._delete_resource(old, resources_map._resource_json_map.get(logical_id, resource_json))
                resources_map._resource_json_map[logical_id] = resource_json
                resource = original_create(logical_id, resource_json, resources_map, account_id, region_name)
            else:
                resource = original_update(logical_id, resource_json, resources_map, account_id, region_name)
        except ResourceFailed:
            raise
        except Exception as e:
            raise ResourceFailed(logical_id, resource_type, "UPDATE", _reason(e)) from e
        add_event(stack_of(resources_map), logical_id, resource_type, "UPDATE_COMPLETE",
                  physical_id=getattr(resource, "physical_resource_id", ""))
        return resource

    parsing.parse_and_create_resource = parse_and_create_resource
    parsing.parse_and_update_resource = parse_and_update_resource

    original_delete_resource = parsing.ResourceMap._delete_resource

    def _delete_resource(self, parsed_resource, resource_json):
        try:
            original_delete_resource(self, parsed_resource, resource_json)
        except Exception as e:
            raise ResourceFailed(getattr(parsed_resource, "logical_resource_id", "?"), resource_json.get("Type", ""),
                                 "DELETE", _reason(e)) from e

    parsing.ResourceMap._delete_resource = _delete_resource

    original_validate_outputs = parsing.ResourceMap.validate_outputs

    def validate_outputs(self):
        try:
            original_validate_outputs(self)
        except AttributeError:
            pass  # an output reads an attribute of a type moto does not model: that resource fails the stack

    parsing.ResourceMap.validate_outputs = validate_outputs

    def fail(stack, failed: ResourceFailed, stack_status: str):
        add_event(stack, failed.logical_id, failed.resource_type, f"{failed.action}_FAILED", failed.reason)
        stack.status = stack_status
        stack._add_stack_event(stack_status, resource_status_reason=(
            f"The following resource(s) failed to {failed.action.lower()}: [{failed.logical_id}]."))
        print(f"stack {stack.name}: {failed}", file=sys.stderr, flush=True)

    original_create_resources = cfn.Stack.create_resources
    original_stack_update = cfn.Stack.update

    def create_resources(self):
        try:
            original_create_resources(self)
        except ResourceFailed as failed:
            fail(self, failed, "CREATE_FAILED")

    def update(self, template, role_arn=None, parameters=None, tags=None):
        try:
            original_stack_update(self, template, role_arn, parameters, tags)
        except ResourceFailed as failed:
            fail(self, failed, "UPDATE_FAILED")

    cfn.Stack.create_resources = create_resources
    cfn.Stack.update = update

    # Listing a stack's resources or outputs must not create the resources a failed stack never reached (moto's
    # resource map creates what it is asked for, lazily).
    def stack_resources(self):
        rm = self.resource_map
        return [r for k, r in rm._parsed_resources.items()
                if k in rm._resource_json_map and r is not None and not isinstance(r, (str, int, float, list, dict))]

    original_outputs = cfn.Stack.outputs.fget

    def outputs(self):
        if not self.status.endswith("_COMPLETE") or self.status.startswith("DELETE"):
            return None
        return original_outputs(self)

    cfn.Stack.stack_resources = property(stack_resources)
    cfn.Stack.outputs = property(outputs)

    original_delete_stack = cfn.CloudFormationBackend.delete_stack

    def delete_stack(self, name_or_stack_id):
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None)
        try:
            original_delete_stack(self, name_or_stack_id)
        except ResourceFailed as failed:
            # moto already took the stack out of its list: put it back, failed, as AWS keeps a DELETE_FAILED stack
            if stack is not None:
                self.stacks[stack.stack_id] = stack
                fail(stack, failed, "DELETE_FAILED")

    cfn.CloudFormationBackend.delete_stack = delete_stack


def cidr_blocks(ip_block: str, count, cidr_bits) -> list[str]:
    """`Fn::Cidr`: the first `count` subnets of `ip_block` with `cidr_bits` host bits, as CloudFormation computes
    them (IPv4 and IPv6 alike)."""
    import ipaddress

    network = ipaddress.ip_network(ip_block, strict=False)
    count, cidr_bits = int(count), int(cidr_bits)
    new_prefix = network.max_prefixlen - cidr_bits
    if not 1 <= count <= 256 or new_prefix < network.prefixlen:
        raise ValueError(f"Fn::Cidr cannot cut {count} blocks of {cidr_bits} host bits from {ip_block}")
    blocks = []
    for subnet in network.subnets(new_prefix=new_prefix):
        blocks.append(str(subnet))
        if len(blocks) == count:
            return blocks
    raise ValueError(f"Fn::Cidr: {ip_block} holds fewer than {count} blocks of {cidr_bits} host bits")


def patch_cloudformation_functions() -> None:
    """Intrinsic functions moto 5.2.1 leaves unevaluated: `Fn::Cidr` (moto passes the object on, and the
    `Fn::Select` around it fails with KeyError)."""
    from moto.cloudformation import parsing

    original = parsing.clean_json

    def clean_json(resource_json, resources_map):
        if isinstance(resource_json, dict) and "Fn::Cidr" in resource_json:
            ip_block, count, cidr_bits = (clean_json(arg, resources_map) for arg in resource_json["Fn::Cidr"])
            return cidr_blocks(ip_block, count, cidr_bits)
        return original(resource_json, resources_map)

    parsing.clean_json = clean_json  # moto's own recursion looks the name up in the module, so it reaches ours


def define_vpc_link_v2_model():
    """AWS::ApiGatewayV2::VpcLink (the VPC link v2 that HTTP APIs and, with an integration target, REST APIs use),
    which moto 5.2.1's CloudFormation does not model although its API does."""
    from moto.apigatewayv2.models import apigatewayv2_backends
    from moto.core.common_models import CloudFormationModel

    class CfnVpcLinkV2(CloudFormationModel):
        __module__ = "moto.apigatewayv2.models"  # filed under the apigatewayv2 service, like moto's own models

        def __init__(self, link_id: str):
            self.id = link_id

        @property
        def physical_resource_id(self) -> str:
            return self.id

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::ApiGatewayV2::VpcLink"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "VpcLinkId"

        def get_cfn_attribute(self, attribute_name: str):
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            if attribute_name == "VpcLinkId":
                return self.id
            raise UnformattedGetAttTemplateException()

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                            **kwargs):
            props = cloudformation_json["Properties"]
            link = apigatewayv2_backends[account_id][region_name].create_vpc_link(
                name=props.get("Name") or resource_name, sg_ids=list(props.get("SecurityGroupIds") or []),
                subnet_ids=list(props["SubnetIds"]), tags=_tags(props.get("Tags")),
            )
            return cls(link.id)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                            account_id, region_name):
            props = cloudformation_json["Properties"]
            backend = apigatewayv2_backends[account_id][region_name]
            link = backend.get_vpc_link(original_resource.id)
            if sorted(props["SubnetIds"]) != sorted(link.subnet_ids) or sorted(
                props.get("SecurityGroupIds") or []
            ) != sorted(link.sg_ids):  # as on AWS, only the name changes in place
                original_resource.delete(account_id, region_name)
                return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                           region_name)
            backend.update_vpc_link(original_resource.id, name=props.get("Name") or link.name)
            return original_resource

        def delete(self, account_id, region_name):
            apigatewayv2_backends[account_id][region_name].delete_vpc_link(self.id)

    return CfnVpcLinkV2


def patch_method_cloudformation() -> None:
    """AWS::ApiGateway::Method as CloudFormation creates it: moto 5.2.1 keeps only the integration's type, URI and
    HTTP method, so a private integration lost its connection (`ConnectionType`, `ConnectionId`,
    `IntegrationTarget`) and a proxy resource its parameter mapping. Here the method gets its request parameters,
    authorization and responses, the integration every field (the connection fields kept on it as the OpenAPI
    import keeps them, so GetIntegration and the data plane see them), and the method is deletable."""
    from moto.apigateway.models import Method, apigateway_backends

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        api_id, resource_id, verb = props["RestApiId"], props["ResourceId"], props["HttpMethod"].upper()
        method = backend.put_method(
            api_id, resource_id, verb, props.get("AuthorizationType", "NONE"),
            api_key_required=bool(props.get("ApiKeyRequired")),
            request_parameters=props.get("RequestParameters"), request_models=props.get("RequestModels"),
            operation_name=props.get("OperationName"), authorizer_id=props.get("AuthorizerId"),
            authorization_scopes=props.get("AuthorizationScopes"),
            request_validator_id=props.get("RequestValidatorId"),
        )
        for response in props.get("MethodResponses") or []:
            backend.put_method_response(api_id, resource_id, verb, str(response["StatusCode"]),
                                        response.get("ResponseModels"), response.get("ResponseParameters"))
        integ = props.get("Integration")
        if integ:
            timeout = integ.get("TimeoutInMillis")
            integration = backend.put_integration(
                api_id, resource_id, verb, str(integ["Type"]).upper(), integ.get("Uri"),
                integ.get("IntegrationHttpMethod"), credentials=integ.get("Credentials"),
                request_templates=integ.get("RequestTemplates"),
                passthrough_behavior=integ.get("PassthroughBehavior"), cache_namespace=integ.get("CacheNamespace"),
                timeout_in_millis=int(timeout) if timeout is not None else None,
                request_parameters=integ.get("RequestParameters"), content_handling=integ.get("ContentHandling"),
                connection_type=integ.get("ConnectionType"),
            )
            integration.cache_key_parameters = list(integ.get("CacheKeyParameters") or [])
            integration.connection_id = integ.get("ConnectionId")
            integration.integration_target = integ.get("IntegrationTarget")
            for response in integ.get("IntegrationResponses") or []:
                backend.put_integration_response(
                    api_id, resource_id, verb, str(response["StatusCode"]), response.get("SelectionPattern"),
                    response.get("ResponseTemplates"), response.get("ResponseParameters"),
                    response.get("ContentHandling"),
                )
        method.rest_api_id, method.resource_id = api_id, resource_id
        return method

    def delete(self, account_id, region_name):
        try:
            apigateway_backends[account_id][region_name].delete_method(self.rest_api_id, self.resource_id,
                                                                       self.http_method)
        except Exception as e:  # the API or the resource went first, and the method with it
            if not _gone(e):
                raise

    Method.create_from_cloudformation_json = classmethod(create)
    Method.physical_resource_id = property(
        lambda self: f"{getattr(self, 'rest_api_id', '')}-{getattr(self, 'resource_id', '')}-{self.http_method}")
    Method.delete = delete


def patch_elbv2_cloudformation() -> None:
    """ELBv2 resources as CloudFormation creates them: moto 5.2.1 drops a load balancer's `Type` (an NLB became an
    ALB), `LoadBalancerAttributes`, `IpAddressType` and `Tags`, a target group's `Targets`, `HealthCheckEnabled`,
    `TargetGroupAttributes` and `Tags`, and never deletes target groups, listeners or listener rules."""
    from moto.elbv2.models import FakeListener, FakeListenerRule, FakeLoadBalancer, FakeTargetGroup, elbv2_backends

    def create_load_balancer(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = elbv2_backends[account_id][region_name]
        lb = backend.create_load_balancer(
            resource_name, props.get("SecurityGroups") or [], props.get("Subnets") or [],
            subnet_mappings=props.get("SubnetMappings"), scheme=props.get("Scheme", "internet-facing"),
            loadbalancer_type=props.get("Type", "application"), ip_address_type=props.get("IpAddressType", "ipv4"),
            tags=props.get("Tags") or None,
        )
        attributes = {a["Key"]: str(a["Value"]) for a in props.get("LoadBalancerAttributes") or []}
        if attributes:
            backend.modify_load_balancer_attributes(lb.arn, attributes)
        return lb

    original_target_group = FakeTargetGroup.create_from_cloudformation_json.__func__

    def create_target_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = elbv2_backends[account_id][region_name]
        group = original_target_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        if "HealthCheckEnabled" in props:
            group.health_check_enabled = str(props["HealthCheckEnabled"]).lower() == "true"
        attributes = {a["Key"]: str(a["Value"]) for a in props.get("TargetGroupAttributes") or []}
        if attributes:
            backend.modify_target_group_attributes(group.arn, attributes)
        if props.get("Tags"):
            backend.add_tags([group.arn], props["Tags"])
        targets = [{k: v for k, v in t.items() if k in ("Id", "Port", "AvailabilityZone")}
                   for t in props.get("Targets") or []]
        if targets:
            backend.register_targets(group.arn, targets)
        return group

    def deleter(delete_call):
        def delete(self, account_id, region_name):
            try:
                delete_call(elbv2_backends[account_id][region_name], self.arn)
            except Exception as e:  # its load balancer went first, and took it along
                if not _gone(e):
                    raise
        return delete

    FakeLoadBalancer.create_from_cloudformation_json = classmethod(create_load_balancer)
    FakeTargetGroup.create_from_cloudformation_json = classmethod(create_target_group)
    FakeTargetGroup.delete = deleter(lambda backend, arn: backend.delete_target_group(arn))
    FakeListener.delete = deleter(lambda backend, arn: backend.delete_listener(arn))
    FakeListenerRule.delete = deleter(lambda backend, arn: backend.delete_rule(arn))


def patch_security_group_cloudformation() -> None:
    """AWS::EC2::SecurityGroup keeps `SecurityGroupEgress`: as on AWS, listing egress rules replaces the default
    allow-all rule (moto 5.2.1 ignores the property, so every group kept allow-all egress)."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.security_groups import SecurityGroup

    original = SecurityGroup.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        group = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        rules = cloudformation_json["Properties"].get("SecurityGroupEgress")
        if not rules:
            return group
        backend = ec2_backends[account_id][region_name]
        backend.revoke_security_group_egress(group.id, "-1", None, None, [{"CidrIp": "0.0.0.0/0"}],
                                             vpc_id=group.vpc_id)
        for rule in rules:
            ranges = [{"CidrIp": rule["CidrIp"], "Description": rule.get("Description", "")}] \
                if rule.get("CidrIp") else []
            ranges += [{"CidrIpv6": rule["CidrIpv6"], "Description": rule.get("Description", "")}] \
                if rule.get("CidrIpv6") else []
            target = rule.get("DestinationSecurityGroupId")
            backend.authorize_security_group_egress(
                group.id, str(rule["IpProtocol"]), rule.get("FromPort"), rule.get("ToPort"), ranges,
                source_groups=[{"GroupId": target, "Description": rule.get("Description", "")}] if target else [],
                prefix_list_ids=[{"PrefixListId": rule["DestinationPrefixListId"]}]
                if rule.get("DestinationPrefixListId") else [],
                vpc_id=group.vpc_id,
            )
        return group

    SecurityGroup.create_from_cloudformation_json = classmethod(create)


def patch_s3_bucket_cloudformation() -> None:
    """AWS::S3::Bucket keeps `NotificationConfiguration` (Lambda, SQS and SNS targets; a SAM `S3` event becomes
    one), `PublicAccessBlockConfiguration` and `OwnershipControls`: moto 5.2.1 ignores the three, so a bucket made
    by a stack notified nothing and was not private."""
    from moto.s3.models import FakeBucket, s3_backends
    from moto.utilities.utils import get_partition

    original = FakeBucket.create_from_cloudformation_json.__func__
    targets = (  # CloudFormation list, its target property, moto's (API) list and target key
        ("LambdaConfigurations", "Function", "CloudFunctionConfiguration", "CloudFunction"),
        ("QueueConfigurations", "Queue", "QueueConfiguration", "Queue"),
        ("TopicConfigurations", "Topic", "TopicConfiguration", "Topic"),
    )

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        bucket = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id][get_partition(region_name)]
        notifications = props.get("NotificationConfiguration") or {}
        config = {}
        for cfn_list, cfn_target, api_list, api_target in targets:
            for entry in notifications.get(cfn_list, []):
                item = {api_target: entry[cfn_target], "Event": [entry["Event"]]}
                rules = (entry.get("Filter") or {}).get("S3Key", {}).get("Rules")
                if rules:
                    item["Filter"] = {"S3Key": {"FilterRule": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
                config.setdefault(api_list, []).append(item)
        if config:
            backend.put_bucket_notification_configuration(bucket.name, config)
        if props.get("PublicAccessBlockConfiguration"):
            backend.put_public_access_block(bucket.name, props["PublicAccessBlockConfiguration"])
        rules = (props.get("OwnershipControls") or {}).get("Rules") or []
        if rules:
            backend.put_bucket_ownership_controls(bucket.name, rules[0]["ObjectOwnership"])
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create)


def patch_internet_routing_cloudformation() -> None:
    """DeleteStack removes what a public subnet needs: moto 5.2.1 has no delete for AWS::EC2::InternetGateway,
    VPCGatewayAttachment, RouteTable, Route and SubnetRouteTableAssociation, so they stayed and their VPC failed
    to delete (DependencyViolation). moto's delete loop retries a resource whose dependents are still there."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.subnets import SubnetRouteTableAssociation
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

    def backend(account_id, region_name):
        return ec2_backends[account_id][region_name]

    def delete_attachment(self, account_id, region_name):
        ec2 = backend(account_id, region_name)
        if str(self.gateway_id).startswith("igw-"):
            igw = ec2.internet_gateways.get(self.gateway_id)
            if igw is not None and igw.vpc is not None and igw.vpc.id == self.vpc_id:
                ec2.detach_internet_gateway(self.gateway_id, self.vpc_id)
        elif self.gateway_id in getattr(ec2, "vpn_gateways", {}):
            ec2.detach_vpn_gateway(self.gateway_id, self.vpc_id)

    def delete_gateway(self, account_id, region_name):
        if self.id in backend(account_id, region_name).internet_gateways:
            backend(account_id, region_name).delete_internet_gateway(self.id)

    def delete_association(self, account_id, region_name):
        table = backend(account_id, region_name).route_tables.get(self.route_table_id)
        for association_id, subnet_id in list(getattr(table, "_associations", {}).items()):
            if subnet_id == self.subnet_id:
                backend(account_id, region_name).disassociate_route_table(association_id)

    def delete_route(self, account_id, region_name):
        if self.route_table.id in backend(account_id, region_name).route_tables:
            backend(account_id, region_name).delete_route(
                self.route_table.id, self.destination_cidr_block, self.destination_ipv6_cidr_block)

    def delete_table(self, account_id, region_name):
        if self.id in backend(account_id, region_name).route_tables:
            backend(account_id, region_name).delete_route_table(self.id)

    VPCGatewayAttachment.delete = delete_attachment
    InternetGateway.delete = delete_gateway
    SubnetRouteTableAssociation.delete = delete_association
    Route.delete = delete_route
    RouteTable.delete = delete_table


def patch_event_bus_cloudformation() -> None:
    """`!Ref` of an AWS::Events::EventBus is its name on AWS; moto 5.2.1's EventBus has no physical resource id, so
    a Ref resolved to the model object itself (a rule on the bus failed with "'EventBus' object has no attribute
    'split'")."""
    from moto.events.models import EventBus

    if not hasattr(EventBus, "physical_resource_id"):
        EventBus.physical_resource_id = property(lambda self: self.name)


def patch_cloudformation(edge_url: str, pinned: str) -> None:
    """Everything moto's CloudFormation lacks for our patterns; must run before moto builds its model map."""
    from moto.cloudformation import parsing

    _EDGE_URL.append(edge_url)
    define_stage_model()
    define_vpc_link_v2_model()
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()  # the map is built from CloudFormationModel's subclasses: include ours
    patch_cloudformation_functions()
    patch_event_bus_cloudformation()
    patch_s3_bucket_cloudformation()
    patch_internet_routing_cloudformation()
    patch_rest_api_cloudformation()
    patch_method_cloudformation()
    patch_lambda_cloudformation()
    patch_elbv2_cloudformation()
    patch_security_group_cloudformation()
    patch_cloudformation_failures(pinned)


class LocalRoutes:
    """WSGI middleware: our `/_local/...` routes in front of moto's own dispatcher."""

    CODE = re.compile(r"^/_local/lambda/functions/(?P<fn>[^/]+)/code$")

    def __init__(self, app, moto_version: str, region: str):
        self.app, self.moto_version, self.region = app, moto_version, region

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_local/"):
            return self.app(environ, start_response)
        if environ["REQUEST_METHOD"] == "GET" and path == "/_local/health":
            return self.json(start_response, "200 OK", {"moto_version": self.moto_version, "pid": os.getpid()})
        m = self.CODE.match(path)
        if environ["REQUEST_METHOD"] == "GET" and m:
            return self.function_code(environ, start_response, urllib.parse.unquote(m["fn"]))
        return self.json(start_response, "404 Not Found", {"message": f"no local route {path}"})

    def function_code(self, environ, start_response, name_or_arn):
        from moto.awslambda.utils import get_backend
        from moto.core import DEFAULT_ACCOUNT_ID

        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        arn = name_or_arn.split(":")
        account, region = (arn[4], arn[3]) if name_or_arn.startswith("arn:") else (DEFAULT_ACCOUNT_ID, self.region)
        try:
            fn = get_backend(account, region).get_function(name_or_arn, query.get("qualifier", [None])[0])
        except Exception:  # moto raises UnknownFunctionException (and others for malformed ARNs)
            return self.json(start_response, "404 Not Found", {"message": f"Function not found: {name_or_arn}"})
        code = getattr(fn, "code_bytes", b"")
        if not code:
            msg = f"function {name_or_arn} has no zip code (package type {fn.package_type})"
            return self.json(start_response, "404 Not Found", {"message": msg})
        headers = [("content-type", "application/zip"), ("content-length", str(len(code))),
                   ("x-code-sha256", fn.code_sha_256), ("x-function-arn", fn.function_arn)]
        start_response("200 OK", headers)
        return [code]

    @staticmethod
    def json(start_response, status, body):
        data = json.dumps(body).encode()
        start_response(status, [("content-type", "application/json"), ("content-length", str(len(data)))])
        return [data]


def main() -> None:
    moto_version = check_moto_version()
    args = parse_args()
    # Read by moto when its modules load (IAM) or when it calls itself (Step Functions' boto clients).
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

    from werkzeug.serving import make_server
    from moto.core.config import default_user_config
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    default_user_config["stepfunctions"]["execute_state_machine"] = True
    patch_lambda(args.edge_url)
    patch_eventbridge(args.edge_url)
    patch_elbv2_scheme_default()
    patch_lambda_logging_config()
    patch_cloudformation(args.edge_url, PINNED_MOTO)

    app = LocalRoutes(DomainDispatcherApplication(create_backend_app), moto_version, args.region)
    # Port 0: the OS picks a free one, which the start-up line below reports (race-free, unlike picking first).
    server = make_server(args.host, args.port, app, threaded=True)
    os.environ["MOTO_PORT"] = str(server.port)  # read when moto builds URLs (SQS queue URLs, its own clients)

    def stop(*_):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        def watch_stdin():
            sys.stdin.buffer.read()  # returns at EOF: the daemon closed the pipe or died
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"moto {moto_version} on http://{args.host}:{server.port}, Lambda invocations to {args.edge_url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
