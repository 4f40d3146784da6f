//! `handle` on AWS's sample SQS event (tests/fixtures/sqs-event.json: the event of
//! https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html with order bodies and one poison message).

use std::sync::Mutex;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::Error;

use super::handle;
use crate::store::{Order, Store};

/// Records the orders it processes; fails the ones named in `failing`.
#[derive(Default)]
struct Recorded {
    processed: Mutex<Vec<String>>,
    failing: Vec<&'static str>,
}

impl Store for Recorded {
    async fn process(&self, order: &Order) -> Result<(), Error> {
        if self.failing.contains(&order.id.as_str()) {
            return Err(format!("could not store {}", order.id).into());
        }
        self.processed.lock().unwrap().push(order.id.clone());
        Ok(())
    }
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
async fn a_poison_message_is_the_only_batch_item_failure() {
    let store = Recorded::default();
    let response = handle(&store, sample()).await;
    assert_eq!(
        failures(&response),
        ["2e1424d4-f796-459a-8184-9c92662be6da"]
    );
    assert_eq!(
        *store.processed.lock().unwrap(),
        ["order-1001", "order-1002"]
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
    assert_eq!(*store.processed.lock().unwrap(), ["order-1001"]);
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
