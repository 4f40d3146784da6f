"""Tests of local_moto.cloudformation_transforms: a SAM template is expanded server-side by CreateStack and
CreateChangeSet, GetTemplate answers the Original or the Processed stage, managed policy names resolve, and a
template the translator rejects is refused with AWS's message (a FAILED change set, for CreateChangeSet)."""

import json

import botocore.exceptions
import pytest

from conftest import describe, lambda_zip, unique

SAM_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hello
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      CodeUri: s3://{bucket}/fn.zip
      Policies:
        - AWSLambdaBasicExecutionRole
      Environment:
        Variables:
          GREETING: !Ref Greeting
Outputs:
  FunctionName:
    Value: !Ref Fn
"""


@pytest.fixture
def code_bucket(aws) -> str:
    bucket = unique("sam-code")
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key="fn.zip", Body=lambda_zip())
    return bucket


def test_create_stack_expands_the_sam_transform(aws, code_bucket):
    cfn, name = aws("cloudformation"), unique("sam")
    body = SAM_TEMPLATE.format(bucket=code_bucket)
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                     Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "hi"}])
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack["events"]
    # SAM's expansion: the function, and the role it generates for the policies.
    assert set(stack["resources"]) == {"Fn", "FnRole"}
    function = stack["Outputs"][0]["OutputValue"]
    config = aws("lambda").get_function_configuration(FunctionName=function)
    assert config["Environment"]["Variables"] == {"GREETING": "hi"}
    assert config["Role"].split("/")[-1] == stack["resources"]["FnRole"]

    # GetTemplate: the template as sent by default, the expanded one on request.
    original = cfn.get_template(StackName=name)
    assert original["TemplateBody"] == body
    assert original["StagesAvailable"] == ["Original", "Processed"]
    expanded = cfn.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    assert "Transform" not in expanded
    assert expanded["Resources"]["Fn"]["Type"] == "AWS::Lambda::Function"
    # The managed policy named by name, resolved to its ARN (path included) as AWS's transform does.
    assert expanded["Resources"]["FnRole"]["Properties"]["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    cfn.delete_stack(StackName=name)


def test_a_change_set_expands_it_too_and_the_stack_keeps_the_original(aws, code_bucket):
    cfn, name = aws("cloudformation"), unique("sam-cs")
    body = SAM_TEMPLATE.format(bucket=code_bucket)
    created = cfn.create_change_set(StackName=name, ChangeSetName="first", ChangeSetType="CREATE",
                                    TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    change_set = cfn.describe_change_set(ChangeSetName=created["Id"])
    changes = sorted((c["ResourceChange"]["LogicalResourceId"], c["ResourceChange"]["ResourceType"])
                     for c in change_set["Changes"])
    assert changes == [("Fn", "AWS::Lambda::Function"), ("FnRole", "AWS::IAM::Role")]
    assert cfn.get_template(ChangeSetName=created["Id"])["TemplateBody"] == body
    cfn.execute_change_set(ChangeSetName=created["Id"])
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack["events"]
    assert cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"] == body
    processed = cfn.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    assert processed["Resources"]["FnRole"]["Type"] == "AWS::IAM::Role"
    cfn.delete_stack(StackName=name)


def test_a_template_without_the_transform_is_left_alone(aws):
    cfn, name = aws("cloudformation"), unique("plain")
    template = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/{name}"}}}}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    assert cfn.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"] == template
    cfn.delete_stack(StackName=name)


BAD_SAM = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n" \
          "    Properties:\n      Handler: index.handler\n"  # neither CodeUri nor InlineCode
REJECTED = ("Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification document. "
            "Number of errors found: 1. Resource with id [Fn] is invalid. ")


def test_a_template_the_translator_rejects_is_refused_naming_the_resource(aws):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        aws("cloudformation").create_stack(StackName=unique("bad-sam"), TemplateBody=BAD_SAM)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"].startswith(REJECTED), error


def test_a_change_set_of_a_rejected_template_fails_with_the_reason(aws):
    """As AWS reports it (`sam deploy` prints "Waiter ChangeSetCreateComplete failed ... Status: FAILED. Reason:
    Transform AWS::Serverless-2016-10-31 failed with: ..."), the stack left in REVIEW_IN_PROGRESS."""
    cfn, name = aws("cloudformation"), unique("bad-sam-cs")
    created = cfn.create_change_set(StackName=name, ChangeSetName="bad", ChangeSetType="CREATE", TemplateBody=BAD_SAM)
    change_set = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert change_set["StatusReason"].startswith(REJECTED), change_set
    assert change_set["Changes"] == []
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cfn.execute_change_set(ChangeSetName=created["Id"])
    assert raised.value.response["Error"]["Code"] == "InvalidChangeSetStatus"


def test_the_region_is_the_stack_s_not_the_server_s(aws, code_bucket, monkeypatch):
    cfn, name = aws("cloudformation"), unique("sam-region")
    for variable in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(variable, raising=False)  # the local cloud's moto runs without them
    cfn.create_stack(StackName=name, TemplateBody=SAM_TEMPLATE.format(bucket=code_bucket),
                     Capabilities=["CAPABILITY_IAM"])
    assert describe(cfn, name)["StackStatus"] == "CREATE_COMPLETE"
    cfn.delete_stack(StackName=name)
