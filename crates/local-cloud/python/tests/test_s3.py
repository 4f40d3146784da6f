"""Tests of local_moto.s3: notification records reach Lambda (on the edge) as AWS writes them, and CloudFormation
buckets keep their notifications, public access block and ownership controls, and a stack's bucket that holds
objects fails the stack's deletion as on AWS; an anonymous read of a private object is refused; a bucket policy
statement applies only where its conditions hold."""

import json
import re

import botocore.exceptions
import pytest
import urllib.error
import urllib.parse
import urllib.request

from conftest import ACCOUNT, describe, unique


def test_a_notification_reaches_the_function_as_aws_writes_it(aws, function, edge):
    arn = function()["FunctionArn"]
    bucket = unique("notified")
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket=bucket, Key="order.json", Body=b"{}")
    request = edge.wait_for("POST", f"/_local/lambda/async/{urllib.parse.quote(arn, safe='')}")
    # Queued as S3 invokes Lambda: asynchronously, as s3.amazonaws.com for the bucket (the resource policy decides).
    assert request["headers"]["x-local-source-principal"] == "s3.amazonaws.com"
    assert request["headers"]["x-local-source-arn"] == f"arn:aws:s3:::{bucket}"
    assert request["headers"]["x-local-source-account"] == ACCOUNT
    event = json.loads(request["body"])
    record = event["Records"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"]), record["eventTime"]
    assert record["userIdentity"]["principalId"]
    assert record["requestParameters"] == {"sourceIPAddress": "127.0.0.1"}
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["bucket"]["ownerIdentity"]["principalId"]
    assert record["s3"]["object"]["key"] == "order.json"
    assert re.fullmatch(r"[0-9A-F]{18,}", record["s3"]["object"]["sequencer"])


def test_cloudformation_buckets_keep_notifications_public_access_block_and_ownership(aws, function, stack):
    arn = function()["FunctionArn"]
    bucket = unique("cfn-bucket")
    created = stack({"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
        "BucketName": bucket,
        "NotificationConfiguration": {"LambdaConfigurations": [{
            "Event": "s3:ObjectCreated:*", "Function": arn,
            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "in/"}]}}}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    }}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    s3 = aws("s3")
    notifications = s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert [(n["LambdaFunctionArn"], n["Events"]) for n in notifications] == [(arn, ["s3:ObjectCreated:*"])]
    assert notifications[0]["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "in/"}]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_a_stack_whose_bucket_holds_objects_fails_to_delete_and_the_bucket_stays(aws, stack):
    # On AWS: DELETE_FAILED, the bucket's event reads "The bucket you tried to delete is not empty", the bucket
    # stays (https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-bucket.html). Emptied, a second
    # DeleteStack removes it.
    bucket = unique("cfn-full")
    created = stack({"Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/cfn/{bucket}"}},
    }})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    s3, cfn = aws("s3"), aws("cloudformation")
    s3.put_object(Bucket=bucket, Key="kept.txt", Body=b"data")

    cfn.delete_stack(StackName=created["StackId"])
    failed = describe(cfn, created["StackId"])
    assert failed["StackStatus"] == "DELETE_FAILED"
    reason = next(e["ResourceStatusReason"] for e in reversed(failed["events"])
                  if e["LogicalResourceId"] == "Bucket" and e["ResourceStatus"] == "DELETE_FAILED")
    assert "The bucket you tried to delete is not empty" in reason
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["kept.txt"], "the bucket stays"

    s3.delete_object(Bucket=bucket, Key="kept.txt")
    cfn.delete_stack(StackName=created["StackId"])
    assert describe(cfn, created["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def anonymous_get(moto_url: str, bucket: str, key: str, method: str = "GET") -> tuple[int, bytes]:
    """An unsigned request to the object's path-style URL, as a browser or curl sends it."""
    request = urllib.request.Request(f"{moto_url}/{bucket}/{key}", method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_an_anonymous_read_of_a_private_object_is_refused_whatever_the_policy_grants_cloudfront(aws, moto_url):
    bucket = unique("private-site")
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True})
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>hi</h1>", ContentType="text/html")
    # What a CloudFront Origin Access Control needs: the service principal, for one distribution.
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"}}}]}))
    status, body = anonymous_get(moto_url, bucket, "index.html")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body, (status, body)
    assert anonymous_get(moto_url, bucket, "index.html", "HEAD")[0] == 403
    assert anonymous_get(moto_url, bucket, "missing.html")[0] == 403, "no ListBucket: a missing key is 403 too"
    # The owner's signed request still reads it.
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"<h1>hi</h1>"


def test_an_object_public_by_policy_is_read_anonymously_unless_public_buckets_are_restricted(aws, moto_url):
    bucket = unique("public-site")
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"public")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert anonymous_get(moto_url, bucket, "index.html") == (200, b"public")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "BlockPublicPolicy": False, "IgnorePublicAcls": False,
        "RestrictPublicBuckets": True})
    assert anonymous_get(moto_url, bucket, "index.html")[0] == 403


def test_a_bucket_with_eventbridge_on_sends_aws_s_event_to_the_default_bus_only(aws, stack):
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html: S3 sends events to the default bus;
    # the event's shape: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
    sqs, events = aws("sqs"), aws("events")

    def queue_for(rule_arn):
        url = sqs.create_queue(QueueName=unique("s3-events"))["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        return url, arn

    bucket = unique("events").lower()
    created = stack({"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
        "BucketName": bucket,
        "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    pattern = json.dumps({"source": ["aws.s3"], "detail": {"bucket": {"name": [bucket]}}})
    default_rule = events.put_rule(Name=unique("s3"), EventPattern=pattern)["RuleArn"]
    default_queue, default_arn = queue_for(default_rule)
    events.put_targets(Rule=default_rule.split("/")[-1], Targets=[{"Id": "q", "Arn": default_arn}])
    bus = unique("other")
    events.create_event_bus(Name=bus)
    other_rule = events.put_rule(Name=unique("s3"), EventBusName=bus, EventPattern=pattern)["RuleArn"]
    other_queue, other_arn = queue_for(other_rule)
    events.put_targets(Rule=other_rule.split("/")[-1], EventBusName=bus, Targets=[{"Id": "q", "Arn": other_arn}])

    aws("s3").put_object(Bucket=bucket, Key="in/a.txt", Body=b"12345")
    messages = sqs.receive_message(QueueUrl=default_queue, WaitTimeSeconds=5).get("Messages", [])
    assert len(messages) == 1, messages
    event = json.loads(messages[0]["Body"])
    assert (event["source"], event["detail-type"]) == ("aws.s3", "Object Created")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"]), event["time"]
    assert event["resources"] == [f"arn:aws:s3:::{bucket}"]
    detail = event["detail"]
    assert detail["object"]["key"] == "in/a.txt" and detail["object"]["size"] == 5
    assert set(detail["object"]) >= {"etag", "sequencer"} and "eTag" not in detail["object"]
    assert (detail["reason"], detail["requester"]) == ("PutObject", ACCOUNT)
    assert sqs.receive_message(QueueUrl=other_queue, WaitTimeSeconds=1).get("Messages", []) == []


def test_a_bucket_policy_statement_applies_only_where_its_conditions_hold(aws):
    s3, bucket = aws("s3"), unique("conditions")
    s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}"
    # The SAM CLI's managed bucket: plain-HTTP requests denied, reads allowed to a service of this account only.
    sam_cli_policy = {"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{arn}/*",
         "Principal": {"Service": "serverlessrepo.amazonaws.com"},
         "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}},
        {"Effect": "Deny", "Action": ["s3:*"], "Resource": [arn, f"{arn}/*"], "Principal": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(sam_cli_policy))
    s3.put_object(Bucket=bucket, Key="artifact.zip", Body=b"zip")  # moto 5.2.1: 403, the Bool condition ignored
    assert s3.get_object(Bucket=bucket, Key="artifact.zip")["Body"].read() == b"zip"

    # A condition that holds (the local cloud stands in for S3's HTTPS endpoint) applies its statement.
    deny_tls = {"Statement": [{"Effect": "Deny", "Action": "s3:PutObject", "Resource": f"{arn}/*", "Principal": "*",
                               "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_tls))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="other.zip", Body=b"zip")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
