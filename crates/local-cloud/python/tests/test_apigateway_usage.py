"""Tests of local_moto.apigateway_usage: API keys, usage plans and usage plan keys from CloudFormation (what the
local cloud's data plane reads back through the API), UpdateUsagePlan keeping a fractional rate, and deletions that
take a plan's key links along."""

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
