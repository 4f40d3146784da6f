//! The routes on real API Gateway HTTP API events (payload format 2.0): `tests/fixtures/` are AWS's example
//! events (as shipped with aws_lambda_events, from the API Gateway developer guide) set on this API's routes.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use serde_json::{Value, json};

fn fixture(name: &str) -> ApiGatewayV2httpRequest {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn body(r: &ApiGatewayV2httpResponse) -> Value {
    match &r.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

#[test]
fn hello_greets_the_decoded_path_parameter() {
    let r = messages_api::handle(&fixture("http-api-get-hello.json"));
    assert_eq!(r.status_code, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(body(&r), json!({"message": "Hello, Ada Lovelace!"}));
}

#[test]
fn a_signed_in_user_posts_a_message() {
    let r = messages_api::handle(&fixture("http-api-post-message.json"));
    assert_eq!(r.status_code, 201);
    let b = body(&r);
    assert_eq!(b["author"], "ada");
    assert_eq!(b["text"], "Hello from a signed-in user");
    assert!(b["receivedAt"].as_i64().unwrap() > 0);
}

#[test]
fn a_base64_body_is_decoded() {
    let mut e = fixture("http-api-post-message.json");
    e.body = Some("eyJ0ZXh0IjoiaGkifQ==".into()); // {"text":"hi"}
    e.is_base64_encoded = true;
    let r = messages_api::handle(&e);
    assert_eq!(
        (r.status_code, body(&r)["text"].clone()),
        (201, json!("hi"))
    );
}

#[test]
fn bad_messages_are_400s_naming_the_field() {
    for (text, field) in [
        ("{not json", "body"),
        (r#"{"nope": 1}"#, "body"),
        (r#"{"text": "   "}"#, "text"),
    ] {
        let mut e = fixture("http-api-post-message.json");
        e.body = Some(text.into());
        let r = messages_api::handle(&e);
        assert_eq!(
            (r.status_code, body(&r)["field"].clone()),
            (400, json!(field)),
            "{text}"
        );
    }
    let mut e = fixture("http-api-post-message.json");
    e.body = Some(json!({"text": "x".repeat(messages_api::MAX_TEXT + 1)}).to_string());
    assert_eq!(messages_api::handle(&e).status_code, 400);
}

#[test]
fn a_write_without_claims_is_refused() {
    let mut e = fixture("http-api-post-message.json");
    e.request_context.authorizer = None;
    assert_eq!(messages_api::handle(&e).status_code, 401);
}

#[test]
fn the_default_route_is_a_json_404_naming_the_path() {
    let r = messages_api::handle(&fixture("http-api-default.json"));
    assert_eq!(r.status_code, 404);
    assert_eq!(
        body(&r),
        json!({"error": "no such route", "method": "GET", "path": "/"})
    );
}
