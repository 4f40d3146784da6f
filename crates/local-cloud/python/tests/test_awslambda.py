"""Tests of local_moto.awslambda: invocations moto makes run on the edge, functions keep `LoggingConfig` and
`DeadLetterConfig`, asynchronous invocation settings behave as AWS's, CloudFormation functions, permissions and event
invoke configs are complete and deletable, and a deleted function drops its code."""

import base64
import gzip
import json
import time
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


@pytest.mark.parametrize("payload", [b"[1, 2]", b"7", b'{"qualifier": "nope"}'])
def test_any_json_payload_reaches_the_function(aws, function, payload):
    arn = function()["FunctionArn"]
    out = aws("lambda").invoke(FunctionName=arn, Payload=payload)
    assert out["StatusCode"] == 200 and "FunctionError" not in out, out


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


def test_functions_keep_their_dead_letter_config(aws, function, stack, role_arn):
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('dlq')}"
    name = unique("with-dlq")
    created = function(FunctionName=name, DeadLetterConfig={"TargetArn": queue})
    assert created["DeadLetterConfig"] == {"TargetArn": queue}
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('dlq-topic')}"
    aws("lambda").update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": topic})
    assert aws("lambda").get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {"TargetArn": topic}
    aws("lambda").update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in aws("lambda").get_function_configuration(FunctionName=name)
    assert "DeadLetterConfig" not in function()

    cfn_name = unique("cfn-dlq")
    created = stack({"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": cfn_name, "Runtime": "python3.12", "Handler": "index.handler", "Role": role_arn,
        "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
        "DeadLetterConfig": {"TargetArn": queue}}}}})
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    assert aws("lambda").get_function_configuration(FunctionName=cfn_name)["DeadLetterConfig"] == {"TargetArn": queue}


def test_put_event_invoke_config_replaces_and_update_merges(aws, function):
    name = function()["FunctionName"]
    lam = aws("lambda")
    failures = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('failures')}"
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=600)
    # A second Put replaces the whole configuration (moto 5.2.1 kept answering the first).
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0,
                                         DestinationConfig={"OnFailure": {"Destination": failures}})
    config = lam.get_function_event_invoke_config(FunctionName=name)
    assert config["MaximumRetryAttempts"] == 0
    assert "MaximumEventAgeInSeconds" not in config
    assert config["DestinationConfig"]["OnFailure"] == {"Destination": failures}
    # Update changes only what it names, and answers a typed LastModified.
    out = lam.update_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=120)
    assert out["LastModified"].year >= 2024
    config = lam.get_function_event_invoke_config(FunctionName=name)
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 120)
    assert config["DestinationConfig"]["OnFailure"] == {"Destination": failures}
    other = function()["FunctionName"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.update_function_event_invoke_config(FunctionName=other, MaximumRetryAttempts=1)


def test_cloudformation_event_invoke_config(aws, function, stack):
    name = function()["FunctionName"]
    failures = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('failures')}"
    stack_name = unique("eic")
    created = stack({"Resources": {"Config": {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {
        "FunctionName": name, "Qualifier": "$LATEST", "MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60,
        "DestinationConfig": {"OnFailure": {"Destination": failures}}}}}}, stack_name)
    assert created["StackStatus"] == "CREATE_COMPLETE", created["events"]
    assert created["resources"]["Config"] == f"{name}:$LATEST"
    config = aws("lambda").get_function_event_invoke_config(FunctionName=name)
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 60)
    assert config["DestinationConfig"]["OnFailure"] == {"Destination": failures}
    aws("cloudformation").delete_stack(StackName=stack_name)
    with pytest.raises(aws("lambda").exceptions.ResourceNotFoundException):
        aws("lambda").get_function_event_invoke_config(FunctionName=name)


def test_a_log_subscription_queues_its_event_as_logs_amazonaws_com(aws, function, edge):
    arn = function()["FunctionArn"]
    logs = aws("logs")
    group = f"/test/{unique('subscribed')}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_subscription_filter(logGroupName=group, filterName="all", filterPattern="", destinationArn=arn)
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "hello"}])
    path = f"/_local/lambda/async/{urllib.parse.quote(arn, safe='')}"
    request = edge.wait_for("POST", path)
    assert request["headers"]["x-local-source-principal"] == "logs.amazonaws.com"
    assert request["headers"]["x-local-source-arn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"

    def decoded(r):
        return json.loads(gzip.decompress(base64.b64decode(json.loads(r["body"])["awslogs"]["data"])))

    deadline = time.monotonic() + 10
    while not any(e["message"] == "hello" for r in edge.requests if r["path"] == path for e in decoded(r)["logEvents"]):
        assert time.monotonic() < deadline, [decoded(r) for r in edge.requests if r["path"] == path]
        time.sleep(0.1)
    data = next(decoded(r) for r in edge.requests if r["path"] == path and decoded(r)["logEvents"])
    assert (data["logGroup"], data["logStream"], data["subscriptionFilters"]) == (group, "s", ["all"])


def test_a_stream_mapping_leaves_the_records_to_the_edge_poller(aws, function, edge):
    # Lambda reads the stream itself (GetShardIterator/GetRecords, https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html);
    # moto invoked the function inside PutItem and emptied the shard.
    ddb, name = aws("dynamodb"), unique("streamed")
    table = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    stream_arn = table["TableDescription"]["LatestStreamArn"]
    arn = function()["FunctionArn"]
    aws("lambda").create_event_source_mapping(FunctionName=arn, EventSourceArn=stream_arn,
                                              StartingPosition="TRIM_HORIZON", BatchSize=10)
    ddb.put_item(TableName=name, Item={"id": {"S": "a"}})
    ddb.put_item(TableName=name, Item={"id": {"S": "a"}, "n": {"N": "1"}})
    assert not [r for r in edge.requests if r["path"] == invoke_path(arn)]
    streams = aws("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["OldImage"] == {"id": {"S": "a"}}


def test_filter_criteria_are_checked_and_kept(aws, function):
    # Lambda refuses a pattern that is not a valid filter with "Invalid filter pattern definition."
    # (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-syntax); a valid one
    # is stored and reported back for the edge's poller to apply.
    sqs, lam = aws("sqs"), aws("lambda")
    queue = sqs.create_queue(QueueName=unique("filtered"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    arn = function()["FunctionArn"]
    for bad in ['{"body": 3}', '["body"]', '{"body": {"kind": [{"bogus": 1}]}}', "not json"]:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as err:
            lam.create_event_source_mapping(FunctionName=arn, EventSourceArn=queue_arn,
                                            FilterCriteria={"Filters": [{"Pattern": bad}]})
        assert "Invalid filter pattern definition." in str(err.value), bad
    good = '{"body": {"kind": ["order"]}}'
    uuid = lam.create_event_source_mapping(FunctionName=arn, EventSourceArn=queue_arn,
                                           FilterCriteria={"Filters": [{"Pattern": good}]})["UUID"]
    assert lam.get_event_source_mapping(UUID=uuid)["FilterCriteria"] == {"Filters": [{"Pattern": good}]}
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_event_source_mapping(UUID=uuid, FilterCriteria={"Filters": [{"Pattern": "{}x"}]})
    lam.delete_event_source_mapping(UUID=uuid)
