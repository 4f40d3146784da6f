"""IAM: an inline policy that CloudFormation gives a role (a role's `Policies`, an `AWS::IAM::Policy`) is kept as
the JSON document IAM answers; moto 5.2.1 kept the template's dict, and GetRolePolicy then answered its Python
repr (`{'Statement': ...}`), which no JSON reader (the AWS CLI, `cargo xtask diagram`) can parse. A policy
statement whose `Condition` does not hold does not apply (moto 5.2.1 made it deny: a bucket policy denying
`aws:SecureTransport: false`, as the CDK bootstrap bucket's does, denied every request)."""

import json

from moto.iam import access_control
from moto.iam.models import Role

from local_moto.common import Context


def patch(ctx: Context) -> None:
    patch_inline_policies()
    patch_unmet_conditions()


def patch_unmet_conditions() -> None:
    """"The Condition element lets you specify conditions for when a policy is in effect"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html): a statement whose
    condition does not hold is not in effect, so it neither allows nor denies (NEUTRAL). moto 5.2.1 answered DENIED
    for an unmet condition (of an Allow statement too), and took a key the request does not carry as matching
    (`Bool aws:SecureTransport "false"` held for every request). Used by S3 bucket policies."""
    statement = access_control.IAMPolicyStatement
    original = statement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        conditions = self._statement.get("Condition")
        if conditions and not (
            keys_present(conditions, incoming_condition_values or {})
            and self._check_conditions(incoming_condition_values)
        ):
            return access_control.PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    statement.is_action_permitted = is_action_permitted


def keys_present(conditions: dict, incoming: dict) -> bool:
    """Whether the request carries what each condition needs: "If the key that you specify in a policy condition is
    not present in the request context, the values do not match" (same page), except for an `...IfExists`
    operator, which holds then, and `Null`, which tests presence itself
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)."""
    carried = {key.lower() for key in incoming}
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            present = key.lower() in carried
            if operator == "Null":
                if (str(expected).lower() == "true") == present:
                    return False
            elif not present and not operator.endswith("IfExists"):
                return False
    return True


def patch_inline_policies() -> None:
    original = Role.put_policy

    def put_policy(self, policy_name, policy_json):
        if not isinstance(policy_json, str):
            policy_json = json.dumps(policy_json)
        original(self, policy_name, policy_json)

    Role.put_policy = put_policy
