"""What several service modules share: the context they are patched with, the calls to the edge that run a Lambda
invocation (synchronous, or queued as AWS's asynchronous invocations), and small helpers for moto's models and
CloudFormation properties."""

import dataclasses
import functools
import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

# How long moto waits for the edge to run one invocation: past Lambda's 900 s maximum timeout.
INVOKE_TIMEOUT_S = 960


@dataclasses.dataclass(frozen=True)
class Context:
    """What a service module's `patch(ctx)` may need."""

    edge_url: str  # the local cloud's edge, which runs Lambda functions
    region: str  # region of functions named without an ARN
    pinned: str  # the moto version the additions are written for


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


@dataclasses.dataclass(frozen=True)
class Source:
    """Who invokes a function asynchronously, as its resource policy sees it."""

    principal: str  # s3.amazonaws.com, sns.amazonaws.com, events.amazonaws.com
    arn: str  # the bucket, topic or rule
    account: str  # the account that owns it


def edge_invoke_async(edge_url: str, function_arn: str, payload: bytes, source: Source) -> int:
    """Puts one event on the function's asynchronous queue on the edge, as S3, SNS and EventBridge invoke Lambda;
    returns the edge's status: 202 queued, 403 the function's resource policy does not let `source` in (the daemon
    logs why; nothing runs, as on AWS), 0 the edge unreachable. Never raises."""
    url = f"{edge_url}/_local/lambda/async/{urllib.parse.quote(function_arn, safe='')}"
    headers = {"content-type": "application/json", "x-local-source-principal": source.principal,
               "x-local-source-arn": source.arn, "x-local-source-account": source.account}
    req = urllib.request.Request(url, data=payload or b"{}", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        if e.code != 403:
            print(f"the edge refused an event for {function_arn} from {source.arn}: {e.code} {e.read()[:500]!r}",
                  file=sys.stderr, flush=True)
        return e.code
    except OSError as e:
        print(f"local cloud edge {edge_url} unreachable: an event for {function_arn} from {source.arn} is lost: {e}",
              file=sys.stderr, flush=True)
        return 0


def in_background(fn):
    """Runs `fn` on its own thread: for the sources AWS invokes asynchronously (SNS, S3, EventBridge)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        threading.Thread(target=fn, args=args, kwargs=kwargs, daemon=True).start()

    return wrapper


def gone(error: Exception) -> bool:
    """moto's 'not found' errors (the thing to delete is already gone)."""
    return "NotFound" in type(error).__name__ or getattr(error, "code", None) == 404


def tags(value) -> dict:
    """CloudFormation `Tags` (a list of Key/Value, or a map as SAM writes them) as a map."""
    if isinstance(value, list):
        return {t["Key"]: t["Value"] for t in value}
    return dict(value or {})
