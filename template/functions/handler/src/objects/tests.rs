//! Tests for the S3 handler, driven by a real S3 event notification (`tests/fixtures/s3-event.json`).

use std::sync::Mutex;

use aws_lambda_events::s3::S3Event;
use lambda_runtime::Error;

use super::{decode_key, handle};
use crate::record::{Item, Recorder};

const EVENT: &str = include_str!("../../tests/fixtures/s3-event.json");

/// Remembers the ids it was given; fails every time when `failing`.
#[derive(Default)]
struct Recorded {
    ids: Mutex<Vec<String>>,
    failing: bool,
}

impl Recorder for Recorded {
    async fn record(&self, item: &Item) -> Result<(), Error> {
        if self.failing {
            return Err("the store is unavailable".into());
        }
        self.ids.lock().unwrap().push(item.id.clone());
        Ok(())
    }
}

fn event() -> S3Event {
    serde_json::from_str(EVENT).expect("the fixture is an S3 event")
}

#[tokio::test]
async fn the_decoded_object_key_is_recorded() {
    let recorder = Recorded::default();
    handle(&recorder, event()).await.unwrap();
    assert_eq!(*recorder.ids.lock().unwrap(), ["incoming/order 1001.json"]);
}

#[tokio::test]
async fn a_failure_to_record_fails_the_invocation() {
    let recorder = Recorded {
        failing: true,
        ..Recorded::default()
    };
    assert!(handle(&recorder, event()).await.is_err());
}

#[test]
fn keys_are_decoded_like_a_form() {
    assert_eq!(
        decode_key("incoming/a+b%2Bc%C3%A9.json").unwrap(),
        "incoming/a b+cé.json"
    );
    assert!(decode_key("incoming/%FF.json").is_err());
}
