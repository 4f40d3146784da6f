{%- if dynamodb -%}
//! What the function does with each item it processed: one `PutItem` into the DynamoDB table named by
//! `TABLE_NAME` (the only call its role allows, on that table only), then a log line.
{%- else -%}
//! What the function does with each item it processed: one log line in the function's log group. Replace
//! `Log` with your own `Recorder` (a table, a queue, an API) to do real work.
{%- endif %}

{% if dynamodb -%}
use std::collections::HashMap;

use aws_sdk_dynamodb::{Client, error::DisplayErrorContext, types::AttributeValue};
{% endif -%}
use {{runtime_crate}}::{Error, tracing};
use serde::Deserialize;

/// The service that delivered the items, as the function records it.
pub const SOURCE: &str = "{{source}}";

/// Longest accepted id, in bytes (DynamoDB allows 2048 for a partition key).
const MAX_ID_BYTES: usize = 1024;

/// One processed item: its id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Item {
    pub id: String,
}

impl Item {
    /// An item with a non-empty id of at most 1024 bytes.
    pub fn new(id: String) -> Result<Item, String> {
        if id.trim().is_empty() {
            return Err("`id` is empty".to_owned());
        }
        if id.len() > MAX_ID_BYTES {
            return Err(format!("`id` is longer than {MAX_ID_BYTES} bytes"));
        }
        Ok(Item { id })
    }
{%- if http or trigger == "sqs" %}

    /// Parses a JSON object with a string `id` (other fields are ignored).
    pub fn from_json(text: &str) -> Result<Item, String> {
        let item: Item = serde_json::from_str(text)
            .map_err(|err| format!("expected a JSON object with a string `id`: {err}"))?;
        Item::new(item.id)
    }
{%- endif %}
}

/// Records processed items.
pub trait Recorder {
    fn record(&self, item: &Item) -> impl Future<Output = Result<(), Error>> + Send;
}
{%- if dynamodb %}

/// Records each item in a DynamoDB table.
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

impl Recorder for Table {
    async fn record(&self, item: &Item) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(attributes(item)))
            .send()
            .await
            .map_err(|err| format!("PutItem into {}: {}", self.name, DisplayErrorContext(&err)))?;
        tracing::info!(id = %item.id, source = SOURCE, table = %self.name, "processed");
        Ok(())
    }
}

/// The table item: the partition key `pk` is the item's id.
pub fn attributes(item: &Item) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(item.id.clone())),
        ("source".to_owned(), AttributeValue::S(SOURCE.to_owned())),
    ])
}
{%- else %}

/// Records each item as a log line.
pub struct Log;

impl Recorder for Log {
    async fn record(&self, item: &Item) -> Result<(), Error> {
        tracing::info!(id = %item.id, source = SOURCE, "processed");
        Ok(())
    }
}
{%- endif %}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_not_empty_and_at_most_1024_bytes() {
        assert_eq!(Item::new("order-1".to_owned()).unwrap().id, "order-1");
        assert!(Item::new(" ".to_owned()).is_err());
        assert!(Item::new("x".repeat(MAX_ID_BYTES)).is_ok());
        assert!(Item::new("x".repeat(MAX_ID_BYTES + 1)).is_err());
    }
{%- if http or trigger == "sqs" %}

    #[test]
    fn an_item_is_a_json_object_with_a_non_empty_string_id() {
        let item = Item::from_json(r#"{"id":"order-1","extra":true}"#).unwrap();
        assert_eq!(item.id, "order-1");
        for bad in [
            r#"{"id":""}"#,
            r#"{"id":7}"#,
            r#"{"name":"x"}"#,
            "not json",
            "[]",
        ] {
            assert!(Item::from_json(bad).is_err(), "{bad} must be refused");
        }
    }
{%- endif %}
{%- if dynamodb %}

    #[test]
    fn the_table_item_is_keyed_by_the_id_and_names_the_source() {
        let item = Item::new("order-1".to_owned()).unwrap();
        let attributes = attributes(&item);
        assert_eq!(attributes["pk"], AttributeValue::S("order-1".to_owned()));
        assert_eq!(attributes["source"], AttributeValue::S(SOURCE.to_owned()));
        assert_eq!(attributes.len(), 2);
    }
{%- endif %}
}
