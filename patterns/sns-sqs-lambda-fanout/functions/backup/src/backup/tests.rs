//! `handle` on an SQS event of the backup queue (tests/fixtures/sqs-event.json: AWS's sample SQS event of
//! https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html whose bodies are SNS notification envelopes as
//! https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html shows them).

use std::sync::Mutex;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::Error;

use super::handle;
use crate::bucket::Archive;

/// Records the objects it is given; fails the keys named in `failing`.
#[derive(Default)]
struct Recorded {
    objects: Mutex<Vec<(String, String)>>,
    failing: Vec<&'static str>,
}

impl Archive for Recorded {
    async fn put(&self, key: &str, body: &str) -> Result<(), Error> {
        if self.failing.contains(&key) {
            return Err(format!("could not write {key}").into());
        }
        self.objects
            .lock()
            .unwrap()
            .push((key.to_owned(), body.to_owned()));
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
async fn every_message_is_kept_as_published_under_its_event_id_or_message_id() {
    let archive = Recorded::default();
    let response = handle(&archive, sample()).await;
    assert_eq!(failures(&response), Vec::<&str>::new());
    let objects = archive.objects.lock().unwrap();
    let keys: Vec<_> = objects.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "events/evt-1001.json",
            "events/evt-1002.json",
            "events/c0ffee00-0000-5cb9-9903-4c221d41eb5e.json"
        ]
    );
    let first: serde_json::Value = serde_json::from_str(&objects[0].1).unwrap();
    assert_eq!(
        first,
        serde_json::json!({"id": "evt-1001", "type": "order", "total": 150}),
        "the message itself, without its envelope"
    );
    assert_eq!(objects[2].1, "not an event");
}

#[tokio::test]
async fn an_object_that_cannot_be_written_is_retried_alone() {
    let archive = Recorded {
        failing: vec!["events/evt-1002.json"],
        ..Recorded::default()
    };
    let response = handle(&archive, sample()).await;
    assert_eq!(
        failures(&response),
        ["2e1424d4-f796-459a-8184-9c92662be6da"]
    );
    assert_eq!(archive.objects.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_id_that_is_no_safe_key_falls_back_to_the_message_id() {
    let mut event = sample();
    event.records.truncate(1);
    let body = event.records[0].body.take().unwrap();
    event.records[0].body = Some(body.replace("evt-1001", "../x"));
    let archive = Recorded::default();
    handle(&archive, event).await;
    assert_eq!(
        archive.objects.lock().unwrap()[0].0,
        "events/95df01b4-ee98-5cb9-9903-4c221d41eb5e.json"
    );
}
