"""Tests of local_moto.stepfunctions: executions really run, their Lambda tasks reach the edge, task tokens wait for
SendTaskSuccess/SendTaskFailure, Retry waits its real intervals, Map and Catch, a machine runs many times,
definitions are validated, versions listed, and the tagging API lists tagged machines."""

import json
import time
import urllib.parse

import pytest

from conftest import unique


def wait_execution(sfn, arn: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        out = sfn.describe_execution(executionArn=arn)
        if out["status"] != "RUNNING" or time.monotonic() > deadline:
            return out
        time.sleep(0.05)


def test_an_execution_runs_its_states(aws, role_arn):
    sfn = aws("stepfunctions", "us-west-2")
    definition = {"StartAt": "Shape", "States": {"Shape": {
        "Type": "Pass", "Parameters": {"order.$": "$.id", "state": "shaped"}, "End": True}}}
    machine = sfn.create_state_machine(name=unique("sm"), definition=json.dumps(definition), roleArn=role_arn)
    run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"id": "o-1"}))
    out = wait_execution(sfn, run["executionArn"])
    assert out["status"] == "SUCCEEDED", out
    assert json.loads(out["output"]) == {"order": "o-1", "state": "shaped"}


def test_a_lambda_task_runs_on_the_edge(aws, role_arn, function, edge):
    region = "eu-west-1"
    arn = function(region)["FunctionArn"]
    path = f"/_local/lambda/invoke/{urllib.parse.quote(arn, safe='')}"
    edge.answers[path] = (200, {}, b'{"handled": true}')
    sfn = aws("stepfunctions", region)
    definition = {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": arn, "End": True}}}
    machine = sfn.create_state_machine(name=unique("sm"), definition=json.dumps(definition), roleArn=role_arn)
    run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"id": "o-2"}))
    assert json.loads(edge.wait_for("POST", path)["body"]) == {"id": "o-2"}
    out = wait_execution(sfn, run["executionArn"])
    assert out["status"] == "SUCCEEDED", out
    assert json.loads(out["output"]) == {"handled": True}


def test_a_machine_runs_again_and_unnamed_executions_get_unique_names(aws, role_arn):
    sfn = aws("stepfunctions", "ca-central-1")
    definition = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name=unique("sm"), definition=json.dumps(definition), roleArn=role_arn)
    runs = []
    for n in range(3):
        run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"n": n}))
        runs.append(run["executionArn"])
        assert json.loads(wait_execution(sfn, run["executionArn"])["output"]) == {"n": n}
    assert len(set(runs)) == 3 and not any(arn.endswith(":None") for arn in runs), runs


def receive_one(sqs, queue_url: str) -> dict:
    for _ in range(100):
        messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", [])
        if messages:
            return json.loads(messages[0]["Body"])
        time.sleep(0.05)
    raise AssertionError(f"no message reached {queue_url}")


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_a_task_token_sent_to_sqs_resumes_the_execution(aws, role_arn, outcome):
    region = "eu-north-1"
    sqs, sfn = aws("sqs", region), aws("stepfunctions", region)
    queue_url = sqs.create_queue(QueueName=unique("tokens"))["QueueUrl"]
    definition = {"StartAt": "Wait", "States": {"Wait": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$"}},
        "End": True}}}
    machine = sfn.create_state_machine(name=unique("sm"), definition=json.dumps(definition), roleArn=role_arn)
    run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"id": "o-3"}))
    body = receive_one(sqs, queue_url)
    assert body["order"] == {"id": "o-3"}
    assert sfn.describe_execution(executionArn=run["executionArn"])["status"] == "RUNNING"
    if outcome == "success":
        sfn.send_task_success(taskToken=body["token"], output=json.dumps({"approved": True}))
        out = wait_execution(sfn, run["executionArn"])
        assert (out["status"], json.loads(out["output"])) == ("SUCCEEDED", {"approved": True}), out
    else:
        sfn.send_task_failure(taskToken=body["token"], error="Order.Invalid", cause="no items")
        out = wait_execution(sfn, run["executionArn"])
        assert (out["status"], out.get("error"), out.get("cause")) == ("FAILED", "Order.Invalid", "no items"), out
    with pytest.raises(sfn.exceptions.ClientError):  # the token is spent (InvalidToken/TaskTimedOut)
        sfn.send_task_success(taskToken=body["token"], output="{}")


def test_a_map_retries_with_backoff_then_catches(aws, role_arn, function, edge):
    region = "sa-east-1"
    arn = function(region)["FunctionArn"]
    path = f"/_local/lambda/invoke/{urllib.parse.quote(arn, safe='')}"
    error = b'{"errorType": "Transient", "errorMessage": "try again"}'
    edge.answers[path] = (200, {"X-Amz-Function-Error": "Unhandled"}, error)
    sfn = aws("stepfunctions", region)
    task = {"Type": "Task", "Resource": arn, "End": True,
            "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}]}
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Call",
            "States": {"Call": task, "Failed": {"Type": "Pass", "End": True}}}}}}
    machine = sfn.create_state_machine(name=unique("sm"), definition=json.dumps(definition), roleArn=role_arn)
    run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"items": [{"id": 7}]}))
    out = wait_execution(sfn, run["executionArn"], timeout=20)
    assert out["status"] == "SUCCEEDED", out
    [item] = json.loads(out["output"])
    assert item["error"]["Error"] == "Transient", item
    events = sfn.get_execution_history(executionArn=run["executionArn"])["events"]
    scheduled = [e for e in events if e["type"] == "LambdaFunctionScheduled"]
    assert len(scheduled) == 3  # the first attempt and MaxAttempts retries
    assert json.loads(scheduled[0]["lambdaFunctionScheduledEventDetails"]["input"]) == {"id": 7}
    gaps = [(b["timestamp"] - a["timestamp"]).total_seconds() for a, b in zip(scheduled, scheduled[1:])]
    assert 0.9 <= gaps[0] < 1.9 and 1.9 <= gaps[1] < 3.5, gaps  # IntervalSeconds 1, then x BackoffRate 2
    types = [e["type"] for e in events]
    for kind in ("MapStateStarted", "MapIterationStarted", "LambdaFunctionFailed", "MapIterationSucceeded",
                 "ExecutionSucceeded"):
        assert kind in types, types


def test_cloudformation_state_machine_from_s3_with_substitutions_and_its_arn(aws, stack, role_arn):
    s3 = aws("s3")
    bucket = unique("defs")
    s3.create_bucket(Bucket=bucket)
    definition = {"StartAt": "Tag", "States": {"Tag": {"Type": "Pass", "Result": {"colour": "${Colour}"}, "End": True}}}
    s3.put_object(Bucket=bucket, Key="machine.asl.json", Body=json.dumps(definition).encode())
    template = {"Resources": {
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "RoleArn": role_arn, "DefinitionS3Location": {"Bucket": bucket, "Key": "machine.asl.json"},
            "DefinitionSubstitutions": {"Colour": "teal"}}}},
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Machine", "Arn"]}}, "Ref": {"Value": {"Ref": "Machine"}}}}
    out = stack(template)
    assert out["StackStatus"] == "CREATE_COMPLETE", out["events"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in out["Outputs"]}
    assert outputs["Arn"] == outputs["Ref"] and ":stateMachine:" in outputs["Arn"], outputs
    sfn = aws("stepfunctions")
    assert json.loads(sfn.describe_state_machine(stateMachineArn=outputs["Arn"])["definition"]) == {
        "StartAt": "Tag", "States": {"Tag": {"Type": "Pass", "Result": {"colour": "teal"}, "End": True}}}
    run = sfn.start_execution(stateMachineArn=outputs["Arn"])
    assert json.loads(wait_execution(sfn, run["executionArn"])["output"]) == {"colour": "teal"}


def test_the_tagging_api_lists_a_tagged_state_machine(aws, role_arn):
    region = "ap-south-1"
    sfn, tagging = aws("stepfunctions", region), aws("resourcegroupstaggingapi", region)
    definition = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
    tag = unique("pattern")
    tagged = sfn.create_state_machine(name=unique("sm"), definition=json.dumps(definition), roleArn=role_arn,
                                      tags=[{"key": "Pattern", "value": tag}])["stateMachineArn"]
    sfn.create_state_machine(name=unique("sm"), definition=json.dumps(definition), roleArn=role_arn)
    found = tagging.get_resources(TagFilters=[{"Key": "Pattern", "Values": [tag]}])["ResourceTagMappingList"]
    assert [r["ResourceARN"] for r in found] == [tagged], found
    sfn.delete_state_machine(stateMachineArn=tagged)
    found = tagging.get_resources(TagFilters=[{"Key": "Pattern", "Values": [tag]}])["ResourceTagMappingList"]
    assert found == [], found


def test_a_definition_is_validated_before_it_is_created(aws):
    sfn = aws("stepfunctions", "eu-south-1")
    good = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
    out = sfn.validate_state_machine_definition(definition=json.dumps(good), type="STANDARD")
    assert (out["result"], out["diagnostics"]) == ("OK", []), out
    bad = {"StartAt": "Echo", "States": {"Echo": {"Type": "Nope", "End": True}}}
    out = sfn.validate_state_machine_definition(definition=json.dumps(bad))
    assert out["result"] == "FAIL", out
    [diagnostic] = out["diagnostics"]
    assert (diagnostic["severity"], diagnostic["code"]) == ("ERROR", "SCHEMA_VALIDATION_FAILED"), diagnostic
    assert diagnostic["message"], diagnostic


def test_the_versions_of_a_machine_are_listed_newest_first(aws, role_arn):
    sfn = aws("stepfunctions", "eu-west-3")
    definition = json.dumps({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}})
    plain = sfn.create_state_machine(name=unique("sm"), definition=definition, roleArn=role_arn)
    assert sfn.list_state_machine_versions(stateMachineArn=plain["stateMachineArn"])["stateMachineVersions"] == []
    published = sfn.create_state_machine(name=unique("sm"), definition=definition, roleArn=role_arn, publish=True)
    arn = published["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=definition.replace("Echo", "Again"), publish=True)
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:2", f"{arn}:1"], versions
    assert all(v["creationDate"] for v in versions), versions
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.list_state_machine_versions(stateMachineArn=arn.replace(published["stateMachineArn"].split(":")[-1], "gone"))
