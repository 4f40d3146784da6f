"""CloudFormation change sets as deploy tools drive them (the SAM CLI's `sam deploy`, and its managed stack
`aws-sam-cli-managed-default`): executing a change set is the stack operation it describes, as on AWS
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-execute.html).

moto 5.2.1 applies a change set by updating the stack's resource map only: the stack keeps no outputs (its output
map was built from the empty template of the `REVIEW_IN_PROGRESS` stack), no resource gets its events, a failing
resource raises out of ExecuteChangeSet (HTTP 500) and the stack is marked `*_COMPLETE` whatever happened. Here a
CREATE change set runs the stack's creation (as CreateStack does: resources with their events, outputs, exports,
a `CREATE_FAILED` stack naming the failed resource) and an UPDATE change set runs the stack's update; the change
set's `ExecutionStatus` becomes `EXECUTE_COMPLETE` or `EXECUTE_FAILED`, and the stack's status is what the
operation left. Executing a change set that is not `AVAILABLE` (a FAILED one, one already executed) is refused
with AWS's InvalidChangeSetStatus error, and the stack's other change sets are dropped once one is executed
("CloudFormation retains all change sets until you update the stack",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-delete.html;
moto 5.2.1 kept them, executable against the updated stack). A change set that does not exist is AWS's
ChangeSetNotFound (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html;
moto 5.2.1: a ValidationError about a stack).
"""

from moto.cloudformation import models as cfn
from moto.cloudformation.exceptions import CloudFormationError, ValidationError

from local_moto.common import Context


class InvalidChangeSetStatus(CloudFormationError):
    """AWS's error for executing a change set whose execution status is not AVAILABLE
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ExecuteChangeSet.html)."""

    code = "InvalidChangeSetStatus"


class ChangeSetNotFound(CloudFormationError):
    """AWS's error for a change set name or ARN that names none (HTTP 404)."""

    code = "ChangeSetNotFound"

    def __init__(self, name: str):
        super().__init__(f"ChangeSet [{name}] does not exist")
        self.status_code = 404


def patch(ctx: Context) -> None:
    original_describe = cfn.CloudFormationBackend.describe_change_set

    def describe_change_set(self, change_set_name):
        try:
            return original_describe(self, change_set_name)
        except ValidationError:
            raise ChangeSetNotFound(change_set_name) from None

    cfn.CloudFormationBackend.describe_change_set = describe_change_set
    cfn.CloudFormationBackend.execute_change_set = execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):
    """ExecuteChangeSet: the CREATE or UPDATE the change set describes, through the stack's own operations."""
    change_set = self.describe_change_set(change_set_name)  # ValidationError when there is none
    if change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatus(f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current "
                                     f"status of [{change_set.status}]")
    stack = self.stacks.get(change_set.stack_id)
    if stack is None:
        raise ValidationError(stack_name or change_set.stack_name)
    if change_set.change_set_type == "CREATE":
        stack.template = change_set.template
        stack._parse_template()
        stack.parameters = change_set.parameters
        stack.description = stack.template_dict.get("Description")
        stack.cross_stack_resources = self.exports
        stack.resource_map = stack._create_resource_map()
        stack.output_map = stack._create_output_map()
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.create_resources()
        if stack.status == "CREATE_COMPLETE":  # (reading the exports first would create what they name)
            self._validate_export_uniqueness(stack)
            for export in stack.exports:
                self.exports[export.name] = export
    else:
        stack.update(change_set.template, role_arn=change_set.role_arn or stack.role_arn,
                     parameters=change_set.parameters, tags=change_set.tags or None)
    change_set.execution_status = ("EXECUTE_COMPLETE" if stack.status.endswith("_COMPLETE")
                                   else "EXECUTE_FAILED")
    for other_id, other in list(self.change_sets.items()):
        if other.stack_id == change_set.stack_id and other is not change_set:
            del self.change_sets[other_id]
