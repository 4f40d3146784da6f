//! The Lambda runtime without moto, running: instances of the real `fidelity-fn` (lambda_runtime 1.x) driven
//! through a [`FunctionPool`](local_cloud::lambda::pool::FunctionPool) — cold and warm starts with AWS's log
//! lines, the environment a function sees, concurrency up to the instance cap.

use std::{collections::BTreeMap, time::Instant};

use base64::Engine;
use serde_json::json;

use crate::support::pool::{SECOND, TEN_SECONDS, ok_json, position, request, setup};

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
    assert!(crate::support::process_exists(pid));
    s.registry.kill_all(5 * SECOND).await;
    assert!(
        !crate::support::process_exists(pid),
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
