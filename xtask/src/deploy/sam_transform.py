"""The SAM transform, offline: a SAM template (YAML or JSON) in, the CloudFormation template (JSON) out.

Run by `cargo xtask deploy` (xtask/src/deploy/sam/transform.rs) with the project's Python:

    python sam_transform.py --region us-east-1 TEMPLATE OUTPUT

No AWS credentials or calls: the region comes from the command line and managed policy names resolve through a
loader that knows none (a template naming an AWS managed policy by name, not ARN, fails with the translator's
message). Exit codes: 0 written; 1 the template does not transform (each error on stderr as
`<resource id>: <message>`); 2 bad usage; 3 aws-sam-translator missing or at another version.
"""

import argparse
import importlib.metadata
import json
import logging
import os
import sys

PINNED_TRANSLATOR = "1.110.0"


class NoManagedPolicies:
    """The translator's policy loader, offline: no managed policy names are known."""

    def load(self) -> dict:
        return {}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--region", required=True)
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
        template = yaml_parse(f.read())
    try:
        out = transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(cause.message, file=sys.stderr)
        return 1
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
