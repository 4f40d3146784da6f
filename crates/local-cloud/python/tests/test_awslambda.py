"""Tests of local_moto.awslambda: invocations moto makes run on the edge, functions keep `LoggingConfig`, and
CloudFormation functions and permissions are complete and deletable, and a deleted function drops its code."""

import json
import urllib.parse

import pytest

from conftest import ACCOUNT, REGION, describe, unique


def invoke_path(arn: str) -> str:
    return f"/_local/lambda/invoke/{urllib.parse.quote(arn, safe='')}"


def test_the_invoke_api_runs_the_function_on_the_edge(aws, function, edge):
    arn = function()["FunctionArn"]
    edge.answers[invoke_path(arn)] = (200, {"X-Amz-Function-Error": "Unhandled"}, b'{"errorMessage": "boom"}')
    out = aws("lambda").invoke(FunctionName=arn, Payload=b'{"order": 7}')
    assert out["FunctionError"] == "Unhandled"
    assert json.loads(out["Payload"].read()) == {"errorMessage": "boom"}
    assert json.loads(edge.wait_for("POST", invoke_path(arn))["body"]) == {"order": 7}


def test_an_sns_subscription_invokes_the_function_on_the_edge(aws, function, edge):
    arn = function()["FunctionArn"]
    topic = aws("sns").create_topic(Name=unique("topic"))["TopicArn"]
    aws("sns").subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    aws("sns").publish(TopicArn=topic, Message="hello")
    event = json.loads(edge.wait_for("POST", invoke_path(arn))["body"])
    assert event["Records"][0]["Sns"]["Message"] == "hello"


def test_functions_keep_their_logging_config(aws, function):
    name = unique("logged")
    created = function(FunctionName=name, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"})
    assert created["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG",
                                        "LogGroup": f"/aws/lambda/{name}"}
    aws("lambda").update_function_configuration(FunctionName=name, LoggingConfig={"LogGroup": "/custom/group"})
    config = aws("lambda").get_function_configuration(FunctionName=name)
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/custom/group"}
    assert "LoggingConfig" not in function()  # none asked, none answered


def test_cloudformation_functions_and_permissions(aws, stack, edge, role_arn):
    name = unique("cfn-fn")
    template = {"Resources": {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/custom/{name}"}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": name, "Code": {"ZipFile": "def handler(event, context): return {}"},
            "Handler": "index.handler", "Runtime": "python3.12", "Role": role_arn, "Architectures": ["arm64"],
            "LoggingConfig": {"LogGroup": {"Ref": "Logs"}}, "Tags": [{"Key": "team", "Value": "orders"}]}},
        "Invoke": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"}},
    }}
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    sid = created["resources"]["Invoke"]  # the permission's physical id is its statement id
    assert "-Invoke-" in sid
    config = aws("lambda").get_function(FunctionName=name)
    assert config["Configuration"]["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/custom/{name}"}
    assert config["Configuration"]["Architectures"] == ["arm64"]
    assert config["Tags"]["team"] == "orders"
    policy = json.loads(aws("lambda").get_policy(FunctionName=name)["Policy"])
    statement = policy["Statement"][0]
    assert statement["Sid"] == sid
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Resource"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"

    aws("cloudformation").delete_stack(StackName=created["StackName"])
    assert name not in [f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]]
    edge.wait_for("DELETE", f"/_local/lambda/functions/{name}/instances")  # its instances stopped on the edge
    assert describe(aws("cloudformation"), created["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_a_permission_is_deleted_with_its_stack_while_the_function_stays(aws, function, stack):
    name = function()["FunctionName"]
    created = stack({"Resources": {"Allow": {"Type": "AWS::Lambda::Permission", "Properties": {
        "FunctionName": name, "Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com"}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    statement = json.loads(aws("lambda").get_policy(FunctionName=name)["Policy"])["Statement"][0]
    assert statement["Sid"] == created["resources"]["Allow"]
    aws("cloudformation").delete_stack(StackName=created["StackName"])
    with pytest.raises(aws("lambda").exceptions.ResourceNotFoundException):  # no statement left: no policy
        aws("lambda").get_policy(FunctionName=name)
    assert aws("lambda").get_function(FunctionName=name)["Configuration"]["FunctionName"] == name


def test_a_deleted_function_drops_its_code_at_once(aws, function):
    from moto.awslambda.models import lambda_backends

    name = unique("dropped")
    function(FunctionName=name)
    model = lambda_backends[ACCOUNT][REGION].get_function(name)  # as moto's own reference cycle keeps it
    assert model.code_bytes and model.code["ZipFile"]
    aws("lambda").delete_function(FunctionName=name)
    assert model.code_bytes == b"" and model.code["ZipFile"] == ""
