//! The SQS trigger: every message of a batch carries one item as JSON, `{"id": "..."}`. A message that is not
//! an item, or whose item cannot be recorded, is reported as a batch item failure: SQS makes only that message
//! visible again, and moves it to the dead-letter queue once it has failed `maxReceiveCount` times.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, tracing};

use crate::record::{Item, Recorder};

#[cfg(test)]
mod tests;

/// Processes a batch; the response lists the messages to retry.
pub async fn handle(recorder: &impl Recorder, event: SqsEvent) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let message_id = message.message_id.unwrap_or_default();
        let outcome = match Item::from_json(message.body.as_deref().unwrap_or_default()) {
            Ok(item) => recorder.record(&item).await,
            Err(err) => Err(err.into()),
        };
        if let Err(err) = outcome {
            tracing::warn!(%message_id, error = %err, "message not processed; SQS will retry it");
            response.add_failure(message_id);
        }
    }
    Ok(response)
}
