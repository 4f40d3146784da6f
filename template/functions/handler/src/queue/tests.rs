//! Tests for the SQS handler, driven by a real SQS event (`tests/fixtures/sqs-event.json`): a batch of two
//! messages, one carrying an item and one that does not.

use std::sync::Mutex;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::Error;

use super::handle;
use crate::record::{Item, Recorder};

const EVENT: &str = include_str!("../../tests/fixtures/sqs-event.json");

/// Remembers the ids it was given; fails for the ids listed in `failing`.
#[derive(Default)]
struct Recorded {
    ids: Mutex<Vec<String>>,
    failing: Vec<&'static str>,
}

impl Recorder for Recorded {
    async fn record(&self, item: &Item) -> Result<(), Error> {
        if self.failing.contains(&item.id.as_str()) {
            return Err("the store is unavailable".into());
        }
        self.ids.lock().unwrap().push(item.id.clone());
        Ok(())
    }
}

fn event() -> SqsEvent {
    serde_json::from_str(EVENT).expect("the fixture is an SQS event")
}

fn failures(response: &aws_lambda_events::sqs::SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.as_str())
        .collect()
}

#[tokio::test]
async fn records_the_item_and_reports_the_message_that_is_not_one() {
    let recorder = Recorded::default();
    let response = handle(&recorder, event()).await.unwrap();
    assert_eq!(*recorder.ids.lock().unwrap(), ["order-1001"]);
    assert_eq!(
        failures(&response),
        ["5b9d3c1e-7f2a-4e8b-9c0d-1a2b3c4d5e6f"]
    );
}

#[tokio::test]
async fn a_message_whose_item_cannot_be_recorded_is_retried() {
    let recorder = Recorded {
        failing: vec!["order-1001"],
        ..Recorded::default()
    };
    let response = handle(&recorder, event()).await.unwrap();
    assert!(recorder.ids.lock().unwrap().is_empty());
    assert_eq!(
        failures(&response),
        [
            "059f36b4-87a3-44ab-83d2-661975830a7d",
            "5b9d3c1e-7f2a-4e8b-9c0d-1a2b3c4d5e6f"
        ]
    );
}

#[tokio::test]
async fn an_empty_batch_has_no_failures() {
    let response = handle(&Recorded::default(), SqsEvent::default())
        .await
        .unwrap();
    assert!(response.batch_item_failures.is_empty());
}
