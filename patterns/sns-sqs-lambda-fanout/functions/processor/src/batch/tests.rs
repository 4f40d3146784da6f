//! `handle` on an SQS event of the processing queue (tests/fixtures/sqs-event.json: AWS's sample SQS event of
//! https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html whose bodies are SNS notification envelopes as
//! https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html shows them: an event from the topic,
//! a replayed one, and one whose message is not an event).

use std::sync::Mutex;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::Error;

use super::handle;
use crate::{event::Delivery, store::Store};

/// Records the deliveries it stores; fails the events named in `failing`.
#[derive(Default)]
struct Recorded {
    stored: Mutex<Vec<Delivery>>,
    failing: Vec<&'static str>,
}

impl Store for Recorded {
    async fn record(&self, delivery: &Delivery) -> Result<(), Error> {
        if self.failing.contains(&delivery.event.id.as_str()) {
            return Err(format!("could not store {}", delivery.event.id).into());
        }
        self.stored.lock().unwrap().push(delivery.clone());
        Ok(())
    }
}

fn sample() -> SqsEvent {
    serde_json::from_str(include_str!("../../tests/fixtures/sqs-event.json")).unwrap()
}

fn failures(response: &SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

#[tokio::test]
async fn each_envelope_s_event_is_stored_with_its_sns_message_id_and_origin() {
    let store = Recorded::default();
    let response = handle(&store, sample()).await;
    let stored = store.stored.lock().unwrap();
    let got: Vec<_> = stored
        .iter()
        .map(|d| {
            (
                d.event.id.as_str(),
                d.event.kind.as_str(),
                d.message_id.as_str(),
                d.replayed,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "evt-1001",
                "order",
                "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                false
            ),
            (
                "evt-1002",
                "refund",
                "a1b2c3d4-0000-5cb9-9903-4c221d41eb5e",
                true
            ),
        ]
    );
    assert_eq!(
        failures(&response),
        ["5b9d3c1e-7f2a-4e8b-9c0d-1a2b3c4d5e6f"],
        "the message that is not an event is retried"
    );
}

#[tokio::test]
async fn an_event_that_cannot_be_stored_is_retried_alone() {
    let store = Recorded {
        failing: vec!["evt-1001"],
        ..Recorded::default()
    };
    let mut event = sample();
    event.records.pop();
    let response = handle(&store, event).await;
    assert_eq!(
        failures(&response),
        ["059f36b4-87a3-44ab-83d2-661975830a7d"]
    );
    assert_eq!(store.stored.lock().unwrap()[0].event.id, "evt-1002");
}

#[tokio::test]
async fn a_raw_message_without_its_envelope_is_refused() {
    let mut event = sample();
    event.records.truncate(1);
    event.records[0].body = Some(r#"{"id":"evt-1","type":"order"}"#.to_owned());
    let response = handle(&Recorded::default(), event).await;
    assert_eq!(
        failures(&response),
        ["059f36b4-87a3-44ab-83d2-661975830a7d"]
    );
}
