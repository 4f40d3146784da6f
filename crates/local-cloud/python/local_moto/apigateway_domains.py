"""API Gateway custom domain names (REST, v1): what `apigateway.patch` adds for them. GetBasePathMappings of a
domain name without mappings answers an empty list (moto 5.2.1 answered 500), a deleted domain name takes its
base path mappings with it (moto kept them for a later domain of the same name), a domain name's
`regionalHostedZoneId` is API Gateway's hosted zone of its Region (moto gave CloudFront's, `Z2FDTNDATAQYW2`, which
is only the edge-optimized one); CloudFormation
`AWS::ApiGateway::DomainName` and `AWS::ApiGateway::BasePathMapping`, which moto does not model.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-domainname.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-basepathmapping.html"""

from moto.apigateway.models import APIGatewayBackend, DomainName, apigateway_backends
from moto.core.common_models import CloudFormationModel

from local_moto.common import gone, tags


# API Gateway's Route 53 hosted zones of Regional endpoints, what an alias record to a regional domain name names
# (https://docs.aws.amazon.com/general/latest/gr/apigateway.html).
REGIONAL_HOSTED_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8", "us-east-2": "ZOJJZC49E0EPZ", "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC", "ca-central-1": "Z19DQILCV0OWEC", "eu-central-1": "Z1U9ULNL0V5AJ3",
    "eu-west-1": "ZLY8HYME6SFDD", "eu-west-2": "ZJ5UAJN8Y3Z2Q", "eu-west-3": "Z3KY65QIEKYHQQ",
    "ap-south-1": "Z3VO1THU9YC4UR", "ap-northeast-1": "Z1YSHQZHG15GKL", "ap-northeast-2": "Z20JF4UZKIW1U8",
    "ap-northeast-3": "Z2YQB5RD63NC85", "ap-southeast-1": "ZL327KTPIQFUL", "ap-southeast-2": "Z2RPCDW04V8134",
    "sa-east-1": "ZCMLWB8V5SYIT",
}


def patch_domain_names() -> None:
    original_init = DomainName.__init__

    def init(self, domain_name: str, **kwargs):
        original_init(self, domain_name, **kwargs)
        region = kwargs.get("region_name") or "us-east-1"
        self.regional_hosted_zone_id = REGIONAL_HOSTED_ZONES.get(region, self.regional_hosted_zone_id)

    DomainName.__init__ = init
    original_mappings = APIGatewayBackend.get_base_path_mappings
    original_delete = APIGatewayBackend.delete_domain_name

    def get_base_path_mappings(self, domain_name: str):
        if domain_name in self.domain_names and domain_name not in self.base_path_mappings:
            return []
        return original_mappings(self, domain_name)

    def delete_domain_name(self, domain_name: str) -> None:
        original_delete(self, domain_name)
        self.base_path_mappings.pop(domain_name, None)

    APIGatewayBackend.get_base_path_mappings = get_base_path_mappings
    APIGatewayBackend.delete_domain_name = delete_domain_name


class CfnDomainName(CloudFormationModel):
    """AWS::ApiGateway::DomainName: `Ref` is the domain name; `Fn::GetAtt` gives `RegionalDomainName`,
    `RegionalHostedZoneId`, `DistributionDomainName` and `DistributionHostedZoneId` (what an alias record needs).
    Defined at module level, so the class lives as long as the process (moto finds models as CloudFormationModel's
    subclasses)."""

    __module__ = "moto.apigateway.models"
    ATTRIBUTES = {"RegionalDomainName": "regional_domain_name", "RegionalHostedZoneId": "regional_hosted_zone_id",
                  "DistributionDomainName": "distribution_domain_name",
                  "DistributionHostedZoneId": "distribution_hosted_zone_id"}

    def __init__(self, domain):
        self.domain = domain

    @property
    def physical_resource_id(self) -> str:
        return self.domain.domain_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DomainName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::DomainName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str):
        return getattr(self.domain, self.ATTRIBUTES[attribute_name])

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        endpoint = props.get("EndpointConfiguration") or {}
        domain = apigateway_backends[account_id][region_name].create_domain_name(
            domain_name=props["DomainName"], certificate_name=None,
            tags=tags(props.get("Tags")) or None, certificate_arn=props.get("CertificateArn"),
            certificate_body=None, certificate_private_key=None, certificate_chain=None,
            regional_certificate_name=None, regional_certificate_arn=props.get("RegionalCertificateArn"),
            endpoint_configuration={"types": endpoint["Types"]} if endpoint.get("Types") else None,
            security_policy=props.get("SecurityPolicy"))
        return cls(domain)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                        region_name):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id, region_name):
        try:
            apigateway_backends[account_id][region_name].delete_domain_name(self.domain.domain_name)
        except Exception as e:  # noqa: BLE001
            if not gone(e):
                raise


class CfnBasePathMapping(CloudFormationModel):
    """AWS::ApiGateway::BasePathMapping: `BasePath` absent or empty is `(none)`, the mapping of every path no other
    base path matches."""

    __module__ = "moto.apigateway.models"

    def __init__(self, domain_name: str, base_path: str):
        self.domain_name, self.base_path = domain_name, base_path

    @property
    def physical_resource_id(self) -> str:
        return f"{self.domain_name}/{self.base_path}"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::BasePathMapping"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        mapping = apigateway_backends[account_id][region_name].create_base_path_mapping(
            props["DomainName"], props["RestApiId"], props.get("BasePath") or None, props.get("Stage"))
        return cls(props["DomainName"], mapping.base_path)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                        region_name):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id, region_name):
        try:
            apigateway_backends[account_id][region_name].delete_base_path_mapping(self.domain_name, self.base_path)
        except Exception as e:  # noqa: BLE001 - the domain name went first
            if not gone(e):
                raise
