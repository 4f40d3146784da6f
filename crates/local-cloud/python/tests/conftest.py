"""Shared fixtures of the local_moto tests: one in-process moto server with every service module's additions
applied in the launcher's order (as `python -m local_moto` runs it), a fake edge that records what moto sends
it, boto3 clients of that moto, and a CloudFormation helper."""

import http.server
import io
import json
import os
import pathlib
import sys
import threading
import time
import uuid
import zipfile

import pytest

PYTHON_DIR = pathlib.Path(__file__).resolve().parents[1]  # crates/local-cloud/python, which holds local_moto
sys.path.insert(0, str(PYTHON_DIR))
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
# Test credentials only: every client of these tests talks to the in-process moto.
for _key, _value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                     ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", REGION)):
    os.environ[_key] = _value

import boto3  # noqa: E402

from local_moto import launcher  # noqa: E402
from local_moto.common import Context  # noqa: E402


class FakeEdge:
    """A tiny HTTP server standing in for the local cloud's edge: records every request, answers 200 with the
    JSON body `{"ok": true}` unless `answers[path]` says otherwise: (status, headers, body)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, tuple[int, dict, bytes]] = {}
        self.changed = threading.Condition()
        edge = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_one(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                # Recorded before the answer goes out: a caller that has its answer (and what it did next, e.g. a
                # retry or a dead-letter message) finds the request already recorded.
                with edge.changed:
                    edge.requests.append({"method": self.command, "path": self.path, "body": body,
                                          "headers": {k.lower(): v for k, v in self.headers.items()}})
                    edge.changed.notify_all()
                status, headers, answer = edge.answers.get(self.path, (200, {}, b'{"ok": true}'))
                self.send_response(status)
                for name, value in {"content-type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_DELETE = handle_one

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, method: str, path: str, timeout: float = 10.0) -> dict:
        """The first request recorded for `method` and `path`, waiting for it at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for request in self.requests:
                    if request["method"] == method and request["path"] == path:
                        return request
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(r["method"], r["path"]) for r in self.requests]
                    raise AssertionError(f"the edge got no {method} {path} in {timeout} s; it got {seen}")
                self.changed.wait(left)


@pytest.fixture(scope="session")
def edge():
    fake = FakeEdge()
    yield fake
    fake.server.shutdown()


@pytest.fixture(scope="session")
def moto_url(edge):
    """moto with the launcher's additions (all modules, in order), served in this process on a free port."""
    launcher.load_services(Context(edge_url=edge.url, region=REGION, pinned=launcher.PINNED_MOTO))
    server = launcher.make_server("127.0.0.1", 0, launcher.PINNED_MOTO, REGION)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()


@pytest.fixture(scope="session")
def aws(moto_url):
    """`aws("s3")`: a boto3 client of the test moto (`aws("s3", "eu-west-1")`: in another region)."""
    clients = {}

    def client(service: str, region: str = REGION):
        if (service, region) not in clients:
            clients[service, region] = boto3.client(service, endpoint_url=moto_url, region_name=region)
        return clients[service, region]

    return client


def unique(prefix: str) -> str:
    """A name no other test uses (they share one moto)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def stack(aws):
    """`stack(template)`: creates a stack from a template (a dict) and returns `describe` of it."""

    def create(template: dict, name: str | None = None) -> dict:
        name = name or unique("stack")
        aws("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
        return describe(aws("cloudformation"), name)

    return create


def describe(cfn, name: str) -> dict:
    """A stack's description with its `events` (oldest first) and `resources` (logical id -> physical id)."""
    out = cfn.describe_stacks(StackName=name)["Stacks"][0]
    out["events"] = list(reversed(cfn.describe_stack_events(StackName=name)["StackEvents"]))
    out["resources"] = {r["LogicalResourceId"]: r.get("PhysicalResourceId")
                        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
    return out


def lambda_zip(source: str = "def handler(event, context):\n    return event\n") -> bytes:
    """A deployment package with one `index.py`."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("index.py", date_time=(2026, 1, 1, 0, 0, 0)), source)  # the same bytes each time
    return buf.getvalue()


@pytest.fixture(scope="session")
def role_arn(aws) -> str:
    """An IAM role Lambda functions can be created with."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    return aws("iam").create_role(RoleName=unique("fn-role"), AssumeRolePolicyDocument=json.dumps(policy))[
        "Role"]["Arn"]


@pytest.fixture
def function(aws, role_arn):
    """`function(**extra)`: creates a Lambda function (python3.12, never run: invocations go to the edge);
    `function(region="eu-west-1")` in another region."""

    def create(region: str = REGION, **extra) -> dict:
        return aws("lambda", region).create_function(
            FunctionName=extra.pop("FunctionName", unique("fn")), Runtime="python3.12", Role=role_arn,
            Handler="index.handler", Code={"ZipFile": lambda_zip()}, **extra)

    return create
