//! What storing an order means: one `PutItem` into the DynamoDB table named by `TABLE_NAME` (the only call the
//! function's role allows, on that table only), the item keyed by the order's id and carrying the id of the
//! SQS message (the one the API answered the client with). A message delivered twice writes the same item.

use std::collections::HashMap;

use aws_sdk_dynamodb::{Client, error::DisplayErrorContext, types::AttributeValue};
use lambda_runtime::{Error, tracing};
use serde::Deserialize;

/// Longest accepted id, in bytes (DynamoDB allows 2048 for a partition key).
const MAX_ID_BYTES: usize = 1024;

/// One order, as the API's model admits it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Order {
    pub id: String,
    pub item: String,
    pub quantity: u32,
}

impl Order {
    /// Parses a JSON order: a non-empty `id` of at most 1024 bytes, an `item` and a `quantity` of at least 1
    /// (the API validated it already; the queue may have other senders).
    pub fn from_json(text: &str) -> Result<Order, String> {
        let order: Order = serde_json::from_str(text).map_err(|err| {
            format!("expected a JSON order with `id`, `item` and `quantity`: {err}")
        })?;
        if order.id.trim().is_empty() || order.id.len() > MAX_ID_BYTES {
            return Err(format!("`id` must have 1 to {MAX_ID_BYTES} bytes"));
        }
        if order.quantity == 0 {
            return Err("`quantity` must be at least 1".to_owned());
        }
        Ok(order)
    }
}

/// Stores orders.
pub trait Store {
    fn put(
        &self,
        order: &Order,
        message_id: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The orders table.
pub struct Table {
    client: Client,
    name: String,
}

impl Table {
    /// The table named by `TABLE_NAME`, with the SDK's default configuration (which honours `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Result<Table, Error> {
        let name = std::env::var("TABLE_NAME").map_err(
            |_| "environment variable TABLE_NAME is not set; set it to the table's name",
        )?;
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(Table {
            client: Client::new(&config),
            name,
        })
    }
}

impl Store for Table {
    async fn put(&self, order: &Order, message_id: &str) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item(order, message_id)))
            .send()
            .await
            .map_err(|err| format!("PutItem on {}: {}", self.name, DisplayErrorContext(&err)))?;
        tracing::info!(id = %order.id, %message_id, table = %self.name, "stored");
        Ok(())
    }
}

/// The table's item: the partition key `id`, the order's fields and the message id.
pub fn item(order: &Order, message_id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("id".to_owned(), AttributeValue::S(order.id.clone())),
        ("item".to_owned(), AttributeValue::S(order.item.clone())),
        (
            "quantity".to_owned(),
            AttributeValue::N(order.quantity.to_string()),
        ),
        (
            "message_id".to_owned(),
            AttributeValue::S(message_id.to_owned()),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_has_an_id_an_item_and_a_positive_quantity() {
        let order =
            Order::from_json(r#"{"id":"o-1","item":"book","quantity":2,"note":"x"}"#).unwrap();
        assert_eq!(
            order,
            Order {
                id: "o-1".to_owned(),
                item: "book".to_owned(),
                quantity: 2
            }
        );
        let long = format!(
            r#"{{"id":"{}","item":"b","quantity":1}}"#,
            "x".repeat(MAX_ID_BYTES + 1)
        );
        for bad in [
            r#"{"id":"","item":"b","quantity":1}"#,
            r#"{"id":"o","item":"b","quantity":0}"#,
            r#"{"id":"o","item":"b","quantity":-1}"#,
            r#"{"id":"o","quantity":1}"#,
            "not json",
            long.as_str(),
        ] {
            assert!(Order::from_json(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn the_item_carries_the_order_and_its_message_id() {
        let order = Order::from_json(r#"{"id":"o-1","item":"book","quantity":2}"#).unwrap();
        let item = item(&order, "m-1");
        assert_eq!(item["id"], AttributeValue::S("o-1".to_owned()));
        assert_eq!(item["quantity"], AttributeValue::N("2".to_owned()));
        assert_eq!(item["message_id"], AttributeValue::S("m-1".to_owned()));
        assert_eq!(item.len(), 4);
    }
}
