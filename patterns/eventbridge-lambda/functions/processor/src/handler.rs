//! What the function does with each event: an order (the rule's input transformer keeps `orderId`, `total` and
//! the event's `time`) is stored, unless its total is over the limit, which fails the invocation (Lambda then
//! retries it twice and sends it to the function's dead-letter queue); the scheduled rule's event is logged.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, tracing};
use serde::Deserialize;

/// The largest total the function accepts; a larger one is an error, to show where failed events go.
pub const MAX_TOTAL: f64 = 1000.0;

/// An order as the input transformer shapes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: String,
    pub total: f64,
    pub placed_at: String,
}

/// The two things the function receives.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Input {
    /// The scheduled rule's event, as EventBridge sends it.
    Scheduled(EventBridgeEvent<serde_json::Value>),
    Order(Order),
}

/// Where orders are stored (the DynamoDB table; a fake in the tests).
pub trait Orders {
    fn put(&self, order: &Order) -> impl Future<Output = Result<(), Error>> + Send;
}

pub async fn handle(orders: &impl Orders, input: Input) -> Result<(), Error> {
    match input {
        Input::Scheduled(event) => {
            tracing::info!(rule = ?event.resources, time = ?event.time, "heartbeat: {}", event.detail_type);
            Ok(())
        }
        Input::Order(order) if order.total > MAX_TOTAL => Err(format!(
            "order {} is over the limit: {} > {MAX_TOTAL}",
            order.order_id, order.total
        )
        .into()),
        Input::Order(order) => {
            orders.put(&order).await?;
            tracing::info!("stored order {} ({})", order.order_id, order.total);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
