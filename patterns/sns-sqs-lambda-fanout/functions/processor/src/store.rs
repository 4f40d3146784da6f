//! What processing an event means here: one atomic `UpdateItem` on the DynamoDB table named by `TABLE_NAME` (the
//! only call the function's role allows, on that table only) that keeps the event's fields and adds 1 to its
//! `deliveries` counter, so the table shows how often each event was processed and whether it was replayed.

use std::collections::HashMap;

use aws_sdk_dynamodb::{Client, error::DisplayErrorContext, types::AttributeValue};
use lambda_runtime::{Error, tracing};

use crate::event::Delivery;

/// Records deliveries.
pub trait Store {
    fn record(&self, delivery: &Delivery) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The events table.
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
    async fn record(&self, delivery: &Delivery) -> Result<(), Error> {
        self.client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(key(delivery)))
            // `type` is a DynamoDB reserved word: it is named through a placeholder.
            .update_expression(
                "SET #type = :type, message_id = :message_id, replayed = :replayed ADD deliveries :one",
            )
            .expression_attribute_names("#type", "type")
            .set_expression_attribute_values(Some(values(delivery)))
            .send()
            .await
            .map_err(|err| format!("UpdateItem on {}: {}", self.name, DisplayErrorContext(&err)))?;
        tracing::info!(id = %delivery.event.id, replayed = delivery.replayed, "processed");
        Ok(())
    }
}

/// The table's key: the partition key `id` is the event's id.
pub fn key(delivery: &Delivery) -> HashMap<String, AttributeValue> {
    HashMap::from([(
        "id".to_owned(),
        AttributeValue::S(delivery.event.id.clone()),
    )])
}

/// The values of the update expression.
pub fn values(delivery: &Delivery) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (
            ":type".to_owned(),
            AttributeValue::S(delivery.event.kind.clone()),
        ),
        (
            ":message_id".to_owned(),
            AttributeValue::S(delivery.message_id.clone()),
        ),
        (
            ":replayed".to_owned(),
            AttributeValue::Bool(delivery.replayed),
        ),
        (":one".to_owned(), AttributeValue::N("1".to_owned())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    #[test]
    fn the_item_keeps_the_event_and_counts_one_more_delivery() {
        let delivery = Delivery {
            event: Event {
                id: "evt-1".to_owned(),
                kind: "order".to_owned(),
            },
            message_id: "95df01b4".to_owned(),
            replayed: true,
        };
        assert_eq!(
            key(&delivery),
            HashMap::from([("id".to_owned(), AttributeValue::S("evt-1".to_owned()))])
        );
        let values = values(&delivery);
        assert_eq!(values[":type"], AttributeValue::S("order".to_owned()));
        assert_eq!(
            values[":message_id"],
            AttributeValue::S("95df01b4".to_owned())
        );
        assert_eq!(values[":replayed"], AttributeValue::Bool(true));
        assert_eq!(values[":one"], AttributeValue::N("1".to_owned()));
    }
}
