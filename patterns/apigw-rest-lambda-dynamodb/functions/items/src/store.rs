//! The items table: a small store over DynamoDB (partition key `id`, a string) with create, get,
//! update-if-version, delete and paginated list.
//!
//! `ItemStore` is the contract the HTTP layer depends on; `Store` implements it with aws-sdk-dynamodb.

mod convert;

use std::future::Future;

use anyhow::{Context, Result};
use aws_sdk_dynamodb::{
    Client,
    operation::{delete_item::DeleteItemError, update_item::UpdateItemError},
    types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure},
};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// An item as stored and as returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Server-assigned UUID v4, the table's partition key.
    pub id: String,
    pub name: String,
    /// Free-form JSON object, stored as a DynamoDB map.
    pub attributes: Map<String, Value>,
    /// 1 on creation, +1 on every update; the token for optimistic concurrency.
    pub version: u64,
}

/// What a client may set on an item (already validated).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemInput {
    pub name: String,
    pub attributes: Map<String, Value>,
}

/// The result of a conditional update.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOutcome {
    Updated(Item),
    NotFound,
    /// The item exists but is at another version than the caller expected.
    Conflict {
        current_version: u64,
    },
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    /// The id of DynamoDB's `LastEvaluatedKey`: `Some` when there may be more items after this page.
    pub last_id: Option<String>,
}

/// The operations the API needs. Errors are failures of the store itself (network, permissions, throttling).
pub trait ItemStore {
    /// Stores a new item with a fresh id and version 1.
    fn create(&self, input: ItemInput) -> impl Future<Output = Result<Item>> + Send;
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Item>>> + Send;
    /// Replaces name and attributes and bumps the version, only if the item is at version `expected`.
    fn update_if_version(
        &self,
        id: &str,
        expected: u64,
        input: ItemInput,
    ) -> impl Future<Output = Result<UpdateOutcome>> + Send;
    /// `false` when there was no such item.
    fn delete(&self, id: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Up to `limit` items, starting after the item with id `start_after`.
    fn list(
        &self,
        limit: u32,
        start_after: Option<&str>,
    ) -> impl Future<Output = Result<Page>> + Send;
}

/// `ItemStore` over one DynamoDB table.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Store {
        Store {
            client,
            table: table.into(),
        }
    }

    fn key(id: &str) -> AttributeValue {
        AttributeValue::S(id.to_owned())
    }
}

impl ItemStore for Store {
    async fn create(&self, input: ItemInput) -> Result<Item> {
        let item = Item {
            id: Uuid::new_v4().to_string(),
            name: input.name,
            attributes: input.attributes,
            version: 1,
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(convert::to_record(&item)))
            // A UUID v4 collision is astronomically unlikely; never overwrite if it happens.
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await
            .with_context(|| format!("PutItem {} into table {}", item.id, self.table))?;
        Ok(item)
    }

    async fn get(&self, id: &str) -> Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", Self::key(id))
            .consistent_read(true)
            .send()
            .await
            .with_context(|| format!("GetItem {id} from table {}", self.table))?;
        output.item.as_ref().map(convert::from_record).transpose()
    }

    async fn update_if_version(
        &self,
        id: &str,
        expected: u64,
        input: ItemInput,
    ) -> Result<UpdateOutcome> {
        let next = expected
            .checked_add(1)
            .context("version is at its maximum")?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", Self::key(id))
            .update_expression("SET #name = :name, #attributes = :attributes, #version = :next")
            // Also false when the item does not exist, so an update never creates one.
            .condition_expression("#version = :expected")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#attributes", "attributes")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":name", AttributeValue::S(input.name))
            .expression_attribute_values(":attributes", convert::map_value(&input.attributes))
            .expression_attribute_values(":expected", AttributeValue::N(expected.to_string()))
            .expression_attribute_values(":next", AttributeValue::N(next.to_string()))
            .return_values(ReturnValue::AllNew)
            // On a failed condition DynamoDB returns the current item, if there is one.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let record = output
                    .attributes
                    .context("UpdateItem returned no attributes")?;
                Ok(UpdateOutcome::Updated(convert::from_record(&record)?))
            }
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(failed) => match failed.item {
                    Some(current) => Ok(UpdateOutcome::Conflict {
                        current_version: convert::from_record(&current)?.version,
                    }),
                    None => Ok(UpdateOutcome::NotFound),
                },
                other => Err(anyhow::Error::new(other))
                    .with_context(|| format!("UpdateItem {id} in table {}", self.table)),
            },
        }
    }

    async fn delete(&self, id: &str) -> Result<bool> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("id", Self::key(id))
            .condition_expression("attribute_exists(id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.into_service_error() {
                DeleteItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(anyhow::Error::new(other))
                    .with_context(|| format!("DeleteItem {id} from table {}", self.table)),
            },
        }
    }

    async fn list(&self, limit: u32, start_after: Option<&str>) -> Result<Page> {
        let limit = i32::try_from(limit).context("page limit out of range")?;
        let output = self
            .client
            .scan()
            .table_name(&self.table)
            .limit(limit)
            .consistent_read(true)
            .set_exclusive_start_key(
                start_after.map(|id| [("id".to_owned(), Self::key(id))].into_iter().collect()),
            )
            .send()
            .await
            .with_context(|| format!("Scan table {}", self.table))?;
        let items = output
            .items()
            .iter()
            .map(convert::from_record)
            .collect::<Result<Vec<_>>>()?;
        let last_id = match output.last_evaluated_key() {
            Some(key) => Some(
                key.get("id")
                    .and_then(|id| id.as_s().ok())
                    .context("Scan returned a LastEvaluatedKey without a string `id`")?
                    .clone(),
            ),
            None => None,
        };
        Ok(Page { items, last_id })
    }
}
