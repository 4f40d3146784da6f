"""IAM: an inline policy that CloudFormation gives a role (a role's `Policies`, an `AWS::IAM::Policy`) is kept as
the JSON document IAM answers; moto 5.2.1 kept the template's dict, and GetRolePolicy then answered its Python
repr (`{'Statement': ...}`), which no JSON reader (the AWS CLI, `cargo xtask diagram`) can parse."""

import json

from moto.iam.models import Role

from local_moto.common import Context


def patch(ctx: Context) -> None:
    original = Role.put_policy

    def put_policy(self, policy_name, policy_json):
        if not isinstance(policy_json, str):
            policy_json = json.dumps(policy_json)
        original(self, policy_name, policy_json)

    Role.put_policy = put_policy
