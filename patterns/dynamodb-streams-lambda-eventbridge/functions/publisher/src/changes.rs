//! One batch of DynamoDB stream records (NEW_AND_OLD_IMAGES) becomes EventBridge events, in order: an INSERT is an
//! `OrderCreated`, a MODIFY an `OrderUpdated`, a REMOVE an `OrderDeleted`, each with source `orders.table` and
//! the item's images as plain JSON in its detail:
//! `{"keys": {...}, "newImage": {...}, "oldImage": {...}}` (`oldImage` on MODIFY and REMOVE, `newImage` on
//! INSERT and MODIFY).
//!
//! A record that could not be published is reported in `batchItemFailures` by its sequence number: with
//! `ReportBatchItemFailures` on the event source mapping, Lambda retries the shard from that record, so nothing is
//! lost (records after it are published again: consumers see each change at least once).

use aws_lambda_events::{
    dynamodb::{Event, EventRecord},
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};
use lambda_runtime::{Error, tracing};
use serde_json::{Map, Value};

#[cfg(test)]
mod tests;

/// The `source` of every event the function puts.
pub const SOURCE: &str = "orders.table";

/// PutEvents takes at most 10 entries.
const MAX_ENTRIES: usize = 10;

/// One event to put.
#[derive(Debug, PartialEq)]
pub struct Change {
    pub detail_type: &'static str,
    pub detail: Value,
}

/// Where the events go.
pub trait Bus {
    /// Puts the changes (at most 10) as events; per change, `None` if accepted, else why not.
    async fn publish(&self, changes: &[Change]) -> Result<Vec<Option<String>>, Error>;
}

/// The event of one stream record.
pub fn change(record: &EventRecord) -> Result<Change, Error> {
    let detail_type = match record.event_name.as_str() {
        "INSERT" => "OrderCreated",
        "MODIFY" => "OrderUpdated",
        "REMOVE" => "OrderDeleted",
        other => return Err(format!("unknown event name {other}").into()),
    };
    let mut detail = Map::new();
    let images = [
        ("keys", &record.change.keys),
        ("newImage", &record.change.new_image),
        ("oldImage", &record.change.old_image),
    ];
    for (name, image) in images {
        if !image.is_empty() {
            let json: Value = serde_dynamo::from_item(image.clone())?;
            detail.insert(name.to_owned(), json);
        }
    }
    Ok(Change {
        detail_type,
        detail: Value::Object(detail),
    })
}

/// Publishes the records of `event` in order; the response names the first one that was not published.
pub async fn handle(bus: &impl Bus, event: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for records in event.records.chunks(MAX_ENTRIES) {
        if let Some(failed) = publish(bus, records).await {
            let sequence_number = failed.change.sequence_number.clone();
            tracing::warn!(
                ?sequence_number,
                "record not published; Lambda retries from it"
            );
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence_number;
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

/// Publishes `records`; the first record that failed, if any.
async fn publish<'a>(bus: &impl Bus, records: &'a [EventRecord]) -> Option<&'a EventRecord> {
    let mut changes = Vec::with_capacity(records.len());
    for record in records {
        match change(record) {
            Ok(change) => changes.push(change),
            Err(err) => {
                tracing::error!(event_id = %record.event_id, error = %err, "record not understood");
                break;
            }
        }
    }
    if changes.is_empty() {
        return records.first();
    }
    let results = match bus.publish(&changes).await {
        Ok(results) => results,
        Err(err) => {
            tracing::error!(error = %err, "PutEvents failed");
            return records.first();
        }
    };
    for (record, result) in records.iter().zip(&results) {
        if let Some(why) = result {
            tracing::error!(event_id = %record.event_id, error = %why, "event refused");
            return Some(record);
        }
    }
    // A record not understood, or fewer results than changes.
    records.get(results.len())
}
