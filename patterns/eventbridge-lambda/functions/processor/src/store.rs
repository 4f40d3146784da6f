//! The orders table: one item per order the function accepted.

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::{Client, types::AttributeValue};
use lambda_runtime::Error;

use crate::handler::{Order, Orders};

/// The DynamoDB table named by `TABLE_NAME`.
pub struct Table {
    client: Client,
    name: String,
}

impl Table {
    pub async fn from_env() -> Result<Table, Error> {
        let name = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Ok(Table {
            client: Client::new(&config),
            name,
        })
    }
}

impl Orders for Table {
    async fn put(&self, order: &Order) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.name)
            .item("id", AttributeValue::S(order.order_id.clone()))
            .item("total", AttributeValue::N(order.total.to_string()))
            .item("placedAt", AttributeValue::S(order.placed_at.clone()))
            .send()
            .await?;
        Ok(())
    }
}
