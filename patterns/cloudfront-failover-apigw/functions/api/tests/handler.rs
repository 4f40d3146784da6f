//! The handler on HTTP API events (payload format 2.0) as CloudFront forwards them to each origin, with the
//! maintenance switch in memory.

use std::sync::Mutex;

use aws_lambda_events::{apigw::ApiGatewayV2httpRequest, encodings::Body};
use failover_api::{Switch, handle};
use serde_json::{Value, json};

#[derive(Default)]
struct MemorySwitch(Mutex<bool>);

impl Switch for MemorySwitch {
    async fn failing(&self) -> anyhow::Result<bool> {
        Ok(*self.0.lock().unwrap())
    }
    async fn set_failing(&self, failing: bool) -> anyhow::Result<()> {
        *self.0.lock().unwrap() = failing;
        Ok(())
    }
}

fn event(name: &str) -> ApiGatewayV2httpRequest {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn body(r: &aws_lambda_events::apigw::ApiGatewayV2httpResponse) -> Value {
    match &r.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("not a text body: {other:?}"),
    }
}

#[tokio::test]
async fn the_primary_answers_until_its_switch_is_on_then_503() {
    let switch = MemorySwitch::default();
    let hello = event("http-api-get-hello.json");
    let r = handle("primary", Some(&switch), &hello).await.unwrap();
    assert_eq!(r.status_code, 200);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(body(&r)["origin"], "primary");

    let put = event("http-api-put-maintenance.json");
    let r = handle("primary", Some(&switch), &put).await.unwrap();
    assert_eq!(
        (r.status_code, body(&r)),
        (200, json!({"origin": "primary", "failing": true}))
    );
    let r = handle("primary", Some(&switch), &hello).await.unwrap();
    assert_eq!(r.status_code, 503);
    assert_eq!(body(&r)["error"], "in maintenance");

    let mut back = put.clone();
    back.body = Some(r#"{"failing": false}"#.to_owned());
    handle("primary", Some(&switch), &back).await.unwrap();
    let r = handle("primary", Some(&switch), &hello).await.unwrap();
    assert_eq!(r.status_code, 200);
}

#[tokio::test]
async fn a_bad_switch_body_is_refused() {
    let switch = MemorySwitch::default();
    let mut put = event("http-api-put-maintenance.json");
    put.body = Some("yes please".to_owned());
    let r = handle("primary", Some(&switch), &put).await.unwrap();
    assert_eq!(r.status_code, 400);
    assert!(!switch.failing().await.unwrap());
}

#[tokio::test]
async fn the_secondary_always_answers_and_has_no_switch() {
    let hello = event("http-api-get-hello.json");
    let r = handle::<MemorySwitch>("secondary", None, &hello)
        .await
        .unwrap();
    assert_eq!(
        (r.status_code, body(&r)["message"].clone()),
        (200, json!("Hello from the secondary origin"))
    );
    let put = event("http-api-put-maintenance.json");
    let r = handle::<MemorySwitch>("secondary", None, &put)
        .await
        .unwrap();
    assert_eq!(r.status_code, 404);
}
