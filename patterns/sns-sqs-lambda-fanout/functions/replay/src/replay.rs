//! A replay request, `{"max_messages": 100}` (the field is optional): moves up to that many messages retained in
//! the replay queue to the processing queue, each body unchanged (the SNS envelope) with the message attribute
//! `replayed = true`, and deletes each from the replay queue once it is sent. The answer says how many moved.

use lambda_runtime::{Error, tracing};
use serde::{Deserialize, Serialize};

use crate::queues::Queues;

#[cfg(test)]
mod tests;

/// How many messages one request moves unless it says otherwise.
const DEFAULT_MAX_MESSAGES: u32 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct Request {
    pub max_messages: Option<u32>,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Replayed {
    pub replayed: u32,
}

/// Moves retained messages until the replay queue answers none or `max_messages` moved.
pub async fn handle(queues: &impl Queues, request: Request) -> Result<Replayed, Error> {
    let max = request.max_messages.unwrap_or(DEFAULT_MAX_MESSAGES);
    let mut replayed = 0;
    while replayed < max {
        let batch = queues.receive((max - replayed).min(10)).await?;
        if batch.is_empty() {
            break;
        }
        for message in batch {
            queues.forward(&message.body).await?;
            queues.delete(&message.receipt_handle).await?;
            replayed += 1;
        }
    }
    tracing::info!(replayed, "replayed");
    Ok(Replayed { replayed })
}
