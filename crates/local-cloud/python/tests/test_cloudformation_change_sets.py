"""Tests of local_moto.cloudformation_change_sets: executing a CREATE change set creates the stack as CreateStack
does (events, outputs, a failed resource named), an UPDATE change set updates it, and a change set that is not
AVAILABLE cannot be executed; executing one drops the stack's other change sets."""

import json

import botocore.exceptions
import pytest

from conftest import describe, unique


def log_group_template(name: str, retention: int = 7) -> str:
    return json.dumps({
        "Description": "change set test",
        "Resources": {"Logs": {"Type": "AWS::Logs::LogGroup",
                               "Properties": {"LogGroupName": f"/{name}", "RetentionInDays": retention}}},
        "Outputs": {"Group": {"Value": {"Ref": "Logs"}, "Export": {"Name": f"{name}-group"}}},
    })


def execute(cfn, name: str, body: str, kind: str) -> dict:
    created = cfn.create_change_set(StackName=name, ChangeSetName=f"cs-{kind.lower()}", ChangeSetType=kind,
                                    TemplateBody=body, Tags=[{"Key": "Source", "Value": "test"}])
    assert cfn.describe_change_set(ChangeSetName=created["Id"])["ExecutionStatus"] == "AVAILABLE"
    cfn.execute_change_set(ChangeSetName=created["Id"])
    return cfn.describe_change_set(ChangeSetName=created["Id"])


def test_a_create_change_set_creates_the_stack_with_its_outputs_and_events(aws):
    cfn, name = aws("cloudformation"), unique("cs-create")
    change_set = execute(cfn, name, log_group_template(name), "CREATE")
    assert change_set["ExecutionStatus"] == "EXECUTE_COMPLETE"
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    # moto 5.2.1 answered no outputs for a stack made by a change set (the SAM CLI refuses such a managed stack).
    assert stack["Outputs"] == [{"OutputKey": "Group", "OutputValue": f"/{name}", "ExportName": f"{name}-group"}]
    assert stack["Tags"] == [{"Key": "Source", "Value": "test"}]
    assert stack["Description"] == "change set test"
    statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in stack["events"]]
    assert statuses == [(name, "REVIEW_IN_PROGRESS"), (name, "CREATE_IN_PROGRESS"), ("Logs", "CREATE_COMPLETE"),
                        (name, "CREATE_COMPLETE")]
    exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
    assert exports[f"{name}-group"] == f"/{name}"
    cfn.delete_stack(StackName=name)


def test_an_update_change_set_updates_the_stack(aws):
    cfn, name = aws("cloudformation"), unique("cs-update")
    execute(cfn, name, log_group_template(name), "CREATE")
    change_set = execute(cfn, name, log_group_template(name, retention=14), "UPDATE")
    assert change_set["ExecutionStatus"] == "EXECUTE_COMPLETE"
    assert describe(cfn, name)["StackStatus"] == "UPDATE_COMPLETE"
    group = aws("logs").describe_log_groups(logGroupNamePrefix=f"/{name}")["logGroups"][0]
    assert group["retentionInDays"] == 14
    cfn.delete_stack(StackName=name)


def test_a_failing_resource_fails_the_stack_naming_it_not_the_call(aws):
    cfn, name = aws("cloudformation"), unique("cs-fail")
    body = json.dumps({"Resources": {"Broker": {"Type": "AWS::AmazonMQ::Broker", "Properties": {}}}})
    change_set = execute(cfn, name, body, "CREATE")
    assert change_set["ExecutionStatus"] == "EXECUTE_FAILED"
    stack = describe(cfn, name)
    assert stack["StackStatus"] == "CREATE_FAILED"
    failed = [e["LogicalResourceId"] for e in stack["events"] if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed == ["Broker", name]


def test_a_change_set_is_executed_once(aws):
    cfn, name = aws("cloudformation"), unique("cs-once")
    created = cfn.create_change_set(StackName=name, ChangeSetName="once", ChangeSetType="CREATE",
                                    TemplateBody=log_group_template(name))
    cfn.execute_change_set(ChangeSetName=created["Id"])
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cfn.execute_change_set(ChangeSetName=created["Id"])
    assert raised.value.response["Error"]["Code"] == "InvalidChangeSetStatus"
    cfn.delete_stack(StackName=name)


def test_executing_a_change_set_drops_the_stack_s_others(aws):
    cfn, name = aws("cloudformation"), unique("cs-others")
    execute(cfn, name, log_group_template(name), "CREATE")
    stale = cfn.create_change_set(StackName=name, ChangeSetName="stale", ChangeSetType="UPDATE",
                                  TemplateBody=log_group_template(name, retention=30))["Id"]
    chosen = cfn.create_change_set(StackName=name, ChangeSetName="chosen", ChangeSetType="UPDATE",
                                   TemplateBody=log_group_template(name, retention=14))["Id"]
    assert {s["ChangeSetName"] for s in cfn.list_change_sets(StackName=name)["Summaries"]} >= {"stale", "chosen"}
    cfn.execute_change_set(ChangeSetName=chosen)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cfn.describe_change_set(ChangeSetName=stale)
    assert raised.value.response["Error"]["Code"] == "ChangeSetNotFound"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    group = aws("logs").describe_log_groups(logGroupNamePrefix=f"/{name}")["logGroups"][0]
    assert group["retentionInDays"] == 14
    cfn.delete_stack(StackName=name)


def test_a_stack_a_change_set_created_has_the_change_sets_outputs(aws):
    """What `cdk deploy` does: CreateChangeSet (CREATE), ExecuteChangeSet, then DescribeStacks for the outputs;
    then an UPDATE change set that changes them."""
    cfn = aws("cloudformation")
    name = unique("stack")

    def template(suffix: str) -> str:
        return json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}, "Outputs": {
            "QueueUrl": {"Value": {"Ref": "Queue"}}, "Label": {"Value": {"Fn::Sub": f"${{AWS::Region}}-{suffix}"}}}})

    for kind, suffix in (("CREATE", "one"), ("UPDATE", "two")):
        change_set = cfn.create_change_set(StackName=name, ChangeSetName=f"cs-{suffix}", ChangeSetType=kind,
                                           TemplateBody=template(suffix))
        cfn.execute_change_set(ChangeSetName=change_set["Id"])
        out = describe(cfn, name)
        assert out["StackStatus"] == f"{kind}_COMPLETE"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in out.get("Outputs", [])}
        assert outputs["Label"] == f"us-east-1-{suffix}", outputs
        assert outputs["QueueUrl"].endswith(out["resources"]["Queue"].rsplit("/", 1)[-1]), outputs
