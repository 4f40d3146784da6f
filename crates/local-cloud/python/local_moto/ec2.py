"""EC2 in CloudFormation: security groups keep their egress rules, and what a public subnet needs (internet
gateways, their attachments, route tables, routes, subnet associations) is deleted with its stack."""

from moto.ec2.models import ec2_backends
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.route_tables import Route, RouteTable
from moto.ec2.models.security_groups import SecurityGroup
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

from local_moto.common import Context


def patch(ctx: Context) -> None:
    patch_internet_routing_cloudformation()
    patch_security_group_cloudformation()


def patch_security_group_cloudformation() -> None:
    """AWS::EC2::SecurityGroup keeps `SecurityGroupEgress`: as on AWS, listing egress rules replaces the default
    allow-all rule (moto 5.2.1 ignores the property, so every group kept allow-all egress)."""
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


def patch_internet_routing_cloudformation() -> None:
    """DeleteStack removes what a public subnet needs: moto 5.2.1 has no delete for AWS::EC2::InternetGateway,
    VPCGatewayAttachment, RouteTable, Route and SubnetRouteTableAssociation, so they stayed and their VPC failed
    to delete (DependencyViolation). moto's delete loop retries a resource whose dependents are still there."""

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
