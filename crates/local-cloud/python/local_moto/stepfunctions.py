"""Step Functions: executions really run (moto's `execute_state_machine`), so their Lambda tasks reach the edge
(through moto's Invoke API, which `awslambda` sends there) instead of ending at once with a canned output."""

from moto.core.config import default_user_config

from local_moto.common import Context


def patch(ctx: Context) -> None:
    default_user_config["stepfunctions"]["execute_state_machine"] = True
