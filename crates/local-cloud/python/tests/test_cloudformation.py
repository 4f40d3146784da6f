"""Tests of local_moto.cloudformation: stacks fail like AWS's (an unmodelled type or a raising resource is a
`*_FAILED` event naming it), each resource gets its `CREATE_COMPLETE` event, a failed stack has no outputs,
non-replaceable updates fail, `Fn::Cidr` is evaluated, numbers and booleans in String properties become strings,
only the newest deleted stacks are kept, and a TemplateURL on the local S3 endpoint is read."""

import json

import botocore.exceptions
import pytest

from conftest import describe, unique
from local_moto import cloudformation
from local_moto.cloudformation import cidr_blocks, with_string_properties


def failed_events(stack: dict) -> list[tuple[str, str, str]]:
    return [(e["LogicalResourceId"], e["ResourceType"], e["ResourceStatus"]) for e in stack["events"]
            if e["ResourceStatus"].endswith("_FAILED")]


def test_an_unsupported_resource_type_fails_the_stack_naming_it(stack):
    created = stack({"Resources": {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/cfn/unsupported"}},
        "Broker": {"Type": "AWS::AmazonMQ::Broker", "DependsOn": "Logs", "Properties": {}},
    }, "Outputs": {"Endpoint": {"Value": {"Fn::GetAtt": ["Broker", "AmqpEndpoints"]}}}})
    assert created["StackStatus"] == "CREATE_FAILED"
    assert failed_events(created) == [("Broker", "AWS::AmazonMQ::Broker", "CREATE_FAILED"),
                                      (created["StackName"], "AWS::CloudFormation::Stack", "CREATE_FAILED")]
    reasons = {e["LogicalResourceId"]: e.get("ResourceStatusReason") for e in created["events"]}
    assert reasons["Broker"] == ("AWS::AmazonMQ::Broker is not supported by the local cloud (moto 5.2.1's "
                                 "CloudFormation does not model it); see docs/local-cloud.md")
    assert reasons[created["StackName"]] == "The following resource(s) failed to create: [Broker]."
    assert "Outputs" not in created  # a failed stack answers no outputs
    completed = [e["LogicalResourceId"] for e in created["events"] if e["ResourceStatus"] == "CREATE_COMPLETE"]
    assert completed == ["Logs"]


def test_a_resource_whose_creation_raises_fails_the_stack_naming_it(stack):
    created = stack({"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {
        "BodyS3Location": {"Bucket": "specs", "Key": "api.yaml"}}}}})
    assert created["StackStatus"] == "CREATE_FAILED"
    assert failed_events(created)[0] == ("Api", "AWS::ApiGateway::RestApi", "CREATE_FAILED")
    reason = next(e["ResourceStatusReason"] for e in created["events"] if e["LogicalResourceId"] == "Api")
    assert reason.startswith("NotImplementedError: BodyS3Location is not supported by the local cloud")


def test_every_created_resource_gets_its_complete_event(stack):
    created = stack({"Resources": {
        "One": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/cfn/one"}},
        "Two": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/cfn/two"}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE"
    complete = {e["LogicalResourceId"]: e["PhysicalResourceId"] for e in created["events"]
                if e["ResourceStatus"] == "CREATE_COMPLETE" and e["ResourceType"] == "AWS::Logs::LogGroup"}
    assert complete == {"One": "/cfn/one", "Two": "/cfn/two"}


def test_an_update_moto_cannot_make_in_place_replaces_a_stateless_resource_or_fails_the_stack(aws, stack):
    template = {"Resources": {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/cfn/replaced"}},
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.70.0.0/16"}},
    }}
    cfn = aws("cloudformation")
    created = stack(template)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    template["Resources"]["Logs"]["Properties"]["RetentionInDays"] = 7  # a log group is replaced
    cfn.update_stack(StackName=created["StackName"], TemplateBody=json.dumps(template))
    assert describe(cfn, created["StackName"])["StackStatus"] == "UPDATE_COMPLETE"
    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/cfn/replaced")["logGroups"]
    assert [g.get("retentionInDays") for g in groups] == [7]

    template["Resources"]["Vpc"]["Properties"]["CidrBlock"] = "10.71.0.0/16"  # a VPC is not
    cfn.update_stack(StackName=created["StackName"], TemplateBody=json.dumps(template))
    updated = describe(cfn, created["StackName"])
    assert updated["StackStatus"] == "UPDATE_FAILED"
    reason = next(e["ResourceStatusReason"] for e in reversed(updated["events"])
                  if e["LogicalResourceId"] == "Vpc" and e["ResourceStatus"] == "UPDATE_FAILED")
    assert reason.startswith("updating AWS::EC2::VPC is not supported by the local cloud")


def test_fn_cidr_cuts_subnets(aws, stack):
    created = stack({"Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.60.0.0/16"}},
        "Second": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": {
            "Fn::Select": [1, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 4, 8]}]}}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    subnet = aws("ec2").describe_subnets(SubnetIds=[created["resources"]["Second"]])["Subnets"][0]
    assert subnet["CidrBlock"] == "10.60.1.0/24"


def test_cidr_blocks_as_cloudformation_computes_them():
    assert cidr_blocks("10.0.0.0/16", 3, 8) == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert cidr_blocks("192.168.0.0/24", "2", "6") == ["192.168.0.0/26", "192.168.0.64/26"]
    assert cidr_blocks("2001:db8::/56", 2, 64) == ["2001:db8::/64", "2001:db8:0:1::/64"]
    with pytest.raises(ValueError, match="cannot cut"):
        cidr_blocks("10.0.0.0/24", 1, 16)
    with pytest.raises(ValueError, match="holds fewer than 8"):
        cidr_blocks("10.0.0.0/24", 8, 6)


def test_only_the_newest_deleted_stacks_are_kept(aws, stack, monkeypatch):
    assert cloudformation.DELETED_STACKS_KEPT == 50  # the bound docs/local-cloud.md documents
    monkeypatch.setattr(cloudformation, "DELETED_STACKS_KEPT", 2)
    cfn, ids = aws("cloudformation"), []
    for _ in range(3):
        created = stack({"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup",
                                                "Properties": {"LogGroupName": unique("/cfn/deleted")}}}})
        ids.append(created["StackId"])
        cfn.delete_stack(StackName=created["StackName"])
    for kept in ids[1:]:  # as AWS answers a deleted stack, by its id
        assert cfn.describe_stacks(StackName=kept)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
        assert cfn.describe_stack_events(StackName=kept)["StackEvents"][0]["ResourceStatus"] == "DELETE_COMPLETE"
    with pytest.raises(botocore.exceptions.ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=ids[0])  # forgotten, as AWS forgets one after 90 days
    listed = {s["StackId"] for s in cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]}
    assert ids[0] not in listed and set(ids[1:]) <= listed


def test_numbers_and_booleans_in_string_properties_become_strings_as_cloudformation_makes_them(aws, stack, role_arn):
    # CloudFormation hands Lambda "1" for `RUST_BACKTRACE: 1` ("Type: Object of String",
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-environment.html)
    # and "true" for a tag's `Value: true` (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html).
    name = unique("cfn-env")
    created = stack({"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": name, "Code": {"ZipFile": "def handler(event, context): return {}"},
            "Handler": "index.handler", "Runtime": "python3.12", "Role": role_arn,
            "Environment": {"Variables": {"RUST_BACKTRACE": 1, "VERBOSE": True, "RATIO": 0.5, "NAME": "x",
                                          "SELF": {"Ref": "AWS::StackName"}}},
            "Tags": [{"Key": "cost-centre", "Value": 42}]}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "tier", "Value": False}]}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    fn = aws("lambda").get_function(FunctionName=name)
    assert fn["Configuration"]["Environment"]["Variables"] == {
        "RUST_BACKTRACE": "1", "VERBOSE": "true", "RATIO": "0.5", "NAME": "x", "SELF": created["StackName"]}
    assert fn["Tags"]["cost-centre"] == "42"
    queue_tags = aws("sqs").list_queue_tags(QueueUrl=created["resources"]["Queue"])["Tags"]
    assert queue_tags["tier"] == "false"


def test_string_properties_of_other_shapes_are_left_alone():
    # An intrinsic function is evaluated later; a number where the schema says Integer stays a number.
    resource = {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
        "Port": 80, "Matcher": {"HttpCode": 200}, "TargetGroupAttributes": [{"Key": "k", "Value": 30}],
        "Tags": {"team": {"Ref": "Team"}}}}
    out = with_string_properties(resource)
    assert out["Properties"] == {"Port": 80, "Matcher": {"HttpCode": "200"},
                                 "TargetGroupAttributes": [{"Key": "k", "Value": "30"}],
                                 "Tags": {"team": {"Ref": "Team"}}}
    assert resource["Properties"]["Matcher"] == {"HttpCode": 200}, "the template itself is not edited"


def test_a_template_url_on_the_local_s3_endpoint_is_read(aws, moto_url):
    s3, bucket, name = aws("s3"), unique("templates"), unique("from-url")
    s3.create_bucket(Bucket=bucket)
    template = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/{name}"}}}}
    s3.put_object(Bucket=bucket, Key="stack.template", Body=json.dumps(template).encode())
    # The path-style URL the SAM CLI builds from AWS_ENDPOINT_URL (moto 5.2.1 looked for a bucket named `127`).
    url = f"{moto_url}/{bucket}/stack.template?versionId=null"
    aws("cloudformation").create_stack(StackName=name, TemplateURL=url)
    assert describe(aws("cloudformation"), name)["resources"] == {"Logs": f"/{name}"}
    aws("cloudformation").delete_stack(StackName=name)
