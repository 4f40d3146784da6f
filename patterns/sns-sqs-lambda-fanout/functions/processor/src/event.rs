//! What the processing queue holds: SNS notifications in their JSON envelope (the subscription has no raw message
//! delivery), whose `Message` is an event `{"id": "...", "type": "..."}`. The replay function re-sends envelopes
//! of the replay queue unchanged, marked with the SQS message attribute `replayed = true`.

use aws_lambda_events::{sns::SnsMessage, sqs::SqsMessage};
use serde::Deserialize;

/// Longest accepted id, in bytes (DynamoDB allows 2048 for a partition key).
const MAX_ID_BYTES: usize = 1024;

/// One event, as published to the topic (other fields are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// An event as it arrived: from the topic or replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub event: Event,
    /// The SNS message id: the same for every delivery of one publication.
    pub message_id: String,
    pub replayed: bool,
}

/// The event an SQS message of the processing queue carries.
pub fn delivery(message: &SqsMessage) -> Result<Delivery, String> {
    let envelope: SnsMessage = serde_json::from_str(message.body.as_deref().unwrap_or_default())
        .map_err(|err| format!("expected an SNS notification envelope: {err}"))?;
    let event: Event = serde_json::from_str(&envelope.message)
        .map_err(|err| format!("expected an event {{\"id\", \"type\"}} as the message: {err}"))?;
    if event.id.trim().is_empty() || event.id.len() > MAX_ID_BYTES {
        return Err(format!("`id` must be 1 to {MAX_ID_BYTES} bytes"));
    }
    let replayed = message
        .message_attributes
        .get("replayed")
        .and_then(|a| a.string_value.as_deref())
        == Some("true");
    Ok(Delivery {
        event,
        message_id: envelope.message_id,
        replayed,
    })
}
