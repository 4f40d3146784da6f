"""The SAM transform, offline: a SAM template (YAML or JSON) in, the CloudFormation template (JSON) out.

Run by `cargo xtask deploy` (xtask/src/deploy/sam/transform.rs) with the project's Python:

    python sam_transform.py --region us-east-1 --code-uris CODE_URIS.json --rewritten SAM.json TEMPLATE OUTPUT

The template is parsed as SAM parses it (samtranslator's YAML loader: YAML 1.1, short-form tags). CODE_URIS
(`{"Globals": {"Bucket", "Key"} | null, "Resources": {"<function id>": {"Bucket", "Key"}},
"Definitions": {"<state machine id>": {"Bucket", "Key"}}}`, worked out by xtask) replaces the local `CodeUri`s by
the uploaded zips and the local `DefinitionUri`s by the uploaded definitions; the rewritten SAM template is written
to SAM.json.
No AWS credentials or calls: the region comes from the command line and managed policy names resolve through a
loader that knows none (a template naming an AWS managed policy by name, not ARN, fails with the translator's
message). Exit codes: 0 written; 10 the template does not transform (the translator's errors on stderr, each
naming its resource); 2 bad usage or input; 3 aws-sam-translator missing or at another version; anything else
is a crash.
"""

import argparse
import importlib.metadata
import json
import logging
import os
import sys

PINNED_TRANSLATOR = "1.110.0"
REJECTED = 10


class NoManagedPolicies:
    """The translator's policy loader, offline: no managed policy names are known."""

    def load(self) -> dict:
        return {}


def replace_code_uris(template: dict, code_uris: dict) -> str | None:
    """Applies the replacements (CodeUris, state machine DefinitionUris); returns what is wrong when they do not fit
    the template."""
    if code_uris.get("Globals"):
        function = (template.get("Globals") or {}).get("Function")
        if not isinstance(function, dict):
            return "Globals.Function is missing, but xtask found a Globals.Function.CodeUri to replace"
        function["CodeUri"] = code_uris["Globals"]
    resources = template.get("Resources") or {}
    for logical_id, location in (code_uris.get("Resources") or {}).items():
        resource = resources.get(logical_id) or {}
        if resource.get("Type") != "AWS::Serverless::Function" or not isinstance(resource.get("Properties"), dict):
            return f"Resources.{logical_id} is not an AWS::Serverless::Function with Properties as xtask read it"
        resource["Properties"]["CodeUri"] = location
    for logical_id, location in (code_uris.get("Definitions") or {}).items():
        resource = resources.get(logical_id) or {}
        if resource.get("Type") != "AWS::Serverless::StateMachine" or not isinstance(resource.get("Properties"), dict):
            return f"Resources.{logical_id} is not an AWS::Serverless::StateMachine with Properties as xtask read it"
        resource["Properties"]["DefinitionUri"] = location
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--region", required=True)
    p.add_argument("--code-uris", help="JSON: the CodeUri replacements")
    p.add_argument("--rewritten", help="where to write the SAM template with its CodeUris replaced (JSON)")
    p.add_argument("template")
    p.add_argument("output")
    args = p.parse_args()

    try:
        installed = importlib.metadata.version("aws-sam-translator")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != PINNED_TRANSLATOR:
        what = f"aws-sam-translator {installed} is installed" if installed else "aws-sam-translator is not installed"
        print(f"{what} for {sys.executable}; xtask is written for {PINNED_TRANSLATOR}: run `cargo xtask setup`",
              file=sys.stderr)
        return 3

    # The translator reads the region from boto3's default session; keep it from looking any further.
    os.environ["AWS_DEFAULT_REGION"] = args.region
    os.environ["AWS_REGION"] = args.region
    logging.disable(logging.WARNING)  # its feature-toggle notices are not for the user

    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    ArnGenerator.BOTO_SESSION_REGION_NAME = args.region
    with open(args.template, encoding="utf-8") as f:
        # CloudFormation reads an unquoted date (`Version: 2012-10-17`) as the string it looks like.
        template = json.loads(json.dumps(yaml_parse(f.read()), default=str))
    if args.code_uris:
        with open(args.code_uris, encoding="utf-8") as f:
            problem = replace_code_uris(template, json.load(f))
        if problem:
            print(problem, file=sys.stderr)
            return 2
    if args.rewritten:
        with open(args.rewritten, "w", encoding="utf-8") as f:
            json.dump(template, f, indent=1)
    try:
        out = transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(cause.message, file=sys.stderr)
        return REJECTED
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
