"""Tests of local_moto.launcher: the command line as the daemon runs it (start-up line, `/_local/health`, exit at
stdin EOF), the refusals (another moto: exit 3; a service module that fails to load or apply: exit 4 and one
line naming it), the `/_local/...` routes and the wiring of every service module."""

import base64
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import PYTHON_DIR, lambda_zip, unique
from local_moto import launcher
from local_moto.common import Context

START_UP_LINE = re.compile(r"^moto 5\.2\.1 on http://127\.0\.0\.1:(\d+), Lambda invocations to http://127\.0\.0\.1:9$")


def run_launcher(python_path: pathlib.Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """`python3 -m local_moto ...` with `python_path` as PYTHONPATH, as the daemon starts it. It runs in
    `python_path`'s parent: `-m` puts the working directory first on sys.path, where another local_moto (this
    one, when the tests run from crates/local-cloud/python) would shadow the one under test."""
    environ = {**os.environ, "PYTHONPATH": str(python_path), "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "local_moto", *args], env=environ, cwd=python_path.parent,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, json.loads(resp.read())


def test_the_daemons_command_line_starts_moto_on_a_free_port_and_stops_at_stdin_eof():
    proc = run_launcher(PYTHON_DIR, "--host", "127.0.0.1", "--port", "0", "--edge-url", "http://127.0.0.1:9",
                        "--region", "us-east-1", "--exit-on-stdin-eof")
    try:
        line = proc.stdout.readline().rstrip("\n")
        match = START_UP_LINE.match(line)
        assert match, f"start-up line {line!r}; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
        status, health = get_json(f"http://127.0.0.1:{match[1]}/_local/health")
        assert status == 200
        assert health == {"moto_version": "5.2.1", "pid": proc.pid}
        proc.stdin.close()  # the daemon went away
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_another_moto_version_is_refused_with_exit_code_3():
    proc = run_launcher(PYTHON_DIR, "--port", "1", "--edge-url", "http://127.0.0.1:1",
                        env={"MOTO_LAUNCHER_EXPECT": "0.0.0"})
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    assert err == "moto 5.2.1 is installed; this launcher was written for moto 0.0.0: run `cargo xtask setup`\n"


def test_a_service_module_that_fails_to_load_stops_the_launcher_with_one_line_and_exit_code_4(tmp_path):
    copy = tmp_path / "launcher"
    shutil.copytree(PYTHON_DIR / "local_moto", copy / "local_moto", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "local_moto" / "apigateway.py").write_text('"""Broken."""\n\nraise RuntimeError("boom\\nsecond line")\n')
    proc = run_launcher(copy, "--port", "0", "--edge-url", "http://127.0.0.1:9", "--exit-on-stdin-eof")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    assert err == "local_moto: the additions for apigateway failed to load: RuntimeError: boom second line\n"
    assert out == ""


def test_a_service_module_whose_additions_fail_to_apply_stops_the_launcher(tmp_path, monkeypatch, capsys):
    package = tmp_path / "fake_additions"
    package.mkdir()
    (package / "__init__.py").write_text('"""Fake service modules."""\n')
    (package / "fine.py").write_text('"""Applies."""\n\ndef patch(ctx):\n    ctx.applied.append("fine")\n')
    (package / "moved.py").write_text('"""moto moved what it patches."""\n\ndef patch(ctx):\n'
                                      '    raise AttributeError("type object \'Rule\' has no attribute \'x\'")\n')
    monkeypatch.syspath_prepend(str(tmp_path))

    class Ctx:
        applied: list = []

    with pytest.raises(SystemExit) as exited:
        launcher.load_services(Ctx(), services=("fine", "moved", "never"), package="fake_additions")
    assert exited.value.code == 4
    assert Ctx.applied == ["fine"]
    assert capsys.readouterr().err == (
        "local_moto: the additions for moved failed to apply: AttributeError: type object 'Rule' has no attribute 'x'\n")


def test_every_service_module_is_wired_and_cloudformation_comes_last():
    modules = {p.stem for p in (PYTHON_DIR / "local_moto").glob("*.py")}
    helpers = {"__init__", "__main__", "launcher", "common", "apigateway_openapi", "apigateway_domains",
               "apigateway_usage", "events_patterns", "events_schedule"}
    assert set(launcher.SERVICES) == modules - helpers
    assert launcher.SERVICES[-1] == "cloudformation"
    for name in launcher.SERVICES:
        module = __import__(f"local_moto.{name}", fromlist=["patch"])
        assert callable(module.patch), name


def test_the_daemon_embeds_every_module_of_the_package():
    # The same check as moto.rs's own test, for whoever changes the package without building the daemon.
    moto_rs = (PYTHON_DIR.parent / "src" / "moto.rs").read_text()
    embedded = re.findall(r'launcher_module!\("([^"]+)"\)', moto_rs)
    assert sorted(embedded) == sorted(p.name for p in (PYTHON_DIR / "local_moto").glob("*.py"))


def test_every_python_file_opens_with_a_docstring():
    for path in sorted((PYTHON_DIR / "local_moto").glob("*.py")) + sorted(pathlib.Path(__file__).parent.glob("*.py")):
        assert path.read_text().startswith('"""'), path


def test_the_arguments_are_the_daemons():
    args = launcher.parse_args(["--port", "0", "--edge-url", "http://e", "--exit-on-stdin-eof"])
    assert (args.host, args.port, args.edge_url, args.region, args.exit_on_stdin_eof) == (
        "127.0.0.1", 0, "http://e", "us-east-1", True)
    assert isinstance(Context(edge_url="http://e", region="us-east-1", pinned="5.2.1"), Context)


def test_local_routes(moto_url, function):
    status, health = get_json(f"{moto_url}/_local/health")
    assert (status, health) == (200, {"moto_version": "5.2.1", "pid": os.getpid()})

    with pytest.raises(urllib.error.HTTPError) as unknown:
        urllib.request.urlopen(f"{moto_url}/_local/nothing-here", timeout=5)
    assert unknown.value.code == 404
    assert json.loads(unknown.value.read()) == {"message": "no local route /_local/nothing-here"}

    fn = function()
    for name_or_arn in (fn["FunctionName"], fn["FunctionArn"]):
        quoted = urllib.parse.quote(name_or_arn, safe="")
        with urllib.request.urlopen(f"{moto_url}/_local/lambda/functions/{quoted}/code", timeout=5) as resp:
            code, headers = resp.read(), resp.headers
        assert code == lambda_zip()
        assert headers["content-type"] == "application/zip"
        assert headers["x-function-arn"] == fn["FunctionArn"]
        assert headers["x-code-sha256"] == fn["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()

    missing = unique("missing")
    with pytest.raises(urllib.error.HTTPError) as not_found:
        urllib.request.urlopen(f"{moto_url}/_local/lambda/functions/{missing}/code", timeout=5)
    assert not_found.value.code == 404
    assert json.loads(not_found.value.read()) == {"message": f"Function not found: {missing}"}
