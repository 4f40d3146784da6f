"""Tests of local_moto.stepfunctions: executions really run, and their Lambda tasks reach the edge.

Each test uses a region of its own: in moto 5.2.1, once an execution ran, StartExecution in the same region fails
(it deep-copies the state machine, which refers to its backend and so to the other executions' locks)."""

import json
import time
import urllib.parse

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
