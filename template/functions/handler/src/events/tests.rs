//! Tests for the EventBridge handler, driven by a real event (`tests/fixtures/eventbridge-event.json`), as the
//! rule delivers it to the function.

use std::sync::Mutex;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::Error;
use serde_json::json;

use super::handle;
use crate::record::{Item, Recorder};

const EVENT: &str = include_str!("../../tests/fixtures/eventbridge-event.json");

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

fn event() -> EventBridgeEvent {
    serde_json::from_str(EVENT).expect("the fixture is an EventBridge event")
}

#[tokio::test]
async fn the_item_in_the_detail_is_recorded() {
    let recorder = Recorded::default();
    let event = event();
    assert_eq!(event.source, "{{project-name}}");
    assert_eq!(event.detail_type, "ItemCreated");
    handle(&recorder, event).await.unwrap();
    assert_eq!(*recorder.ids.lock().unwrap(), ["order-1001"]);
}

#[tokio::test]
async fn a_detail_without_an_id_is_an_error_and_records_nothing() {
    let recorder = Recorded::default();
    for detail in [
        json!({ "name": "no id" }),
        json!({ "id": "" }),
        json!("text"),
    ] {
        let mut event = event();
        event.detail = detail.clone();
        assert!(handle(&recorder, event).await.is_err(), "{detail}");
    }
    assert!(recorder.ids.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failure_to_record_is_an_error_so_lambda_retries() {
    let recorder = Recorded {
        failing: true,
        ..Recorded::default()
    };
    assert!(handle(&recorder, event()).await.is_err());
}
