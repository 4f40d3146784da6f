"""API Gateway API keys and usage plans (part of the `apigateway` module): CloudFormation `AWS::ApiGateway::ApiKey`,
`UsagePlan` and `UsagePlanKey` (moto 5.2.1 models none: a stack failed on them), a usage plan refused when it names a
stage that does not exist (yet: a template without the dependency fails on AWS), a key refused in a second plan of
the same stage (or twice in one plan: ConflictException), a usage plan's throttle rate kept
as the number it is (moto's UpdateUsagePlan cut `rateLimit` to an integer), and deletions that take their links
along (a deleted usage plan or API key no longer listed among a plan's keys, as on AWS). The local cloud's data
plane reads what these leave in moto: keys with their values, plans with their stages, throttle and quota, and each
plan's keys (`crates/local-cloud/src/apigw/usage.rs`)."""

from moto.apigateway.exceptions import BadRequestException, ConflictException
from moto.apigateway.models import APIGatewayBackend, UsagePlan, apigateway_backends
from moto.core.common_models import CloudFormationModel

from local_moto.common import gone, tags


def patch() -> None:
    original_apply = UsagePlan.apply_patch_operations

    def apply_patch_operations(self, patch_operations):
        # moto stored int(value): a rate of 0.25 requests a second failed (500), 1.5 became 1.
        rate = [op for op in patch_operations
                if op.get("op") in ("add", "replace") and op.get("path") == "/throttle/rateLimit"]
        original_apply(self, [op for op in patch_operations if op not in rate])
        for op in rate:
            self.throttle["rateLimit"] = float(op["value"])

    UsagePlan.apply_patch_operations = apply_patch_operations

    original_create_plan = APIGatewayBackend.create_usage_plan

    def create_usage_plan(self, payload):
        for stage in payload.get("apiStages") or []:
            check_stage(self, stage.get("apiId"), stage.get("stage"), payload.get("name"))
        return original_create_plan(self, payload)

    APIGatewayBackend.create_usage_plan = create_usage_plan

    original_update_plan = APIGatewayBackend.update_usage_plan

    def update_usage_plan(self, usage_plan_id, patch_operations):
        for op in patch_operations:
            if op.get("op") == "add" and op.get("path") == "/apiStages":
                api_id, _, stage = str(op.get("value")).partition(":")
                check_stage(self, api_id, stage, usage_plan_id)
        return original_update_plan(self, usage_plan_id, patch_operations)

    APIGatewayBackend.update_usage_plan = update_usage_plan

    original_create_plan_key = APIGatewayBackend.create_usage_plan_key

    def create_usage_plan_key(self, usage_plan_id, payload):
        key_id = payload.get("keyId")
        plan = self.usage_plans.get(usage_plan_id)
        if plan is not None:
            stages = {(s["apiId"], s["stage"]) for s in plan.api_stages}
            for other_id, keys in self.usage_plan_keys.items():
                if key_id not in keys:
                    continue
                if other_id == usage_plan_id:
                    raise ConflictException(f"API Key {key_id} is already in Usage Plan {usage_plan_id}")
                other = self.usage_plans.get(other_id)
                shared = sorted(stages & {(s["apiId"], s["stage"]) for s in (other.api_stages if other else [])})
                if shared:
                    raise ConflictException(
                        f"Usage Plan {usage_plan_id} cannot be added because API Key {key_id} cannot reference "
                        f"multiple Usage Plans with the same API Stage: {shared[0][0]}:{shared[0][1]}")
        return original_create_plan_key(self, usage_plan_id, payload)

    APIGatewayBackend.create_usage_plan_key = create_usage_plan_key

    original_delete_plan = APIGatewayBackend.delete_usage_plan
    original_delete_key = APIGatewayBackend.delete_api_key

    def delete_usage_plan(self, usage_plan_id):
        original_delete_plan(self, usage_plan_id)
        self.usage_plan_keys.pop(usage_plan_id, None)

    def delete_api_key(self, api_key_id):
        original_delete_key(self, api_key_id)
        for keys in self.usage_plan_keys.values():
            keys.pop(api_key_id, None)

    APIGatewayBackend.delete_usage_plan = delete_usage_plan
    APIGatewayBackend.delete_api_key = delete_api_key


def check_stage(backend: APIGatewayBackend, api_id, stage, plan) -> None:
    """AWS refuses a usage plan stage that does not exist, as users report it
    (https://github.com/aws/aws-cdk/issues/6169: `Invalid API Stage {api: ..., stage: ...} specified for usageplan
    ...`, BadRequestException); moto took any."""
    api = backend.apis.get(api_id)
    if api is None or stage not in api.stages:
        raise BadRequestException(f"Invalid API Stage {{api: {api_id}, stage: {stage}}} specified for usageplan {plan}")


def throttle(value) -> dict:
    """A CloudFormation `ThrottleSettings` as the API's `throttle`."""
    out = {}
    if value and value.get("BurstLimit") is not None:
        out["burstLimit"] = int(value["BurstLimit"])
    if value and value.get("RateLimit") is not None:
        out["rateLimit"] = float(value["RateLimit"])
    return out


def api_stages(values) -> list:
    """CloudFormation `ApiStages` as the API's `apiStages` (with per-method throttles, `{resourcePath}/{method}`)."""
    stages = []
    for s in values or []:
        stage = {"apiId": s["ApiId"], "stage": s["Stage"]}
        if s.get("Throttle"):
            stage["throttle"] = {path: throttle(t) for path, t in s["Throttle"].items()}
        stages.append(stage)
    return stages


def backend(account_id, region_name) -> APIGatewayBackend:
    return apigateway_backends[account_id][region_name]


class CfnApiKey(CloudFormationModel):
    """AWS::ApiGateway::ApiKey. Defined at module level, so moto's model registry (CloudFormationModel's subclasses,
    which forget a class nothing refers to) keeps it."""

    __module__ = "moto.apigateway.models"

    def __init__(self, key):
        self.key = key

    @property
    def physical_resource_id(self) -> str:
        return self.key.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::ApiKey"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "APIKeyId"

    def get_cfn_attribute(self, attribute_name):
        return self.key.id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties") or {}
        payload = {
            "name": props.get("Name") or resource_name,
            "description": props.get("Description"),
            "enabled": str(props.get("Enabled", False)).lower() == "true",
            "customerId": props.get("CustomerId"),
            "stageKeys": [{"restApiId": s.get("RestApiId"), "stageName": s.get("StageName")}
                          for s in props.get("StageKeys") or []],
            "tags": tags(props.get("Tags")) or None,
        }
        if props.get("Value"):
            payload["value"] = props["Value"]
        return cls(backend(account_id, region_name).create_api_key(payload))

    def delete(self, account_id, region_name):
        try:
            backend(account_id, region_name).delete_api_key(self.key.id)
        except Exception as e:
            if not gone(e):
                raise


class CfnUsagePlan(CloudFormationModel):
    """AWS::ApiGateway::UsagePlan: its stages, throttle (rate and burst) and quota (limit, period, offset)."""

    __module__ = "moto.apigateway.models"

    def __init__(self, plan):
        self.plan = plan

    @property
    def physical_resource_id(self) -> str:
        return self.plan.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return "UsagePlanName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::UsagePlan"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name):
        return self.plan.id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties") or {}
        quota = props.get("Quota") or {}
        payload = {
            "name": props.get("UsagePlanName") or resource_name,
            "description": props.get("Description"),
            "apiStages": api_stages(props.get("ApiStages")),
            "throttle": throttle(props.get("Throttle")),
            "quota": {k: v for k, v in (("limit", int(quota["Limit"]) if "Limit" in quota else None),
                                        ("period", quota.get("Period")),
                                        ("offset", int(quota.get("Offset", 0)))) if v is not None} if quota else {},
            "tags": tags(props.get("Tags")) or None,
        }
        return cls(backend(account_id, region_name).create_usage_plan(payload))

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                        region_name):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id, region_name):
        try:
            backend(account_id, region_name).delete_usage_plan(self.plan.id)
        except Exception as e:
            if not (gone(e) or isinstance(e, KeyError)):
                raise


class CfnUsagePlanKey(CloudFormationModel):
    """AWS::ApiGateway::UsagePlanKey: an API key in a usage plan."""

    __module__ = "moto.apigateway.models"

    def __init__(self, plan_id: str, key_id: str):
        self.plan_id, self.key_id = plan_id, key_id

    @property
    def physical_resource_id(self) -> str:
        return self.key_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::UsagePlanKey"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend(account_id, region_name).create_usage_plan_key(
            props["UsagePlanId"], {"keyId": props["KeyId"], "keyType": props.get("KeyType", "API_KEY")})
        return cls(props["UsagePlanId"], props["KeyId"])

    def delete(self, account_id, region_name):
        backend(account_id, region_name).usage_plan_keys.get(self.plan_id, {}).pop(self.key_id, None)
