"""moto, started the way the local cloud needs it (pinned to moto 5.2.1).

Run by the `local-cloud` daemon (crates/local-cloud/src/moto.rs); not meant to be run by hand, though it can be:

    python3 moto_launcher.py --port 5000 --edge-url http://127.0.0.1:4566

What it adds to a plain `python3 -m moto.server`:
  * `GET /_local/health`                              -> 200 {"moto_version": ...}
  * `GET /_local/lambda/functions/<name-or-arn>/code` -> the function's deployment zip, header `x-code-sha256`
  * Lambda invocations that moto makes itself (SNS, S3 notifications, EventBridge targets, SQS and DynamoDB
    event source mappings, Step Functions, moto's own Invoke API) are POSTed to the edge at
    `{edge}/_local/lambda/invoke/<function-arn>` (our native Lambda runtime) instead of Docker.
  * EventBridge rules get Lambda targets (moto 5.2.1 raises NotImplementedError for them).
  * Step Functions executions really run (moto's `execute_state_machine`), so their Lambda tasks reach us too.
  * `--exit-on-stdin-eof`: exit when stdin closes, so moto never outlives the daemon, even one killed by SIGKILL.
"""

import argparse
import copy
import functools
import importlib.metadata
import json
import os
import re
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

PINNED_MOTO = "5.2.1"
SETUP_COMMAND = "cargo xtask setup"
# How long moto waits for the edge to run one invocation: past Lambda's 900 s maximum timeout.
INVOKE_TIMEOUT_S = 960


def check_moto_version() -> str:
    """Exits with code 3 unless the pinned moto is installed (`MOTO_LAUNCHER_EXPECT` exists for tests only)."""
    expected = os.environ.get("MOTO_LAUNCHER_EXPECT", PINNED_MOTO)
    try:
        installed = importlib.metadata.version("moto")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != expected:
        what = f"moto {installed} is installed" if installed else f"moto is not installed for {sys.executable}"
        print(f"{what}; this launcher was written for moto {expected}: run `{SETUP_COMMAND}`", file=sys.stderr)
        sys.exit(3)
    return installed


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True, help="port moto listens on")
    p.add_argument("--edge-url", required=True, help="the local cloud's edge, which runs Lambda functions")
    p.add_argument("--region", default="us-east-1", help="region of functions named without an ARN")
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    return p.parse_args()


def edge_invoke(edge_url: str, function_arn: str, payload: bytes) -> tuple[bytes, str | None]:
    """Runs one invocation on the edge; returns (payload, function error or None). Never raises."""
    url = f"{edge_url}/_local/lambda/invoke/{urllib.parse.quote(function_arn, safe='')}"
    req = urllib.request.Request(url, data=payload, method="POST", headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=INVOKE_TIMEOUT_S) as resp:
            return resp.read(), resp.headers.get("X-Amz-Function-Error")
    except urllib.error.HTTPError as e:  # the edge could not run the function at all
        return e.read(), "Unhandled"
    except OSError as e:
        err = {"errorMessage": f"local cloud edge {edge_url} unreachable: {e}", "errorType": "EdgeUnreachable"}
        return json.dumps(err).encode(), "Unhandled"


def in_background(fn):
    """Runs `fn` on its own thread: for the sources AWS invokes asynchronously (SNS, S3, EventBridge)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        threading.Thread(target=fn, args=args, kwargs=kwargs, daemon=True).start()

    return wrapper


def patch_lambda(edge_url: str) -> None:
    """Every invocation moto makes goes through LambdaFunction.invoke (which would start Docker): send it to the edge."""
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.s3 import notifications as s3_notifications

    def invoke(self, body, request_headers, response_headers):
        # moto passes the event as a JSON string ("" for none) and reads `x-amz-function-error` afterwards
        # (SQS keeps a message whose batch failed).
        payload = body.encode() if isinstance(body, str) else (body or b"")
        out, error = edge_invoke(edge_url, self.function_arn, payload or b"{}")
        if error:
            response_headers["x-amz-function-error"] = error
        return out

    LambdaFunction.invoke = invoke
    LambdaBackend.send_sns_message = in_background(LambdaBackend.send_sns_message)
    s3_notifications._invoke_awslambda = in_background(s3_notifications._invoke_awslambda)


def patch_eventbridge(edge_url: str) -> None:
    """Lambda targets for EventBridge rules; the other targets stay with moto's own code."""
    from moto.events.models import Rule
    from moto.events.utils import EventTemplateParser
    from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp

    original = Rule.send_to_targets

    def lambda_event(target, event):
        if "Input" in target:
            return json.loads(target["Input"])
        if "InputTransformer" in target:
            t = target["InputTransformer"]
            return EventTemplateParser.parse(t.get("InputTemplate"), t.get("InputPathsMap", {}), event)
        event = {k: v for k, v in event.items() if k != "ingestion-time"}
        if isinstance(event.get("time"), (int, float)):  # moto keeps epoch seconds; AWS sends ISO 8601
            event["time"] = iso_8601_datetime_without_milliseconds(utcfromtimestamp(event["time"]))
        return event

    def send_to_targets(self, original_event, transform_input=True):
        if not self.event_pattern.matches_event(original_event):
            return
        is_lambda = [t for t in self.targets if t["Arn"].split(":")[2:3] == ["lambda"]]
        for target in is_lambda:
            payload = json.dumps(lambda_event(target, copy.deepcopy(original_event))).encode()
            in_background(edge_invoke)(edge_url, target["Arn"], payload)
        rest = copy.copy(self)  # a shallow copy, so concurrent ListTargets calls never see a partial list
        rest.targets = [t for t in self.targets if t not in is_lambda]
        original(rest, original_event, transform_input)

    Rule.send_to_targets = send_to_targets


class LocalRoutes:
    """WSGI middleware: our `/_local/...` routes in front of moto's own dispatcher."""

    CODE = re.compile(r"^/_local/lambda/functions/(?P<fn>[^/]+)/code$")

    def __init__(self, app, moto_version: str, region: str):
        self.app, self.moto_version, self.region = app, moto_version, region

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_local/"):
            return self.app(environ, start_response)
        if environ["REQUEST_METHOD"] == "GET" and path == "/_local/health":
            return self.json(start_response, "200 OK", {"moto_version": self.moto_version})
        m = self.CODE.match(path)
        if environ["REQUEST_METHOD"] == "GET" and m:
            return self.function_code(environ, start_response, urllib.parse.unquote(m["fn"]))
        return self.json(start_response, "404 Not Found", {"message": f"no local route {path}"})

    def function_code(self, environ, start_response, name_or_arn):
        from moto.awslambda.utils import get_backend
        from moto.core import DEFAULT_ACCOUNT_ID

        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        arn = name_or_arn.split(":")
        account, region = (arn[4], arn[3]) if name_or_arn.startswith("arn:") else (DEFAULT_ACCOUNT_ID, self.region)
        try:
            fn = get_backend(account, region).get_function(name_or_arn, query.get("qualifier", [None])[0])
        except Exception:  # moto raises UnknownFunctionException (and others for malformed ARNs)
            return self.json(start_response, "404 Not Found", {"message": f"Function not found: {name_or_arn}"})
        code = getattr(fn, "code_bytes", b"")
        if not code:
            msg = f"function {name_or_arn} has no zip code (package type {fn.package_type})"
            return self.json(start_response, "404 Not Found", {"message": msg})
        headers = [("content-type", "application/zip"), ("content-length", str(len(code))),
                   ("x-code-sha256", fn.code_sha_256), ("x-function-arn", fn.function_arn)]
        start_response("200 OK", headers)
        return [code]

    @staticmethod
    def json(start_response, status, body):
        data = json.dumps(body).encode()
        start_response(status, [("content-type", "application/json"), ("content-length", str(len(data)))])
        return [data]


def main() -> None:
    moto_version = check_moto_version()
    args = parse_args()
    # Read by moto when its modules load (IAM) or when it calls itself (Step Functions' boto clients).
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    os.environ["MOTO_PORT"] = str(args.port)

    from werkzeug.serving import make_server
    from moto.core.config import default_user_config
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    default_user_config["stepfunctions"]["execute_state_machine"] = True
    patch_lambda(args.edge_url)
    patch_eventbridge(args.edge_url)

    app = LocalRoutes(DomainDispatcherApplication(create_backend_app), moto_version, args.region)
    server = make_server(args.host, args.port, app, threaded=True)

    def stop(*_):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        def watch_stdin():
            sys.stdin.buffer.read()  # returns at EOF: the daemon closed the pipe or died
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"moto {moto_version} on http://{args.host}:{args.port}, Lambda invocations to {args.edge_url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
