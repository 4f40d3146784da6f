"""moto, started the way the local cloud needs it (pinned to moto 5.2.1).

The entry point (`python -m local_moto`); it only wires: the moto version check, the arguments, each service
module's additions in order, our `/_local/...` routes in front of moto, and the server. What it adds to a plain
`python3 -m moto.server`:
  * `GET /_local/health`                              -> 200 {"moto_version": ..., "pid": ...}
  * `GET /_local/lambda/functions/<name-or-arn>/code` -> the function's deployment zip, header `x-code-sha256`
  * `GET /_local/cloudfront/...` -> what the CloudFront data plane reads (`cloudfront.local_route`)
  * `GET /_local/iam/access-key/<key>?function=<arn>` -> the key's IAM user and whether it may use the function's URL
    (`lambda_urls.identity_route`)
  * the additions of the service modules (listed in `SERVICES`, described in the package's docstring)
  * `--exit-on-stdin-eof`: exit when stdin closes, so moto never outlives the daemon, even one killed by SIGKILL.

A service module whose additions fail to load or apply stops the launcher with one line naming it and exit code
4; a moto other than the pinned one, with exit code 3.
"""

import argparse
import importlib
import importlib.metadata
import json
import os
import re
import signal
import sys
import threading
import urllib.parse

from local_moto.common import Context

PINNED_MOTO = "5.2.1"
SETUP_COMMAND = "cargo xtask setup"
# The service modules, in the order their additions are applied. `core` comes first: it makes moto's tracking of
# model instances weak before the others create any. `cloudformation` comes last: it rebuilds moto's
# CloudFormation model map, which must see the models the others define, and wraps moto's stack machinery.
# `cloudformation_transforms` wraps what `cloudformation_change_sets` defines (ExecuteChangeSet), so it follows it.
SERVICES = ("core", "stepfunctions", "awslambda", "lambda_urls", "s3", "sqs", "events", "sns", "logs", "iam",
            "elbv2", "route53", "acm", "apigateway", "apigatewayv2", "cognitoidp", "ec2", "cloudfront", "ssm",
            "cloudformation_change_sets", "cloudformation_transforms", "cloudformation")
EXIT_WRONG_MOTO = 3
EXIT_ADDITIONS_FAILED = 4


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
        sys.exit(EXIT_WRONG_MOTO)
    return installed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="local_moto", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True, help="port moto listens on; 0: a free one, printed at start-up")
    p.add_argument("--edge-url", required=True, help="the local cloud's edge, which runs Lambda functions")
    p.add_argument("--region", default="us-east-1", help="region of functions named without an ARN")
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    return p.parse_args(argv)


def one_line(error: BaseException) -> str:
    """`Type: message` of an exception, on one line."""
    return " ".join(f"{type(error).__name__}: {error}".split())


def load_services(ctx: Context, services=SERVICES, package: str = "local_moto") -> None:
    """Imports each service module and applies its additions, in order. A module that fails to import or whose
    `patch` raises stops the process: one line on stderr naming it, exit code 4 (never a traceback)."""
    for name in services:
        try:
            module = importlib.import_module(f"{package}.{name}")
        except BaseException as e:  # noqa: BLE001 - SyntaxError, ImportError, whatever its top level raised
            fail_additions(name, "load", e)
        try:
            module.patch(ctx)
        except BaseException as e:  # noqa: BLE001
            fail_additions(name, "apply", e)


def fail_additions(name: str, what: str, error: BaseException):
    if isinstance(error, KeyboardInterrupt):
        raise error
    print(f"local_moto: the additions for {name} failed to {what}: {one_line(error)}", file=sys.stderr, flush=True)
    sys.exit(EXIT_ADDITIONS_FAILED)


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
            return self.json(start_response, "200 OK", {"moto_version": self.moto_version, "pid": os.getpid()})
        m = self.CODE.match(path)
        if environ["REQUEST_METHOD"] == "GET" and m:
            return self.function_code(environ, start_response, urllib.parse.unquote(m["fn"]))
        if environ["REQUEST_METHOD"] == "GET" and path.startswith("/_local/cloudfront/"):
            from moto.core import DEFAULT_ACCOUNT_ID

            from local_moto.cloudfront import local_route

            answer = local_route(path, DEFAULT_ACCOUNT_ID)
            if answer is not None:
                status, headers, body = answer
                reason = {200: "OK", 404: "Not Found"}[status]
                start_response(f"{status} {reason}", [*headers, ("content-length", str(len(body)))])
                return [body]
        if environ["REQUEST_METHOD"] == "GET" and path.startswith("/_local/iam/access-key/"):
            from moto.core import DEFAULT_ACCOUNT_ID

            from local_moto.lambda_urls import identity_route

            function = urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("function", ["*"])[0]
            status, body = identity_route(path.removeprefix("/_local/iam/access-key/"), function, DEFAULT_ACCOUNT_ID)
            return self.json(start_response, {200: "200 OK", 404: "404 Not Found"}[status], body)
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


def make_server(host: str, port: int, moto_version: str, region: str):
    """moto's WSGI app behind our routes, on a threaded werkzeug server (port 0: one the OS picks)."""
    from werkzeug.serving import make_server as werkzeug_server
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = LocalRoutes(DomainDispatcherApplication(create_backend_app), moto_version, region)
    server = werkzeug_server(host, port, app, threaded=True)
    os.environ["MOTO_PORT"] = str(server.port)  # read when moto builds URLs (SQS queue URLs, its own clients)
    return server


def main(argv: list[str] | None = None) -> None:
    moto_version = check_moto_version()
    args = parse_args(argv)
    # Read by moto when its modules load (IAM) or when it calls itself (Step Functions' boto clients): set before
    # the service modules import moto.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    load_services(Context(edge_url=args.edge_url, region=args.region, pinned=PINNED_MOTO))

    # Port 0: the OS picks a free one, which the start-up line below reports (race-free, unlike picking first).
    server = make_server(args.host, args.port, moto_version, args.region)

    def stop(*_):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_on_stdin_eof:
        def watch_stdin():
            sys.stdin.buffer.read()  # returns at EOF: the daemon closed the pipe or died
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"moto {moto_version} on http://{args.host}:{server.port}, Lambda invocations to {args.edge_url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
