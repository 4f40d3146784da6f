//! One SQS batch: each message is an order, `{"id": "..."}`, processed on its own. A message that is not an order
//! (a poison message) or whose order could not be stored is reported in `batchItemFailures`: with
//! `ReportBatchItemFailures` on the event source mapping, Lambda deletes every other message of the batch and only
//! those become visible again, until the queue's redrive policy moves them to the dead-letter queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::tracing;

use crate::store::{Order, Store};

#[cfg(test)]
mod tests;

/// Processes every message of `event`; the response names the ones to retry.
pub async fn handle(store: &impl Store, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let message_id = message.message_id.unwrap_or_default();
        let outcome = match Order::from_json(message.body.as_deref().unwrap_or_default()) {
            Ok(order) => store.process(&order).await,
            Err(err) => Err(err.into()),
        };
        if let Err(err) = outcome {
            tracing::warn!(%message_id, error = %err, "message not processed; SQS will retry it");
            response.add_failure(message_id);
        }
    }
    response
}
