"""Tests of local_moto.lambda_urls: function URL configurations (the API, CloudFormation's `AWS::Lambda::Url`) and
the permissions that go with them (`FunctionUrlAuthType`, `InvokedViaFunctionUrl` as the conditions AWS writes)."""

import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import REGION, unique

URL = re.compile(rf"^https://[a-z0-9]{{32}}\.lambda-url\.{REGION}\.on\.aws/$")


def test_a_function_url_has_aws_form_and_config(aws, function):
    name = function()["FunctionName"]
    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"], "MaxAge": 60}
    created = aws("lambda").create_function_url_config(FunctionName=name, AuthType="AWS_IAM", Cors=cors)
    assert URL.match(created["FunctionUrl"]), created["FunctionUrl"]
    got = aws("lambda").get_function_url_config(FunctionName=name)
    assert (got["FunctionUrl"], got["AuthType"], got["Cors"]["AllowOrigins"]) == (
        created["FunctionUrl"], "AWS_IAM", ["https://example.com"])
    assert got["InvokeMode"] == "BUFFERED"
    aws("lambda").delete_function_url_config(FunctionName=name)
    with pytest.raises(aws("lambda").exceptions.ResourceNotFoundException):
        aws("lambda").get_function_url_config(FunctionName=name)


def test_url_permissions_carry_the_conditions_aws_writes(aws, function):
    name = function()["FunctionName"]
    aws("lambda").add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl",
                                 Principal="*", FunctionUrlAuthType="NONE")
    aws("lambda").add_permission(FunctionName=name, StatementId="via", Action="lambda:InvokeFunction",
                                 Principal="*", InvokedViaFunctionUrl=True)
    statements = {s["Sid"]: s for s in json.loads(aws("lambda").get_policy(FunctionName=name)["Policy"])["Statement"]}
    assert statements["url"]["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    assert "FunctionUrlAuthType" not in statements["url"]
    assert statements["via"]["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
    assert "InvokedViaFunctionUrl" not in statements["via"]


def test_cloudformation_function_urls_and_their_permissions(aws, function, stack):
    name = function()["FunctionName"]
    dist = "arn:aws:cloudfront::123456789012:distribution/E1"
    created = stack({"Resources": {
        "Url": {"Type": "AWS::Lambda::Url", "Properties": {
            "TargetFunctionArn": name, "AuthType": "AWS_IAM",
            "Cors": {"AllowOrigins": ["*"], "AllowMethods": ["GET"]}}},
        "AllowUrl": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": name, "Action": "lambda:InvokeFunctionUrl", "Principal": "cloudfront.amazonaws.com",
            "SourceArn": dist, "FunctionUrlAuthType": "AWS_IAM"}},
        "AllowInvoke": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": name, "Action": "lambda:InvokeFunction", "Principal": "cloudfront.amazonaws.com",
            "SourceArn": dist, "InvokedViaFunctionUrl": True}},
    }, "Outputs": {"Url": {"Value": {"Fn::GetAtt": ["Url", "FunctionUrl"]}},
                   "Arn": {"Value": {"Fn::GetAtt": ["Url", "FunctionArn"]}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created["Outputs"]}
    config = aws("lambda").get_function_url_config(FunctionName=name)
    assert outputs["Url"] == config["FunctionUrl"] and URL.match(outputs["Url"])
    assert outputs["Arn"] == config["FunctionArn"] and config["AuthType"] == "AWS_IAM"
    assert config["Cors"]["AllowOrigins"] == ["*"]
    statements = {s["Sid"]: s for s in json.loads(aws("lambda").get_policy(FunctionName=name)["Policy"])["Statement"]}
    url = statements[created["resources"]["AllowUrl"]]
    assert url["Condition"] == {"ArnLike": {"AWS:SourceArn": dist},
                                "StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}
    via = statements[created["resources"]["AllowInvoke"]]
    assert via["Condition"] == {"ArnLike": {"AWS:SourceArn": dist}, "Bool": {"lambda:InvokedViaFunctionUrl": "true"}}

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    with pytest.raises(aws("lambda").exceptions.ResourceNotFoundException):
        aws("lambda").get_function_url_config(FunctionName=name)


def test_a_second_url_for_a_function_is_refused(aws, function):
    name = function()["FunctionName"]
    aws("lambda").create_function_url_config(FunctionName=name, AuthType="NONE")
    with pytest.raises(aws("lambda").exceptions.ResourceConflictException):
        aws("lambda").create_function_url_config(FunctionName=name, AuthType="NONE")


def test_the_edge_learns_who_signed_and_what_their_policies_allow(aws, function, moto_url):
    arn = function()["FunctionArn"]
    iam = aws("iam")

    def identity(key: str):
        query = urllib.parse.urlencode({"function": arn})
        try:
            with urllib.request.urlopen(f"{moto_url}/_local/iam/access-key/{key}?{query}") as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    nobody = unique("nobody")
    iam.create_user(UserName=nobody)
    key = iam.create_access_key(UserName=nobody)["AccessKey"]["AccessKeyId"]
    status, body = identity(key)
    assert (status, body["allowed"], body["arn"]) == (200, False, f"arn:aws:iam::123456789012:user/{nobody}")
    only_url = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:InvokeFunctionUrl", "Resource": arn}]}
    iam.put_user_policy(UserName=nobody, PolicyName="url", PolicyDocument=json.dumps(only_url))
    assert identity(key)[1]["allowed"] is False  # lambda:InvokeFunction too, since October 2025
    both = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"], "Resource": arn}]}
    iam.put_user_policy(UserName=nobody, PolicyName="url", PolicyDocument=json.dumps(both))
    assert identity(key)[1]["allowed"] is True
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "lambda:*", "Resource": "*"}]}
    iam.put_user_policy(UserName=nobody, PolicyName="deny", PolicyDocument=json.dumps(deny))
    assert identity(key)[1]["allowed"] is False
    assert identity("AKIANOSUCHKEY0000000")[0] == 404
