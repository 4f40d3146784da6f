//! `fidelity-fn`: a Lambda function (lambda_runtime 1.x) used by the local cloud's tests to exercise every
//! behaviour the runtime must reproduce as AWS does. `FIDELITY_MODE` picks the behaviour:
//!
//! | mode | behaviour |
//! | --- | --- |
//! | `echo` (default) | returns the event unchanged |
//! | `sleep` | sleeps `sleep_ms` of the event (else `FIDELITY_SLEEP_MS`, else 1000) milliseconds, then returns the event |
//! | `panic` | panics in the handler (lambda_runtime reports it on `/invocation/{id}/error`) |
//! | `error` | returns an `Err` from the handler (reported on `/invocation/{id}/error`) |
//! | `exit` | calls `process::exit(3)` in the handler |
//! | `malformed` | returns `{"foo":1}`, which is not a valid API Gateway proxy response |
//! | `proxy` | returns a valid API Gateway proxy response whose body is the event |
//! | `alb` | returns a valid ALB target response whose body is the event |
//! | `env` | returns `{"env": {..its environment..}, "cwd": "..", "pid": N}` |
//! | `noinit` | never calls `/runtime/invocation/next` (sleeps forever before starting the runtime) |
//! | `initerror` | posts to `/runtime/init/error` and exits with status 1 |
//! | `authorizer` | a REST API Lambda authorizer: the token (`authorizationToken`, else the `x-token` header of a REQUEST event) picks the answer: `allow` (Allow `*`, a context with `invocation` (the request id), `type` and `methodArn` of the event, a number and a boolean), `deny` (Deny `*`), `elsewhere` (Allow only another API), `unauthorized` (the error `Unauthorized`), `malformed` (no policy), `nested` (an object in the context), `key:<value>` (Allow `*` with `usageIdentifierKey` `<value>`); anything else fails |
//! | `sqs` | an SQS batch: fails (an `Err`) when a body starts with `error`, reports the messages whose body starts with `poison` in `batchItemFailures`, and an unknown `itemIdentifier` for a body starting with `bad-id`; a body ending in `-once` does so only on its first receive |
//!
//! In every mode, with `FIDELITY_EVENTS_FILE` set, the event is first appended to that file as one line (with
//! `entered_ms`, when the handler was entered), for `cargo xtask bench`.
//!
//! Every invocation prints `fidelity-fn <mode> <request id>` on stdout and `fidelity-fn stderr <request id>` on
//! stderr, so tests can find the function's own lines in the logs.

use std::{io::Write, time::Duration};

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mode = std::env::var("FIDELITY_MODE").unwrap_or_else(|_| "echo".to_owned());
    match mode.as_str() {
        "echo" | "sleep" | "panic" | "error" | "exit" | "malformed" | "proxy" | "alb" | "env"
        | "sqs" | "authorizer" => {}
        "noinit" => loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        },
        "initerror" => {
            post_init_error()?;
            std::process::exit(1);
        }
        other => {
            eprintln!(
                "fidelity-fn: unknown FIDELITY_MODE {other:?}; use one of echo, sleep, panic, error, exit, malformed, proxy, alb, env, noinit, initerror, sqs, authorizer"
            );
            std::process::exit(2);
        }
    }
    println!("fidelity-fn init mode={mode}");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let mode = mode.clone();
        async move { handle(&mode, event).await }
    }))
    .await
}

async fn handle(mode: &str, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let request_id = event.context.request_id.clone();
    println!("fidelity-fn {mode} {request_id}");
    eprintln!("fidelity-fn stderr {request_id}");
    let _ = std::io::stdout().flush();
    let payload = event.payload;
    record_entry(&payload)?;
    match mode {
        "sleep" => {
            let ms = payload
                .get("sleep_ms")
                .and_then(Value::as_u64)
                .or_else(|| std::env::var("FIDELITY_SLEEP_MS").ok()?.parse().ok())
                .unwrap_or(1000);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(payload)
        }
        "panic" => panic!("fidelity-fn panicked on purpose"),
        "error" => Err("fidelity-fn failed on purpose".into()),
        "exit" => std::process::exit(3),
        "malformed" => Ok(json!({"foo": 1})),
        "proxy" => Ok(json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": payload.to_string(),
            "isBase64Encoded": false,
        })),
        "alb" => Ok(json!({
            "statusCode": 200,
            "statusDescription": "200 OK",
            "headers": {"content-type": "application/json"},
            "body": payload.to_string(),
            "isBase64Encoded": false,
        })),
        "env" => Ok(json!({
            "env": std::env::vars().collect::<std::collections::BTreeMap<_, _>>(),
            "cwd": std::env::current_dir()?.display().to_string(),
            "pid": std::process::id(),
        })),
        "sqs" => sqs_batch(&payload),
        "authorizer" => authorizer(&payload, &request_id),
        _ => Ok(payload),
    }
}

/// The `authorizer` mode: a policy (or an error) as the token asks.
fn authorizer(event: &Value, request_id: &str) -> Result<Value, Error> {
    let token = event["authorizationToken"]
        .as_str()
        .or_else(|| event["headers"]["x-token"].as_str())
        .unwrap_or_default();
    let policy = |effect: &str, resource: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}]})
    };
    let context = json!({
        "invocation": request_id, "type": event["type"], "methodArn": event["methodArn"],
        "tier": 1, "admin": true,
    });
    match token {
        "allow" => Ok(
            json!({"principalId": "fidelity-user", "policyDocument": policy("Allow", "*"),
                             "context": context}),
        ),
        "deny" => {
            Ok(json!({"principalId": "fidelity-user", "policyDocument": policy("Deny", "*")}))
        }
        "elsewhere" => Ok(json!({"principalId": "fidelity-user",
                                 "policyDocument": policy("Allow", "arn:aws:execute-api:*:*:other/*")})),
        // An API whose keys come from its authorizer (`apiKeySource` AUTHORIZER) meters the request with this key.
        key if key.starts_with("key:") => Ok(
            json!({"principalId": "fidelity-user", "policyDocument": policy("Allow", "*"),
                   "usageIdentifierKey": &key[4..]}),
        ),
        "unauthorized" => Err("Unauthorized".into()),
        "malformed" => Ok(json!({"principalId": "fidelity-user"})),
        "nested" => Ok(
            json!({"principalId": "fidelity-user", "policyDocument": policy("Allow", "*"),
                              "context": {"user": {"name": "ada"}}}),
        ),
        other => Err(format!("fidelity-fn authorizer: no answer for token {other:?}").into()),
    }
}

/// With `FIDELITY_EVENTS_FILE` set, appends the event with `entered_ms`, when the handler was entered (for
/// `cargo xtask bench`: sent -> handler entered), as one line of JSON.
fn record_entry(event: &Value) -> Result<(), Error> {
    let Ok(file) = std::env::var("FIDELITY_EVENTS_FILE") else {
        return Ok(());
    };
    let entered_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    let mut line = event.clone();
    if let Some(fields) = line.as_object_mut() {
        fields.insert("entered_ms".to_owned(), json!(entered_ms));
    }
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)?;
    // One write of the whole line, so a reader never sees half of it.
    out.write_all(format!("{line}\n").as_bytes())?;
    Ok(())
}

/// The `sqs` mode: fails the batch, or names failed messages, as their bodies ask.
fn sqs_batch(event: &Value) -> Result<Value, Error> {
    let mut failures = Vec::new();
    for record in event["Records"].as_array().into_iter().flatten() {
        let body = record["body"].as_str().unwrap_or_default();
        let first = record["attributes"]["ApproximateReceiveCount"] == "1";
        if body.ends_with("-once") && !first {
            continue;
        }
        if body.starts_with("error") {
            return Err(format!("fidelity-fn failed the batch on {body:?}").into());
        }
        if body.starts_with("poison") {
            failures.push(json!({"itemIdentifier": record["messageId"]}));
        }
        if body.starts_with("bad-id") {
            failures.push(json!({"itemIdentifier": "not-a-message-id"}));
        }
    }
    Ok(json!({ "batchItemFailures": failures }))
}

/// Reports an init failure the way a custom runtime does, with a plain HTTP/1.1 request.
fn post_init_error() -> Result<(), Error> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let body = r#"{"errorType":"Fidelity.InitFailed","errorMessage":"fidelity-fn failed to initialise on purpose"}"#;
    let mut stream = std::net::TcpStream::connect(&api)?;
    write!(
        stream,
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {api}\r\nLambda-Runtime-Function-Error-Type: Fidelity.InitFailed\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response)?;
    eprintln!(
        "fidelity-fn init error reported: {}",
        response.lines().next().unwrap_or("")
    );
    Ok(())
}
