//! The Lambda runtime without moto: instances of the real `fidelity-fn` (lambda_runtime 1.x) driven through a
//! [`FunctionPool`] — cold and warm starts, logs, environment, concurrency, timeouts, crashes, init failures.

mod support;

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use base64::Engine;
use bytes::Bytes;
use local_cloud::{
    config::Config,
    lambda::{
        FunctionConfig, Invocation, InvokeOutput, InvokeRequest,
        instance::{InstanceSpec, ProcessRegistry},
        pool::{FunctionPool, LogSink, PoolSpec},
    },
};
use serde_json::{Value, json};

const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:fidelity";

struct Setup {
    pool: Arc<FunctionPool>,
    registry: Arc<ProcessRegistry>,
    code_dir: std::path::PathBuf,
    state_dir: std::path::PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.code_dir);
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

fn setup(mode: &str, timeout: Duration, init_timeout: Duration, max_instances: usize) -> Setup {
    setup_in(
        support::fidelity_code_dir(),
        mode,
        timeout,
        init_timeout,
        max_instances,
    )
}

fn setup_in(
    code_dir: std::path::PathBuf,
    mode: &str,
    timeout: Duration,
    init_timeout: Duration,
    max_instances: usize,
) -> Setup {
    let config = Config {
        edge_port: 4566,
        moto_port: 5000,
        state_dir: support::temp_dir("lc-state"),
        region: "us-east-1".into(),
    };
    let function = FunctionConfig {
        name: "fidelity".into(),
        version: "$LATEST".into(),
        arn: ARN.into(),
        runtime: Some("provided.al2023".into()),
        handler: Some("bootstrap".into()),
        package_type: "Zip".into(),
        timeout,
        memory_mb: 128,
        environment: [
            ("FIDELITY_MODE".to_owned(), mode.to_owned()),
            ("FROM_FUNCTION_CONFIG".to_owned(), "yes".to_owned()),
        ]
        .into(),
        code_sha256: String::new(),
        last_modified: String::new(),
        log_group: "/aws/lambda/fidelity".into(),
        log_format: None,
        application_log_level: None,
        system_log_level: None,
    };
    let registry = Arc::new(ProcessRegistry::default());
    let spec = PoolSpec {
        function_name: function.name.clone(),
        version: function.version.clone(),
        runtime: "provided.al2023".into(),
        timeout,
        memory_mb: function.memory_mb,
        log_group: function.log_group.clone(),
        instance: InstanceSpec {
            function_name: function.name.clone(),
            version: function.version.clone(),
            env: function.instance_env(&config, &code_dir),
            code_dir: code_dir.clone(),
            init_timeout,
        },
    };
    let sink = Arc::new(LogSink {
        recent: Default::default(),
        shipper: None,
    });
    Setup {
        pool: Arc::new(FunctionPool::new(
            spec,
            max_instances,
            registry.clone(),
            sink,
        )),
        registry,
        code_dir,
        state_dir: config.state_dir.clone(),
    }
}

fn request(payload: Value) -> InvokeRequest {
    InvokeRequest {
        payload: Bytes::from(payload.to_string()),
        invoked_arn: ARN.into(),
        client_context: None,
    }
}

fn ok_json(output: &InvokeOutput) -> Value {
    match &output.invocation {
        Invocation::Ok(body) => serde_json::from_slice(body).expect("response is JSON"),
        other => panic!(
            "expected a response, got {other:?}\nlogs:\n{}",
            output.log_lines.join("\n")
        ),
    }
}

fn function_error(output: &InvokeOutput) -> (String, Value) {
    match &output.invocation {
        Invocation::FunctionError {
            error_type,
            payload,
        } => (
            error_type.clone(),
            serde_json::from_slice(payload).expect("error payload is JSON"),
        ),
        other => panic!(
            "expected a function error, got {other:?}\nlogs:\n{}",
            output.log_lines.join("\n")
        ),
    }
}

fn position(lines: &[String], needle: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no log line contains {needle:?}:\n{}", lines.join("\n")))
}

const SECOND: Duration = Duration::from_secs(1);
const TEN_SECONDS: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_then_warm_reuse_with_aws_log_lines() {
    let s = setup("echo", 3 * SECOND, TEN_SECONDS, 4);
    let started = Instant::now();
    let first = s.pool.invoke(request(json!({"n": 1}))).await;
    let cold = started.elapsed();
    assert_eq!(ok_json(&first), json!({"n": 1}));
    assert!(first.cold_start);
    assert_eq!(first.executed_version, "$LATEST");

    let mut warm = Vec::new();
    let mut last = None;
    for n in 0..50 {
        let started = Instant::now();
        let output = s.pool.invoke(request(json!({"n": n}))).await;
        warm.push(started.elapsed());
        assert_eq!(ok_json(&output), json!({"n": n}));
        assert!(
            !output.cold_start,
            "invocation {n} should reuse the warm instance"
        );
        last = Some(output);
    }
    assert_eq!(
        s.registry.live_count(),
        1,
        "one instance serves sequential invocations"
    );
    assert_eq!(s.pool.idle_count(), 1);
    warm.sort();
    eprintln!(
        "TIMING fidelity-fn (debug build) through FunctionPool: cold start {:.2} ms; warm p50 {:.3} ms, p90 {:.3} ms, max {:.3} ms",
        cold.as_secs_f64() * 1e3,
        warm[warm.len() / 2].as_secs_f64() * 1e3,
        warm[warm.len() * 9 / 10].as_secs_f64() * 1e3,
        warm[warm.len() - 1].as_secs_f64() * 1e3,
    );

    let id = &first.request_id;
    let lines = &first.log_lines;
    assert!(
        lines[0].starts_with("INIT_START Runtime Version: provided:al2023"),
        "{lines:?}"
    );
    let init = position(lines, "fidelity-fn init mode=echo");
    let start = position(lines, &format!("START RequestId: {id} Version: $LATEST"));
    let out = position(lines, &format!("fidelity-fn echo {id}"));
    let err = position(lines, &format!("fidelity-fn stderr {id}"));
    let end = position(lines, &format!("END RequestId: {id}"));
    let report = position(lines, &format!("REPORT RequestId: {id}\tDuration: "));
    assert!(
        init < start && start < out && start < err && out < end && err < end && end < report,
        "{lines:#?}"
    );
    assert_eq!(report, lines.len() - 1);
    let report_line = &lines[report];
    for field in [
        "\tBilled Duration: ",
        "\tMemory Size: 128 MB",
        "\tMax Memory Used: ",
        "\tInit Duration: ",
    ] {
        assert!(
            report_line.contains(field),
            "{report_line:?} lacks {field:?}"
        );
    }
    let used: u64 = report_line
        .split("Max Memory Used: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(used > 0, "VmHWM should be read: {report_line}");

    let last = last.unwrap();
    assert!(
        !last.log_lines.iter().any(|l| l.contains("Init Duration")),
        "{:?}",
        last.log_lines
    );
    assert!(!last.log_lines.iter().any(|l| l.starts_with("INIT_START")));
    let tail = last.log_tail();
    assert!(tail.ends_with(&format!("{}\n", last.log_lines.last().unwrap())));
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(last.log_result())
        .unwrap();
    assert_eq!(decoded, tail.as_bytes());

    s.registry.kill_all(5 * SECOND).await;
    assert_eq!(s.registry.live_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_is_lambdas_and_nothing_leaks_from_the_host() {
    let s = setup("env", 3 * SECOND, TEN_SECONDS, 1);
    let output = s.pool.invoke(request(json!({}))).await;
    let body = ok_json(&output);
    let env: BTreeMap<String, String> = serde_json::from_value(body["env"].clone()).unwrap();
    assert_eq!(env["FROM_FUNCTION_CONFIG"], "yes");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "fidelity");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/fidelity");
    assert_eq!(env["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
    assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:4566");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "test");
    assert_eq!(env["TZ"], ":UTC");
    assert_eq!(env["_HANDLER"], "bootstrap");
    assert!(
        env["AWS_LAMBDA_RUNTIME_API"].starts_with("127.0.0.1:"),
        "{env:?}"
    );
    assert!(
        env["_X_AMZN_TRACE_ID"].starts_with("Root=1-"),
        "the trace header reached the runtime: {env:?}"
    );
    let stream = &env["AWS_LAMBDA_LOG_STREAM_NAME"];
    let (date, rest) = stream.split_at(11);
    assert!(
        date.len() == 11 && date.chars().filter(|c| *c == '/').count() == 3,
        "{stream}"
    );
    let hex = rest
        .strip_prefix("[$LATEST]")
        .unwrap_or_else(|| panic!("{stream}"));
    assert!(
        hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()),
        "{stream}"
    );
    for leaked in ["HOME", "CARGO_MANIFEST_DIR", "CARGO", "RUST_LOG", "USER"] {
        assert!(
            !env.contains_key(leaked),
            "host variable {leaked} leaked into the function: {env:?}"
        );
    }
    assert_eq!(
        std::path::Path::new(body["cwd"].as_str().unwrap())
            .canonicalize()
            .unwrap(),
        s.code_dir.canonicalize().unwrap()
    );
    let pid = u32::try_from(body["pid"].as_u64().unwrap()).unwrap();
    assert!(support::process_exists(pid));
    s.registry.kill_all(5 * SECOND).await;
    assert!(
        !support::process_exists(pid),
        "shutdown must leave no process behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_start_more_instances_up_to_the_cap() {
    let s = setup("sleep", 5 * SECOND, TEN_SECONDS, 2);
    let pool = s.pool.clone();
    let calls: Vec<_> = (0..4)
        .map(|n| {
            let pool = pool.clone();
            tokio::spawn(
                async move { pool.invoke(request(json!({"sleep_ms": 300, "n": n}))).await },
            )
        })
        .collect();
    let mut cold = 0;
    for (n, call) in calls.into_iter().enumerate() {
        let output = call.await.unwrap();
        assert_eq!(ok_json(&output)["n"], json!(n));
        cold += usize::from(output.cold_start);
    }
    assert_eq!(
        cold, 2,
        "the cap of 2 instances: two cold starts, the other two reuse them"
    );
    assert_eq!(s.registry.live_count(), 2);
    assert_eq!(pool.idle_count(), 2);
    s.registry.kill_all(5 * SECOND).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_the_instance_and_reports_sandbox_timedout() {
    let s = setup("sleep", SECOND, TEN_SECONDS, 2);
    let started = Instant::now();
    let output = s.pool.invoke(request(json!({"sleep_ms": 30_000}))).await;
    let elapsed = started.elapsed();
    let (error_type, payload) = function_error(&output);
    assert_eq!(error_type, "Sandbox.Timedout");
    assert_eq!(
        payload,
        json!({
            "errorType": "Sandbox.Timedout",
            "errorMessage": format!("RequestId: {} Error: Task timed out after 1.00 seconds", output.request_id),
        })
    );
    assert!(
        elapsed < 5 * SECOND,
        "the timeout is enforced ({elapsed:?})"
    );
    let report = position(&output.log_lines, "REPORT RequestId: ");
    assert!(
        output.log_lines[report].contains("\tStatus: timeout"),
        "{:?}",
        output.log_lines
    );
    let timed_out = position(
        &output.log_lines,
        &format!(" {} Task timed out after 1.00 seconds", output.request_id),
    );
    assert!(timed_out > report);
    assert_eq!(
        s.registry.live_count(),
        0,
        "the timed-out instance is killed"
    );

    let next = s.pool.invoke(request(json!({"sleep_ms": 0, "n": 2}))).await;
    assert_eq!(ok_json(&next)["n"], json!(2));
    assert!(next.cold_start, "a new instance replaces the killed one");
    s.registry.kill_all(5 * SECOND).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_and_error_are_function_errors_and_keep_the_instance() {
    for (mode, message) in [
        ("panic", "Lambda panicked: fidelity-fn panicked on purpose"),
        ("error", "fidelity-fn failed on purpose"),
    ] {
        let s = setup(mode, 3 * SECOND, TEN_SECONDS, 1);
        let first = s.pool.invoke(request(json!({}))).await;
        let (error_type, payload) = function_error(&first);
        assert_eq!(payload["errorMessage"], json!(message), "{mode}: {payload}");
        assert_eq!(payload["errorType"], json!(error_type), "{mode}: {payload}");
        let second = s.pool.invoke(request(json!({}))).await;
        function_error(&second);
        assert!(
            !second.cold_start,
            "{mode}: a reported error keeps the instance"
        );
        assert_eq!(s.registry.live_count(), 1);
        s.registry.kill_all(5 * SECOND).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_reports_runtime_exit_error_and_replaces_the_instance() {
    let s = setup("exit", 3 * SECOND, TEN_SECONDS, 1);
    let output = s.pool.invoke(request(json!({}))).await;
    let (error_type, payload) = function_error(&output);
    let expected = format!(
        "RequestId: {} Error: Runtime exited with error: exit status 3",
        output.request_id
    );
    assert_eq!(error_type, "Runtime.ExitError");
    assert_eq!(
        payload,
        json!({"errorType": "Runtime.ExitError", "errorMessage": expected})
    );
    assert!(
        output
            .log_lines
            .contains(&format!("{expected}\nRuntime.ExitError")),
        "{:#?}",
        output.log_lines
    );
    position(
        &output.log_lines,
        &format!("fidelity-fn exit {}", output.request_id),
    );
    assert!(
        output
            .log_lines
            .last()
            .unwrap()
            .contains("\tStatus: error\tError Type: Runtime.ExitError")
    );
    assert_eq!(s.registry.live_count(), 0);
    let next = s.pool.invoke(request(json!({}))).await;
    function_error(&next);
    assert!(next.cold_start, "the dead instance is replaced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_timeout_is_reported_and_the_instance_killed() {
    let s = setup("noinit", 3 * SECOND, Duration::from_millis(300), 1);
    let started = Instant::now();
    let output = s.pool.invoke(request(json!({}))).await;
    assert!(
        started.elapsed() < 3 * SECOND,
        "no hang: {:?}",
        started.elapsed()
    );
    let (error_type, payload) = function_error(&output);
    assert_eq!(error_type, "Runtime.Unknown");
    let message = payload["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("RequestId: {} Error: ", output.request_id)),
        "{message}"
    );
    assert!(
        message.contains("init phase timed out after 0.30 seconds"),
        "{message}"
    );
    position(&output.log_lines, "INIT_REPORT Init Duration: ");
    assert!(
        output
            .log_lines
            .iter()
            .any(|l| l.contains("Phase: init\tStatus: timeout")),
        "{:?}",
        output.log_lines
    );
    assert_eq!(s.registry.live_count(), 0, "the stuck instance is killed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_error_is_reported_with_the_runtimes_error_type() {
    let s = setup("initerror", 3 * SECOND, TEN_SECONDS, 1);
    let output = s.pool.invoke(request(json!({}))).await;
    let (error_type, payload) = function_error(&output);
    assert_eq!(error_type, "Fidelity.InitFailed");
    assert_eq!(
        payload["errorMessage"],
        json!("fidelity-fn failed to initialise on purpose")
    );
    assert!(
        output
            .log_lines
            .iter()
            .any(|l| l.contains("Status: error\tError Type: Fidelity.InitFailed"))
    );
    assert_eq!(s.registry.live_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_bootstrap_is_an_invalid_entrypoint() {
    let s = setup_in(
        support::temp_dir("lc-empty-code"),
        "echo",
        3 * SECOND,
        TEN_SECONDS,
        1,
    );
    let output = s.pool.invoke(request(json!({}))).await;
    let (error_type, payload) = function_error(&output);
    assert_eq!(error_type, "Runtime.InvalidEntrypoint");
    assert!(
        payload["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Couldn't find valid bootstrap(s)"),
        "{payload}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_over_6_mb_is_function_response_size_too_large() {
    let s = setup("echo", 10 * SECOND, TEN_SECONDS, 1);
    let big = "x".repeat(6_500_000);
    let output = s.pool.invoke(request(json!({ "big": big }))).await;
    let (error_type, payload) = function_error(&output);
    assert_eq!(error_type, "Function.ResponseSizeTooLarge");
    assert!(
        payload["errorMessage"]
            .as_str()
            .unwrap()
            .contains("6291556 bytes"),
        "{payload}"
    );
    s.registry.kill_all(5 * SECOND).await;
}
