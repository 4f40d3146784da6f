//! The poller of one DynamoDB stream event source mapping, as Lambda's own pollers work
//! (<https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html>,
//! <https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html>):
//!
//! - each shard of the stream (DescribeStream) is read from the mapping's `StartingPosition` (`TRIM_HORIZON`:
//!   the oldest record kept; `LATEST`: only what is written after the poller starts) with GetShardIterator,
//!   then GetRecords of up to `BatchSize` records, four times a second while the shard is idle;
//! - the function is invoked synchronously with `{"Records": [...]}`: each record as GetRecords returns it
//!   (`eventID`, `eventName` INSERT/MODIFY/REMOVE, `eventVersion`, `eventSource` `aws:dynamodb`, `awsRegion`,
//!   `dynamodb` with `Keys`, `NewImage`/`OldImage` per the stream's view type, `SequenceNumber`, `SizeBytes`,
//!   `StreamViewType`, `ApproximateCreationDateTime` in epoch seconds) plus `eventSourceARN`, the stream;
//! - records no filter of the mapping's `FilterCriteria` matches are skipped ([`super::filter`]); a batch that
//!   keeps none invokes nothing;
//! - success moves the shard on; a function error (error returned, crash, timeout) retries the same batch,
//!   in order, until it succeeds or `MaximumRetryAttempts` retries have failed (default -1: until the records
//!   expire), after which the batch is skipped and the daemon's log says so (an on-failure destination of the
//!   mapping is not sent).
//!
//! The streams API is moto's (the launcher's `awslambda.py` stops moto from invoking the function inside the
//! table's writes). Stopping is cooperative, between two polls.

use std::{sync::Weak, time::Duration};

use anyhow::Context;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::filter::Filters;
use crate::{Cloud, SharedCloud, lambda::Invocation, lambda::destinations::json_call};

/// How often an idle shard is read (Lambda: "polls shards in your DynamoDB stream for records at a base rate
/// of 4 times per second").
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// The pause after a batch the function failed, before the same batch is tried again.
const AFTER_FUNCTION_ERROR: Duration = Duration::from_secs(1);
/// The pause after a failing streams call (the table deleted, moto gone).
const AFTER_STREAMS_ERROR: Duration = Duration::from_secs(2);
const STREAMS_JSON: &str = "application/x-amz-json-1.0";

/// An enabled DynamoDB stream event source mapping, as ListEventSourceMappings reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamMapping {
    pub uuid: String,
    pub stream_arn: String,
    pub function_arn: String,
    pub batch_size: usize,
    /// `TRIM_HORIZON` or `LATEST`.
    pub starting_position: String,
    /// Retries of a failed batch; `None` (AWS's -1) retries until the records expire.
    pub maximum_retry_attempts: Option<u32>,
    /// The `Pattern`s of `FilterCriteria`.
    pub filters: Vec<String>,
    /// Settings of the mapping the local cloud does not emulate (reported when the poller starts).
    pub ignored: Vec<&'static str>,
}

/// Where the poller is in one shard.
struct Shard {
    id: String,
    /// The iterator of the next GetRecords; `None` until GetShardIterator answered.
    iterator: Option<String>,
    /// Failed attempts of the batch at `iterator`.
    failures: u32,
}

/// Reads the stream of `mapping` and invokes its function until `stop` turns true or the cloud is gone.
pub async fn run(cloud: Weak<Cloud>, mapping: StreamMapping, mut stop: watch::Receiver<bool>) {
    tracing::info!(mapping = %mapping.uuid, stream = %mapping.stream_arn, function = %mapping.function_arn, "DynamoDB stream poller started");
    super::report_ignored(&mapping.uuid, &mapping.ignored);
    let filters = match Filters::new(&mapping.filters) {
        Ok(filters) => filters,
        Err(err) => {
            tracing::error!(mapping = %mapping.uuid, "FilterCriteria: {err}; the mapping delivers nothing");
            return;
        }
    };
    let mut shards: Vec<Shard> = Vec::new();
    let mut failing = false;
    while !*stop.borrow() {
        let Some(cloud) = cloud.upgrade() else {
            break;
        };
        let pause = match poll(&cloud, &mapping, &filters, &mut shards).await {
            Ok(pause) => {
                if failing {
                    tracing::info!(mapping = %mapping.uuid, "DynamoDB stream poller: the stream answers again");
                }
                failing = false;
                pause
            }
            Err(err) => {
                if !failing {
                    tracing::warn!(mapping = %mapping.uuid, "DynamoDB stream poller: {err:#}; retrying");
                }
                failing = true;
                // The shards are listed and their iterators taken again.
                shards.clear();
                AFTER_STREAMS_ERROR
            }
        };
        drop(cloud);
        let stopped = tokio::select! {
            _ = tokio::time::sleep(pause) => *stop.borrow(),
            changed = stop.changed() => changed.is_err() || *stop.borrow(),
        };
        if stopped {
            break;
        }
    }
    tracing::info!(mapping = %mapping.uuid, "DynamoDB stream poller stopped");
}

/// One round over the shards; the pause before the next (none while records keep coming).
async fn poll(
    cloud: &SharedCloud,
    mapping: &StreamMapping,
    filters: &Filters,
    shards: &mut Vec<Shard>,
) -> anyhow::Result<Duration> {
    if shards.is_empty() {
        let described = streams(
            cloud,
            "DescribeStream",
            json!({ "StreamArn": mapping.stream_arn }),
        )
        .await?;
        *shards = described["StreamDescription"]["Shards"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["ShardId"].as_str())
            .map(|id| Shard {
                id: id.to_owned(),
                iterator: None,
                failures: 0,
            })
            .collect();
    }
    let mut pause = POLL_INTERVAL;
    for shard in shards.iter_mut() {
        let iterator = match &shard.iterator {
            Some(iterator) => iterator.clone(),
            None => {
                let answer = streams(
                    cloud,
                    "GetShardIterator",
                    json!({ "StreamArn": mapping.stream_arn, "ShardId": shard.id,
                            "ShardIteratorType": mapping.starting_position }),
                )
                .await?;
                let iterator = answer["ShardIterator"]
                    .as_str()
                    .context("GetShardIterator answered no ShardIterator")?
                    .to_owned();
                shard.iterator = Some(iterator.clone());
                iterator
            }
        };
        let answer = streams(
            cloud,
            "GetRecords",
            json!({ "ShardIterator": iterator, "Limit": mapping.batch_size.clamp(1, 1000) }),
        )
        .await?;
        let next = answer["NextShardIterator"].as_str().map(str::to_owned);
        let records = answer["Records"].as_array().cloned().unwrap_or_default();
        if records.is_empty() {
            if next.is_some() {
                shard.iterator = next;
            }
            continue;
        }
        // The event the function receives, its records filtered as the function would see them.
        let mut batch = event(&mapping.stream_arn, records);
        let count = match batch["Records"].as_array_mut() {
            Some(records) => {
                records.retain(|record| filters.keeps(record));
                records.len()
            }
            None => 0,
        };
        if count == 0 {
            shard.iterator = next;
            pause = Duration::ZERO;
            continue;
        }
        match deliver(cloud, mapping, &batch).await {
            None => {
                shard.iterator = next;
                shard.failures = 0;
                pause = Duration::ZERO;
            }
            Some(failure) => {
                shard.failures += 1;
                let retries = shard.failures - 1;
                if mapping
                    .maximum_retry_attempts
                    .is_some_and(|max| retries >= max)
                {
                    tracing::warn!(mapping = %mapping.uuid, "function {} failed on a batch of {count} record(s) from {} ({failure}); {retries} retries failed too (MaximumRetryAttempts): the batch is skipped", mapping.function_arn, mapping.stream_arn);
                    shard.iterator = next;
                    shard.failures = 0;
                } else {
                    tracing::warn!(mapping = %mapping.uuid, "function {} failed on a batch of {count} record(s) from {} ({failure}); retrying the same batch", mapping.function_arn, mapping.stream_arn);
                    pause = pause.max(AFTER_FUNCTION_ERROR);
                }
            }
        }
    }
    Ok(pause)
}

/// Invokes the function with the batch's event; the failure, if it failed.
async fn deliver(cloud: &Cloud, mapping: &StreamMapping, batch: &Value) -> Option<String> {
    let payload = Bytes::from(batch.to_string());
    match cloud.lambda.invoke(&mapping.function_arn, payload).await {
        Ok(Invocation::Ok(_)) => None,
        Ok(Invocation::FunctionError {
            error_type,
            payload,
        }) => Some(format!(
            "{error_type}: {}",
            String::from_utf8_lossy(&payload)
        )),
        Err(err) => Some(format!("{err:#}")),
    }
}

/// The event Lambda sends: GetRecords' records, each with the stream's ARN as `eventSourceARN`.
pub fn event(stream_arn: &str, records: Vec<Value>) -> Value {
    let records: Vec<Value> = records
        .into_iter()
        .map(|mut record| {
            if let Some(fields) = record.as_object_mut() {
                fields.insert("eventSourceARN".to_owned(), json!(stream_arn));
                // GetRecords' `userIdentity` (TTL deletions) is kept; an empty one is not.
                if fields.get("userIdentity").is_some_and(Value::is_null) {
                    fields.remove("userIdentity");
                }
            }
            record
        })
        .collect();
    json!({ "Records": records })
}

async fn streams(cloud: &SharedCloud, action: &str, body: Value) -> anyhow::Result<Value> {
    json_call(
        cloud,
        "dynamodb",
        STREAMS_JSON,
        &format!("DynamoDBStreams_20120810.{action}"),
        &body,
    )
    .await
    .with_context(|| action.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_record_names_its_stream() {
        let stream =
            "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000";
        let record = json!({"eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
                            "dynamodb": {"Keys": {"id": {"S": "a"}}}, "userIdentity": null});
        let event = event(stream, vec![record]);
        assert_eq!(event["Records"][0]["eventSourceARN"], stream);
        assert_eq!(event["Records"][0]["dynamodb"]["Keys"]["id"]["S"], "a");
        assert!(event["Records"][0].get("userIdentity").is_none(), "{event}");
    }
}
