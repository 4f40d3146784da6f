//! `handle` against an in-memory pair of queues whose replay queue holds what ReceiveMessage returned on a replay
//! queue subscribed to the topic (tests/fixtures/receive-message.json: SNS notification envelopes as bodies).

use std::{collections::VecDeque, sync::Mutex};

use lambda_runtime::Error;
use serde_json::Value;

use super::{Replayed, Request, handle};
use crate::queues::{Queues, Retained};

/// The replay queue's messages (received ones stay until deleted) and what was sent to the processing queue.
struct Memory {
    retained: Mutex<VecDeque<Retained>>,
    in_flight: Mutex<Vec<Retained>>,
    forwarded: Mutex<Vec<String>>,
    fail_forward: bool,
}

impl Memory {
    fn sample() -> Memory {
        let received: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/receive-message.json"))
                .unwrap();
        let retained = received["Messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| Retained {
                receipt_handle: m["ReceiptHandle"].as_str().unwrap().to_owned(),
                body: m["Body"].as_str().unwrap().to_owned(),
            })
            .collect();
        Memory {
            retained: Mutex::new(retained),
            in_flight: Mutex::default(),
            forwarded: Mutex::default(),
            fail_forward: false,
        }
    }
}

impl Queues for Memory {
    async fn receive(&self, max: u32) -> Result<Vec<Retained>, Error> {
        let mut retained = self.retained.lock().unwrap();
        let n = (max as usize).min(retained.len());
        let batch: Vec<_> = retained.drain(..n).collect();
        self.in_flight.lock().unwrap().extend(batch.clone());
        Ok(batch)
    }

    async fn forward(&self, body: &str) -> Result<(), Error> {
        if self.fail_forward {
            return Err("SendMessage refused".into());
        }
        self.forwarded.lock().unwrap().push(body.to_owned());
        Ok(())
    }

    async fn delete(&self, receipt_handle: &str) -> Result<(), Error> {
        self.in_flight
            .lock()
            .unwrap()
            .retain(|m| m.receipt_handle != receipt_handle);
        Ok(())
    }
}

fn messages(bodies: &[String]) -> Vec<String> {
    bodies
        .iter()
        .map(|b| {
            serde_json::from_str::<Value>(b).unwrap()["Message"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn every_retained_envelope_moves_to_the_processing_queue_unchanged() {
    let queues = Memory::sample();
    let request: Request = serde_json::from_str("{}").unwrap();
    assert_eq!(
        handle(&queues, request).await.unwrap(),
        Replayed { replayed: 2 }
    );
    let forwarded = queues.forwarded.lock().unwrap();
    assert_eq!(
        messages(&forwarded),
        [
            r#"{"id" : "evt-1001", "type" : "order", "total" : 150}"#,
            r#"{"id" : "evt-1002", "type" : "refund"}"#
        ]
    );
    assert!(queues.retained.lock().unwrap().is_empty());
    assert!(
        queues.in_flight.lock().unwrap().is_empty(),
        "each is deleted once sent"
    );
}

#[tokio::test]
async fn max_messages_bounds_one_request() {
    let queues = Memory::sample();
    let request: Request = serde_json::from_str(r#"{"max_messages": 1}"#).unwrap();
    assert_eq!(
        handle(&queues, request).await.unwrap(),
        Replayed { replayed: 1 }
    );
    assert_eq!(
        queues.retained.lock().unwrap().len(),
        1,
        "the other one stays"
    );
    assert_eq!(
        serde_json::to_value(Replayed { replayed: 1 }).unwrap(),
        serde_json::json!({"replayed": 1})
    );
}

#[tokio::test]
async fn a_message_that_could_not_be_sent_is_not_deleted() {
    let queues = Memory {
        fail_forward: true,
        ..Memory::sample()
    };
    assert!(handle(&queues, Request::default()).await.is_err());
    assert_eq!(
        queues.in_flight.lock().unwrap().len(),
        2,
        "still in the replay queue, visible again after its visibility timeout"
    );
}
