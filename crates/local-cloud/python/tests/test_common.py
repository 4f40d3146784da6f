"""Tests of local_moto.common: the call to the edge that runs an invocation, and the shared helpers."""

import json
import urllib.parse

from local_moto.common import edge_invoke, gone, tags

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
