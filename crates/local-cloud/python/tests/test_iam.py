"""Tests of local_moto.iam: a role's inline policies from CloudFormation read back as JSON documents."""

import json
import urllib.parse

from conftest import unique


def document(text) -> dict:
    """GetRolePolicy's document: boto3 decodes it to a dict when it is JSON (URL-encoded or not)."""
    if isinstance(text, dict):
        return text
    return json.loads(urllib.parse.unquote(text))


def test_a_cloudformation_roles_inline_policies_read_back_as_json(aws, stack):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/t"}]}
    role_name = unique("role")
    created = stack({"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": role_name,
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "table", "PolicyDocument": policy}]}},
        "Extra": {"Type": "AWS::IAM::Policy", "Properties": {
            "PolicyName": "extra", "Roles": [{"Ref": "Role"}], "PolicyDocument": policy}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE"
    iam = aws("iam")
    for name in ("table", "extra"):
        raw = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        assert document(raw) == policy, raw
