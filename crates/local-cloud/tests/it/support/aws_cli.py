"""The AWS CLI, imported once and forked per command: the integration tests' `aws` calls (support/aws_cli.rs).

A fresh `aws` process spends ~0.6 CPU-s importing the CLI and botocore before it sends a request; a child forked
from this preloaded server spends ~0.08. Each connection on the Unix socket (argv[1]) carries one command as JSON
({"args": [...], "env": {...}}); a forked child runs it with the CLI's own driver, its stdout and stderr in files,
and answers {"code", "stdout", "stderr"} (the bytes in base64). The server stops, and removes its socket, when its
stdin closes (the test process ended).
"""

import base64
import json
import os
import signal
import socket
import sys
import tempfile
import threading

from awscli.clidriver import create_clidriver

# Warm what every command needs: the driver, the endpoint rules and the models of the services the tests call.
driver = create_clidriver()
driver.session.get_component("endpoint_resolver")
for service in ["apigateway", "cloudformation", "cloudfront", "events", "iam", "lambda", "logs", "s3",
                "sns", "sqs", "stepfunctions"]:
    driver.session.get_service_model(service)


def run(conn):
    request = json.loads(conn.makefile("rb").read())
    os.environ.update(request["env"])
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    try:
        code = driver.main(request["args"])
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    except BaseException as error:  # the CLI's own failure, reported as a failed command
        print(f"aws_cli.py: {error!r}", file=sys.stderr)
        code = 255
    sys.stdout.flush()
    sys.stderr.flush()

    def read(file):
        file.seek(0)
        return base64.b64encode(file.read()).decode()

    answer = {"code": code, "stdout": read(out), "stderr": read(err)}
    conn.sendall(json.dumps(answer).encode())
    conn.close()


def stop_at_stdin_eof():
    """Waits for the test process to end (stdin closes), then removes the socket and its folder (made for it
    alone, support/aws_cli.rs) and exits."""
    sys.stdin.read()
    try:
        os.unlink(sys.argv[1])
        os.rmdir(os.path.dirname(sys.argv[1]))
    except OSError:
        pass
    os._exit(0)


def main():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    threading.Thread(target=stop_at_stdin_eof, daemon=True).start()
    server = socket.socket(socket.AF_UNIX)
    server.bind(sys.argv[1])
    server.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            run(conn)
            os._exit(0)
        conn.close()


if __name__ == "__main__":
    main()
