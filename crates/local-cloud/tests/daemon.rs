//! The `local-cloud serve` daemon end to end: AWS CLI calls through the edge, `/_local/status`, the kept
//! API Gateway integration fields, clean shutdown on SIGTERM, no orphaned moto after SIGKILL, and the
//! launcher's refusal of an unexpected moto version. Needs python3 with moto 5.2.1 and the AWS CLI.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_local-cloud");

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The python that has moto: the project venv's if present, else python3 (as `cargo xtask local up` picks).
fn python() -> String {
    let venv = repo_root().join(".venv/bin/python");
    if venv.exists() {
        venv.display().to_string()
    } else {
        "python3".into()
    }
}

/// The AWS CLI: the project venv's (`cargo xtask setup` installs it) if present, else `aws` on PATH.
fn aws_cli() -> PathBuf {
    let venv = repo_root().join(".venv/bin/aws");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("aws")
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("local-cloud-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A daemon started for one test; killed (by pid) if the test fails before stopping it.
struct Daemon {
    child: Child,
    port: u16,
    dir: PathBuf,
    ready: Value,
}

impl Daemon {
    fn start() -> Daemon {
        let (port, dir) = (free_port(), temp_dir());
        let log = std::fs::File::create(dir.join("local-cloud.log")).unwrap();
        let child = Command::new(BIN)
            .args(["serve", "--port", &port.to_string(), "--python", &python()])
            .arg("--state-dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawning local-cloud");
        let mut daemon = Daemon {
            child,
            port,
            dir,
            ready: Value::Null,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let state_file = daemon.dir.join("local-cloud.json");
        while !state_file.exists() {
            if let Some(status) = daemon.child.try_wait().unwrap() {
                panic!(
                    "local-cloud exited ({status}) before it was ready:\n{}",
                    daemon.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "local-cloud not ready after 30 s:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        daemon.ready = serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
        daemon
    }

    fn log(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        format!(
            "--- local-cloud.log\n{}\n--- moto.log\n{}",
            read("local-cloud.log"),
            read("moto.log")
        )
    }

    fn moto_pid(&self) -> u32 {
        self.ready["moto_pid"]
            .as_u64()
            .expect("moto_pid in local-cloud.json") as u32
    }

    fn aws(&self, args: &[&str]) -> Output {
        Command::new(aws_cli())
            .arg("--endpoint-url")
            .arg(format!("http://127.0.0.1:{}", self.port))
            .args(["--output", "json"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_MAX_ATTEMPTS", "1")
            .output()
            .expect("running the AWS CLI (`aws`): install awscli, e.g. with `cargo xtask setup`")
    }

    /// Runs an AWS CLI command that must succeed; returns its JSON output (Null when empty).
    fn aws_ok(&self, args: &[&str]) -> Value {
        let out = self.aws(args);
        assert!(
            out.status.success(),
            "aws {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&out.stdout).unwrap()
        }
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {sig} {}", self.child.id());
    }

    fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "local-cloud still running after {within:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // moto exits when the daemon does; this is for a moto that did not (checked to be ours first).
        if let Some(pid) = self.ready["moto_pid"].as_u64()
            && process_alive(pid as u32)
            && std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.contains("local_moto"))
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Alive and not a zombie (an orphan's zombie may linger if PID 1 does not reap).
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn wait_gone(pid: u32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while process_alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// A bare HTTP/1.0 GET to the edge: (status, body).
fn http_get(port: u16, path: &str) -> (u16, String) {
    http(port, "GET", path)
}

/// A bare HTTP/1.0 request without a body to the edge: (status, body).
fn http(port: u16, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.split(' ').nth(1).unwrap().parse().unwrap();
    (
        status,
        resp.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default(),
    )
}

#[test]
fn serves_aws_calls_through_the_edge_and_stops_cleanly_on_sigterm() {
    let mut d = Daemon::start();
    let moto_pid = d.moto_pid();
    assert!(process_alive(moto_pid), "moto (pid {moto_pid}) should run");
    assert_eq!(d.ready["edge_port"], d.port);

    // S3 and DynamoDB through the edge, read back.
    d.aws_ok(&["s3api", "create-bucket", "--bucket", "edge-test-bucket"]);
    let buckets = d.aws_ok(&["s3api", "list-buckets"]);
    assert_eq!(buckets["Buckets"][0]["Name"], "edge-test-bucket");
    d.aws_ok(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "edge-test-table",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]);
    assert_eq!(
        d.aws_ok(&["dynamodb", "list-tables"])["TableNames"],
        serde_json::json!(["edge-test-table"])
    );

    // Status: moto healthy, nothing deployed yet for the data plane.
    let (code, body) = http_get(d.port, "/_local/status");
    assert_eq!(code, 200, "{body}");
    let status: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["moto"]["healthy"], true, "{status}");
    assert_eq!(status["moto"]["version"], "5.2.1");
    assert_eq!(status["moto_pid"], moto_pid);
    assert_eq!(
        status["generation"], 0,
        "data-plane-only writes must not bump the generation: {status}"
    );

    // API Gateway: the connection fields moto dropped are kept by moto itself (python/local_moto/apigateway.py),
    // for calls through the edge as for any other.
    let api = d.aws_ok(&["apigateway", "create-rest-api", "--name", "edge-test"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let root = d.aws_ok(&["apigateway", "get-resources", "--rest-api-id", &api])["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = [
        "--rest-api-id",
        api.as_str(),
        "--resource-id",
        root.as_str(),
        "--http-method",
        "GET",
    ];
    d.aws_ok(
        &[
            &["apigateway", "put-method"],
            &m[..],
            &["--authorization-type", "NONE"],
        ]
        .concat(),
    );
    let put = d.aws_ok(
        &[
            &["apigateway", "put-integration"],
            &m[..],
            &[
                "--type",
                "HTTP_PROXY",
                "--integration-http-method",
                "GET",
                "--uri",
                "http://backend/",
            ],
            &[
                "--connection-type",
                "VPC_LINK",
                "--connection-id",
                "vl-one",
                "--timeout-in-millis",
                "5000",
            ],
        ]
        .concat(),
    );
    assert_eq!(put["connectionId"], "vl-one", "{put}");
    let got = d.aws_ok(&[&["apigateway", "get-integration"], &m[..]].concat());
    assert_eq!(
        (&got["connectionId"], &got["connectionType"]),
        (&"vl-one".into(), &"VPC_LINK".into()),
        "{got}"
    );
    // UpdateIntegration of those fields (moto itself answers 500 to it).
    let patched = d.aws_ok(
        &[
            &["apigateway", "update-integration"],
            &m[..],
            &[
                "--patch-operations",
                "op=replace,path=/connectionId,value=vl-two",
            ],
        ]
        .concat(),
    );
    assert_eq!(patched["connectionId"], "vl-two", "{patched}");
    let method = d.aws_ok(&[&["apigateway", "get-method"], &m[..]].concat());
    assert_eq!(
        method["methodIntegration"]["connectionId"], "vl-two",
        "{method}"
    );
    let (_, body) = http_get(d.port, "/_local/status");
    let status: Value = serde_json::from_str(&body).unwrap();
    assert!(
        status["generation"].as_u64().unwrap() >= 4,
        "control-plane writes bump the generation: {status}"
    );
    // The fields go with the model: deleting the API, or moto's reset, leaves nothing to answer.
    d.aws_ok(&["apigateway", "delete-rest-api", "--rest-api-id", &api]);
    let out = d.aws(&[&["apigateway", "get-integration"], &m[..]].concat());
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("NotFound"),
        "a deleted API has no integration: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(http(d.port, "POST", "/moto-api/reset").0, 200);
    let apis = d.aws_ok(&["apigateway", "get-rest-apis"]);
    assert_eq!(
        apis["items"],
        serde_json::json!([]),
        "a reset forgets every API: {apis}"
    );

    // The Invoke API is the edge's: an unknown function is AWS's 404.
    let out = d.aws(&[
        "lambda",
        "invoke",
        "--function-name",
        "no-such-fn",
        "/dev/null",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("ResourceNotFoundException"),
        "{err}"
    );
    assert!(
        err.contains(
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-fn"
        ),
        "{err}"
    );

    // A second daemon on the same port says what to do.
    let second = Command::new(BIN)
        .args([
            "serve",
            "--port",
            &d.port.to_string(),
            "--python",
            &python(),
        ])
        .arg("--state-dir")
        .arg(d.dir.join("second"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    assert!(
        err.contains(&format!(
            "port {} on 127.0.0.1 is in use (by another program)",
            d.port
        )) && err.contains("--port/LOCAL_CLOUD_PORT"),
        "{err}"
    );

    // SIGTERM: the daemon exits 0, moto is gone, the ready file removed.
    d.signal("-TERM");
    let status = d.wait_exit(Duration::from_secs(20));
    assert!(status.success(), "exit status {status}:\n{}", d.log());
    assert!(
        wait_gone(moto_pid, Duration::from_secs(2)),
        "moto (pid {moto_pid}) outlived the daemon"
    );
    assert!(
        !d.dir.join("local-cloud.json").exists(),
        "local-cloud.json left behind"
    );
}

#[test]
fn moto_does_not_outlive_a_killed_daemon() {
    let mut d = Daemon::start();
    let moto_pid = d.moto_pid();
    d.signal("-KILL");
    d.wait_exit(Duration::from_secs(5));
    assert!(
        wait_gone(moto_pid, Duration::from_secs(10)),
        "moto (pid {moto_pid}) orphaned after SIGKILL of the daemon"
    );
}

#[test]
fn launcher_refuses_an_unexpected_moto_version() {
    // As the daemon runs it: `python -m local_moto` with the package's directory on PYTHONPATH.
    let package_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    let out = Command::new(python())
        .args(["-m", "local_moto"])
        .args(["--port", "1", "--edge-url", "http://127.0.0.1:1"])
        .env("PYTHONPATH", &package_dir)
        .env("MOTO_LAUNCHER_EXPECT", "0.0.0")
        .output()
        .expect("running python3: install it, e.g. with `cargo xtask setup`");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("moto 5.2.1 is installed; this launcher was written for moto 0.0.0: run `cargo xtask setup`"),
        "{err}"
    );

    // The daemon reports it at once, with moto's log.
    let dir = temp_dir();
    let started = Instant::now();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--port",
            &free_port().to_string(),
            "--python",
            &python(),
        ])
        .arg("--state-dir")
        .arg(&dir)
        .env("MOTO_LAUNCHER_EXPECT", "0.0.0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("moto exited (exit status: 3) before it was ready"),
        "{err}"
    );
    assert!(
        err.contains("this launcher was written for moto 0.0.0"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A `provided.al2023` function whose `bootstrap` is a shell script speaking the Runtime API with curl: it
/// appends each event to `$EVENTS_FILE` and answers `{"got": EVENT}`, or fails when the event has `"fail"`.
const ECHO_BOOTSTRAP: &str = r#"#!/bin/sh
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  headers=$(mktemp)
  event=$(curl -sS -D "$headers" "$api/next")
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$headers" | cut -d' ' -f2 | tr -d '\r')
  rm -f "$headers"
  printf '%s\n' "$event" >> "$EVENTS_FILE"
  case "$event" in
    *'"fail"'*) curl -sS -X POST "$api/$id/error" -d '{"errorMessage":"asked to fail","errorType":"Boom"}' >/dev/null ;;
    *) curl -sS -X POST "$api/$id/response" -d "{\"got\": $event}" >/dev/null ;;
  esac
done
"#;

fn echo_function_zip(dir: &Path) -> PathBuf {
    let zip_path = dir.join("echo.zip");
    let script = format!(
        "import zipfile\nz = zipfile.ZipFile({:?}, 'w')\ni = zipfile.ZipInfo('bootstrap')\ni.external_attr = 0o755 << 16\n\
         z.writestr(i, {ECHO_BOOTSTRAP:?})\nz.close()\n",
        zip_path.display().to_string()
    );
    let status = Command::new(python())
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(status.success(), "building the test function's zip");
    zip_path
}

fn wait_for_event(file: &Path, needle: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let events = std::fs::read_to_string(file).unwrap_or_default();
        if events.contains(needle) {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "no event with {needle:?} after {within:?}; events so far:\n{events}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn runs_functions_for_the_invoke_api_and_for_invocations_moto_makes() {
    let mut d = Daemon::start();
    let zip = echo_function_zip(&d.dir);
    let events = d.dir.join("events.log");
    d.aws_ok(&[
        "iam",
        "create-role",
        "--role-name",
        "echo-role",
        "--assume-role-policy-document",
        "{}",
    ]);
    d.aws_ok(&[
        "lambda",
        "create-function",
        "--function-name",
        "echo",
        "--runtime",
        "provided.al2023",
        "--handler",
        "bootstrap",
        "--role",
        "arn:aws:iam::123456789012:role/echo-role",
        "--zip-file",
        &format!("fileb://{}", zip.display()),
        "--environment",
        &format!("Variables={{EVENTS_FILE={}}}", events.display()),
    ]);

    // RequestResponse through the edge's Invoke API.
    let out_file = d.dir.join("out.json");
    let out = d.aws_ok(&[
        "lambda",
        "invoke",
        "--function-name",
        "echo",
        "--payload",
        r#"{"hello":"edge"}"#,
        &out_file.display().to_string(),
    ]);
    assert_eq!(out["StatusCode"], 200, "{out}");
    assert_eq!(out["ExecutedVersion"], "$LATEST", "{out}");
    let payload: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(payload, serde_json::json!({"got": {"hello": "edge"}}));

    // A function error: 200 with X-Amz-Function-Error: Unhandled and the error payload.
    let out = d.aws_ok(&[
        "lambda",
        "invoke",
        "--function-name",
        "echo",
        "--payload",
        r#"{"fail":true}"#,
        &out_file.display().to_string(),
    ]);
    assert_eq!(out["FunctionError"], "Unhandled", "{out}");
    let payload: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(payload["errorType"], "Boom", "{payload}");

    // Event: 202 at once, run in the background.
    let out = d.aws_ok(&[
        "lambda",
        "invoke",
        "--function-name",
        "echo",
        "--invocation-type",
        "Event",
        "--payload",
        r#"{"async":"yes"}"#,
        &out_file.display().to_string(),
    ]);
    assert_eq!(out["StatusCode"], 202, "{out}");
    wait_for_event(&events, r#"{"async":"yes"}"#, Duration::from_secs(10));
    let dry = d.aws_ok(&[
        "lambda",
        "invoke",
        "--function-name",
        "echo",
        "--invocation-type",
        "DryRun",
        "/dev/null",
    ]);
    assert_eq!(dry["StatusCode"], 204, "{dry}");

    // moto's own invocations reach the function through the launcher: SNS and an SQS event source mapping.
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:echo";
    let topic = d.aws_ok(&["sns", "create-topic", "--name", "echo-topic"])["TopicArn"]
        .as_str()
        .unwrap()
        .to_owned();
    d.aws_ok(&[
        "sns",
        "subscribe",
        "--topic-arn",
        &topic,
        "--protocol",
        "lambda",
        "--notification-endpoint",
        arn,
    ]);
    d.aws_ok(&[
        "sns",
        "publish",
        "--topic-arn",
        &topic,
        "--message",
        "from-sns",
    ]);
    wait_for_event(
        &events,
        r#""EventSource": "aws:sns""#,
        Duration::from_secs(10),
    );
    let queue = d.aws_ok(&["sqs", "create-queue", "--queue-name", "echo-queue"])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let queue_arn = d.aws_ok(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &queue,
        "--attribute-names",
        "QueueArn",
    ])["Attributes"]["QueueArn"]
        .as_str()
        .unwrap()
        .to_owned();
    d.aws_ok(&[
        "lambda",
        "create-event-source-mapping",
        "--function-name",
        "echo",
        "--event-source-arn",
        &queue_arn,
    ]);
    d.aws_ok(&[
        "sqs",
        "send-message",
        "--queue-url",
        &queue,
        "--message-body",
        "from-sqs",
    ]);
    wait_for_event(&events, r#""body": "from-sqs""#, Duration::from_secs(10));

    // EventBridge rule targets (added by the launcher: moto 5.2.1 has no Lambda targets) and S3 notifications.
    d.aws_ok(&[
        "events",
        "put-rule",
        "--name",
        "echo-rule",
        "--event-pattern",
        r#"{"source":["edge.test"]}"#,
    ]);
    d.aws_ok(&[
        "events",
        "put-targets",
        "--rule",
        "echo-rule",
        "--targets",
        &format!("Id=1,Arn={arn}"),
    ]);
    let entries =
        r#"[{"Source":"edge.test","DetailType":"t","Detail":"{\"from\":\"eventbridge\"}"}]"#;
    d.aws_ok(&["events", "put-events", "--entries", entries]);
    let all = wait_for_event(&events, r#""from": "eventbridge""#, Duration::from_secs(10));
    let event: Value =
        serde_json::from_str(all.lines().find(|l| l.contains("eventbridge")).unwrap()).unwrap();
    assert_eq!(
        (&event["source"], &event["detail-type"]),
        (&"edge.test".into(), &"t".into()),
        "{event}"
    );
    assert!(
        event["time"].as_str().is_some_and(|t| t.ends_with('Z')),
        "ISO 8601 time as AWS sends: {event}"
    );
    assert!(event.get("ingestion-time").is_none(), "{event}");
    d.aws_ok(&["s3api", "create-bucket", "--bucket", "echo-bucket"]);
    let notification = format!(
        r#"{{"LambdaFunctionConfigurations":[{{"LambdaFunctionArn":"{arn}","Events":["s3:ObjectCreated:*"]}}]}}"#
    );
    d.aws_ok(&[
        "s3api",
        "put-bucket-notification-configuration",
        "--bucket",
        "echo-bucket",
        "--notification-configuration",
        &notification,
    ]);
    d.aws_ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "echo-bucket",
        "--key",
        "k1",
        "--body",
        &zip.display().to_string(),
    ]);
    wait_for_event(
        &events,
        r#""eventSource": "aws:s3""#,
        Duration::from_secs(10),
    );

    d.signal("-TERM");
    assert!(
        d.wait_exit(Duration::from_secs(20)).success(),
        "{}",
        d.log()
    );
}
