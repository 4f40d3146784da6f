"""Lambda function URLs: configurations answer as AWS's (the URL `https://<32 chars>.lambda-url.<region>.on.aws/`
with its trailing slash, `InvokeMode` `BUFFERED`, a second configuration for a function refused), CloudFormation's
`AWS::Lambda::Url` (moto 5.2.1 does not model it), and permissions keep `FunctionUrlAuthType` and
`InvokedViaFunctionUrl` as the conditions AWS writes into the policy
(https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html), which the edge's function URL service evaluates.
The URLs themselves are served by the edge (`crates/local-cloud/src/lambda/urls.rs`)."""

import string

from moto.awslambda import policy as lambda_policy
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import FunctionUrlConfig, LambdaFunction, lambda_backends
from moto.core.common_models import CloudFormationModel
from moto.moto_api._internal import mock_random

from local_moto.common import Context, gone

URL_ID_CHARS = string.ascii_lowercase + string.digits


class ResourceConflict(LambdaClientError):
    code = 409

    def __init__(self, message: str):
        super().__init__("ResourceConflictException", message)


def patch(ctx: Context) -> None:
    patch_url_configs()
    patch_permission_conditions()


def patch_url_configs() -> None:
    """The URL as AWS writes it (32 lowercase letters and digits, a trailing slash: Terraform's `url_id` and
    CloudFront origins are cut from it), `InvokeMode` as AWS spells it, one configuration per function."""
    original_init = FunctionUrlConfig.__init__
    original_to_dict = FunctionUrlConfig.to_dict

    def __init__(self, function, config):
        original_init(self, function, config)
        url_id = "".join(mock_random.choice(URL_ID_CHARS) for _ in range(32))
        self.url = f"https://{url_id}.lambda-url.{function.region}.on.aws/"

    def to_dict(self):
        out = original_to_dict(self)
        out["InvokeMode"] = (self.config.get("InvokeMode") or "BUFFERED").upper()
        return out

    original_create = LambdaFunction.create_url_config

    def create_url_config(self, config):
        if self.url_config is not None:
            raise ResourceConflict(f"Failed to create function url config for [functionArn = {self.function_arn}]."
                                   " Error message:  FunctionUrlConfig exists for this Lambda function")
        return original_create(self, config)

    FunctionUrlConfig.__init__ = __init__
    FunctionUrlConfig.to_dict = to_dict
    LambdaFunction.create_url_config = create_url_config


def patch_permission_conditions() -> None:
    """AddPermission's `FunctionUrlAuthType` and `InvokedViaFunctionUrl` (API and CloudFormation alike) become the
    statement's conditions `StringEquals lambda:FunctionUrlAuthType` and `Bool lambda:InvokedViaFunctionUrl`, as
    AWS writes them; moto 5.2.1 left them as unknown keys of the statement."""
    original = lambda_policy.Policy.decode_policy

    def decode_policy(self, obj):
        extra = {}
        if "FunctionUrlAuthType" in obj:
            extra.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = obj.pop("FunctionUrlAuthType")
        if "InvokedViaFunctionUrl" in obj:
            value = obj.pop("InvokedViaFunctionUrl")
            if str(value).lower() == "true":
                extra.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
        policy = original(self, obj)
        if extra and policy.statements:
            statement = policy.statements[-1]
            conditions = statement.setdefault("Condition", {})
            for operator, keys in extra.items():
                conditions.setdefault(operator, {}).update(keys)
        return policy

    lambda_policy.Policy.decode_policy = decode_policy


class CfnFunctionUrl(CloudFormationModel):
    """AWS::Lambda::Url (what SAM's `FunctionUrlConfig` becomes): `Ref` and `FunctionArn` are the function's ARN,
    `FunctionUrl` the URL. Defined at module level, so the class lives as long as the process (moto finds models
    as CloudFormationModel's subclasses)."""

    __module__ = "moto.awslambda.models"
    SETTINGS = ("AuthType", "Cors", "InvokeMode")

    def __init__(self, function_arn: str, url: str, region_name: str, account_id: str):
        self.function_arn, self.url = function_arn, url
        self.region_name, self.account_id = region_name, account_id

    @property
    def physical_resource_id(self) -> str:
        return self.function_arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Url"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("FunctionArn", "FunctionUrl")

    def get_cfn_attribute(self, attribute_name: str):
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "FunctionArn":
            return self.function_arn
        if attribute_name == "FunctionUrl":
            return self.url
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = cloudformation_json["Properties"]
        config = {k: props[k] for k in cls.SETTINGS if k in props}
        if "Cors" in config and "MaxAge" in config["Cors"]:
            config["Cors"]["MaxAge"] = int(config["Cors"]["MaxAge"])  # CloudFormation passes numbers as strings
        backend = lambda_backends[account_id][region_name]
        created = backend.create_function_url_config(props["TargetFunctionArn"], config).to_dict()
        return cls(created["FunctionArn"], created["FunctionUrl"], region_name, account_id)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        props = cloudformation_json["Properties"]
        config = {k: props[k] for k in cls.SETTINGS if k in props}
        backend = lambda_backends[account_id][region_name]
        updated = backend.update_function_url_config(props["TargetFunctionArn"], config).to_dict()
        return cls(updated["FunctionArn"], updated["FunctionUrl"], region_name, account_id)

    def delete(self, account_id, region_name):
        try:
            lambda_backends[account_id][region_name].delete_function_url_config(self.function_arn)
        except Exception as e:  # the function went first
            if not gone(e) and "Unknown" not in type(e).__name__:
                raise


def identity_route(access_key: str, function_arn: str, account_id: str):
    """`GET /_local/iam/access-key/<key>?function=<arn>` -> (status, body): the IAM user owning the key, and whether
    its identity policies (inline, attached, its groups') allow both `lambda:InvokeFunctionUrl` and
    `lambda:InvokeFunction` on the function, an explicit Deny winning (moto's own evaluation); 404 for a key no user
    has (the edge takes it as the account's root)."""
    from moto.iam.access_control import CreateAccessKeyFailure, IAMPolicy, IAMUserAccessKey, PermissionResult

    try:
        key = IAMUserAccessKey(account_id=account_id, partition="aws", access_key_id=access_key, headers={})
    except CreateAccessKeyFailure:
        return 404, {"message": f"no IAM user has the access key {access_key}"}
    policies = [IAMPolicy(p) for p in key.collect_policies()]

    def allowed(action: str) -> bool:
        results = [p.is_action_permitted(action, function_arn) for p in policies]
        return PermissionResult.DENIED not in results and PermissionResult.PERMITTED in results

    user = key.backend.get_user(key._owner_user_name)
    return 200, {"arn": key.arn, "user_id": user.id,
                 "allowed": allowed("lambda:InvokeFunctionUrl") and allowed("lambda:InvokeFunction")}
