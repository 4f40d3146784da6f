"""Tests of local_moto.apigatewayv2: AWS::ApiGatewayV2::VpcLink is created, named by `Fn::GetAtt VpcLinkId`,
renamed in place and deleted with its stack."""

import gc
import json

from moto.cloudformation import parsing

from conftest import unique


def test_a_vpc_link_v2_lives_and_dies_with_its_stack(aws, stack):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=unique("link"), Description="link", VpcId=vpc)["GroupId"]
    name = unique("link")
    template = {"Resources": {"Link": {"Type": "AWS::ApiGatewayV2::VpcLink", "Properties": {
        "Name": name, "SubnetIds": [subnet], "SecurityGroupIds": [group], "Tags": {"team": "orders"}}}},
        "Outputs": {"LinkId": {"Value": {"Fn::GetAtt": ["Link", "VpcLinkId"]}}}}
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    link_id = created["resources"]["Link"]
    assert created["Outputs"] == [{"OutputKey": "LinkId", "OutputValue": link_id}]
    link = aws("apigatewayv2").get_vpc_link(VpcLinkId=link_id)
    assert (link["Name"], link["SubnetIds"], link["SecurityGroupIds"]) == (name, [subnet], [group])
    assert link["Tags"] == {"team": "orders"}

    template["Resources"]["Link"]["Properties"]["Name"] = name + "-renamed"
    aws("cloudformation").update_stack(StackName=created["StackName"], TemplateBody=json.dumps(template))
    assert aws("apigatewayv2").get_vpc_link(VpcLinkId=link_id)["Name"] == name + "-renamed"

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    assert link_id not in [item["VpcLinkId"] for item in aws("apigatewayv2").get_vpc_links()["Items"]]


def test_the_model_outlives_a_garbage_collection(moto_url):
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    gc.collect()
    assert "AWS::ApiGatewayV2::VpcLink" in parsing.get_model_map()
