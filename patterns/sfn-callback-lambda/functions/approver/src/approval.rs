//! One SQS batch of callback messages: each is `{"taskToken": "...", "order": {...}}`, sent by the state
//! machine's `sqs:sendMessage.waitForTaskToken` task, which waits until the token is answered. A valid order is
//! approved with SendTaskSuccess (its output becomes the task's output); an invalid one is rejected with
//! SendTaskFailure (`Order.Invalid` and why), which fails the execution. A message whose answer could not be sent
//! is reported in `batchItemFailures`, so SQS delivers it again.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, tracing};
use serde::Deserialize;
use serde_json::{Value, json};

#[cfg(test)]
mod tests;

/// The error of a rejected order, as the execution reports it.
pub const INVALID: &str = "Order.Invalid";

/// The largest quantity an order may ask for.
const MAX_QUANTITY: u64 = 100;

/// What the state machine sends (its `MessageBody`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Callback {
    pub task_token: String,
    pub order: Value,
}

/// The answer to one task token.
#[derive(Debug, PartialEq)]
pub enum Decision {
    /// SendTaskSuccess with this output.
    Approve(Value),
    /// SendTaskFailure with `INVALID` and this cause.
    Reject(String),
}

/// Approves an order `{"id": "<non-empty string>", "quantity": 1..=100}`; rejects anything else, saying why.
pub fn decide(order: &Value) -> Decision {
    let id = order.get("id").and_then(Value::as_str).unwrap_or_default();
    if id.is_empty() {
        return Decision::Reject("the order has no `id`".to_owned());
    }
    match order.get("quantity").and_then(Value::as_u64) {
        Some(quantity) if (1..=MAX_QUANTITY).contains(&quantity) => {
            Decision::Approve(json!({ "id": id, "quantity": quantity, "approved": true }))
        }
        _ => Decision::Reject(format!(
            "order {id}: `quantity` must be a whole number from 1 to {MAX_QUANTITY}"
        )),
    }
}

/// Where the answers go: Step Functions (SendTaskSuccess, SendTaskFailure).
pub trait Answer {
    async fn succeed(&self, token: &str, output: String) -> Result<(), Error>;
    async fn fail(&self, token: &str, error: &str, cause: String) -> Result<(), Error>;
}

/// The Step Functions API.
pub struct StepFunctions(pub aws_sdk_sfn::Client);

impl Answer for StepFunctions {
    async fn succeed(&self, token: &str, output: String) -> Result<(), Error> {
        self.0
            .send_task_success()
            .task_token(token)
            .output(output)
            .send()
            .await?;
        Ok(())
    }

    async fn fail(&self, token: &str, error: &str, cause: String) -> Result<(), Error> {
        self.0
            .send_task_failure()
            .task_token(token)
            .error(error)
            .cause(cause)
            .send()
            .await?;
        Ok(())
    }
}

/// Answers every task token of `event`; the response names the messages to deliver again.
pub async fn handle(answer: &impl Answer, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let message_id = message.message_id.unwrap_or_default();
        let callback: Callback =
            match serde_json::from_str(message.body.as_deref().unwrap_or_default()) {
                Ok(callback) => callback,
                Err(err) => {
                    // No token: no execution waits on this message, so retrying it would help nobody.
                    tracing::warn!(%message_id, error = %err, "not a callback message; dropped");
                    continue;
                }
            };
        let sent = match decide(&callback.order) {
            Decision::Approve(output) => {
                answer
                    .succeed(&callback.task_token, output.to_string())
                    .await
            }
            Decision::Reject(cause) => {
                tracing::info!(%message_id, %cause, "order rejected");
                answer.fail(&callback.task_token, INVALID, cause).await
            }
        };
        if let Err(err) = sent {
            tracing::warn!(%message_id, error = %err, "answer not sent; SQS will deliver the message again");
            response.add_failure(message_id);
        }
    }
    response
}
