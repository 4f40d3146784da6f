//! `handle` on AWS's sample DynamoDB stream event (tests/fixtures/dynamodb-stream-event.json: the INSERT,
//! MODIFY and REMOVE records of https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html).

use std::sync::Mutex;

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::Error;
use serde_json::json;

use super::{Bus, Change, handle};

/// Records the events it is given; refuses the ones whose detail-type is in `refusing`, or every call when
/// `down`.
#[derive(Default)]
struct Recorded {
    published: Mutex<Vec<Change>>,
    refusing: Vec<&'static str>,
    down: bool,
}

impl Bus for Recorded {
    async fn publish(&self, changes: &[Change]) -> Result<Vec<Option<String>>, Error> {
        if self.down {
            return Err("EventBridge unreachable".into());
        }
        let mut results = Vec::new();
        for change in changes {
            if self.refusing.contains(&change.detail_type) {
                results.push(Some("InternalFailure: try again".to_owned()));
            } else {
                self.published.lock().unwrap().push(Change {
                    detail_type: change.detail_type,
                    detail: change.detail.clone(),
                });
                results.push(None);
            }
        }
        Ok(results)
    }
}

fn sample() -> Event {
    serde_json::from_str(include_str!(
        "../../tests/fixtures/dynamodb-stream-event.json"
    ))
    .unwrap()
}

fn failures(response: &aws_lambda_events::streams::DynamoDbEventResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .filter_map(|f| f.item_identifier.as_deref())
        .collect()
}

#[tokio::test]
async fn inserts_updates_and_deletes_become_events_with_plain_json_images() {
    let bus = Recorded::default();
    let response = handle(&bus, sample()).await;
    assert!(failures(&response).is_empty());
    let published = bus.published.lock().unwrap();
    assert_eq!(
        *published,
        [
            Change {
                detail_type: "OrderCreated",
                detail: json!({
                    "keys": {"Id": 101},
                    "newImage": {"Id": 101, "Message": "New item!"},
                }),
            },
            Change {
                detail_type: "OrderUpdated",
                detail: json!({
                    "keys": {"Id": 101},
                    "newImage": {"Id": 101, "Message": "This item has changed"},
                    "oldImage": {"Id": 101, "Message": "New item!"},
                }),
            },
            Change {
                detail_type: "OrderDeleted",
                detail: json!({
                    "keys": {"Id": 101},
                    "oldImage": {"Id": 101, "Message": "This item has changed"},
                }),
            },
        ]
    );
}

#[tokio::test]
async fn a_refused_event_reports_its_record_and_nothing_after_it_is_lost() {
    let bus = Recorded {
        refusing: vec!["OrderUpdated"],
        ..Recorded::default()
    };
    let response = handle(&bus, sample()).await;
    // Lambda retries the shard from the MODIFY record (sequence number 222); the REMOVE after it, put in the same
    // call, will be put again.
    assert_eq!(failures(&response), ["222"]);
    let published: Vec<_> = bus
        .published
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.detail_type)
        .collect();
    assert_eq!(published, ["OrderCreated", "OrderDeleted"]);
}

#[tokio::test]
async fn a_failed_put_events_call_reports_the_first_record_of_the_batch() {
    let bus = Recorded {
        down: true,
        ..Recorded::default()
    };
    let response = handle(&bus, sample()).await;
    assert_eq!(failures(&response), ["111"]);
    assert!(bus.published.lock().unwrap().is_empty());
}

#[tokio::test]
async fn more_than_ten_records_are_put_in_chunks_of_ten() {
    let mut event = sample();
    let insert = event.records[0].clone();
    event.records = (0..23).map(|_| insert.clone()).collect();
    let bus = Recorded::default();
    let response = handle(&bus, event).await;
    assert!(failures(&response).is_empty());
    assert_eq!(bus.published.lock().unwrap().len(), 23);
}

#[tokio::test]
async fn a_record_not_understood_is_reported_and_the_ones_before_it_are_published() {
    let mut event = sample();
    event.records[1].event_name = "TRUNCATE".to_owned();
    let bus = Recorded::default();
    let response = handle(&bus, event).await;
    assert_eq!(failures(&response), ["222"]);
    let published: Vec<_> = bus
        .published
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.detail_type)
        .collect();
    assert_eq!(published, ["OrderCreated"]);
}
