"""API Gateway v2 in CloudFormation: AWS::ApiGatewayV2::VpcLink (the VPC link v2 that HTTP APIs and, with an
integration target, REST APIs use), which moto 5.2.1's CloudFormation does not model although its API does."""

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel

from local_moto.common import Context, tags


class CfnVpcLinkV2(CloudFormationModel):
    """AWS::ApiGatewayV2::VpcLink. Defined here, at module level, so the class lives as long as the process:
    moto finds models as CloudFormationModel's subclasses, which forget a class nothing else refers to."""

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
        if attribute_name == "VpcLinkId":
            return self.id
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                        **kwargs):
        props = cloudformation_json["Properties"]
        link = apigatewayv2_backends[account_id][region_name].create_vpc_link(
            name=props.get("Name") or resource_name, sg_ids=list(props.get("SecurityGroupIds") or []),
            subnet_ids=list(props["SubnetIds"]), tags=tags(props.get("Tags")),
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


def patch(ctx: Context) -> None:
    """Nothing to patch: defining `CfnVpcLinkV2` (at import) is the addition; `cloudformation` then rebuilds moto's
    model map with it."""
