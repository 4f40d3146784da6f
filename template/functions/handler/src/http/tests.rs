//! Tests for the HTTP handler, driven by a real {% if trigger == "alb" %}ALB target group{% else %}API Gateway REST proxy{% endif %} event
//! (`tests/fixtures/{{fixture}}`), adjusted where {% if trigger == "alb" %}the ALB{% else %}API Gateway{% endif %} puts the method, path and body.

use std::sync::Mutex;

use lambda_http::{
    Error,
    http::{StatusCode, header},
};
use serde_json::{Value, json};

use super::handle;
use crate::record::{Item, Recorder};

const EVENT: &str = include_str!("../../tests/fixtures/{{fixture}}");

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

/// The fixture with another method, path or body.
fn event(method: &str, path: &str, body: &str) -> Value {
    let mut event: Value = serde_json::from_str(EVENT).expect("the fixture is JSON");
    event["httpMethod"] = json!(method);
    event["path"] = json!(path);
    event["body"] = json!(body);
{%- if trigger == "rest-api" %}
    event["requestContext"]["httpMethod"] = json!(method);
    event["requestContext"]["path"] = json!(format!("/prod{path}"));
{%- endif %}
    event
}

/// Decodes the event as the runtime does, handles it, and returns the status and the JSON body.
async fn send(recorder: &Recorded, event: Value) -> (StatusCode, Value) {
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("lambda_http accepts the event");
    let response = handle(recorder, &request).await;
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/json",
        "every answer is JSON"
    );
    let body = serde_json::from_slice(response.body()).expect("the body is JSON");
    (response.status(), body)
}

#[tokio::test]
async fn the_fixture_is_processed_and_recorded() {
    let recorder = Recorded::default();
    let event = serde_json::from_str(EVENT).unwrap();
    let (status, body) = send(&recorder, event).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "id": "order-1001", "status": "processed" }));
    assert_eq!(*recorder.ids.lock().unwrap(), ["order-1001"]);
}

#[tokio::test]
async fn a_body_without_an_id_is_a_400_and_records_nothing() {
    let recorder = Recorded::default();
    for body in [r#"{"name":"no id"}"#, r#"{"id":""}"#, "{not json"] {
        let (status, answer) = send(&recorder, event("POST", "/items", body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    assert!(recorder.ids.lock().unwrap().is_empty());
}

#[tokio::test]
async fn other_methods_and_paths_are_refused() {
    let recorder = Recorded::default();
    let (status, _) = send(&recorder, event("GET", "/items", "")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = send(&recorder, event("POST", "/other", r#"{"id":"x"}"#)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(recorder.ids.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failure_to_record_is_a_500() {
    let recorder = Recorded {
        failing: true,
        ..Recorded::default()
    };
    let (status, body) = send(&recorder, event("POST", "/items", r#"{"id":"x"}"#)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"], "the item could not be recorded");
}
