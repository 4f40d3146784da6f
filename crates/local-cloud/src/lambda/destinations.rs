//! Where Lambda sends an asynchronous event it is done with: the invocation record for an on-success or
//! on-failure destination (SQS, SNS, Lambda, EventBridge), and the bare event with its error attributes for a
//! function's dead-letter queue (SQS, SNS), in the shapes AWS documents
//! (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html>).
//!
//! The records are sent to moto with the services' own wire protocols (SQS's JSON, SNS's query, EventBridge's
//! JSON), as Lambda's service would send them with the function's role.
//! Over 400 lines: a quarter is the unit tests of the record shapes; the three wire protocols share its helpers.

use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http::Request;
use serde_json::{Value, json};

use crate::{SharedCloud, shared::http_client};

/// How long one call to moto may take.
const MOTO_TIMEOUT: Duration = Duration::from_secs(30);
/// AWS puts the first 1 KB of the error message in a dead-letter message's `ErrorMessage`.
const DLQ_ERROR_MESSAGE_BYTES: usize = 1024;

/// Why an event left the queue (`requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Success,
    /// Every attempt failed (1 + `MaximumRetryAttempts`).
    RetriesExhausted,
    /// The event was older than `MaximumEventAgeInSeconds` before its next attempt.
    EventAgeExceeded,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Success => "Success",
            Condition::RetriesExhausted => "RetriesExhausted",
            Condition::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// The function's last answer to the event.
#[derive(Debug, Clone)]
pub struct Response {
    pub executed_version: String,
    /// `Unhandled` for a function error, `None` for a success.
    pub function_error: Option<String>,
    pub payload: Bytes,
}

/// What an invocation record says.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    pub request_id: &'a str,
    /// The function's ARN qualified with the version that ran (`...:function:f:$LATEST`).
    pub function_arn: &'a str,
    pub condition: Condition,
    /// How many times the function was invoked with the event.
    pub invoke_count: u32,
    pub request_payload: &'a Bytes,
    pub response: Option<&'a Response>,
}

/// The invocation record (version 1.0), as Lambda sends it to a destination.
pub fn record(outcome: &Outcome<'_>, timestamp: &str) -> Value {
    let mut record = json!({
        "version": "1.0",
        "timestamp": timestamp,
        "requestContext": {
            "requestId": outcome.request_id,
            "functionArn": outcome.function_arn,
            "condition": outcome.condition.as_str(),
            "approximateInvokeCount": outcome.invoke_count,
        },
        "requestPayload": payload_value(outcome.request_payload),
    });
    if let Some(response) = outcome.response {
        let mut context = json!({"statusCode": 200, "executedVersion": response.executed_version});
        if let Some(error) = &response.function_error {
            context["functionError"] = json!(error);
        }
        record["responseContext"] = context;
        record["responsePayload"] = payload_value(&response.payload);
    }
    record
}

/// A payload as a record embeds it: its JSON, or the text when it is not JSON.
fn payload_value(payload: &Bytes) -> Value {
    serde_json::from_slice(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()))
}

/// `2026-01-22T10:15:58.456Z`, as records carry their `timestamp`.
pub fn now_timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The kind of resource an ARN names, for the destinations Lambda supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Sqs,
    Sns,
    Lambda,
    EventBridge,
}

impl Target {
    pub fn of(arn: &str) -> Option<Target> {
        match arn.split(':').nth(2)? {
            "sqs" => Some(Target::Sqs),
            "sns" => Some(Target::Sns),
            "lambda" => Some(Target::Lambda),
            "events" if arn.contains(":event-bus/") => Some(Target::EventBridge),
            _ => None,
        }
    }
}

/// The `detail-type` of the event an EventBridge destination receives.
pub fn detail_type(condition: Condition) -> &'static str {
    match condition {
        Condition::Success => "Lambda Function Invocation Result - Success",
        _ => "Lambda Function Invocation Result - Failure",
    }
}

/// Sends `record` to an SQS, SNS or EventBridge destination (a Lambda destination is an asynchronous
/// invocation, queued by the caller).
pub async fn send_record(
    cloud: &SharedCloud,
    destination: &str,
    record: &Value,
    condition: Condition,
    function_arn: &str,
) -> anyhow::Result<()> {
    let text = record.to_string();
    match Target::of(destination) {
        Some(Target::Sqs) => send_message(cloud, destination, &text, &[]).await,
        Some(Target::Sns) => publish(cloud, destination, &text, &[]).await,
        Some(Target::EventBridge) => {
            let entry = json!({
                "Source": "lambda",
                "DetailType": detail_type(condition),
                "Detail": text,
                "Resources": [function_arn, destination],
                "EventBusName": destination,
            });
            put_event(cloud, entry).await
        }
        Some(Target::Lambda) => bail!("a Lambda destination is queued, not sent"),
        None => bail!(
            "{destination} is not a destination Lambda supports (an SQS queue, SNS topic, Lambda function or \
             EventBridge bus)"
        ),
    }
}

/// Sends the event to a dead-letter queue or topic, as-is, with the attributes Lambda adds: `RequestID`,
/// `ErrorCode` (the HTTP status of the invocation) and `ErrorMessage` (its first 1 KB).
pub async fn send_dead_letter(
    cloud: &SharedCloud,
    target: &str,
    event: &Bytes,
    request_id: &str,
    error_message: &str,
) -> anyhow::Result<()> {
    let body = String::from_utf8_lossy(event).into_owned();
    let message = truncate(error_message, DLQ_ERROR_MESSAGE_BYTES);
    let attributes = [
        ("RequestID", "String", request_id),
        ("ErrorCode", "Number", "200"),
        ("ErrorMessage", "String", message),
    ];
    match Target::of(target) {
        Some(Target::Sqs) => send_message(cloud, target, &body, &attributes).await,
        Some(Target::Sns) => publish(cloud, target, &body, &attributes).await,
        _ => bail!("a dead-letter queue is an SQS queue or an SNS topic, not {target}"),
    }
}

/// The error message of a function error's payload (`errorMessage`), or the payload itself.
pub fn error_message(payload: &Bytes) -> String {
    serde_json::from_slice::<Value>(payload)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned())
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// (name, data type, value) of one message attribute.
type Attribute<'a> = (&'a str, &'a str, &'a str);

async fn send_message(
    cloud: &SharedCloud,
    queue_arn: &str,
    body: &str,
    attributes: &[Attribute<'_>],
) -> anyhow::Result<()> {
    let (account, name) = arn_account_and_name(queue_arn)?;
    let url = json_call(
        cloud,
        "sqs",
        "application/x-amz-json-1.0",
        "AmazonSQS.GetQueueUrl",
        &json!({"QueueName": name, "QueueOwnerAWSAccountId": account}),
    )
    .await
    .with_context(|| format!("finding the queue {queue_arn}"))?;
    let url = url["QueueUrl"]
        .as_str()
        .with_context(|| format!("GetQueueUrl of {queue_arn} answered no QueueUrl: {url}"))?;
    let mut request = json!({"QueueUrl": url, "MessageBody": body});
    if !attributes.is_empty() {
        let map: serde_json::Map<String, Value> = attributes
            .iter()
            .map(|(n, t, v)| (n.to_string(), json!({"DataType": t, "StringValue": v})))
            .collect();
        request["MessageAttributes"] = Value::Object(map);
    }
    json_call(
        cloud,
        "sqs",
        "application/x-amz-json-1.0",
        "AmazonSQS.SendMessage",
        &request,
    )
    .await
    .with_context(|| format!("SendMessage to {queue_arn}"))?;
    Ok(())
}

async fn publish(
    cloud: &SharedCloud,
    topic_arn: &str,
    message: &str,
    attributes: &[Attribute<'_>],
) -> anyhow::Result<()> {
    let mut form = vec![
        ("Action".to_owned(), "Publish".to_owned()),
        ("Version".to_owned(), "2010-03-31".to_owned()),
        ("TopicArn".to_owned(), topic_arn.to_owned()),
        ("Message".to_owned(), message.to_owned()),
    ];
    for (i, (name, data_type, value)) in attributes.iter().enumerate() {
        let prefix = format!("MessageAttributes.entry.{}", i + 1);
        form.push((format!("{prefix}.Name"), name.to_string()));
        form.push((format!("{prefix}.Value.DataType"), data_type.to_string()));
        form.push((format!("{prefix}.Value.StringValue"), value.to_string()));
    }
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    call(
        cloud,
        "sns",
        "application/x-www-form-urlencoded",
        None,
        body.into(),
    )
    .await
    .with_context(|| format!("Publish to {topic_arn}"))?;
    Ok(())
}

async fn put_event(cloud: &SharedCloud, entry: Value) -> anyhow::Result<()> {
    let bus = entry["EventBusName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let out = json_call(
        cloud,
        "events",
        "application/x-amz-json-1.1",
        "AWSEvents.PutEvents",
        &json!({"Entries": [entry]}),
    )
    .await
    .with_context(|| format!("PutEvents on {bus}"))?;
    if out["FailedEntryCount"].as_u64().unwrap_or(0) > 0 {
        bail!("PutEvents on {bus} refused the record: {out}");
    }
    Ok(())
}

/// (account, name) of `arn:aws:<service>:<region>:<account>:<name>`.
fn arn_account_and_name(arn: &str) -> anyhow::Result<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, _, _, account, name] if !name.is_empty() => Ok((account, name)),
        _ => bail!("{arn:?} is not an ARN of the form arn:aws:<service>:<region>:<account>:<name>"),
    }
}

pub(crate) async fn json_call(
    cloud: &SharedCloud,
    service: &str,
    content_type: &str,
    target: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let answer = call(
        cloud,
        service,
        content_type,
        Some(target),
        body.to_string().into(),
    )
    .await?;
    serde_json::from_slice(&answer).with_context(|| {
        format!(
            "{target} answered no JSON: {}",
            String::from_utf8_lossy(&answer)
        )
    })
}

/// One call to moto; moto routes by the credential scope of the `Authorization` header (it checks no
/// signature). An answer other than 2xx is an error with its body.
async fn call(
    cloud: &SharedCloud,
    service: &str,
    content_type: &str,
    target: Option<&str>,
    body: Bytes,
) -> anyhow::Result<Bytes> {
    let region = &cloud.config.region;
    let mut request = Request::post(format!("{}/", cloud.config.moto_url()))
        .header("content-type", content_type)
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=local-cloud/20260101/{region}/{service}/aws4_request, \
                 SignedHeaders=host, Signature=0"
            ),
        );
    if let Some(target) = target {
        request = request.header("x-amz-target", target);
    }
    let request = request.body(body).context("building a request to moto")?;
    let response = http_client::send(request, MOTO_TIMEOUT)
        .await
        .map_err(|e| anyhow::anyhow!("moto at {}: {e}", cloud.config.moto_url()))?;
    if !response.status().is_success() {
        bail!(
            "moto answered {}: {}",
            response.status(),
            String::from_utf8_lossy(response.body())
        );
    }
    Ok(response.into_body())
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_record_has_aws_shape() {
        // The example record of AWS's documentation (invocation-async-retain-records.html), field for field.
        let event = Bytes::from_static(br#"{"ORDER_IDS":["9e07af03"]}"#);
        let response = Response {
            executed_version: "$LATEST".into(),
            function_error: Some("Unhandled".into()),
            payload: Bytes::from_static(br#"{"errorMessage":"boom","errorType":"Boom"}"#),
        };
        let outcome = Outcome {
            request_id: "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            function_arn: "arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST",
            condition: Condition::RetriesExhausted,
            invoke_count: 3,
            request_payload: &event,
            response: Some(&response),
        };
        assert_eq!(
            record(&outcome, "2019-11-14T18:16:05.568Z"),
            json!({
                "version": "1.0",
                "timestamp": "2019-11-14T18:16:05.568Z",
                "requestContext": {
                    "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                    "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST",
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": 3
                },
                "requestPayload": {"ORDER_IDS": ["9e07af03"]},
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                "responsePayload": {"errorMessage": "boom", "errorType": "Boom"}
            })
        );
    }

    #[test]
    fn a_success_record_has_no_function_error_and_text_stays_text() {
        let event = Bytes::from_static(b"not json");
        let response = Response {
            executed_version: "3".into(),
            function_error: None,
            payload: Bytes::from_static(b"\"done\""),
        };
        let outcome = Outcome {
            request_id: "r",
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f:3",
            condition: Condition::Success,
            invoke_count: 1,
            request_payload: &event,
            response: Some(&response),
        };
        let r = record(&outcome, "t");
        assert_eq!(r["requestPayload"], "not json");
        assert_eq!(
            r["responseContext"],
            json!({"statusCode": 200, "executedVersion": "3"})
        );
        assert_eq!(r["responsePayload"], "done");
        let expired = Outcome {
            condition: Condition::EventAgeExceeded,
            response: None,
            invoke_count: 0,
            ..outcome
        };
        let r = record(&expired, "t");
        assert_eq!(r["requestContext"]["condition"], "EventAgeExceeded");
        assert!(r.get("responseContext").is_none(), "{r}");
    }

    #[test]
    fn destination_kinds_and_names() {
        assert_eq!(
            Target::of("arn:aws:sqs:us-east-1:123456789012:q"),
            Some(Target::Sqs)
        );
        assert_eq!(
            Target::of("arn:aws:sns:us-east-1:123456789012:t"),
            Some(Target::Sns)
        );
        assert_eq!(
            Target::of("arn:aws:lambda:us-east-1:123456789012:function:f"),
            Some(Target::Lambda)
        );
        assert_eq!(
            Target::of("arn:aws:events:us-east-1:123456789012:event-bus/b"),
            Some(Target::EventBridge)
        );
        assert_eq!(Target::of("arn:aws:s3:::bucket"), None);
        assert_eq!(
            arn_account_and_name("arn:aws:sqs:us-east-1:123456789012:q").unwrap(),
            ("123456789012", "q")
        );
        assert!(arn_account_and_name("q").is_err());
        assert_eq!(
            detail_type(Condition::RetriesExhausted),
            "Lambda Function Invocation Result - Failure"
        );
    }

    #[test]
    fn dead_letter_helpers() {
        assert_eq!(
            error_message(&Bytes::from_static(
                br#"{"errorMessage":"m","errorType":"T"}"#
            )),
            "m"
        );
        assert_eq!(error_message(&Bytes::from_static(b"plain")), "plain");
        let long = "é".repeat(600); // 1200 bytes
        assert_eq!(truncate(&long, 1024).len(), 1024);
        assert_eq!(truncate("short", 1024), "short");
        assert_eq!(form_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
