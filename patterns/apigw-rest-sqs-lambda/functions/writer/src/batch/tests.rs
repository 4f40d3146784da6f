//! `handle` on AWS's sample SQS event (tests/fixtures/sqs-event.json: the event of
//! https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html with two order bodies and one that is not an order).

use std::sync::Mutex;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::Error;

use super::handle;
use crate::store::{Order, Store};

/// Records the orders it stores with their message ids; fails the ones named in `failing`.
#[derive(Default)]
struct Recorded {
    processed: Mutex<Vec<(String, String)>>,
    failing: Vec<&'static str>,
}

impl Store for Recorded {
    async fn put(&self, order: &Order, message_id: &str) -> Result<(), Error> {
        if self.failing.contains(&order.id.as_str()) {
            return Err(format!("could not store {}", order.id).into());
        }
        let stored = (order.id.clone(), message_id.to_owned());
        self.processed.lock().unwrap().push(stored);
        Ok(())
    }
}

fn ids(store: &Recorded) -> Vec<String> {
    store
        .processed
        .lock()
        .unwrap()
        .iter()
        .map(|(id, _)| id.clone())
        .collect()
}

fn sample() -> SqsEvent {
    serde_json::from_str(include_str!("../../tests/fixtures/sqs-event.json")).unwrap()
}

fn failures(response: &aws_lambda_events::sqs::SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

#[tokio::test]
async fn orders_are_stored_with_their_message_ids_and_a_non_order_is_the_only_failure() {
    let store = Recorded::default();
    let response = handle(&store, sample()).await;
    assert_eq!(
        failures(&response),
        ["2e1424d4-f796-459a-8184-9c92662be6da"]
    );
    assert_eq!(
        *store.processed.lock().unwrap(),
        [
            (
                "order-1001".to_owned(),
                "059f36b4-87a3-44ab-83d2-661975830a7d".to_owned()
            ),
            (
                "order-1002".to_owned(),
                "5b9d3c1e-7f2a-4e8b-9c0d-1a2b3c4d5e6f".to_owned()
            )
        ]
    );
}

#[tokio::test]
async fn an_order_that_cannot_be_stored_is_retried_too() {
    let store = Recorded {
        failing: vec!["order-1002"],
        ..Recorded::default()
    };
    let response = handle(&store, sample()).await;
    assert_eq!(
        failures(&response),
        [
            "2e1424d4-f796-459a-8184-9c92662be6da",
            "5b9d3c1e-7f2a-4e8b-9c0d-1a2b3c4d5e6f"
        ]
    );
    assert_eq!(ids(&store), ["order-1001"]);
}

#[tokio::test]
async fn a_clean_batch_reports_no_failure_as_lambda_expects() {
    let mut event = sample();
    event.records.remove(1);
    let response = handle(&Recorded::default(), event).await;
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        serde_json::json!({"batchItemFailures": []})
    );
}
