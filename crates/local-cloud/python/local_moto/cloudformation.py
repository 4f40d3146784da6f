"""CloudFormation's generic stack machinery: stacks fail like AWS's (a `*_FAILED` event naming the resource instead
of a silent skip or an HTTP 500), every resource gets its `*_COMPLETE` event, `Fn::Cidr` is evaluated, a number or
boolean written where the resource's schema says String is turned into a string (`STRING_PROPERTIES`), and moto's
model map is rebuilt with the models the service modules define, only the newest `DELETED_STACKS_KEPT` deleted
stacks are kept, and a `TemplateURL` in the path-style form of the local cloud's S3 endpoint is read. What a
service's resources need is in that service's module, as moto puts `create_from_cloudformation_json` on the
service's model; this one runs last."""

import ipaddress
import sys
import urllib.parse

from moto.cloudformation import models as cfn, parsing, responses as cfn_responses, utils as cfn_utils

from local_moto.common import Context

# Deleted stacks kept per account and region (the oldest go first); documented in docs/local-cloud.md.
DELETED_STACKS_KEPT = 50

# Properties typed String in CloudFormation's resource schemas, of the resource types our patterns deploy, where a
# template often writes a number or a boolean (`RUST_BACKTRACE: 1`, `Value: true`): CloudFormation hands the
# service "1" and "true"; moto 5.2.1 passes the number on, and every reader typed by AWS's model (the SDKs, the
# daemon's GetFunction) then fails ("expected ValueString"). A path is dot-separated keys, `*` for every value of
# a map and `[]` for every item of a list. Sources: "Type: Object of String" of Lambda's `Environment.Variables`
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-environment.html),
# a tag's `Value: String` (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html),
# a stage's `Variables` (Object of String), an integration's `RequestParameters`/`RequestTemplates` (Object of
# String), load balancer and target group attributes' `Value` (String), a matcher's `HttpCode` (String).
# The APIs themselves take only strings there (the SDKs and Terraform send strings), so only CloudFormation needs it.
TAG_PATHS = ("Tags.[].Key", "Tags.[].Value", "Tags.*")
STRING_PROPERTIES = {
    "AWS::Lambda::Function": ("Environment.Variables.*",),
    "AWS::ApiGateway::Stage": ("Variables.*",),
    "AWS::ApiGateway::Method": (
        "Integration.RequestParameters.*", "Integration.RequestTemplates.*",
        "Integration.IntegrationResponses.[].StatusCode", "Integration.IntegrationResponses.[].ResponseParameters.*",
        "Integration.IntegrationResponses.[].ResponseTemplates.*", "MethodResponses.[].StatusCode",
    ),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("LoadBalancerAttributes.[].Value",),
    "AWS::ElasticLoadBalancingV2::TargetGroup": ("TargetGroupAttributes.[].Value", "Matcher.HttpCode"),
}


def patch(ctx: Context) -> None:
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()  # the map is built from CloudFormationModel's subclasses: include ours
    patch_functions()
    patch_failures(ctx.pinned)
    patch_deleted_stacks()
    patch_template_urls()


def patch_template_urls() -> None:
    """A `TemplateURL` (CreateStack, UpdateStack, CreateChangeSet, ...) on the local cloud's own S3 endpoint, in
    the path-style form `http://127.0.0.1:4566/<bucket>/<key>?versionId=...` that the SAM CLI builds from
    `AWS_ENDPOINT_URL` (AWS's own forms are `https://<bucket>.s3.<region>.amazonaws.com/<key>` and
    `https://s3.<region>.amazonaws.com/<bucket>/<key>`), is read from that bucket: moto 5.2.1 took the host's
    first label (`127`) for the bucket unless the host said `localhost`."""
    original = cfn_utils.get_stack_from_s3_url

    def get_stack_from_s3_url(template_url: str, account_id: str, partition: str) -> str:
        parts = urllib.parse.urlparse(template_url)
        try:
            ipaddress.ip_address(parts.hostname or "")
        except ValueError:
            return original(template_url, account_id, partition)
        return original(f"http://localhost{parts.path}", account_id, partition)

    cfn_responses.get_stack_from_s3_url = get_stack_from_s3_url
    cfn.get_stack_from_s3_url = get_stack_from_s3_url


def patch_deleted_stacks() -> None:
    """AWS answers DescribeStacks, DescribeStackEvents, ListStackResources and GetTemplate for a deleted stack, by
    its id, for 90 days; moto 5.2.1 keeps every deleted stack for ever, with its template (parsed too), events and
    parameters: about 150 KB per deploy+destroy of the CRUD pattern, never given back. Only the newest
    `DELETED_STACKS_KEPT` are kept; an older one is answered as AWS answers one past its 90 days (a
    ValidationError: the stack does not exist)."""
    original_delete_stack = cfn.CloudFormationBackend.delete_stack

    def delete_stack(self, name_or_stack_id):
        original_delete_stack(self, name_or_stack_id)
        for stack_id in list(self.deleted_stacks)[:-DELETED_STACKS_KEPT or None]:
            del self.deleted_stacks[stack_id]

    cfn.CloudFormationBackend.delete_stack = delete_stack


class ResourceFailed(Exception):
    """One resource of a stack could not be created, updated or deleted: becomes a *_FAILED stack event."""

    def __init__(self, logical_id: str, resource_type: str, action: str, reason: str):
        super().__init__(f"{logical_id} ({resource_type}): {reason}")
        self.logical_id, self.resource_type, self.action, self.reason = logical_id, resource_type, action, reason


def reason_of(error: Exception) -> str:
    """A readable reason for an exception raised by moto (its API errors carry a message)."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return f"{type(error).__name__}: {message}"


def cidr_blocks(ip_block: str, count, cidr_bits) -> list[str]:
    """`Fn::Cidr`: the first `count` subnets of `ip_block` with `cidr_bits` host bits, as CloudFormation computes
    them (IPv4 and IPv6 alike)."""
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


def as_cfn_string(value):
    """A scalar as CloudFormation writes it into a String property: `1` -> "1", `true` -> "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def stringified(value, parts: list[str]):
    """`value` with each scalar at the path `parts` (see `STRING_PROPERTIES`) a string; unchanged elsewhere (an
    intrinsic function not yet evaluated, a property of another shape). Returns new containers, never edits."""
    if not parts:
        return as_cfn_string(value)
    head, rest = parts[0], parts[1:]
    if head == "*" and isinstance(value, dict):
        return {k: stringified(v, rest) for k, v in value.items()}
    if head == "[]" and isinstance(value, list):
        return [stringified(item, rest) for item in value]
    if isinstance(value, dict) and head in value:
        return {**value, head: stringified(value[head], rest)}
    return value


def with_string_properties(resource_json: dict) -> dict:
    """A resource's JSON with its String-typed properties (`STRING_PROPERTIES`, and every type's `Tags`) as
    strings, as CloudFormation passes them to the service."""
    props = resource_json.get("Properties") if isinstance(resource_json, dict) else None
    if not isinstance(props, dict):
        return resource_json
    for path in STRING_PROPERTIES.get(resource_json.get("Type", ""), ()) + TAG_PATHS:
        props = stringified(props, path.split("."))
    return {**resource_json, "Properties": props}


def patch_functions() -> None:
    """Intrinsic functions moto 5.2.1 leaves unevaluated: `Fn::Cidr` (moto passes the object on, and the
    `Fn::Select` around it fails with KeyError)."""
    original = parsing.clean_json

    def clean_json(resource_json, resources_map):
        if isinstance(resource_json, dict) and "Fn::Cidr" in resource_json:
            ip_block, count, cidr_bits = (clean_json(arg, resources_map) for arg in resource_json["Fn::Cidr"])
            return cidr_blocks(ip_block, count, cidr_bits)
        return original(resource_json, resources_map)

    parsing.clean_json = clean_json  # moto's own recursion looks the name up in the module, so it reaches ours


def patch_failures(pinned: str) -> None:
    """Stacks fail like AWS's: an unmodelled type or a raising resource is a *_FAILED event naming the resource
    and a CREATE_FAILED / UPDATE_FAILED / DELETE_FAILED stack (moto skips the first silently and answers the
    second with HTTP 500, leaving a half-made stack); each resource created gets a CREATE_COMPLETE event. Types
    whose update moto cannot do in place are replaced when stateless, else the update fails."""
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
        resource_json = with_string_properties(resource_json)
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
            raise ResourceFailed(logical_id, resource_type, "CREATE", reason_of(e)) from e
        add_event(stack_of(resources_map), logical_id, resource_type, "CREATE_COMPLETE",
                  physical_id=getattr(resource, "physical_resource_id", ""))
        return resource

    def parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):
        resource_json = with_string_properties(resource_json)
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
            raise ResourceFailed(logical_id, resource_type, "UPDATE", reason_of(e)) from e
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
                                 "DELETE", reason_of(e)) from e

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
