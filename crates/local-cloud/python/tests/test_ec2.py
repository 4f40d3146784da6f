"""Tests of local_moto.ec2: CloudFormation security groups keep their egress rules, and a public subnet's
internet routing is deleted with its stack (so its VPC is too)."""

from conftest import describe


def test_egress_rules_replace_the_default_allow_all(aws, stack):
    created = stack({"Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.30.0.0/16"}},
        "Peer": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "peer", "VpcId": {"Ref": "Vpc"}}},
        "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "only https out", "VpcId": {"Ref": "Vpc"},
            "SecurityGroupEgress": [
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
                {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                 "DestinationSecurityGroupId": {"Fn::GetAtt": ["Peer", "GroupId"]}}]}},
        "Open": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "default egress", "VpcId": {"Ref": "Vpc"}}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    ec2 = aws("ec2")
    group = ec2.describe_security_groups(GroupIds=[created["resources"]["Group"]])["SecurityGroups"][0]
    rules = sorted((r["IpProtocol"], r.get("FromPort"), [x["CidrIp"] for x in r["IpRanges"]],
                    [p["GroupId"] for p in r["UserIdGroupPairs"]]) for r in group["IpPermissionsEgress"])
    assert rules == [("tcp", 443, ["0.0.0.0/0"], []), ("tcp", 5432, [], [created["resources"]["Peer"]])]
    open_group = ec2.describe_security_groups(GroupIds=[created["resources"]["Open"]])["SecurityGroups"][0]
    assert [(r["IpProtocol"], r["IpRanges"][0]["CidrIp"]) for r in open_group["IpPermissionsEgress"]] == [
        ("-1", "0.0.0.0/0")]


def test_a_public_subnet_and_its_routing_are_deleted_with_their_stack(aws, stack):
    created = stack({"Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.40.0.0/16"}},
        "Gateway": {"Type": "AWS::EC2::InternetGateway"},
        "Attachment": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.40.1.0/24"}},
        "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "DefaultRoute": {"Type": "AWS::EC2::Route", "DependsOn": "Attachment", "Properties": {
            "RouteTableId": {"Ref": "Table"}, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": "Gateway"}}},
        "Association": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
            "SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Table"}}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    ids = created["resources"]
    ec2 = aws("ec2")
    assert ec2.describe_internet_gateways(InternetGatewayIds=[ids["Gateway"]])["InternetGateways"][0][
        "Attachments"][0]["VpcId"] == ids["Vpc"]

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    assert describe(aws("cloudformation"), created["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert ids["Vpc"] not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert ids["Gateway"] not in [g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]]
    assert ids["Table"] not in [t["RouteTableId"] for t in ec2.describe_route_tables()["RouteTables"]]
