//! [`Switch`] in DynamoDB: one item (`id` = `maintenance`) whose `failing` attribute is the switch (the primary's
//! role allows `dynamodb:GetItem` and `dynamodb:PutItem` on the table, nothing else).

use aws_sdk_dynamodb::types::AttributeValue;

use crate::Switch;

/// The key of the switch's item.
const ITEM: &str = "maintenance";

pub struct DynamoDbSwitch {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

impl Switch for DynamoDbSwitch {
    async fn failing(&self) -> anyhow::Result<bool> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(ITEM.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                let e = aws_sdk_dynamodb::error::DisplayErrorContext(e);
                anyhow::anyhow!("GetItem {ITEM} from {}: {e}", self.table)
            })?;
        Ok(out
            .item()
            .and_then(|item| item.get("failing"))
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false))
    }

    async fn set_failing(&self, failing: bool) -> anyhow::Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("id", AttributeValue::S(ITEM.to_owned()))
            .item("failing", AttributeValue::Bool(failing))
            .send()
            .await
            .map_err(|e| {
                let e = aws_sdk_dynamodb::error::DisplayErrorContext(e);
                anyhow::anyhow!("PutItem {ITEM} into {}: {e}", self.table)
            })?;
        Ok(())
    }
}
