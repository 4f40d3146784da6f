//! One batch of the processing queue: each message is stored on its own. A message that is not an event, or whose
//! event could not be stored, is reported in `batchItemFailures` (the mapping has `ReportBatchItemFailures`), so
//! only it is retried.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::tracing;

use crate::{event::delivery, store::Store};

#[cfg(test)]
mod tests;

/// Processes every message of `event`; the response names the ones to retry.
pub async fn handle(store: &impl Store, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let outcome = match delivery(&message) {
            Ok(delivery) => store.record(&delivery).await,
            Err(err) => Err(err.into()),
        };
        if let Err(err) = outcome {
            let message_id = message.message_id.unwrap_or_default();
            tracing::warn!(%message_id, error = %err, "message not processed; SQS will retry it");
            response.add_failure(message_id);
        }
    }
    response
}
