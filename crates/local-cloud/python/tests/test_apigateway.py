"""Tests of local_moto.apigateway: integrations keep `connectionType`, `connectionId`, `integrationTarget`,
`timeoutInMillis` and `cacheKeyParameters` through PutIntegration, UpdateIntegration, GetIntegration, GetMethod
and GetResources; a RestApi's resource policy from an OpenAPI document (CloudFormation `Body`, PutRestApi), the
`Policy` property and UpdateRestApi; authorizers (CreateAuthorizer, an OpenAPI body's); CloudFormation RestApis (OpenAPI `Body`), Deployments, Stages and Methods."""

import gc
import json

import pytest
from moto.cloudformation import parsing

from conftest import describe, unique

TARGET = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/private/0123456789abcdef"


@pytest.fixture
def method(aws):
    """A REST API with `GET /` and no integration yet: the (restApiId, resourceId, httpMethod) keywords."""
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name=unique("api"))["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    return {"restApiId": api, "resourceId": root, "httpMethod": "GET"}


def private_integration(aws, method, **extra):
    return aws("apigateway").put_integration(
        **method, type="HTTP_PROXY", integrationHttpMethod="GET", uri="http://backend.internal/",
        connectionType="VPC_LINK", connectionId="vl-one", **extra)


def fields(answer: dict) -> dict:
    keys = ("type", "uri", "httpMethod", "connectionType", "connectionId", "integrationTarget", "timeoutInMillis",
            "cacheKeyParameters", "requestParameters")
    return {k: answer[k] for k in keys if k in answer}


def test_put_integration_keeps_the_connection_and_every_read_answers_it(aws, method):
    put = private_integration(aws, method, integrationTarget=TARGET, timeoutInMillis=5000,
                              cacheKeyParameters=["method.request.path.id"])
    expected = {"type": "HTTP_PROXY", "uri": "http://backend.internal/", "httpMethod": "GET",
                "connectionType": "VPC_LINK", "connectionId": "vl-one", "integrationTarget": TARGET,
                "timeoutInMillis": 5000, "cacheKeyParameters": ["method.request.path.id"]}
    apigw = aws("apigateway")
    assert fields(put) == expected
    assert fields(apigw.get_integration(**method)) == expected
    assert fields(apigw.get_method(**method)["methodIntegration"]) == expected
    embedded = apigw.get_resources(restApiId=method["restApiId"], embed=["methods"])["items"][0]
    assert fields(embedded["resourceMethods"]["GET"]["methodIntegration"]) == expected


def test_a_new_put_integration_replaces_the_connection(aws, method):
    private_integration(aws, method, integrationTarget=TARGET)
    again = aws("apigateway").put_integration(**method, type="HTTP_PROXY", integrationHttpMethod="GET",
                                              uri="http://public.example/")
    assert "connectionId" not in again and "integrationTarget" not in again
    assert "connectionId" not in aws("apigateway").get_integration(**method)


def test_update_integration_patches_the_connection_and_the_timeout(aws, method):
    private_integration(aws, method, integrationTarget=TARGET)
    apigw = aws("apigateway")
    patched = apigw.update_integration(**method, patchOperations=[
        {"op": "replace", "path": "/connectionId", "value": "vl-two"},
        {"op": "replace", "path": "/timeoutInMillis", "value": "3000"},
        {"op": "remove", "path": "/integrationTarget"},
    ])
    assert (patched["connectionId"], patched["timeoutInMillis"]) == ("vl-two", 3000)
    assert "integrationTarget" not in patched
    assert apigw.get_method(**method)["methodIntegration"]["connectionId"] == "vl-two"
    assert apigw.get_integration(**method)["timeoutInMillis"] == 3000

    # Back to the internet, with another URI and parameter mapping, in one call (fields moto keeps and ours).
    patched = apigw.update_integration(**method, patchOperations=[
        {"op": "replace", "path": "/connectionType", "value": "INTERNET"},
        {"op": "remove", "path": "/connectionId"},
        {"op": "replace", "path": "/uri", "value": "http://public.example/{id}"},
        {"op": "add", "path": "/requestParameters/integration.request.path.id", "value": "method.request.path.id"},
        {"op": "add", "path": "/cacheKeyParameters/method.request.path.id"},
    ])
    assert fields(patched) == {
        "type": "HTTP_PROXY", "uri": "http://public.example/{id}", "httpMethod": "GET", "connectionType": "INTERNET",
        "timeoutInMillis": 3000, "cacheKeyParameters": ["method.request.path.id"],
        "requestParameters": {"integration.request.path.id": "method.request.path.id"}}
    assert fields(apigw.get_integration(**method)) == fields(patched)


def test_update_integration_refuses_what_it_cannot_apply_and_changes_nothing(aws, method):
    private_integration(aws, method)
    apigw = aws("apigateway")
    before = apigw.get_integration(**method)
    with pytest.raises(apigw.exceptions.BadRequestException, match="Invalid patch path '/nonsense'"):
        apigw.update_integration(**method, patchOperations=[
            {"op": "replace", "path": "/connectionId", "value": "vl-three"},
            {"op": "replace", "path": "/nonsense", "value": "x"}])
    with pytest.raises(apigw.exceptions.BadRequestException, match="timeoutInMillis"):
        apigw.update_integration(**method, patchOperations=[
            {"op": "replace", "path": "/timeoutInMillis", "value": "soon"}])
    assert fields(apigw.get_integration(**method)) == fields(before)

    apigw.put_method(**{**method, "httpMethod": "POST"}, authorizationType="NONE")
    with pytest.raises(apigw.exceptions.NotFoundException):  # a method without an integration
        apigw.update_integration(**{**method, "httpMethod": "POST"}, patchOperations=[
            {"op": "replace", "path": "/connectionId", "value": "vl-three"}])


def test_a_deleted_integration_takes_its_connection_along(aws, method):
    private_integration(aws, method, integrationTarget=TARGET)
    apigw = aws("apigateway")
    apigw.delete_integration(**method)
    assert "methodIntegration" not in apigw.get_method(**method)
    plain = apigw.put_integration(**method, type="MOCK")
    assert "connectionId" not in plain and "integrationTarget" not in plain


OPENAPI = {
    "openapi": "3.0.1",
    "info": {"title": "cfn-body-api", "version": "1"},
    "paths": {
        "/": {"get": {"x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "responses": {"default": {"statusCode": "200"}}}}},
        "/orders/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True}],
            "get": {"x-amazon-apigateway-integration": {
                "type": "http_proxy", "httpMethod": "GET", "uri": "http://backend.internal/orders/{id}",
                "connectionType": "VPC_LINK", "connectionId": "link123", "integrationTarget": TARGET,
                "requestParameters": {"integration.request.path.id": "method.request.path.id"}}}},
    },
    "x-amazon-apigateway-gateway-responses": {"MISSING_AUTHENTICATION_TOKEN": {
        "statusCode": "404", "responseTemplates": {"application/json": "{\"message\": \"no route\"}"}}},
}


def test_a_rest_api_from_an_openapi_body_with_its_deployment_and_stage(aws, stack):
    created = stack({"Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": OPENAPI}},
        "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}}},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
            "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "prod",
            "Variables": {"color": "blue"}}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    apigw = aws("apigateway")
    api = created["resources"]["Api"]
    assert apigw.get_rest_api(restApiId=api)["name"] == "cfn-body-api"  # no Name: the Body's title
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api, embed=["methods"])["items"]}
    assert {"/", "/orders", "/orders/{id}"} <= set(resources)
    get = resources["/orders/{id}"]["resourceMethods"]["GET"]
    assert get["requestParameters"] == {"method.request.path.id": True}
    assert fields(get["methodIntegration"]) == {
        "type": "HTTP_PROXY", "uri": "http://backend.internal/orders/{id}", "httpMethod": "GET",
        "connectionType": "VPC_LINK", "connectionId": "link123", "integrationTarget": TARGET,
        "cacheKeyParameters": [], "requestParameters": {"integration.request.path.id": "method.request.path.id"}}
    assert resources["/"]["resourceMethods"]["GET"]["methodIntegration"]["type"] == "MOCK"
    response = apigw.get_gateway_response(restApiId=api, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert response["statusCode"] == "404"
    stage = apigw.get_stage(restApiId=api, stageName="prod")
    assert (stage["deploymentId"], stage["variables"]) == (created["resources"]["Deployment"], {"color": "blue"})
    assert created["resources"]["Stage"] == "prod"

    # The integration made by CloudFormation is patched like any other.
    key = {"restApiId": api, "resourceId": resources["/orders/{id}"]["id"], "httpMethod": "GET"}
    patched = apigw.update_integration(**key, patchOperations=[
        {"op": "replace", "path": "/connectionId", "value": "link456"}])
    assert (patched["connectionId"], patched["integrationTarget"]) == ("link456", TARGET)

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    assert describe(aws("cloudformation"), created["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert api not in [a["id"] for a in apigw.get_rest_apis()["items"]]


def test_a_method_keeps_its_whole_integration(aws, stack):
    created = stack({"Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": unique("methods")}},
        "Proxy": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
            "PathPart": "{proxy+}"}},
        "Any": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Proxy"}, "HttpMethod": "any",
            "AuthorizationType": "NONE", "RequestParameters": {"method.request.path.proxy": True},
            "Integration": {
                "Type": "HTTP_PROXY", "IntegrationHttpMethod": "ANY", "Uri": "http://backend.internal/{proxy}",
                "ConnectionType": "VPC_LINK", "ConnectionId": "link789", "IntegrationTarget": TARGET,
                "TimeoutInMillis": "12000", "CacheKeyParameters": ["method.request.path.proxy"],
                "RequestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}}}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    key = {"restApiId": created["resources"]["Api"], "resourceId": created["resources"]["Proxy"],
           "httpMethod": "ANY"}
    apigw = aws("apigateway")
    assert fields(apigw.get_integration(**key)) == {
        "type": "HTTP_PROXY", "uri": "http://backend.internal/{proxy}", "httpMethod": "ANY",
        "connectionType": "VPC_LINK", "connectionId": "link789", "integrationTarget": TARGET,
        "timeoutInMillis": 12000, "cacheKeyParameters": ["method.request.path.proxy"],
        "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}}
    assert apigw.get_method(**key)["requestParameters"] == {"method.request.path.proxy": True}
    assert created["resources"]["Any"] == f"{key['restApiId']}-{key['resourceId']}-ANY"
    aws("cloudformation").delete_stack(StackName=created["StackName"])
    assert describe(aws("cloudformation"), created["StackId"])["StackStatus"] == "DELETE_COMPLETE"


AUTHORIZER_URI = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                  "arn:aws:lambda:us-east-1:123456789012:function:auth/invocations")


def test_create_authorizer_keeps_every_field_the_data_plane_reads(aws):
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name=unique("auth"))["id"]
    token = apigw.create_authorizer(
        restApiId=api, name="token", type="TOKEN", authorizerUri=AUTHORIZER_URI,
        identitySource="method.request.header.Authorization", identityValidationExpression="^Bearer [a-z]+$",
        authorizerResultTtlInSeconds=0)
    request = apigw.create_authorizer(
        restApiId=api, name="request", type="REQUEST", authorizerUri=AUTHORIZER_URI,
        identitySource="method.request.header.X-Tenant, method.request.querystring.key")
    by_name = {a["name"]: a for a in apigw.get_authorizers(restApiId=api)["items"]}
    assert by_name["token"] == {
        "id": token["id"], "name": "token", "type": "TOKEN", "authorizerUri": AUTHORIZER_URI,
        "identitySource": "method.request.header.Authorization",
        "identityValidationExpression": "^Bearer [a-z]+$", "authorizerResultTtlInSeconds": 0}
    assert by_name["request"]["identitySource"] == "method.request.header.X-Tenant, method.request.querystring.key"
    assert by_name["request"]["authorizerResultTtlInSeconds"] == 300  # AWS's default
    assert "identityValidationExpression" not in by_name["request"]


# What aws-sam-translator writes for an AWS::Serverless::Api with a TOKEN and a REQUEST Lambda authorizer.
SAM_AUTH_BODY = {
    "swagger": "2.0", "info": {"title": "guarded", "version": "1.0"},
    "securityDefinitions": {
        "TokenAuth": {"type": "apiKey", "name": "Authorization", "in": "header",
                      "x-amazon-apigateway-authtype": "custom",
                      "x-amazon-apigateway-authorizer": {
                          "type": "token", "authorizerUri": AUTHORIZER_URI, "authorizerResultTtlInSeconds": 60,
                          "identityValidationExpression": "^(allow|deny)-.+$"}},
        "RequestAuth": {"type": "apiKey", "name": "Unused", "in": "header",
                        "x-amazon-apigateway-authtype": "custom",
                        "x-amazon-apigateway-authorizer": {
                            "type": "request", "authorizerUri": AUTHORIZER_URI,
                            "identitySource": "method.request.header.X-Tenant"}},
    },
    "paths": {
        "/token": {"get": {"security": [{"TokenAuth": []}], "x-amazon-apigateway-integration": {"type": "mock"}}},
        "/request": {"get": {"security": [{"RequestAuth": []}],
                             "x-amazon-apigateway-integration": {"type": "mock"}}},
        "/open": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}},
    },
}


def test_authorizers_of_an_openapi_body_are_imported_with_their_methods(aws, stack):
    created = stack({"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": SAM_AUTH_BODY}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    apigw = aws("apigateway")
    api = created["resources"]["Api"]
    by_name = {a["name"]: a for a in apigw.get_authorizers(restApiId=api)["items"]}
    assert set(by_name) == {"TokenAuth", "RequestAuth"}
    token, request = by_name["TokenAuth"], by_name["RequestAuth"]
    assert (token["type"], token["identitySource"], token["identityValidationExpression"],
            token["authorizerResultTtlInSeconds"], token["authorizerUri"]) == (
        "TOKEN", "method.request.header.Authorization", "^(allow|deny)-.+$", 60, AUTHORIZER_URI)
    assert (request["type"], request["identitySource"], request["authorizerResultTtlInSeconds"]) == (
        "REQUEST", "method.request.header.X-Tenant", 300)
    methods = {r["path"]: r.get("resourceMethods", {}).get("GET")
               for r in apigw.get_resources(restApiId=api, embed=["methods"])["items"]}
    assert (methods["/token"]["authorizationType"], methods["/token"]["authorizerId"]) == ("CUSTOM", token["id"])
    assert methods["/request"]["authorizerId"] == request["id"]
    assert methods["/open"]["authorizationType"] == "NONE"


def test_an_unknown_authorizer_type_fails_the_stack_naming_the_scheme(aws, stack):
    body = {"openapi": "3.0.1", "info": {"title": "guarded", "version": "1"},
            "components": {"securitySchemes": {"odd": {"type": "apiKey", "x-amazon-apigateway-authorizer": {"type": "saml"}}}},
            "paths": {"/": {"get": {"security": [{"odd": []}],
                                    "x-amazon-apigateway-integration": {"type": "mock"}}}}}
    created = stack({"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}}}})
    assert created["StackStatus"] == "CREATE_FAILED"
    failed = [e for e in created["events"] if e["ResourceStatus"] == "CREATE_FAILED" and e["LogicalResourceId"] == "Api"]
    assert "security scheme `odd`" in failed[0]["ResourceStatusReason"]


def test_the_stage_model_outlives_a_garbage_collection(moto_url):
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    gc.collect()
    assert "AWS::ApiGateway::Stage" in parsing.get_model_map()


IP_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
    {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
     "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}}]}


def policy_of(aws, api: str) -> dict | None:
    text = aws("apigateway").get_rest_api(restApiId=api).get("policy")
    return json.loads(text) if text else None


def test_the_resource_policy_of_an_openapi_document_is_kept(aws, stack):
    body = {"openapi": "3.0.1", "info": {"title": unique("private"), "version": "1"},
            "x-amazon-apigateway-policy": IP_POLICY,
            "paths": {"/": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}}}
    created = stack({"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    assert policy_of(aws, created["resources"]["Api"]) == IP_POLICY

    # `Policy` set too: the property is the policy kept.
    only_allow = {"Version": "2012-10-17", "Statement": [IP_POLICY["Statement"][0]]}
    both = stack({"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {
        "Body": body, "Policy": only_allow}}}})
    assert policy_of(aws, both["resources"]["Api"]) == only_allow

    # PutRestApi (and ImportRestApi, which goes through it) keep it too.
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name=unique("imported"))["id"]
    assert policy_of(aws, api) is None
    imported = {"openapi": "3.0.1", "info": {"title": "imported", "version": "1"}, "paths": {},
                "x-amazon-apigateway-policy": IP_POLICY}
    apigw.put_rest_api(restApiId=api, mode="overwrite", body=json.dumps(imported).encode())
    assert policy_of(aws, api) == IP_POLICY

    # UpdateRestApi replaces it.
    apigw.update_rest_api(restApiId=api, patchOperations=[
        {"op": "replace", "path": "/policy", "value": json.dumps(only_allow)}])
    assert policy_of(aws, api) == only_allow


VALIDATED_BODY = {
    "openapi": "3.0.1", "info": {"title": "validated", "version": "1"},
    "x-amazon-apigateway-request-validators": {
        "body-only": {"validateRequestBody": True, "validateRequestParameters": False},
        "all": {"validateRequestBody": True, "validateRequestParameters": True}},
    "x-amazon-apigateway-request-validator": "all",
    "components": {"schemas": {"Order": {"type": "object", "required": ["id"],
                                         "properties": {"id": {"type": "string"}}}}},
    "paths": {
        "/orders": {"post": {
            "x-amazon-apigateway-request-validator": "body-only",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
            "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{}"}}}},
        "/items": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}},
    },
}


def test_request_validators_and_models_of_an_openapi_body_are_imported_with_their_methods(aws, stack):
    created = stack({"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": VALIDATED_BODY}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    apigw = aws("apigateway")
    api = created["resources"]["Api"]
    validators = {v["name"]: v for v in apigw.get_request_validators(restApiId=api)["items"]}
    assert (validators["body-only"]["validateRequestBody"], validators["body-only"]["validateRequestParameters"]) == (
        True, False)
    assert validators["all"]["validateRequestParameters"] is True
    models = {m["name"]: m for m in apigw.get_models(restApiId=api)["items"]}
    assert json.loads(models["Order"]["schema"])["required"] == ["id"]
    assert models["Order"]["contentType"] == "application/json"
    methods = {r["path"]: r.get("resourceMethods", {})
               for r in apigw.get_resources(restApiId=api, embed=["methods"])["items"]}
    orders = methods["/orders"]["POST"]
    assert orders["requestValidatorId"] == validators["body-only"]["id"]
    assert orders["requestModels"] == {"application/json": "Order"}
    assert methods["/items"]["GET"]["requestValidatorId"] == validators["all"]["id"], "the API's default validator"


def test_put_rest_api_keeps_the_aws_integration_validators_and_models(aws):
    """Terraform's `body`: PutRestApi (overwrite) keeps an AWS integration's credentials, request parameters and
    templates and responses, and imports the validators and models."""
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name=unique("put"))["id"]
    doc = json.loads(json.dumps(VALIDATED_BODY))
    doc["paths"]["/orders"]["post"]["x-amazon-apigateway-integration"] = {
        "type": "aws", "httpMethod": "POST", "uri": "arn:aws:apigateway:us-east-1:sqs:path/123456789012/q",
        "credentials": "arn:aws:iam::123456789012:role/send",
        "requestParameters": {"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
        "requestTemplates": {"application/json": "Action=SendMessage&MessageBody=$input.body"},
        "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": "{}"}}}}
    apigw.put_rest_api(restApiId=api, mode="overwrite", body=json.dumps(doc).encode())
    methods = {r["path"]: r.get("resourceMethods", {})
               for r in apigw.get_resources(restApiId=api, embed=["methods"])["items"]}
    orders = methods["/orders"]["POST"]
    validators = {v["name"]: v["id"] for v in apigw.get_request_validators(restApiId=api)["items"]}
    assert (orders["requestValidatorId"], orders["requestModels"]) == (
        validators["body-only"], {"application/json": "Order"})
    integration = orders["methodIntegration"]
    assert (integration["type"], integration["credentials"]) == ("AWS", "arn:aws:iam::123456789012:role/send")
    assert integration["requestTemplates"] == {"application/json": "Action=SendMessage&MessageBody=$input.body"}
    assert integration["requestParameters"] == {
        "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"}
    assert integration["integrationResponses"]["200"]["responseTemplates"] == {"application/json": "{}"}
