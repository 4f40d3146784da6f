//! Fidelity of DynamoDB stream event source mappings, run by our Lambda service against a real moto: a table
//! with a `NEW_AND_OLD_IMAGES` stream, `fidelity-fn` in its `sqs` mode (which appends each event it receives
//! to a file and succeeds on records without a body), mappings; what AWS does
//! (<https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html>, its example event;
//! <https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html>):
//!
//! - an insert, a modify and a remove arrive in order as records `INSERT`, `MODIFY`, `REMOVE` with `Keys`,
//!   `NewImage`/`OldImage`, `StreamViewType`, `SequenceNumber`, `eventSource` `aws:dynamodb` and the stream as
//!   `eventSourceARN`, at most `BatchSize` per batch;
//! - `StartingPosition: TRIM_HORIZON` reads what was written before the mapping existed, `LATEST` does not;
//! - `FilterCriteria`: only the records a filter matches reach the function
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html>);
//! - a disabled mapping delivers nothing (the parameters page: `Enabled`); enabling it delivers.

use std::{path::Path, time::Duration};

use aws_sdk_lambda::types::EventSourcePosition;
use serde_json::{Value, json};

use crate::support::{
    Cases,
    cloud::{LocalCloud, state_changed},
    functions::{create_role, fidelity_zip},
    moto::json_api,
    sqs::{Ctx, events},
};

/// A grace period during which nothing may arrive (the poller reads each shard four times a second).
const QUIET: Duration = Duration::from_secs(3);

async fn ddb(url: &str, action: &str, body: Value) -> Value {
    json_api(
        url,
        "dynamodb",
        &format!("DynamoDB_20120810.{action}"),
        body,
    )
    .await
}

/// A table `name` (partition key `id`) with a NEW_AND_OLD_IMAGES stream: its stream's ARN.
async fn table(url: &str, name: &str) -> String {
    let created = ddb(
        url,
        "CreateTable",
        json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
               "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
               "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
               "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
    )
    .await;
    created["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn put(url: &str, table: &str, id: &str, n: u32) {
    ddb(
        url,
        "PutItem",
        json!({"TableName": table, "Item": {"id": {"S": id}, "n": {"N": n.to_string()}}}),
    )
    .await;
}

/// The records of every batch the function got so far: one Vec per batch.
fn batches(file: &Path) -> Vec<Vec<Value>> {
    events(file)
        .into_iter()
        .map(|e| e["Records"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Waits until the function got `n` records in all; the batches.
async fn wait_records(file: &Path, n: usize, within: Duration) -> Vec<Vec<Value>> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = batches(file);
        if got.iter().map(Vec::len).sum::<usize>() >= n || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_stream_mappings_behave_as_aws_pollers() {
    let zip = fidelity_zip();
    let local = LocalCloud::start("lc-ddb-streams").await;
    create_role(&local.url).await;
    let dir = local.state_dir.join("events");
    std::fs::create_dir_all(&dir).unwrap();
    let url = local.url.clone();
    let mut cases = Cases::new(Ctx {
        cloud: local.cloud.clone(),
        aws: local.aws.clone(),
        zip,
        dir,
    });

    let u = url.clone();
    cases
        .case(
            "insert, modify and remove arrive in order, shaped as AWS's records, at most BatchSize a batch",
            |c| async move {
                let stream = table(&u, "orders").await;
                put(&u, "orders", "a", 1).await;
                put(&u, "orders", "a", 2).await;
                ddb(&u, "DeleteItem", json!({"TableName": "orders", "Key": {"id": {"S": "a"}}})).await;
                let (function, file) = c.function("orders-fn").await;
                c.map(&function, &stream, |m| {
                    m.starting_position(EventSourcePosition::TrimHorizon).batch_size(2)
                })
                .await;

                let got = wait_records(&file, 3, Duration::from_secs(20)).await;
                let sizes: Vec<usize> = got.iter().map(Vec::len).collect();
                assert_eq!(sizes, [2, 1], "{got:?}");
                let records: Vec<&Value> = got.iter().flatten().collect();
                let names: Vec<&str> = records.iter().map(|r| r["eventName"].as_str().unwrap()).collect();
                assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"]);
                for r in &records {
                    assert_eq!(r["eventSource"], "aws:dynamodb", "{r}");
                    assert_eq!(r["eventSourceARN"], stream.as_str(), "{r}");
                    assert_eq!(r["eventVersion"], "1.0", "{r}");
                    assert_eq!(r["awsRegion"], "us-east-1", "{r}");
                    assert_eq!(r["dynamodb"]["Keys"], json!({"id": {"S": "a"}}), "{r}");
                    assert_eq!(r["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES", "{r}");
                    assert!(r["dynamodb"]["SequenceNumber"].is_string(), "{r}");
                    assert!(r["dynamodb"]["ApproximateCreationDateTime"].is_number(), "{r}");
                }
                let (insert, modify, remove) = (&records[0]["dynamodb"], &records[1]["dynamodb"], &records[2]["dynamodb"]);
                assert_eq!(insert["NewImage"], json!({"id": {"S": "a"}, "n": {"N": "1"}}));
                assert!(insert.get("OldImage").is_none(), "{insert}");
                assert_eq!(modify["OldImage"], json!({"id": {"S": "a"}, "n": {"N": "1"}}));
                assert_eq!(modify["NewImage"], json!({"id": {"S": "a"}, "n": {"N": "2"}}));
                assert_eq!(remove["OldImage"], json!({"id": {"S": "a"}, "n": {"N": "2"}}));
                assert!(remove.get("NewImage").is_none(), "{remove}");
                tokio::time::sleep(QUIET).await;
                assert_eq!(batches(&file).len(), 2, "a batch was delivered twice");
            },
        )
        .await;

    let u = url.clone();
    cases
        .case(
            "LATEST skips what was written before the mapping; TRIM_HORIZON does not",
            |c| async move {
                let stream = table(&u, "latest").await;
                put(&u, "latest", "before", 1).await;
                let (function, file) = c.function("latest-fn").await;
                c.map(&function, &stream, |m| {
                    m.starting_position(EventSourcePosition::Latest)
                })
                .await;
                // The poller takes its iterator within a poll: give it that, then write.
                tokio::time::sleep(Duration::from_secs(1)).await;
                put(&u, "latest", "after", 1).await;
                let got = wait_records(&file, 1, Duration::from_secs(20)).await;
                let ids: Vec<&str> = got
                    .iter()
                    .flatten()
                    .map(|r| r["dynamodb"]["Keys"]["id"]["S"].as_str().unwrap())
                    .collect();
                assert_eq!(ids, ["after"], "{got:?}");
            },
        )
        .await;

    let u = url.clone();
    cases
        .case(
            "FilterCriteria: only the records a filter matches reach the function",
            |c| async move {
                // A filter on `eventName` and the table key, as documented (a key value, here by prefix); records no
                // filter matches are discarded (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html).
                // (DynamoDB numbers are strings in the record, so a `numeric` filter does not apply to them.)
                let stream = table(&u, "filtered").await;
                let (function, file) = c.function("filtered-fn").await;
                c.map(&function, &stream, |m| {
                    m.starting_position(EventSourcePosition::TrimHorizon)
                        .filter_criteria(
                            aws_sdk_lambda::types::FilterCriteria::builder()
                                .filters(
                                    aws_sdk_lambda::types::Filter::builder()
                                        .pattern(r#"{"eventName":["INSERT"],"dynamodb":{"Keys":{"id":{"S":[{"prefix":"keep"}]}}}}"#)
                                        .build(),
                                )
                                .build(),
                        )
                })
                .await;
                put(&u, "filtered", "drop-1", 1).await;
                put(&u, "filtered", "keep-1", 1).await;
                put(&u, "filtered", "keep-1", 2).await; // a MODIFY: not an INSERT
                put(&u, "filtered", "keep-2", 1).await;
                let got = wait_records(&file, 2, Duration::from_secs(20)).await;
                tokio::time::sleep(QUIET).await;
                let got_now = batches(&file);
                let ids: Vec<&str> = got_now
                    .iter()
                    .flatten()
                    .map(|r| r["dynamodb"]["Keys"]["id"]["S"].as_str().unwrap())
                    .collect();
                assert_eq!(ids, ["keep-1", "keep-2"], "{got:?}");
            },
        )
        .await;

    let u = url.clone();
    cases
        .case(
            "a disabled mapping delivers nothing; enabling it delivers",
            |c| async move {
                let stream = table(&u, "disabled").await;
                let (function, file) = c.function("disabled-fn").await;
                let uuid = c
                    .map(&function, &stream, |m| {
                        m.starting_position(EventSourcePosition::TrimHorizon)
                            .enabled(false)
                    })
                    .await;
                put(&u, "disabled", "x", 1).await;
                tokio::time::sleep(QUIET).await;
                assert!(batches(&file).is_empty(), "{:?}", batches(&file));
                c.aws
                    .lambda
                    .update_event_source_mapping()
                    .uuid(&uuid)
                    .enabled(true)
                    .send()
                    .await
                    .unwrap();
                state_changed(&c.cloud);
                let got = wait_records(&file, 1, Duration::from_secs(20)).await;
                assert_eq!(got.iter().flatten().count(), 1, "{got:?}");
            },
        )
        .await;

    let clean = cases.all_passed();
    local.stop(clean).await;
    cases.finish();
}
