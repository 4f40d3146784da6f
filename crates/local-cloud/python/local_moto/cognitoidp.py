"""Cognito user pools in CloudFormation: AWS::Cognito::UserPool and AWS::Cognito::UserPoolClient, which moto 5.2.1's
CloudFormation does not model although its API does (the JWT authorizers of HTTP APIs trust these pools)."""

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.common_models import CloudFormationModel

from local_moto.common import Context, gone


class CfnUserPool(CloudFormationModel):
    """AWS::Cognito::UserPool. `Ref` is the pool id; `Fn::GetAtt` gives `Arn`, `ProviderName` and `ProviderURL`."""

    __module__ = "moto.cognitoidp.models"  # filed under the cognitoidp service, like moto's own models

    def __init__(self, pool_id: str, arn: str, region: str):
        self.id, self.arn, self.region = pool_id, arn, region

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return "UserPoolName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "ProviderName", "ProviderURL", "UserPoolId")

    def get_cfn_attribute(self, attribute_name: str):
        provider = f"cognito-idp.{self.region}.amazonaws.com/{self.id}"
        values = {"Arn": self.arn, "ProviderName": provider, "ProviderURL": f"https://{provider}",
                  "UserPoolId": self.id}
        if attribute_name in values:
            return values[attribute_name]
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = dict(cloudformation_json["Properties"])
        name = props.pop("UserPoolName", None) or resource_name
        props.pop("UserPoolTags", None)
        pool = cognitoidp_backends[account_id][region_name].create_user_pool(name, props)
        return cls(pool.id, pool.arn, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        return original_resource  # the pool (and its users) stay, as a property update keeps them on AWS

    def delete(self, account_id, region_name):
        try:
            cognitoidp_backends[account_id][region_name].delete_user_pool(self.id)
        except Exception as error:  # already gone
            if not gone(error):
                raise


class CfnUserPoolClient(CloudFormationModel):
    """AWS::Cognito::UserPoolClient. `Ref` is the client id."""

    __module__ = "moto.cognitoidp.models"

    def __init__(self, pool_id: str, client_id: str):
        self.pool_id, self.id = pool_id, client_id

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ClientName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolClient"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "ClientId"

    def get_cfn_attribute(self, attribute_name: str):
        if attribute_name == "ClientId":
            return self.id
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = dict(cloudformation_json["Properties"])
        pool_id = props.pop("UserPoolId")
        generate_secret = str(props.pop("GenerateSecret", False)).lower() == "true"
        props.setdefault("ClientName", resource_name)
        client = cognitoidp_backends[account_id][region_name].create_user_pool_client(
            pool_id, generate_secret, props)
        return cls(pool_id, client.id)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        props = dict(cloudformation_json["Properties"])
        props.pop("UserPoolId", None)
        props.pop("GenerateSecret", None)
        cognitoidp_backends[account_id][region_name].update_user_pool_client(
            original_resource.pool_id, original_resource.id, props)
        return original_resource

    def delete(self, account_id, region_name):
        try:
            cognitoidp_backends[account_id][region_name].delete_user_pool_client(self.pool_id, self.id)
        except Exception as error:  # the pool went first
            if not gone(error):
                raise


def patch(ctx: Context) -> None:
    """Nothing to patch: defining the models (at import) is the addition; `cloudformation` then rebuilds moto's
    model map with them."""
