//! The Lambda runtime against a real moto (started through our launcher): a function deployed with
//! CreateFunction runs natively from the zip moto holds, its logs land in CloudWatch Logs, a configuration
//! change is picked up after `invalidate`, and unknown functions and unsupported runtimes fail as on AWS.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_lambda::{
    primitives::Blob,
    types::{Environment, FunctionCode, Runtime},
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use local_cloud::{
    aws::Clients,
    lambda::{FunctionNotFound, Invocation, InvokeOptions, LambdaService, code},
};
use serde_json::{Value, json};

const REGION: &str = "us-east-1";
const ROLE: &str = "arn:aws:iam::123456789012:role/fidelity-role";

/// IAM CreateRole through moto's query API (the crate has no IAM SDK; moto routes by the credential scope
/// and does not check signatures).
async fn create_role(moto_url: &str) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let body = "Action=CreateRole&Version=2010-05-08&RoleName=fidelity-role&AssumeRolePolicyDocument=%7B%7D";
    let request = http::Request::post(format!("{moto_url}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let text = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        status.is_success(),
        "CreateRole: {status} {}",
        String::from_utf8_lossy(&text)
    );
}

async fn create_function(
    clients: &Clients,
    name: &str,
    runtime: Runtime,
    mode: &str,
    zip: &[u8],
) -> String {
    let created = clients
        .lambda
        .create_function()
        .function_name(name)
        .runtime(runtime)
        .handler("bootstrap")
        .role(ROLE)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(zip.to_vec()))
                .build(),
        )
        .environment(
            Environment::builder()
                .variables("FIDELITY_MODE", mode)
                .build(),
        )
        .timeout(3)
        .memory_size(256)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateFunction {name}: {e:?}"));
    created.code_sha256().unwrap().to_owned()
}

fn ok_json(invocation: &Invocation) -> Value {
    match invocation {
        Invocation::Ok(body) => serde_json::from_slice(body).unwrap(),
        other => panic!("expected a response, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployed_function_runs_from_moto_and_logs_to_cloudwatch() {
    let zip = support::fidelity_zip();
    let (moto, config) = support::start_moto("lc-moto-state").await;
    let state_dir = config.state_dir.clone();
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
    let lambda = LambdaService::new(&config, clients.clone());

    // Cold: GetFunction, code fetched from the launcher and unpacked, instance started.
    let started = Instant::now();
    let first = lambda
        .invoke_detailed(
            "fidelity-echo",
            Bytes::from(r#"{"hello":"moto"}"#),
            InvokeOptions::default(),
        )
        .await
        .unwrap();
    let cold_first = started.elapsed();
    assert_eq!(ok_json(&first.invocation), json!({"hello": "moto"}));
    assert!(first.cold_start);
    let code_dir = state_dir
        .join("lambda/code")
        .join(code::sha_hex(&sha).unwrap());
    assert!(
        code_dir.join("bootstrap").is_file(),
        "code unpacked into {}",
        code_dir.display()
    );

    let mut warm = Vec::new();
    for n in 0..30 {
        let started = Instant::now();
        let out = lambda
            .invoke("fidelity-echo", Bytes::from(json!({"n": n}).to_string()))
            .await
            .unwrap();
        warm.push(started.elapsed());
        assert_eq!(ok_json(&out), json!({"n": n}));
    }
    warm.sort();
    let by_arn = lambda
        .invoke(
            "arn:aws:lambda:us-east-1:123456789012:function:fidelity-echo",
            Bytes::from_static(b"[1]"),
        )
        .await
        .unwrap();
    assert_eq!(ok_json(&by_arn), json!([1]));
    assert_eq!(lambda.running_instances(), 1);

    let mut get_function = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        clients
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
        "TIMING through LambdaService with moto: first invoke (GetFunction + code fetch + unzip + cold start) {:.1} ms; \
         warm p50 {:.3} ms, max {:.3} ms; moto GetFunction p50 {:.2} ms",
        cold_first.as_secs_f64() * 1e3,
        warm[warm.len() / 2].as_secs_f64() * 1e3,
        warm[warm.len() - 1].as_secs_f64() * 1e3,
        get_function[get_function.len() / 2].as_secs_f64() * 1e3,
    );

    // Unknown function: Lambda's ResourceNotFoundException.
    let err = lambda
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

    // Logs: one stream per instance in /aws/lambda/<name>, with the platform lines and the function's own.
    lambda.flush_logs().await;
    let streams = clients
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
    let events = clients
        .logs
        .get_log_events()
        .log_group_name("/aws/lambda/fidelity-echo")
        .log_stream_name(stream)
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    let messages: Vec<&str> = events.events().iter().filter_map(|e| e.message()).collect();
    let id = &first.request_id;
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
        lambda
            .recent_logs("fidelity-echo")
            .iter()
            .any(|l| l.contains(id.as_str()))
    );

    // A configuration change is picked up once the edge invalidates the cache; the old instance is retired.
    clients
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
    lambda.invalidate();
    let changed = lambda
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
        lambda.running_instances(),
        1,
        "the instance of the old configuration was stopped"
    );

    // Only OS-only runtimes run natively.
    create_function(
        &clients,
        "fidelity-python",
        Runtime::Python312,
        "echo",
        &zip,
    )
    .await;
    match lambda
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

    lambda.shutdown().await;
    assert_eq!(lambda.running_instances(), 0, "shutdown leaves no instance");
    assert!(lambda.invoke("fidelity-echo", Bytes::new()).await.is_err());
    moto.stop(Duration::from_secs(5)).await;
    let _ = std::fs::remove_dir_all(&state_dir);
}
