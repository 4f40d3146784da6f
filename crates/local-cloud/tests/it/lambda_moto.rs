//! The Lambda runtime against a real moto (started through our launcher): a function deployed with
//! CreateFunction runs natively from the zip moto holds, its logs land in CloudWatch Logs, a configuration
//! change is picked up after `invalidate`, and unknown functions and unsupported runtimes fail as on AWS.

use std::{
    path::PathBuf,
    sync::OnceLock,
    time::{Duration, Instant},
};

use aws_sdk_lambda::types::{Environment, Runtime};
use bytes::Bytes;
use local_cloud::{
    aws::Clients,
    lambda::{FunctionNotFound, Invocation, InvokeOptions, LambdaService, code},
};
use serde_json::{Value, json};

use crate::support::{
    Cases, REGION,
    functions::{create_function_with, create_role, fidelity_zip},
    moto,
};

/// CreateFunction of `fidelity-fn` in `mode` with `runtime`, 3 s and 256 MB: its code's SHA-256.
async fn create_function(
    clients: &Clients,
    name: &str,
    runtime: Runtime,
    mode: &str,
    zip: &[u8],
) -> String {
    let created = create_function_with(clients, name, mode, zip, |f| {
        f.runtime(runtime).timeout(3).memory_size(256)
    })
    .await;
    created.code_sha256().unwrap().to_owned()
}

fn ok_json(invocation: &Invocation) -> Value {
    match invocation {
        Invocation::Ok(body) => serde_json::from_slice(body).unwrap(),
        other => panic!("expected a response, got {other:?}"),
    }
}

/// What the cases share: the function `fidelity-echo` deployed on moto and the runtime running it.
struct Deployed {
    clients: Clients,
    lambda: LambdaService,
    zip: Vec<u8>,
    sha: String,
    state_dir: PathBuf,
    /// The request id of the first (cold) invocation, once its case has passed.
    first_request: OnceLock<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployed_function_runs_from_moto_and_logs_to_cloudwatch() {
    let zip = fidelity_zip();
    let (moto, config) = moto::start("lc-moto-state").await;
    let clients = Clients::new(&moto.url(), REGION).await;
    create_role(&moto.url()).await;
    let sha = create_function(
        &clients,
        "fidelity-echo",
        Runtime::Providedal2023,
        "echo",
        &zip,
    )
    .await;
    let mut cases = Cases::new(Deployed {
        lambda: LambdaService::new(&config, clients.clone()),
        clients,
        zip,
        sha,
        state_dir: config.state_dir.clone(),
        first_request: OnceLock::new(),
    });

    cases
        .case(
            "cold: GetFunction, code fetched from the launcher and unpacked, instance started",
            |c| async move {
                let started = Instant::now();
                let first = c
                    .lambda
                    .invoke_detailed(
                        "fidelity-echo",
                        Bytes::from(r#"{"hello":"moto"}"#),
                        InvokeOptions::default(),
                    )
                    .await
                    .unwrap();
                // Measured, never asserted.
                eprintln!(
                    "TIMING through LambdaService with moto: first invoke (GetFunction + code fetch + unzip + \
                     cold start) {:.1} ms",
                    started.elapsed().as_secs_f64() * 1e3
                );
                assert_eq!(ok_json(&first.invocation), json!({"hello": "moto"}));
                assert!(first.cold_start);
                let code_dir = c
                    .state_dir
                    .join("lambda/code")
                    .join(code::sha_hex(&c.sha).unwrap());
                assert!(
                    code_dir.join("bootstrap").is_file(),
                    "code unpacked into {}",
                    code_dir.display()
                );
                c.first_request.set(first.request_id).unwrap();
            },
        )
        .await;
    cases
        .case("warm, by name and by ARN: one instance", |c| async move {
            let mut warm = Vec::new();
            for n in 0..30 {
                let started = Instant::now();
                let out = c
                    .lambda
                    .invoke("fidelity-echo", Bytes::from(json!({"n": n}).to_string()))
                    .await
                    .unwrap();
                warm.push(started.elapsed());
                assert_eq!(ok_json(&out), json!({"n": n}));
            }
            warm.sort();
            let by_arn = c
                .lambda
                .invoke(
                    "arn:aws:lambda:us-east-1:123456789012:function:fidelity-echo",
                    Bytes::from_static(b"[1]"),
                )
                .await
                .unwrap();
            assert_eq!(ok_json(&by_arn), json!([1]));
            assert_eq!(c.lambda.running_instances(), 1);

            // Measured, never asserted.
            let mut get_function = Vec::new();
            for _ in 0..10 {
                let started = Instant::now();
                c.clients
                    .lambda
                    .get_function()
                    .function_name("fidelity-echo")
                    .send()
                    .await
                    .unwrap();
                get_function.push(started.elapsed());
            }
            get_function.sort();
            eprintln!(
                "TIMING through LambdaService with moto: warm p50 {:.3} ms, max {:.3} ms; moto GetFunction p50 {:.2} ms",
                warm[warm.len() / 2].as_secs_f64() * 1e3,
                warm[warm.len() - 1].as_secs_f64() * 1e3,
                get_function[get_function.len() / 2].as_secs_f64() * 1e3,
            );
        })
        .await;
    cases
        .case(
            "unknown function: Lambda's ResourceNotFoundException",
            |c| async move {
                let err = c
                    .lambda
                    .invoke("does-not-exist", Bytes::new())
                    .await
                    .unwrap_err();
                let not_found = err
                    .downcast_ref::<FunctionNotFound>()
                    .unwrap_or_else(|| panic!("{err:#}"));
                assert_eq!(
                    not_found.arn,
                    "arn:aws:lambda:us-east-1:123456789012:function:does-not-exist"
                );
            },
        )
        .await;
    // After the cold and warm cases: it counts their 32 invocations.
    cases
        .case(
            "logs: one stream per instance in /aws/lambda/<name>, with the platform lines and the function's own",
            |c| async move {
                let id = c
                    .first_request
                    .get()
                    .expect("the cold invocation's case failed");
                c.lambda.flush_logs().await;
                let streams = c
                    .clients
                    .logs
                    .describe_log_streams()
                    .log_group_name("/aws/lambda/fidelity-echo")
                    .send()
                    .await
                    .expect("the log group was created");
                let streams = streams.log_streams();
                assert_eq!(streams.len(), 1, "{streams:?}");
                let stream = streams[0].log_stream_name().unwrap();
                assert!(stream.contains("/[$LATEST]"), "{stream}");
                let events = c
                    .clients
                    .logs
                    .get_log_events()
                    .log_group_name("/aws/lambda/fidelity-echo")
                    .log_stream_name(stream)
                    .start_from_head(true)
                    .send()
                    .await
                    .unwrap();
                let messages: Vec<&str> =
                    events.events().iter().filter_map(|e| e.message()).collect();
                for expected in [
                    format!("START RequestId: {id} Version: $LATEST"),
                    format!("fidelity-fn echo {id}"),
                    format!("END RequestId: {id}"),
                ] {
                    assert!(
                        messages.contains(&expected.as_str()),
                        "{expected:?} missing from {messages:#?}"
                    );
                }
                assert!(
                    messages
                        .iter()
                        .any(|m| m.starts_with(&format!("REPORT RequestId: {id}\t"))
                            && m.contains("Init Duration")),
                    "{messages:#?}"
                );
                assert_eq!(
                    messages
                        .iter()
                        .filter(|m| m.starts_with("START RequestId: "))
                        .count(),
                    32,
                    "every invocation is logged"
                );
                assert!(
                    c.lambda
                        .recent_logs("fidelity-echo")
                        .iter()
                        .any(|l| l.contains(id.as_str()))
                );
            },
        )
        .await;
    cases
        .case(
            "a configuration change is picked up once the edge invalidates the cache; the old instance is retired",
            |c| async move {
                c.clients
                    .lambda
                    .update_function_configuration()
                    .function_name("fidelity-echo")
                    .environment(
                        Environment::builder()
                            .variables("FIDELITY_MODE", "malformed")
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
                c.lambda.invalidate();
                let changed = c
                    .lambda
                    .invoke_detailed(
                        "fidelity-echo",
                        Bytes::from_static(b"{}"),
                        InvokeOptions::default(),
                    )
                    .await
                    .unwrap();
                assert_eq!(ok_json(&changed.invocation), json!({"foo": 1}));
                assert!(changed.cold_start);
                assert_eq!(
                    c.lambda.running_instances(),
                    1,
                    "the instance of the old configuration was stopped"
                );
            },
        )
        .await;
    cases
        .case("only OS-only runtimes run natively", |c| async move {
            create_function(
                &c.clients,
                "fidelity-python",
                Runtime::Python312,
                "echo",
                &c.zip,
            )
            .await;
            match c
                .lambda
                .invoke("fidelity-python", Bytes::from_static(b"{}"))
                .await
                .unwrap()
            {
                Invocation::FunctionError {
                    error_type,
                    payload,
                } => {
                    assert_eq!(error_type, "Runtime.InvalidRuntime");
                    let payload: Value = serde_json::from_slice(&payload).unwrap();
                    assert!(
                        payload["errorMessage"]
                            .as_str()
                            .unwrap()
                            .contains("python3.12"),
                        "{payload}"
                    );
                }
                other => panic!("expected Runtime.InvalidRuntime, got {other:?}"),
            }
        })
        .await;
    // Last: it stops the runtime.
    cases
        .case(
            "shutdown leaves no instance, and no invocation",
            |c| async move {
                c.lambda.shutdown().await;
                assert_eq!(
                    c.lambda.running_instances(),
                    0,
                    "shutdown leaves no instance"
                );
                assert!(
                    c.lambda
                        .invoke("fidelity-echo", Bytes::new())
                        .await
                        .is_err()
                );
            },
        )
        .await;

    moto.stop(Duration::from_secs(5)).await;
    if cases.all_passed() {
        let _ = std::fs::remove_dir_all(&config.state_dir);
    }
    cases.finish();
}
