//! The Lambda runtime without moto, failing as on AWS: instances of the real `fidelity-fn` (lambda_runtime 1.x)
//! driven through a [`FunctionPool`](local_cloud::lambda::pool::FunctionPool) — timeouts, panics and errors,
//! crashes, init timeouts and failures, a missing bootstrap, a response over 6 MB.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::pool::{
    SECOND, TEN_SECONDS, function_error, ok_json, position, request, setup, setup_in,
};

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
        assert_eq!(s.registry.live_count(), 1, "{mode}");
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
        crate::support::temp_dir("lc-empty-code"),
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
