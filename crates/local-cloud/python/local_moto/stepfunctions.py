"""Step Functions: executions really run (moto's `execute_state_machine`, LocalStack's ASL interpreter), so their
Lambda tasks reach the edge (through moto's Invoke API, which `awslambda` sends there) instead of ending at once with
a canned output; `.waitForTaskToken` tasks wait for SendTaskSuccess/SendTaskFailure, Retry sleeps its real
IntervalSeconds x BackoffRate, an execution started without a name gets one, ValidateStateMachineDefinition and
ListStateMachineVersions answer (Terraform's AWS provider calls them when it creates a machine), and the tagging API lists the state machines, as on
AWS."""

import copy
import json
import types
import uuid

from moto.core.config import default_user_config
from moto.core.responses import ActionResult, EmptyResult
from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
from moto.stepfunctions.responses import StepFunctionResponse
from moto.s3.models import s3_backends
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.utils import cfn_to_api_tags
from moto.stepfunctions.responses import get_backend
from moto.stepfunctions.parser import models as parser_models
from moto.stepfunctions.parser.api import InvalidDefinition
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from local_moto.common import Context


def patch(ctx: Context) -> None:
    del ctx
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    name_unnamed_executions()
    copy_machines_without_executions()
    send_task_failure_keeps_its_cause()
    validate_definitions()
    list_versions()
    tagging_lists_the_machines_that_run()
    patch_cloudformation()


def name_unnamed_executions() -> None:
    """StartExecution without `name`: moto 5.2.1 names the execution `None` (its ARN ends in `:None`), so a second
    unnamed execution of the same state machine fails with ExecutionAlreadyExists. AWS generates a UUID
    ("If you don't provide a name for the execution, Step Functions automatically generates a universally unique
    identifier (UUID) as the execution name", https://docs.aws.amazon.com/step-functions/latest/apireference/
    API_StartExecution.html)."""
    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    StepFunctionsParserBackend.start_execution = start_execution


def copy_machines_without_executions() -> None:
    """StartExecution deep-copies the state machine (so a later UpdateStateMachine leaves the execution alone), and
    with it the machine's executions and its backend (so every machine's executions): once one execution ran in the
    region, its worker thread's locks cannot be copied, and every later StartExecution there failed (500, `cannot
    pickle '_thread.RLock' object`). The copy gets an empty list of executions and shares the backend."""

    def deepcopy(obj, memo=None):
        memo = {} if memo is None else memo
        executions = getattr(obj, "executions", None)
        if isinstance(executions, list):
            memo[id(executions)] = []
        backend = getattr(obj, "backend", None)
        if backend is not None:
            memo[id(backend)] = backend
        return copy.deepcopy(obj, memo)

    parser_models.copy = types.SimpleNamespace(deepcopy=deepcopy)


def send_task_failure_keeps_its_cause() -> None:
    """SendTaskFailure: moto 5.2.1 drops the `cause`, so the execution failed with the error alone; on AWS the task's
    TaskFailed event, the execution's ExecutionFailed event and DescribeExecution carry both."""

    def send_task_failure(self):
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause"))
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure


def validate_definitions() -> None:
    """ValidateStateMachineDefinition: moto 5.2.1 does not implement it (500, NotImplementedError), and the Terraform
    AWS provider (5.x) calls it before CreateStateMachine, retrying the 500 until its timeout, so an
    `aws_sfn_state_machine` never got created. Now the definition goes through the same parser CreateStateMachine
    uses: `OK` with no diagnostics, or `FAIL` with one ERROR diagnostic `SCHEMA_VALIDATION_FAILED` naming the problem
    (the answer's shape: https://docs.aws.amazon.com/step-functions/latest/apireference/
    API_ValidateStateMachineDefinition.html)."""

    def validate_state_machine_definition(self):
        try:
            StepFunctionsParserBackend._validate_definition(definition=self._get_param("definition") or "")
        except InvalidDefinition as invalid:
            diagnostics = [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": str(invalid)}]
            return ActionResult({"result": "FAIL", "diagnostics": diagnostics, "truncated": False})
        return ActionResult({"result": "OK", "diagnostics": [], "truncated": False})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition


def list_versions() -> None:
    """ListStateMachineVersions: moto 5.2.1 does not implement it (500), and the Terraform AWS provider (5.x) calls it
    when it reads an `aws_sfn_state_machine`, retrying the 500 until its timeout. Now it lists the versions moto
    publishes (`publish: true`), newest first, each `stateMachineVersionArn` with its `creationDate`
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListStateMachineVersions.html); an unknown
    machine is StateMachineDoesNotExist, as DescribeStateMachine answers."""

    def list_state_machine_versions(self):
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date}
                    for _, v in sorted(getattr(machine, "versions", {}).items(), reverse=True)]
        return ActionResult({"stateMachineVersions": versions})

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions


def tagging_lists_the_machines_that_run() -> None:
    """GetResources (the Resource Groups Tagging API): moto 5.2.1 lists the state machines of its plain Step
    Functions backend, which holds none once executions run (they live in the parser backend), so a tagged state
    machine was never found (a destroy's sweep missed one a killed deploy left). AWS lists them
    (`states:stateMachine`, https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/
    supported-services.html). Now the backend the API uses is the one listed."""
    ResourceGroupsTaggingAPIBackend.stepfunctions_backend = property(
        lambda self: get_backend(self.account_id, self.region_name))


def definition_of(props: dict, account_id: str) -> str:
    """The definition an AWS::StepFunctions::StateMachine declares: `DefinitionString`, `Definition` (an object) or
    `DefinitionS3Location` (what SAM makes of a `DefinitionUri`), with `DefinitionSubstitutions` applied: each
    `${key}` replaced by its value (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
    aws-resource-stepfunctions-statemachine.html#cfn-stepfunctions-statemachine-definitionsubstitutions)."""
    if props.get("DefinitionS3Location"):
        at = props["DefinitionS3Location"]
        key = s3_backends[account_id]["aws"].get_object(at["Bucket"], at["Key"], at.get("Version"))
        definition = key.value.decode()
    elif props.get("Definition") is not None:
        definition = json.dumps(props["Definition"])
    else:
        definition = props.get("DefinitionString", "")
    for name, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + name + "}", value if isinstance(value, str) else json.dumps(value))
    return definition


def patch_cloudformation() -> None:
    """AWS::StepFunctions::StateMachine: moto 5.2.1 creates it in its plain backend, not the one that executes (so
    the API never saw it), reads only `DefinitionString` and answers no `Fn::GetAtt` of `Arn`. Now: in the backend
    the API uses, from `DefinitionString`, `Definition` or `DefinitionS3Location` with `DefinitionSubstitutions`
    (on creation and update), with the attribute `Arn` (what `Ref` also gives)."""
    original_has = StateMachine.has_cfn_attr.__func__
    original_get = StateMachine.get_cfn_attribute

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        return get_backend(account_id, region_name).create_state_machine(
            props.get("StateMachineName", resource_name), definition_of(props, account_id), props.get("RoleArn", ""),
            tags=cfn_to_api_tags(props.get("Tags", [])))

    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json.get("Properties", {})
        if props.get("StateMachineName", original_resource.name) != original_resource.name:  # a replacement
            new = create(cls, new_resource_name, cloudformation_json, account_id, region_name)
            get_backend(account_id, region_name).delete_state_machine(original_resource.arn)
            return new
        return get_backend(account_id, region_name).update_state_machine(
            original_resource.arn, definition=definition_of(props, account_id), role_arn=props.get("RoleArn"))

    def delete(cls, resource_name, cloudformation_json, account_id, region_name):
        get_backend(account_id, region_name).delete_state_machine(resource_name)

    def get_cfn_attribute(self, attribute_name):
        return self.arn if attribute_name == "Arn" else original_get(self, attribute_name)

    StateMachine.create_from_cloudformation_json = classmethod(create)
    StateMachine.update_from_cloudformation_json = classmethod(update)
    StateMachine.delete_from_cloudformation_json = classmethod(delete)
    StateMachine.has_cfn_attr = classmethod(lambda cls, attr: attr == "Arn" or original_has(cls, attr))
    StateMachine.get_cfn_attribute = get_cfn_attribute
