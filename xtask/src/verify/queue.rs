//! The SQS parts of the AWS checks: `send = { sqs = ..., bodies = [...] }` (one SendMessageBatch, so the messages
//! can reach a consumer in one batch) and `queue_holds` (a message whose body contains a text is in a queue, e.g.
//! a dead-letter queue; with `json`, a JSON body containing it), the same against the local cloud and AWS.

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_sqs::{error::DisplayErrorContext, types::SendMessageBatchRequestEntry};

/// SendMessageBatch of `bodies` to `queue`.
pub fn send_batch(
    rt: &tokio::runtime::Runtime,
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    bodies: &[String],
) -> Result<String> {
    let entries = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body)
                .build()
                .map_err(|e| anyhow!("{e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let out = rt
        .block_on(
            sqs.send_message_batch()
                .queue_url(queue)
                .set_entries(Some(entries))
                .send(),
        )
        .map_err(|e| anyhow!("{}", DisplayErrorContext(e)))
        .with_context(|| format!("SendMessageBatch to {queue}"))?;
    if let Some(failed) = out.failed().first() {
        bail!(
            "SendMessageBatch to {queue}: message {} was refused: {}",
            failed.id(),
            failed.message().unwrap_or(failed.code())
        );
    }
    Ok(format!("sent {} messages to {queue}", bodies.len()))
}

/// Whether `queue` holds a message whose body contains `text` and, with `json`, is a JSON document containing
/// it (a subset match, as the other checks' `json`). The messages are received with a visibility timeout of 0,
/// so they stay visible: the check changes nothing (but counts as a receive, as any consumer's).
pub fn holds(
    rt: &tokio::runtime::Runtime,
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    text: &str,
    json: Option<&serde_json::Value>,
) -> Result<String> {
    let matches = |body: &str| pattern_checks::answer::message_matches(body, text, json);
    let what = match json {
        Some(expected) => format!("containing {text:?} and the JSON {expected}"),
        None => format!("containing {text:?}"),
    };
    let mut seen = 0;
    // A standard queue answers each receive from a sample of its servers: a few receives see the rest.
    for _ in 0..5 {
        let out = rt
            .block_on(
                sqs.receive_message()
                    .queue_url(queue)
                    .max_number_of_messages(10)
                    .visibility_timeout(0)
                    .wait_time_seconds(1)
                    .send(),
            )
            .map_err(|e| anyhow!("{}", DisplayErrorContext(e)))
            .with_context(|| format!("ReceiveMessage from {queue}"))?;
        let messages = out.messages();
        seen += messages.len();
        if messages.iter().any(|m| m.body().is_some_and(matches)) {
            return Ok(format!("{queue} holds a message {what}"));
        }
    }
    bail!("{queue} holds no message {what} ({seen} received)")
}
