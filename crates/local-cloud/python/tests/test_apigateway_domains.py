"""Tests of `local_moto.apigateway_domains`: custom domain names and base path mappings, through the API and
CloudFormation."""

from conftest import unique
from local_moto.route53 import LOCAL_ZONE_ID


def rest_api_with_stage(aws, stage: str = "prod") -> str:
    ag = aws("apigateway")
    api = ag.create_rest_api(name=unique("api"))["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    ag.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    ag.create_deployment(restApiId=api, stageName=stage)
    return api


def test_a_domain_without_mappings_lists_none(aws):
    ag = aws("apigateway")
    name = f"{unique('empty')}.example.com"
    ag.create_domain_name(domainName=name, regionalCertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/x",
                          endpointConfiguration={"types": ["REGIONAL"]})
    assert ag.get_base_path_mappings(domainName=name).get("items", []) == []


def test_the_regional_hosted_zone_is_api_gateways_of_the_region(aws):
    for region, zone in (("us-east-1", "Z1UJRXOUMOOFQ8"), ("eu-west-1", "ZLY8HYME6SFDD")):
        domain = aws("apigateway", region).create_domain_name(
            domainName=f"{unique('zone')}.example.com", endpointConfiguration={"types": ["REGIONAL"]},
            regionalCertificateArn=f"arn:aws:acm:{region}:123456789012:certificate/x")
        assert (domain["regionalHostedZoneId"], domain["distributionHostedZoneId"]) == (zone, "Z2FDTNDATAQYW2")
        assert domain["regionalDomainName"].endswith(f".execute-api.{region}.amazonaws.com")


def test_a_deleted_domain_takes_its_mappings(aws):
    ag = aws("apigateway")
    api = rest_api_with_stage(aws)
    name = f"{unique('gone')}.example.com"
    for _ in range(2):
        ag.create_domain_name(domainName=name, endpointConfiguration={"types": ["REGIONAL"]},
                              regionalCertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/x")
        assert ag.get_base_path_mappings(domainName=name).get("items", []) == []
        ag.create_base_path_mapping(domainName=name, restApiId=api, stage="prod", basePath="orders")
        ag.delete_domain_name(domainName=name)


def test_cloudformation_domain_name_mappings_and_alias_record(aws, stack):
    name = f"{unique('cfn')}.example.com"
    out = stack({"Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": unique("api")}},
        "Method": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
            "HttpMethod": "GET", "AuthorizationType": "NONE", "Integration": {"Type": "MOCK"}}},
        "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": "Method",
                       "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "prod"}},
        "Domain": {"Type": "AWS::ApiGateway::DomainName", "Properties": {
            "DomainName": name, "RegionalCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
            "EndpointConfiguration": {"Types": ["REGIONAL"]}, "SecurityPolicy": "TLS_1_2"}},
        "Orders": {"Type": "AWS::ApiGateway::BasePathMapping", "DependsOn": "Deployment", "Properties": {
            "DomainName": {"Ref": "Domain"}, "RestApiId": {"Ref": "Api"}, "Stage": "prod", "BasePath": "orders"}},
        "Root": {"Type": "AWS::ApiGateway::BasePathMapping", "DependsOn": "Deployment", "Properties": {
            "DomainName": {"Ref": "Domain"}, "RestApiId": {"Ref": "Api"}, "Stage": "prod"}},
        "Alias": {"Type": "AWS::Route53::RecordSet", "Properties": {
            "HostedZoneId": LOCAL_ZONE_ID, "Name": name, "Type": "A", "AliasTarget": {
                "DNSName": {"Fn::GetAtt": ["Domain", "RegionalDomainName"]},
                "HostedZoneId": {"Fn::GetAtt": ["Domain", "RegionalHostedZoneId"]}}}},
    }, "Outputs": {"Regional": {"Value": {"Fn::GetAtt": ["Domain", "RegionalDomainName"]}},
                   "Api": {"Value": {"Ref": "Api"}}}})
    assert out["StackStatus"] == "CREATE_COMPLETE", out["events"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in out["Outputs"]}
    ag = aws("apigateway")
    domain = ag.get_domain_name(domainName=name)
    assert domain["regionalDomainName"] == outputs["Regional"]
    assert domain["endpointConfiguration"] == {"types": ["REGIONAL"]}
    mappings = {m["basePath"]: (m["restApiId"], m["stage"])
                for m in ag.get_base_path_mappings(domainName=name)["items"]}
    assert mappings == {"orders": (outputs["Api"], "prod"), "(none)": (outputs["Api"], "prod")}
    records = aws("route53").list_resource_record_sets(HostedZoneId=LOCAL_ZONE_ID)["ResourceRecordSets"]
    assert [r["AliasTarget"]["DNSName"] for r in records if r["Name"].rstrip(".") == name] == [outputs["Regional"]]

    aws("cloudformation").delete_stack(StackName=out["StackName"])
    assert name not in [d["domainName"] for d in ag.get_domain_names().get("items", [])]
    records = aws("route53").list_resource_record_sets(HostedZoneId=LOCAL_ZONE_ID)["ResourceRecordSets"]
    assert [r for r in records if r["Name"].rstrip(".") == name] == []
