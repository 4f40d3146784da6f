//! One SQS batch: each message is an order the API accepted (`{"id": "...", "item": "...", "quantity": 2}`),
//! stored on its own with the id of the message that carried it. A message that is not an order or whose
//! order could not be stored is reported in `batchItemFailures`: with `ReportBatchItemFailures` on the event
//! source mapping, only those become visible again, until the redrive policy moves them to the dead-letter queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::tracing;

use crate::store::{Order, Store};

#[cfg(test)]
mod tests;

/// Stores every order of `event`; the response names the messages to retry.
pub async fn handle(store: &impl Store, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let message_id = message.message_id.unwrap_or_default();
        let outcome = match Order::from_json(message.body.as_deref().unwrap_or_default()) {
            Ok(order) => store.put(&order, &message_id).await,
            Err(err) => Err(err.into()),
        };
        if let Err(err) = outcome {
            tracing::warn!(%message_id, error = %err, "message not stored; SQS will retry it");
            response.add_failure(message_id);
        }
    }
    response
}
