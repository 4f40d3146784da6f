"""Tests of local_moto.common: the calls to the edge that run an invocation (synchronous, or queued as an
asynchronous one naming its source), and the shared helpers."""

import json
import urllib.parse

from local_moto.common import Source, edge_invoke, edge_invoke_async, gone, tags

ARN = "arn:aws:lambda:us-east-1:123456789012:function:common-fn"
PATH = f"/_local/lambda/invoke/{urllib.parse.quote(ARN, safe='')}"


def test_an_invocation_is_posted_to_the_edge_with_its_payload(edge):
    edge.answers[PATH] = (200, {"X-Amz-Function-Error": "Handled"}, b'{"errorMessage": "no"}')
    out, error = edge_invoke(edge.url, ARN, b'{"id": 1}')
    assert (out, error) == (b'{"errorMessage": "no"}', "Handled")
    assert edge.wait_for("POST", PATH)["body"] == b'{"id": 1}'


def test_an_edge_that_cannot_run_the_function_is_an_unhandled_error(edge):
    arn = ARN + "-missing"
    edge.answers[f"/_local/lambda/invoke/{urllib.parse.quote(arn, safe='')}"] = (404, {}, b'{"message": "nope"}')
    assert edge_invoke(edge.url, arn, b"{}") == (b'{"message": "nope"}', "Unhandled")


def test_an_unreachable_edge_is_an_unhandled_error_naming_it():
    out, error = edge_invoke("http://127.0.0.1:9", ARN, b"{}")
    assert error == "Unhandled"
    body = json.loads(out)
    assert body["errorType"] == "EdgeUnreachable"
    assert "local cloud edge http://127.0.0.1:9 unreachable" in body["errorMessage"]


def test_an_asynchronous_invocation_is_queued_naming_its_source(edge, capsys):
    path = f"/_local/lambda/async/{urllib.parse.quote(ARN, safe='')}"
    edge.answers[path] = (202, {}, b"")
    source = Source("s3.amazonaws.com", "arn:aws:s3:::bucket", "123456789012")
    assert edge_invoke_async(edge.url, ARN, b'{"Records": []}', source) == 202
    request = edge.wait_for("POST", path)
    assert request["body"] == b'{"Records": []}'
    assert {k: v for k, v in request["headers"].items() if k.startswith("x-local-source-")} == {
        "x-local-source-principal": "s3.amazonaws.com", "x-local-source-arn": "arn:aws:s3:::bucket",
        "x-local-source-account": "123456789012"}
    # Refused by the function's resource policy: the daemon logs why; moto's log stays quiet.
    edge.answers[path] = (403, {}, b'{"message": "no"}')
    assert edge_invoke_async(edge.url, ARN, b"{}", source) == 403
    assert capsys.readouterr().err == ""
    # Unreachable: moto's log names the lost event.
    assert edge_invoke_async("http://127.0.0.1:9", ARN, b"{}", source) == 0
    assert "unreachable: an event for" in capsys.readouterr().err


def test_tags_take_a_list_or_a_map():
    assert tags([{"Key": "a", "Value": "1"}]) == {"a": "1"}
    assert tags({"b": "2"}) == {"b": "2"}
    assert tags(None) == {}


def test_gone_knows_not_found_errors():
    class NotFoundException(Exception):
        pass

    class Coded(Exception):
        code = 404

    assert gone(NotFoundException()) and gone(Coded())
    assert not gone(ValueError("x"))
