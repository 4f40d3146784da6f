//! Tests for the router, driven by real ALB and API Gateway REST event JSON (`tests/fixtures/`).
//!
//! Each test loads a fixture, optionally changes the method, path, query or body the way AWS would send them, decodes it with
//! lambda_http exactly as the runtime does, and checks the status, headers and JSON body of the response.

use lambda_http::http::{StatusCode, header};
use serde_json::{Value, json};

use super::handle;

const ALB_GET_HELLO: &str = include_str!("../../tests/fixtures/alb-get-hello.json");
const ALB_POST_ECHO: &str = include_str!("../../tests/fixtures/alb-post-echo.json");
const ALB_POST_ECHO_BASE64: &str = include_str!("../../tests/fixtures/alb-post-echo-base64.json");
const APIGW_REST_GET_HELLO: &str = include_str!("../../tests/fixtures/apigw-rest-get-hello.json");
const APIGW_REST_POST_ECHO: &str = include_str!("../../tests/fixtures/apigw-rest-post-echo.json");

/// The target group ARN in the ALB fixtures.
const TARGET_GROUP_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/pvt-alb-rust-fn/6d0ecf831eec9f09";

/// An event fixture being adjusted before it is sent to the handler.
struct Event(Value);

impl Event {
    fn fixture(text: &str) -> Event {
        Event(serde_json::from_str(text).expect("fixture is valid JSON"))
    }

    fn is_api_gateway(&self) -> bool {
        self.0["requestContext"]["elb"].is_null()
    }

    /// Sets the method and path where AWS puts them for this kind of event.
    fn at(mut self, method: &str, path: &str) -> Event {
        self.0["httpMethod"] = json!(method);
        self.0["path"] = json!(path);
        if self.is_api_gateway() {
            let stage = self.0["requestContext"]["stage"]
                .as_str()
                .expect("stage")
                .to_owned();
            self.0["requestContext"]["httpMethod"] = json!(method);
            self.0["requestContext"]["path"] = json!(format!("/{stage}{path}"));
            self.0["pathParameters"] = json!({ "proxy": path.trim_start_matches('/') });
        }
        self
    }

    /// Sets the query string parameters (ALB sends `{}` and API Gateway `null` when there are none).
    fn query(mut self, query: Value) -> Event {
        if self.is_api_gateway() {
            let multi = query.as_object().map(|map| {
                map.iter()
                    .map(|(key, value)| (key.clone(), json!([value])))
                    .collect::<serde_json::Map<_, _>>()
            });
            self.0["multiValueQueryStringParameters"] = json!(multi);
        }
        self.0["queryStringParameters"] = query;
        self
    }

    fn body(mut self, body: &str) -> Event {
        self.0["body"] = json!(body);
        self.0["isBase64Encoded"] = json!(false);
        self
    }

    /// Decodes the event as the runtime does, handles it, and returns the status and the parsed JSON body.
    fn send(self) -> (StatusCode, Value) {
        let request = lambda_http::request::from_str(&self.0.to_string())
            .expect("lambda_http accepts the event");
        let response = handle(&request);
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap()),
            Some("application/json"),
            "every response is JSON"
        );
        let body: Value = serde_json::from_slice(response.body()).expect("response body is JSON");
        (response.status(), body)
    }
}

fn alb() -> Event {
    Event::fixture(ALB_GET_HELLO)
}

fn rest() -> Event {
    Event::fixture(APIGW_REST_GET_HELLO)
}

/// Asserts a 400 whose error message contains `needle`.
fn assert_bad_request((status, body): (StatusCode, Value), needle: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = body["error"].as_str().expect("an `error` string");
    assert!(
        error.contains(needle),
        "error {error:?} should mention {needle:?}"
    );
    assert_eq!(body["source"], "alb");
}

#[test]
fn hello_greets_the_name_and_reports_the_alb_as_source() {
    let (status, body) = alb().send();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "message": "Hello, x!", "source": "alb", "targetGroupArn": TARGET_GROUP_ARN })
    );
}

#[test]
fn hello_without_a_name_greets_the_world() {
    let (status, body) = alb().query(json!({})).send();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["message"], "Hello, world!");

    let (_, body) = alb().query(json!({ "name": "" })).send();
    assert_eq!(
        body["message"], "Hello, world!",
        "an empty name counts as none"
    );
}

#[test]
fn hello_decodes_the_query_string_the_alb_passes_through_encoded() {
    // ALB hands query values to Lambda exactly as the client encoded them.
    let (_, body) = alb().query(json!({ "name": "J%C3%BCrgen%20K" })).send();
    assert_eq!(body["message"], "Hello, Jürgen K!");
}

#[test]
fn items_returns_the_item_for_a_valid_id() {
    let (status, body) = alb().at("GET", "/items/abc-1_Z").query(json!({})).send();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "id": "abc-1_Z", "name": "item-abc-1_Z", "source": "alb", "targetGroupArn": TARGET_GROUP_ARN })
    );

    let longest = "a".repeat(64);
    let (status, body) = alb().at("GET", &format!("/items/{longest}")).send();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], longest.as_str());
}

#[test]
fn items_rejects_a_bad_id_with_400() {
    for id in ["a.b", "a%20b", "a/b", &"a".repeat(65)] {
        assert_bad_request(alb().at("GET", &format!("/items/{id}")).send(), id);
    }
    assert_bad_request(alb().at("GET", "/items/").send(), "1 to 64 characters");
}

#[test]
fn echo_returns_the_parsed_json_body() {
    let (status, body) = Event::fixture(ALB_POST_ECHO).send();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "echo": { "n": 1, "tags": ["a", "b"] }, "source": "alb", "targetGroupArn": TARGET_GROUP_ARN })
    );
}

#[test]
fn echo_accepts_a_body_the_alb_base64_encoded() {
    let (status, body) = Event::fixture(ALB_POST_ECHO_BASE64).send();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["echo"], json!({ "n": 1, "tags": ["a", "b"] }));
}

#[test]
fn echo_rejects_invalid_json_with_400_naming_the_problem() {
    let response = Event::fixture(ALB_POST_ECHO).body("{not json").send();
    assert_bad_request(
        response,
        "request body is not valid JSON: key must be a string at line 1 column 2",
    );
    assert_bad_request(
        Event::fixture(ALB_POST_ECHO).body("").send(),
        "body is empty",
    );
}

#[test]
fn an_unknown_path_is_a_json_404() {
    for path in ["/nope", "/", "/items", "/hello/extra"] {
        let (status, body) = alb().at("GET", path).send();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            body,
            json!({ "error": "not found", "path": path, "source": "alb", "targetGroupArn": TARGET_GROUP_ARN })
        );
    }
}

#[test]
fn a_wrong_method_on_a_known_path_is_a_json_405_with_allow() {
    for (method, path, allowed) in [
        ("POST", "/hello", "GET"),
        ("GET", "/echo", "POST"),
        ("DELETE", "/items/7", "GET"),
    ] {
        let request =
            lambda_http::request::from_str(&alb().at(method, path).0.to_string()).unwrap();
        let response = handle(&request);
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(response.headers()[header::ALLOW], allowed);
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            body["error"],
            format!("method {method} is not allowed on {path}; use {allowed}")
        );
        assert_eq!(body["source"], "alb");
    }
}

#[test]
fn api_gateway_rest_events_report_their_own_source() {
    let (status, body) = rest().send();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "message": "Hello, x!", "source": "apigateway-rest" })
    );
}

#[test]
fn api_gateway_rest_routes_ignore_the_stage_prefix() {
    let (status, body) = rest().at("GET", "/items/42").query(Value::Null).send();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "id": "42", "name": "item-42", "source": "apigateway-rest" })
    );

    let (status, body) = Event::fixture(APIGW_REST_POST_ECHO).send();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "echo": { "n": 1, "tags": ["a", "b"] }, "source": "apigateway-rest" })
    );

    let (status, body) = rest().at("GET", "/nope").send();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["source"], "apigateway-rest");
}
