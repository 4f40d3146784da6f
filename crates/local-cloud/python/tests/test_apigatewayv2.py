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


SAM_BODY = {
    "openapi": "3.0.1", "info": {"title": "notes", "version": "1.0"},
    "components": {"securitySchemes": {"CognitoJwt": {"type": "oauth2", "x-amazon-apigateway-authorizer": {
        "identitySource": "$request.header.Authorization", "type": "jwt",
        "jwtConfiguration": {"audience": ["client-1"], "issuer": "https://cognito-idp.us-east-1.amazonaws.com/p"}}}}},
    "paths": {
        "$default": {"x-amazon-apigateway-any-method": {"isDefaultRoute": True, "security": [{"NONE": []}],
                     "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST",
                                                         "payloadFormatVersion": "2.0", "uri": "arn:fn"}}},
        "/hello/{name}": {"get": {"security": [{"NONE": []}], "x-amazon-apigateway-integration": {
            "type": "aws_proxy", "httpMethod": "POST", "payloadFormatVersion": "2.0", "uri": "arn:fn"}}},
        "/messages": {"post": {"security": [{"CognitoJwt": ["notes/write"]}], "x-amazon-apigateway-integration": {
            "type": "aws_proxy", "httpMethod": "POST", "payloadFormatVersion": "1.0", "uri": "arn:fn"}}},
    },
    "x-amazon-apigateway-cors": {"allowOrigins": ["https://example.com"], "allowMethods": ["GET", "POST"]},
}


def routes_of(client, api_id: str) -> dict:
    integrations = {i["IntegrationId"]: i for i in client.get_integrations(ApiId=api_id)["Items"]}
    return {r["RouteKey"]: (r, integrations[r["Target"].split("/")[1]]) for r in client.get_routes(ApiId=api_id)["Items"]}


def test_an_http_api_from_a_sam_openapi_body_has_its_routes_authorizer_cors_and_stage(aws, stack):
    """What SAM's AWS::Serverless::HttpApi becomes: an Api with a Body, and a `$default` Stage."""
    template = {"Resources": {
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Body": SAM_BODY}},
        "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": {"Ref": "Api"}, "StageName": "$default", "AutoDeploy": True}}},
        "Outputs": {"Id": {"Value": {"Ref": "Api"}}, "Endpoint": {"Value": {"Fn::GetAtt": ["Api", "ApiEndpoint"]}}}}
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    api_id = created["resources"]["Api"]
    client = aws("apigatewayv2")
    api = client.get_api(ApiId=api_id)
    assert (api["Name"], api["ProtocolType"]) == ("notes", "HTTP")
    assert api["CorsConfiguration"]["AllowOrigins"] == ["https://example.com"]
    routes = routes_of(client, api_id)
    assert set(routes) == {"$default", "GET /hello/{name}", "POST /messages"}
    assert routes["$default"][1]["IntegrationType"] == "AWS_PROXY"
    assert routes["GET /hello/{name}"][0]["AuthorizationType"] == "NONE"
    assert routes["POST /messages"][1]["PayloadFormatVersion"] == "1.0"
    post = routes["POST /messages"][0]
    assert (post["AuthorizationType"], post["AuthorizationScopes"]) == ("JWT", ["notes/write"])
    authorizer = client.get_authorizer(ApiId=api_id, AuthorizerId=post["AuthorizerId"])
    assert [a["AuthorizerId"] for a in client.get_authorizers(ApiId=api_id)["Items"]] == [post["AuthorizerId"]]
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["JwtConfiguration"]["Audience"] == ["client-1"]
    assert [s["StageName"] for s in client.get_stages(ApiId=api_id)["Items"]] == ["$default"]
    assert {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}["Endpoint"].startswith(f"https://{api_id}.")

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    assert api_id not in [a["ApiId"] for a in client.get_apis()["Items"]]


def test_an_http_api_from_properties_and_import_api_with_any_method(aws, stack):
    created = stack({"Resources": {"Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
        "Name": unique("plain"), "ProtocolType": "HTTP",
        "CorsConfiguration": {"AllowOrigins": ["*"], "MaxAge": 60}}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    client = aws("apigatewayv2")
    api_id = created["resources"]["Api"]
    assert client.get_api(ApiId=api_id)["CorsConfiguration"] == {"AllowOrigins": ["*"], "MaxAge": 60}
    body = json.dumps({"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": {"/x": {
        "x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {
            "type": "AWS_PROXY", "httpMethod": "POST", "payloadFormatVersion": "2.0", "uri": "arn:fn"}}}}})
    client.reimport_api(ApiId=api_id, Body=body)
    assert set(routes_of(client, api_id)) == {"ANY /x"}


def test_quick_create_gives_an_integration_a_default_route_and_an_auto_deployed_default_stage(aws, stack):
    # https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html#apis-prop-createapiinput-target:
    # "Quick create produces an API with an integration, a default catch-all route, and a default stage which is
    # configured to automatically deploy changes ... The type of the integration will be HTTP_PROXY or AWS_PROXY".
    function = "arn:aws:lambda:us-east-1:123456789012:function:quick"
    v2 = aws("apigatewayv2")
    api = v2.create_api(Name=unique("quick"), ProtocolType="HTTP", Target=function)["ApiId"]
    [integration] = v2.get_integrations(ApiId=api)["Items"]
    assert (integration["IntegrationType"], integration["IntegrationUri"]) == ("AWS_PROXY", function)
    assert integration["PayloadFormatVersion"] == "2.0"
    [route] = v2.get_routes(ApiId=api)["Items"]
    assert (route["RouteKey"], route["Target"]) == ("$default", f"integrations/{integration['IntegrationId']}")
    [stage] = v2.get_stages(ApiId=api)["Items"]
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)

    url = "https://example.com/orders"
    http = v2.create_api(Name=unique("quick"), ProtocolType="HTTP", Target=url, RouteKey="GET /orders")["ApiId"]
    [integration] = v2.get_integrations(ApiId=http)["Items"]
    assert (integration["IntegrationType"], integration["IntegrationUri"]) == ("HTTP_PROXY", url)
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=http)["Items"]] == ["GET /orders"]

    # The upstream collection's apigw-http-api-lambda-rust writes it so in CloudFormation.
    template = {"Resources": {"Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {
        "Name": unique("quick"), "ProtocolType": "HTTP", "Target": function}}},
        "Outputs": {"Id": {"Value": {"Ref": "Api"}}}}
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    from_stack = created["resources"]["Api"]
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=from_stack)["Items"]] == ["$default"]
    assert [s["StageName"] for s in v2.get_stages(ApiId=from_stack)["Items"]] == ["$default"]
