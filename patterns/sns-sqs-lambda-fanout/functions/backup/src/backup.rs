//! One batch of the backup queue, which gets every event of the topic (no filter policy) in its SNS envelope: each
//! message becomes one object, `events/<event id>.json` holding the message as published (an event without an id,
//! or not JSON at all, is kept too, under its SNS message id). An object that could not be written is reported in
//! `batchItemFailures`, so only its message is retried.

use aws_lambda_events::{
    sns::SnsMessage,
    sqs::{SqsBatchResponse, SqsEvent},
};
use lambda_runtime::tracing;
use serde::Deserialize;

use crate::bucket::Archive;

#[cfg(test)]
mod tests;

/// The part of an event the key needs.
#[derive(Deserialize)]
struct Event {
    id: String,
}

/// The object key of a notification: the event's id when it has a usable one, else the SNS message id.
pub fn key(envelope: &SnsMessage) -> String {
    let usable = |id: &str| {
        !id.is_empty()
            && id.len() <= 512
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    let name = serde_json::from_str::<Event>(&envelope.message)
        .ok()
        .map(|e| e.id)
        .filter(|id| usable(id))
        .unwrap_or_else(|| envelope.message_id.clone());
    format!("events/{name}.json")
}

/// Archives every message of `event`; the response names the ones to retry.
pub async fn handle(archive: &impl Archive, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let body = message.body.as_deref().unwrap_or_default();
        let outcome = match serde_json::from_str::<SnsMessage>(body) {
            Ok(envelope) => archive.put(&key(&envelope), &envelope.message).await,
            Err(err) => Err(format!("expected an SNS notification envelope: {err}").into()),
        };
        if let Err(err) = outcome {
            let message_id = message.message_id.unwrap_or_default();
            tracing::warn!(%message_id, error = %err, "message not backed up; SQS will retry it");
            response.add_failure(message_id);
        }
    }
    response
}
