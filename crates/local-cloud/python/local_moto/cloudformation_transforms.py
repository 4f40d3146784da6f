"""CloudFormation's transforms, server-side as AWS runs them: a template that declares `Transform:
AWS::Serverless-2016-10-31` (SAM) is expanded by aws-sam-translator (the library AWS's SAM transform is built
from) when CreateStack, UpdateStack or CreateChangeSet receives it, so the SAM CLI's `sam deploy` (which sends
the SAM template itself) works unchanged; moto 5.2.1 would try to create `AWS::Serverless::*` resources and fail.

The stack and the change set keep both templates: GetTemplate answers the one its `TemplateStage` asks for
(`Original`, the default, or `Processed`) and lists `StagesAvailable`, as AWS does
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html). A template the
translator rejects is refused with a ValidationError "Transform AWS::Serverless-2016-10-31 failed with: ..." (the
text AWS gives) by CreateStack and UpdateStack; CreateChangeSet answers as AWS does, with a change set whose
`Status` is FAILED, `StatusReason` that text and `ExecutionStatus` UNAVAILABLE (the stack of a CREATE change set stays
`REVIEW_IN_PROGRESS`).
AWS managed policies named by name in a SAM template (`Policies: [AWSLambdaBasicExecutionRole]`) resolve through
the managed policies moto's IAM knows, as AWS's transform resolves them through IAM; no other call leaves moto.
"""

import json
import threading

from moto.cloudformation import models as cfn, responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError

from local_moto.common import Context

SAM = "AWS::Serverless-2016-10-31"
# The translator reads the region from a class attribute: one transform at a time.
_TRANSLATE_LOCK = threading.Lock()


class TransformFailed(ValidationError):
    """The translator rejected the template: AWS's `Transform ... failed with: ...`."""


def patch(ctx: Context) -> None:
    patch_backend()
    patch_get_template()


def declared_transforms(template: dict) -> list[str]:
    """The template's `Transform` as a list of names (a string, a list, or absent)."""
    declared = template.get("Transform") if isinstance(template, dict) else None
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    return []


class ManagedPolicies:
    """The translator's policy loader: the AWS managed policies moto's IAM models, by name -> ARN."""

    _map: dict | None = None

    def load(self) -> dict:
        if ManagedPolicies._map is None:
            from moto.iam.aws_managed_policies import aws_managed_policies_data

            ManagedPolicies._map = {
                name: f"arn:aws:iam::aws:policy{policy.get('Path', '/')}{name}"
                for name, policy in json.loads(aws_managed_policies_data).items()
            }
        return ManagedPolicies._map


def processed(template_body: str, parameters: dict[str, str], region: str) -> str | None:
    """The template after the SAM transform (JSON text), or None when it declares no SAM transform. Raises
    ValidationError with AWS's message when the translator rejects it."""
    if not template_body or SAM not in template_body:
        return None  # cheap: most templates never name it
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import to_py27_compatible_template, undo_mark_unicode_str_in_template
    from samtranslator.yaml_helper import yaml_parse

    try:
        # CloudFormation reads an unquoted date (`Version: 2012-10-17`) as the string it looks like.
        template = json.loads(json.dumps(yaml_parse(template_body), default=str))
    except ValueError as e:
        raise ValidationError(message=f"Template format error: {e}") from None
    if SAM not in declared_transforms(template):
        return None
    others = [t for t in declared_transforms(template) if t != SAM]
    if others:
        raise ValidationError(message=f"The local cloud runs only the {SAM} transform; this template also "
                                      f"declares {', '.join(others)}")
    with _TRANSLATE_LOCK:
        ArnGenerator.BOTO_SESSION_REGION_NAME = region
        try:
            # As samtranslator's `transform`, with the stack's region in place of the process's boto3 settings.
            values = dict(parameters or {})
            to_py27_compatible_template(template, values)
            translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
            out = undo_mark_unicode_str_in_template(translator.translate(
                template, parameter_values=values, get_managed_policy_map=ManagedPolicies().load))
        except InvalidDocumentException as e:
            causes = " ".join(cause.message for cause in e.causes)
            raise TransformFailed(message=f"Transform {SAM} failed with: {e.message} {causes}".strip()) from None
    return json.dumps(out)


def parameter_values(parameters, stack=None) -> dict[str, str]:
    """Parameter values by name from CreateStack's dict or UpdateStack's list (`UsePreviousValue` read from
    `stack`)."""
    if isinstance(parameters, dict):
        return {k: v for k, v in parameters.items() if isinstance(v, str)}
    values = {}
    for item in parameters or []:
        key = item.get("ParameterKey")
        if item.get("UsePreviousValue") and stack is not None:
            values[key] = stack.parameters.get(key)
        elif "ParameterValue" in item:
            values[key] = item["ParameterValue"]
    return {k: v for k, v in values.items() if isinstance(v, str)}


def patch_backend() -> None:
    """CreateStack, UpdateStack and CreateChangeSet get the processed template; the original is kept beside it
    (`original_template` on the stack and the change set), and ExecuteChangeSet carries it to the stack."""
    backend = cfn.CloudFormationBackend
    original_create_stack = backend.create_stack
    original_update_stack = backend.update_stack
    original_create_change_set = backend.create_change_set
    original_execute_change_set = backend.execute_change_set

    def create_stack(self, name, template, parameters, *args, **kwargs):
        expanded = processed(template, parameter_values(parameters), self.region_name)
        stack = original_create_stack(self, name, expanded or template, parameters, *args, **kwargs)
        stack.original_template = template
        return stack

    def update_stack(self, name, template, role_arn, parameters, tags):
        current = self.get_stack(name)
        expanded = processed(template, parameter_values(parameters, current), self.region_name)
        stack = original_update_stack(self, name, expanded or template, role_arn, parameters, tags)
        stack.original_template = template
        return stack

    def create_change_set(self, stack_name, change_set_name, template, parameters, *args, **kwargs):
        try:
            expanded, failure = processed(template, parameter_values(parameters), self.region_name), None
        except TransformFailed as e:
            expanded, failure = None, e.message
        change_set_id, stack_id = original_create_change_set(
            self, stack_name, change_set_name, expanded or template, parameters, *args, **kwargs)
        change_set = self.change_sets[change_set_id]
        change_set.original_template = template
        if failure:
            change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
            change_set.status_reason = failure
            change_set.changes = []
        return change_set_id, stack_id

    def execute_change_set(self, change_set_name, stack_name=None):
        change_set = self.describe_change_set(change_set_name)
        original_execute_change_set(self, change_set_name, stack_name)
        self.stacks[change_set.stack_id].original_template = getattr(change_set, "original_template",
                                                                     change_set.template)

    backend.create_stack = create_stack
    backend.update_stack = update_stack
    backend.create_change_set = create_change_set
    backend.execute_change_set = execute_change_set


def patch_get_template() -> None:
    """GetTemplate with `TemplateStage` (Original by default) and `ChangeSetName`, and `StagesAvailable`."""

    def get_template(self):
        backend = self.cloudformation_backend
        change_set_name = self._get_param("ChangeSetName")
        if change_set_name:
            owner = backend.describe_change_set(change_set_name)
        else:
            owner = backend.describe_stacks(self._get_param("StackName"))[0]  # deleted stacks too, by id
        stage = self._get_param("TemplateStage") or "Original"
        if stage not in ("Original", "Processed"):
            raise ValidationError(message=f"1 validation error detected: Value '{stage}' at 'templateStage' "
                                          "failed to satisfy constraint: Member must satisfy enum value set: "
                                          "[Original, Processed]")
        original = getattr(owner, "original_template", None) or owner.template
        body = original if stage == "Original" else owner.template
        return cfn_responses.ActionResult({"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]})

    cfn_responses.CloudFormationResponse.get_template = get_template
