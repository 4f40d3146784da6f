//! What processing an order means: one atomic `UpdateItem` that adds 1 to the order's `processed` counter in the
//! DynamoDB table named by `TABLE_NAME` (the only call the function's role allows, on that table only). The counter
//! shows how often each order was processed: exactly once, unless a batch was retried as a whole.

use std::collections::HashMap;

use aws_sdk_dynamodb::{Client, error::DisplayErrorContext, types::AttributeValue};
use lambda_runtime::{Error, tracing};
use serde::Deserialize;

/// Longest accepted id, in bytes (DynamoDB allows 2048 for a partition key).
const MAX_ID_BYTES: usize = 1024;

/// One order: its id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Order {
    pub id: String,
}

impl Order {
    /// Parses a JSON object with a non-empty string `id` of at most 1024 bytes (other fields are ignored).
    pub fn from_json(text: &str) -> Result<Order, String> {
        let order: Order = serde_json::from_str(text)
            .map_err(|err| format!("expected a JSON object with a string `id`: {err}"))?;
        if order.id.trim().is_empty() {
            return Err("`id` is empty".to_owned());
        }
        if order.id.len() > MAX_ID_BYTES {
            return Err(format!("`id` is longer than {MAX_ID_BYTES} bytes"));
        }
        Ok(order)
    }
}

/// Processes orders.
pub trait Store {
    fn process(&self, order: &Order) -> impl Future<Output = Result<(), Error>> + Send;
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
    async fn process(&self, order: &Order) -> Result<(), Error> {
        self.client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(key(order)))
            // `processed` is a DynamoDB reserved word: it is named through a placeholder.
            .update_expression("ADD #processed :one")
            .expression_attribute_names("#processed", "processed")
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .send()
            .await
            .map_err(|err| format!("UpdateItem on {}: {}", self.name, DisplayErrorContext(&err)))?;
        tracing::info!(id = %order.id, table = %self.name, "processed");
        Ok(())
    }
}

/// The table's key: the partition key `id` is the order's id.
pub fn key(order: &Order) -> HashMap<String, AttributeValue> {
    HashMap::from([("id".to_owned(), AttributeValue::S(order.id.clone()))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_a_json_object_with_a_non_empty_string_id() {
        let order = Order::from_json(r#"{"id":"order-1","quantity":2}"#).unwrap();
        assert_eq!(order.id, "order-1");
        assert!(Order::from_json(&format!(r#"{{"id":"{}"}}"#, "x".repeat(MAX_ID_BYTES))).is_ok());
        for bad in [
            r#"{"id":""}"#,
            r#"{"id":7}"#,
            r#"{"name":"x"}"#,
            "not json",
            "[]",
        ] {
            assert!(Order::from_json(bad).is_err(), "{bad} must be refused");
        }
        let long = format!(r#"{{"id":"{}"}}"#, "x".repeat(MAX_ID_BYTES + 1));
        assert!(Order::from_json(&long).is_err());
    }

    #[test]
    fn the_key_is_the_order_id() {
        let key = key(&Order {
            id: "order-1".to_owned(),
        });
        assert_eq!(
            key,
            HashMap::from([("id".to_owned(), AttributeValue::S("order-1".to_owned()))])
        );
    }
}
