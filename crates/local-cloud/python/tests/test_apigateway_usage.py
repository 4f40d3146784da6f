"""Tests of local_moto.apigateway_usage: API keys, usage plans and usage plan keys from CloudFormation (what the
local cloud's data plane reads back through the API; SAM's `Auth.UsagePlan` too), UpdateUsagePlan keeping a fractional rate, and deletions that
take a plan's key links along."""

import pytest

from conftest import describe, unique


def rest_api(aws) -> str:
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name=unique("api"))["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api, stageName="prod")
    return api


def test_a_stack_makes_a_key_a_plan_and_links_them(aws, stack):
    api = rest_api(aws)
    created = stack({"Resources": {
        "Key": {"Type": "AWS::ApiGateway::ApiKey", "Properties": {
            "Enabled": True, "Name": unique("key"), "Value": "k" * 30,
            "StageKeys": [{"RestApiId": api, "StageName": "prod"}]}},
        "Plan": {"Type": "AWS::ApiGateway::UsagePlan", "Properties": {
            "UsagePlanName": unique("plan"), "ApiStages": [{"ApiId": api, "Stage": "prod"}],
            "Throttle": {"RateLimit": 0.5, "BurstLimit": 2}, "Quota": {"Limit": 3, "Period": "DAY"}}},
        "PlanKey": {"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
            "KeyId": {"Ref": "Key"}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": "Plan"}}},
    }, "Outputs": {"KeyId": {"Value": {"Fn::GetAtt": ["Key", "APIKeyId"]}},
                   "PlanId": {"Value": {"Fn::GetAtt": ["Plan", "Id"]}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    apigw = aws("apigateway")
    key_id, plan_id = created["resources"]["Key"], created["resources"]["Plan"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}
    assert outputs == {"KeyId": key_id, "PlanId": plan_id}
    key = apigw.get_api_key(apiKey=key_id, includeValue=True)
    assert (key["enabled"], key["value"]) == (True, "k" * 30)
    plan = apigw.get_usage_plan(usagePlanId=plan_id)
    assert plan["apiStages"] == [{"apiId": api, "stage": "prod"}]
    assert plan["throttle"] == {"rateLimit": 0.5, "burstLimit": 2}
    assert plan["quota"] == {"limit": 3, "period": "DAY", "offset": 0}
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan_id)["items"]] == [key_id]

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    assert describe(aws("cloudformation"), created["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert plan_id not in [p["id"] for p in apigw.get_usage_plans()["items"]]
    assert key_id not in [k["id"] for k in apigw.get_api_keys()["items"]]


def test_update_usage_plan_keeps_a_fractional_rate(aws):
    apigw = aws("apigateway")
    plan = apigw.create_usage_plan(name=unique("plan"), throttle={"rateLimit": 1.0, "burstLimit": 1})["id"]
    apigw.update_usage_plan(usagePlanId=plan, patchOperations=[
        {"op": "replace", "path": "/throttle/rateLimit", "value": "0.25"}])
    assert apigw.get_usage_plan(usagePlanId=plan)["throttle"]["rateLimit"] == 0.25


def test_a_deleted_key_leaves_its_plans(aws):
    apigw = aws("apigateway")
    plan = apigw.create_usage_plan(name=unique("plan"), apiStages=[{"apiId": rest_api(aws), "stage": "prod"}])["id"]
    key = apigw.create_api_key(name=unique("key"), enabled=True)["id"]
    apigw.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
    apigw.delete_api_key(apiKey=key)
    assert apigw.get_usage_plan_keys(usagePlanId=plan)["items"] == []
    apigw.delete_usage_plan(usagePlanId=plan)
    assert plan not in [p["id"] for p in apigw.get_usage_plans()["items"]]


class NoManagedPolicies:
    """The SAM translator's policy loader, offline (as `xtask/src/deploy/sam_transform.py` runs it)."""

    def load(self) -> dict:
        return {}


def test_sam_auth_usage_plan_per_api_deploys_as_aws_does(aws, stack, monkeypatch):
    # SAM's `Auth: ApiKeyRequired` and `UsagePlan: CreateUsagePlan: PER_API` write an AWS::ApiGateway::ApiKey (with
    # `StageKeys`), UsagePlan and UsagePlanKey:
    # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-api-apiusageplan.html
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.transform import transform

    monkeypatch.setattr(ArnGenerator, "BOTO_SESSION_REGION_NAME", "us-east-1")
    sam = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Api": {
        "Type": "AWS::Serverless::Api", "Properties": {
            "StageName": "prod", "OpenApiVersion": "3.0.1",
            "Auth": {"ApiKeyRequired": True, "UsagePlan": {
                "CreateUsagePlan": "PER_API", "Throttle": {"RateLimit": 1, "BurstLimit": 2},
                "Quota": {"Limit": 100, "Period": "DAY"}}},
            "DefinitionBody": {"openapi": "3.0.1", "info": {"title": unique("sam-keys"), "version": "1"},
                               "paths": {"/metered": {"get": {"x-amazon-apigateway-integration": {
                                   "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
                                   "responses": {"default": {"statusCode": "200"}}}}}}}}}}}
    template = transform(sam, {}, NoManagedPolicies())
    types = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::ApiGateway::ApiKey", "AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::UsagePlanKey"} <= types
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    apigw = aws("apigateway")
    by_type = {r["Type"]: created["resources"][name] for name, r in template["Resources"].items()}
    api, plan, key = (by_type["AWS::ApiGateway::RestApi"], by_type["AWS::ApiGateway::UsagePlan"],
                      by_type["AWS::ApiGateway::ApiKey"])
    assert apigw.get_usage_plan(usagePlanId=plan)["apiStages"] == [{"apiId": api, "stage": "prod"}]
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan)["items"]] == [key]
    assert apigw.get_api_key(apiKey=key)["enabled"] is True
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api, embed=["methods"])["items"]}
    assert resources["/metered"]["resourceMethods"]["GET"]["apiKeyRequired"] is True


def test_a_plan_naming_a_stage_that_does_not_exist_is_refused(aws):
    # https://github.com/aws/aws-cdk/issues/6169: a plan created before its stage fails with BadRequestException.
    apigw = aws("apigateway")
    api = rest_api(aws)
    for stages in ([{"apiId": api, "stage": "dev"}], [{"apiId": "nope123", "stage": "prod"}]):
        with pytest.raises(apigw.exceptions.BadRequestException, match="Invalid API Stage"):
            apigw.create_usage_plan(name=unique("plan"), apiStages=stages)
    plan = apigw.create_usage_plan(name=unique("plan"))["id"]
    with pytest.raises(apigw.exceptions.BadRequestException, match="Invalid API Stage"):
        apigw.update_usage_plan(usagePlanId=plan, patchOperations=[
            {"op": "add", "path": "/apiStages", "value": f"{api}:dev"}])
    apigw.update_usage_plan(usagePlanId=plan, patchOperations=[
        {"op": "add", "path": "/apiStages", "value": f"{api}:prod"}])
    assert apigw.get_usage_plan(usagePlanId=plan)["apiStages"] == [{"apiId": api, "stage": "prod"}]


def test_a_key_joins_one_plan_per_stage(aws):
    # CreateUsagePlanKey answers ConflictException (409) for a conflicting configuration
    # (https://docs.aws.amazon.com/apigateway/latest/api/API_CreateUsagePlanKey.html): a key already in the plan,
    # or in another plan of one of its stages; a plan of another stage is fine.
    apigw = aws("apigateway")
    api = rest_api(aws)
    apigw.create_deployment(restApiId=api, stageName="dev")
    plan = lambda stage: apigw.create_usage_plan(  # noqa: E731
        name=unique("plan"), apiStages=[{"apiId": api, "stage": stage}])["id"]
    first, second, dev = plan("prod"), plan("prod"), plan("dev")
    key = apigw.create_api_key(name=unique("key"), enabled=True)["id"]
    apigw.create_usage_plan_key(usagePlanId=first, keyId=key, keyType="API_KEY")
    for again in (first, second):
        with pytest.raises(apigw.exceptions.ConflictException):
            apigw.create_usage_plan_key(usagePlanId=again, keyId=key, keyType="API_KEY")
    apigw.create_usage_plan_key(usagePlanId=dev, keyId=key, keyType="API_KEY")
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=second)["items"]] == []


def test_an_openapi_body_with_a_cognito_authorizer_and_an_api_key(aws, stack):
    # As SAM's template of the apigw-rest-cognito-apikey pattern writes it: a Cognito user pool authorizer (with the
    # requirement's OAuth scopes on the method) and an `x-api-key` scheme.
    pool_arn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"
    body = {"openapi": "3.0.1", "info": {"title": unique("portal"), "version": "1"},
            "components": {"securitySchemes": {
                "Users": {"type": "apiKey", "name": "Authorization", "in": "header",
                          "x-amazon-apigateway-authtype": "cognito_user_pools",
                          "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [pool_arn]}},
                "ApiKey": {"type": "apiKey", "name": "x-api-key", "in": "header"}}},
            "paths": {
                "/keys": {"post": {"security": [{"Users": []}], "x-amazon-apigateway-integration": {"type": "mock"}}},
                "/admin": {"get": {"security": [{"Users": ["portal/admin"]}],
                                   "x-amazon-apigateway-integration": {"type": "mock"}}},
                "/metered": {"get": {"security": [{"ApiKey": []}],
                                     "x-amazon-apigateway-integration": {"type": "mock"}}}}}
    created = stack({"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    apigw = aws("apigateway")
    api = created["resources"]["Api"]
    (users,) = apigw.get_authorizers(restApiId=api)["items"]
    assert (users["type"], users["providerARNs"]) == ("COGNITO_USER_POOLS", [pool_arn])
    methods = {r["path"]: r.get("resourceMethods", {})
               for r in apigw.get_resources(restApiId=api, embed=["methods"])["items"]}
    keys, admin, metered = methods["/keys"]["POST"], methods["/admin"]["GET"], methods["/metered"]["GET"]
    assert (keys["authorizationType"], keys["authorizerId"]) == ("COGNITO_USER_POOLS", users["id"])
    assert "authorizationScopes" not in keys or not keys["authorizationScopes"]
    assert admin["authorizationScopes"] == ["portal/admin"]
    assert (metered["authorizationType"], metered["apiKeyRequired"]) == ("NONE", True)
