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


def test_a_bucket_policy_statement_whose_condition_does_not_hold_does_not_apply(aws):
    """The CDK bootstrap bucket's policy denies `s3:*` when `aws:SecureTransport` is "false"; a request without
    that key (the local cloud's edge stands for AWS's HTTPS endpoints) is not denied by it, while an unconditional
    Deny still denies."""
    s3 = aws("s3")
    bucket = unique("staging")
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}"

    def policy(*statements):
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))

    ssl_only = {"Sid": "AllowSSLRequestsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    policy(ssl_only)
    s3.put_object(Bucket=bucket, Key="asset.zip", Body=b"zip")
    assert s3.get_object(Bucket=bucket, Key="asset.zip")["Body"].read() == b"zip"

    deny_all = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{arn}/*"}
    policy(ssl_only, deny_all)
    try:
        s3.put_object(Bucket=bucket, Key="other.zip", Body=b"zip")
        raise AssertionError("an unconditional Deny let PutObject through")
    except s3.exceptions.ClientError as err:
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403
