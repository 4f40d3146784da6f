//! Fidelity of asynchronous invocation: deploy `tests/fidelity-async/` (Terraform) to the local cloud and assert
//! what AWS documents: a failing event is run 3 times (2 retries) under one request id, then lands in the dead-letter
//! queue with Lambda's attributes
//! (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq>);
//! `MaximumRetryAttempts = 0` runs it once, then the on-failure destination gets the invocation record
//! (same page, "Example invocation record"); a source without the function's `lambda:InvokeFunction` permission
//! invokes nothing (<https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html>). Needs terraform and the Python
//! tools (`cargo xtask setup`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    aws::{json::log_messages, raw},
    deploy::{self, Deployment, Options, Outputs},
    destroy::destroy,
    flags::{DeployArgs, Target},
    pattern::{Pattern, project_root},
};

const ACCOUNT: &str = "123456789012";

/// `Invoke` with `InvocationType: Event` through the edge: the 202's request id.
fn invoke_event(edge: &str, function: &str, payload: &Value) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let url = format!("{edge}/2015-03-31/functions/{function}/invocations");
    let response = agent
        .post(&url)
        .header("X-Amz-Invocation-Type", "Event")
        .send(payload.to_string().as_bytes())
        .map_err(|e| format!("POST {url}: {e}"))?;
    if response.status() != 202 {
        return Err(format!("Event invoke of {function}: {}", response.status()));
    }
    response
        .headers()
        .get("x-amzn-requestid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("Event invoke of {function}: no x-amzn-requestid"))
}

/// The first message of `queue_url` (with its attributes) that `wanted` accepts, waiting at most 30 s.
fn receive(edge: &str, queue_url: &str, wanted: impl Fn(&Value) -> bool) -> Result<Value, String> {
    let within = Duration::from_secs(30);
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let request = json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1,
                             "MessageAttributeNames": ["All"]});
        let (status, text) = raw::json(
            edge,
            "sqs",
            "AmazonSQS.ReceiveMessage",
            "application/x-amz-json-1.0",
            &request,
        )
        .map_err(|e| format!("ReceiveMessage {queue_url}: {e:#}"))?;
        if status != 200 {
            return Err(format!("ReceiveMessage {queue_url}: {status} {text}"));
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or_default();
        for message in answer["Messages"].as_array().into_iter().flatten() {
            if wanted(message) {
                return Ok(message.clone());
            }
            seen.push(message["Body"].clone());
        }
    }
    Err(format!(
        "no such message in {queue_url} after {within:?}; saw {seen:?}"
    ))
}

/// How many lines `fidelity-fn <mode> <request id>` the function wrote, once the count stops changing.
fn runs(edge: &str, function: &str, mode: &str, request_id: &str, expected: usize) -> usize {
    let group = format!("/aws/lambda/{function}");
    let line = format!("fidelity-fn {mode} {request_id}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let count = log_messages(edge, &group)
            .unwrap_or_default()
            .iter()
            .filter(|m| m.contains(&line))
            .count();
        // Logs reach CloudWatch off the invocation's path: wait for the expected count, no longer.
        if count >= expected || Instant::now() > deadline {
            return count;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A failing event, default settings and a DLQ: 3 runs under one request id, then the event in the DLQ.
fn dead_letter_queue(edge: &str, dlq_url: &str, nonce: &str) -> Result<(), String> {
    let payload = json!({"case": "dlq", "nonce": nonce});
    let request_id = invoke_event(edge, "fidelity-async-dlq", &payload)?;
    let body = payload.to_string();
    let message = receive(edge, dlq_url, |m| m["Body"].as_str() == Some(&body))?;
    let attributes = &message["MessageAttributes"];
    let attribute = |name: &str| {
        (
            attributes[name]["DataType"].as_str().unwrap_or_default(),
            attributes[name]["StringValue"].as_str().unwrap_or_default(),
        )
    };
    if attribute("RequestID") != ("String", request_id.as_str())
        || attribute("ErrorCode") != ("Number", "200")
        || !attribute("ErrorMessage").1.contains("failed on purpose")
    {
        return Err(format!("dead-letter attributes: {attributes}"));
    }
    match runs(edge, "fidelity-async-dlq", "error", &request_id, 3) {
        3 => Ok(()),
        n => Err(format!("invoked {n} times under {request_id}, not 3")),
    }
}

/// `MaximumRetryAttempts = 0` and an SQS on-failure destination: one run, then AWS's invocation record.
fn on_failure_destination(edge: &str, failures_url: &str, nonce: &str) -> Result<(), String> {
    let payload = json!({"case": "once", "nonce": nonce});
    let request_id = invoke_event(edge, "fidelity-async-once", &payload)?;
    let message = receive(edge, failures_url, |m| {
        serde_json::from_str::<Value>(m["Body"].as_str().unwrap_or_default())
            .is_ok_and(|r| r["requestContext"]["requestId"] == request_id.as_str())
    })?;
    let record: Value = serde_json::from_str(message["Body"].as_str().unwrap_or_default())
        .map_err(|e| format!("the record is not JSON: {e}"))?;
    let expected_context = json!({
        "requestId": request_id,
        "functionArn": format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:fidelity-async-once:$LATEST"),
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 1,
    });
    let timestamp = record["timestamp"].as_str().unwrap_or_default();
    if record["version"] != "1.0"
        || record["requestContext"] != expected_context
        || record["requestPayload"] != payload
        || record["responseContext"]
            != json!({"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"})
        || !record["responsePayload"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("failed on purpose"))
        || !(timestamp.len() == 24 && timestamp.ends_with('Z'))
    {
        return Err(format!("invocation record: {record}"));
    }
    match runs(edge, "fidelity-async-once", "error", &request_id, 1) {
        1 => Ok(()),
        n => Err(format!("invoked {n} times, not once")),
    }
}

/// A topic with two Lambda subscribers, one with the `sns.amazonaws.com` permission: only it runs.
fn source_permission(edge: &str, topic: &str, nonce: &str) -> Result<(), String> {
    let message = format!("fidelity-async {nonce}");
    let form = format!(
        "Action=Publish&Version=2010-03-31&TopicArn={}&Message={}",
        raw::percent_encode(topic),
        raw::percent_encode(&message)
    );
    let (status, text) = raw::query(edge, "sns", &form).map_err(|e| format!("{e:#}"))?;
    if status != 200 {
        return Err(format!("Publish: {status} {text}"));
    }
    // The allowed subscriber runs (`fidelity-fn echo <request id>`) and the daemon says it refused the other.
    let deadline = Instant::now() + Duration::from_secs(15);
    let invoked = |function: &str| {
        log_messages(edge, &format!("/aws/lambda/{function}"))
            .unwrap_or_default()
            .iter()
            .any(|m| m.contains("fidelity-fn echo"))
    };
    let wanted = format!("sns.amazonaws.com for {topic} may not invoke the function");
    let refused = || {
        std::fs::read_to_string(crate::local::daemon_log())
            .unwrap_or_default()
            .contains(&wanted)
    };
    while !(invoked("fidelity-async-allowed") && refused()) {
        if Instant::now() > deadline {
            return Err(format!(
                "after 15 s: the subscriber with the permission invoked: {}; `{wanted}` in the daemon's log: {}",
                invoked("fidelity-async-allowed"),
                refused()
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    if invoked("fidelity-async-denied") {
        return Err("the subscriber without the permission was invoked".into());
    }
    Ok(())
}

fn cases(edge: &str, outputs: &Outputs) -> Vec<(&'static str, Result<(), String>)> {
    let output = |name: &str| {
        outputs
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let nonce = crate::verify::placeholders::run_id();
    vec![
        (
            "a failing asynchronous event runs 3 times under one request id, then lands in the DLQ with \
             RequestID, ErrorCode and ErrorMessage",
            dead_letter_queue(edge, &output("dlq_url"), &nonce),
        ),
        (
            "MaximumRetryAttempts = 0: run once, then AWS's invocation record in the on-failure destination",
            on_failure_destination(edge, &output("failures_url"), &nonce),
        ),
        (
            "SNS invokes the subscriber with the sns.amazonaws.com permission, never the one without",
            source_permission(edge, &output("topic_arn"), &nonce),
        ),
    ]
}

#[test]
fn asynchronous_invocation_as_aws_does() {
    let _cloud = crate::local::TestUse::hold();
    let pattern = Pattern::load(&project_root().join("tests/fidelity-async")).unwrap();
    let args = DeployArgs {
        target: Target::Local,
        iac: None,
        keep: false,
        release: false,
    };
    let dep = Deployment::new(&pattern, &args).unwrap();
    let options = Options {
        skip_validation: true,
        ..Options::default()
    };
    let edge = crate::local::ensure_up(None).unwrap().edge_url;
    let deployed = deploy::deploy_with(&dep, &options);
    let results = match &deployed {
        Ok(outputs) => cases(&edge, outputs),
        Err(err) => vec![("deploy", Err(format!("{err:#}")))],
    };
    let destroyed = destroy(&dep);
    for (name, r) in &results {
        println!("{} {name}", if r.is_ok() { "PASS" } else { "FAIL" });
    }
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "asynchronous invocation fidelity cases failed:\n{}",
        failures.join("\n")
    );
    destroyed.expect("destroy of the fidelity-async deployment");
}
