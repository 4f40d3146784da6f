//! The routes on real API Gateway HTTP API events (payload format 2.0): `tests/fixtures/` are AWS's example
//! events (as shipped with aws_lambda_events, from the API Gateway developer guide) set on this API's routes, as
//! CloudFront forwards them (`user-agent: Amazon CloudFront`, its `via`).

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
fn an_order_is_answered_uncacheable() {
    let r = spa_orders_api::handle(&fixture("http-api-get-order.json"));
    assert_eq!(r.status_code, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["cache-control"], "no-store");
    let order = body(&r);
    assert_eq!(order["id"], "42");
    assert_eq!(order["status"], "shipped");
    assert_eq!(
        order["items"][1],
        json!({"name": "Ferris plush", "quantity": 2})
    );
}

#[test]
fn an_order_id_that_is_not_letters_or_digits_is_refused() {
    let mut event = fixture("http-api-get-order.json");
    for bad in ["", "../etc", "a b", &"9".repeat(33)] {
        event.path_parameters.insert("id".into(), bad.into());
        let r = spa_orders_api::handle(&event);
        assert_eq!(r.status_code, 400, "{bad:?}");
        assert!(body(&r)["error"].as_str().unwrap().contains("order id"));
    }
}

#[test]
fn any_other_api_path_is_a_json_404_naming_it() {
    let r = spa_orders_api::handle(&fixture("http-api-any-api.json"));
    assert_eq!(r.status_code, 404);
    assert_eq!(
        body(&r),
        json!({"error": "no such route", "path": "/api/nope"})
    );
}
