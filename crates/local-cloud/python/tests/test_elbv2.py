"""Tests of local_moto.elbv2: a load balancer created without `Scheme` is internet-facing, a dual-stack one on
subnets without IPv6 is refused as AWS refuses it, and CloudFormation load balancers, target groups, listeners and
rules keep what our patterns set and are deleted with their stack."""

import botocore.exceptions
import pytest

from conftest import unique


@pytest.fixture
def subnets(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    return vpc, [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"us-east-1{az}")[
        "Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]


def test_a_load_balancer_without_scheme_is_internet_facing(aws, subnets):
    elbv2 = aws("elbv2")
    public = elbv2.create_load_balancer(Name=unique("public"), Subnets=subnets[1])["LoadBalancers"][0]
    assert public["Scheme"] == "internet-facing"
    internal = elbv2.create_load_balancer(Name=unique("private"), Subnets=subnets[1], Scheme="internal")
    assert internal["LoadBalancers"][0]["Scheme"] == "internal"


def test_a_dualstack_load_balancer_needs_subnets_with_ipv6_as_on_aws(aws, subnets, stack):
    # AWS answers 400 ValidationError "You must specify subnets with an associated IPv6 CIDR block."
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-ip-address-type.html).
    vpc, ipv4_only = subnets
    elbv2, ec2 = aws("elbv2"), aws("ec2")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        elbv2.create_load_balancer(Name=unique("dual"), Subnets=ipv4_only, IpAddressType="dualstack")
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert refused.value.response["Error"]["Message"] == "You must specify subnets with an associated IPv6 CIDR block."

    ipv4 = elbv2.create_load_balancer(Name=unique("v4"), Subnets=ipv4_only)["LoadBalancers"][0]
    with pytest.raises(botocore.exceptions.ClientError, match="associated IPv6 CIDR block"):
        elbv2.set_ip_address_type(LoadBalancerArn=ipv4["LoadBalancerArn"], IpAddressType="dualstack")

    created = stack({"Resources": {"Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
        "Subnets": ipv4_only, "IpAddressType": "dualstack"}}}})
    assert created["StackStatus"] == "CREATE_FAILED"
    reason = next(e["ResourceStatusReason"] for e in created["events"]
                  if e["LogicalResourceId"] == "Alb" and e["ResourceStatus"] == "CREATE_FAILED")
    assert "You must specify subnets with an associated IPv6 CIDR block." in reason

    for i, subnet_id in enumerate(ipv4_only):  # each subnet gets an IPv6 block
        ec2.associate_subnet_cidr_block(SubnetId=subnet_id, Ipv6CidrBlock=f"2600:1f18:4a2:ee0{i}::/64")
    dual = elbv2.create_load_balancer(Name=unique("dual"), Subnets=ipv4_only, IpAddressType="dualstack")
    assert dual["LoadBalancers"][0]["IpAddressType"] == "dualstack"


def test_cloudformation_load_balancers_target_groups_and_listeners(aws, stack, subnets, function):
    vpc, subnet_ids = subnets
    fn = function()["FunctionArn"]
    created = stack({"Resources": {
        "Nlb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Type": "network", "Scheme": "internal", "Subnets": subnet_ids,
            "LoadBalancerAttributes": [{"Key": "load_balancing.cross_zone.enabled", "Value": "true"}]}},
        "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": subnet_ids}},
        "Instances": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Protocol": "TCP", "Port": 80, "VpcId": vpc, "TargetType": "ip", "HealthCheckEnabled": False,
            "Targets": [{"Id": "10.20.1.10", "Port": 8080}],
            "TargetGroupAttributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": 5}],
            "Tags": [{"Key": "team", "Value": "orders"}]}},
        "Functions": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "TargetType": "lambda", "Targets": [{"Id": fn}]}},
        "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": {"Ref": "Nlb"}, "Protocol": "TCP", "Port": 80,
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Instances"}}]}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    elbv2 = aws("elbv2")
    nlb_arn, alb_arn = created["resources"]["Nlb"], created["resources"]["Alb"]
    nlb, alb = elbv2.describe_load_balancers(LoadBalancerArns=[nlb_arn, alb_arn])["LoadBalancers"]
    assert (nlb["Type"], nlb["Scheme"]) == ("network", "internal")
    assert (alb["Type"], alb["Scheme"]) == ("application", "internet-facing")
    attributes = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(
        LoadBalancerArn=nlb_arn)["Attributes"]}
    assert attributes["load_balancing.cross_zone.enabled"] == "true"

    group_arn = created["resources"]["Instances"]
    group = elbv2.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"][0]
    assert group["HealthCheckEnabled"] is False
    health = elbv2.describe_target_health(TargetGroupArn=group_arn)["TargetHealthDescriptions"]
    assert [(t["Target"]["Id"], t["Target"]["Port"]) for t in health] == [("10.20.1.10", 8080)]
    group_attributes = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(
        TargetGroupArn=group_arn)["Attributes"]}
    assert group_attributes["deregistration_delay.timeout_seconds"] == "5"
    tags = elbv2.describe_tags(ResourceArns=[group_arn])["TagDescriptions"][0]["Tags"]
    assert {"Key": "team", "Value": "orders"} in tags
    lambda_targets = elbv2.describe_target_health(TargetGroupArn=created["resources"]["Functions"])
    assert [t["Target"]["Id"] for t in lambda_targets["TargetHealthDescriptions"]] == [fn]

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    left = [g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]]
    assert group_arn not in left and created["resources"]["Functions"] not in left
    balancers = [b["LoadBalancerArn"] for b in elbv2.describe_load_balancers()["LoadBalancers"]]
    assert nlb_arn not in balancers and alb_arn not in balancers
