//! The handler on a REST proxy event of a request a Cognito user pool authorizer let in (`tests/fixtures/`: AWS's
//! example event with `requestContext.authorizer.claims`), with the API Gateway calls faked in memory.

use std::sync::Mutex;

use apikey_issuer::{ApiKey, Keys, Settings, handle};
use aws_lambda_events::{apigw::ApiGatewayProxyRequest, encodings::Body};
use serde_json::{Value, json};

const SUB: &str = "7d8ca528-4931-4254-9273-ea5ee853f271";

fn fixture() -> ApiGatewayProxyRequest {
    let path = format!(
        "{}/tests/fixtures/apigw-rest-post-keys-cognito.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn settings() -> Settings {
    Settings {
        usage_plan_id: "plan123".into(),
        key_name_prefix: "portal".into(),
    }
}

/// Keys in memory: (name, plan, key); `fail` makes every call fail.
#[derive(Default)]
struct Fake {
    keys: Mutex<Vec<(String, String, ApiKey)>>,
    fail: bool,
}

impl Keys for Fake {
    async fn find(&self, name: &str) -> anyhow::Result<Option<ApiKey>> {
        anyhow::ensure!(!self.fail, "AccessDenied");
        let keys = self.keys.lock().unwrap();
        Ok(keys
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, k)| k.clone()))
    }

    async fn create(&self, name: &str, plan: &str) -> anyhow::Result<ApiKey> {
        let mut keys = self.keys.lock().unwrap();
        let key = ApiKey {
            id: format!("id{}", keys.len()),
            value: format!("value-{}", keys.len()),
        };
        keys.push((name.to_owned(), plan.to_owned(), key.clone()));
        Ok(key)
    }
}

fn body(r: &aws_lambda_events::apigw::ApiGatewayProxyResponse) -> Value {
    match &r.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

#[tokio::test]
async fn a_signed_in_user_gets_one_key_in_the_plan() {
    let fake = Fake::default();
    let first = handle(&fake, &settings(), &fixture()).await;
    assert_eq!(first.status_code, 201);
    assert_eq!(first.headers["content-type"], "application/json");
    assert_eq!(
        body(&first),
        json!({"apiKey": "value-0", "keyId": "id0", "usagePlanId": "plan123"})
    );
    let again = handle(&fake, &settings(), &fixture()).await;
    assert_eq!(again.status_code, 200, "the same user gets the same key");
    assert_eq!(body(&again)["apiKey"], "value-0");
    let keys = fake.keys.lock().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0].0.as_str(), keys[0].1.as_str()),
        (format!("portal-{SUB}").as_str(), "plan123")
    );
}

#[tokio::test]
async fn another_user_gets_another_key() {
    let fake = Fake::default();
    handle(&fake, &settings(), &fixture()).await;
    let mut other = fixture();
    other.request_context.authorizer.fields.insert(
        "claims".into(),
        json!({"sub": "0c3f5e1a-0000-4000-8000-000000000002", "token_use": "id"}),
    );
    let r = handle(&fake, &settings(), &other).await;
    assert_eq!(
        (r.status_code, body(&r)["apiKey"].clone()),
        (201, json!("value-1"))
    );
}

#[tokio::test]
async fn no_claims_no_key_and_failures_answer_500() {
    let fake = Fake::default();
    let mut anonymous = fixture();
    anonymous.request_context.authorizer.fields.clear();
    let r = handle(&fake, &settings(), &anonymous).await;
    assert_eq!(r.status_code, 401);
    assert!(fake.keys.lock().unwrap().is_empty(), "nothing created");
    let failing = Fake {
        fail: true,
        ..Fake::default()
    };
    let r = handle(&failing, &settings(), &fixture()).await;
    assert_eq!(
        (r.status_code, body(&r)),
        (500, json!({"error": "looking up the API key failed"}))
    );
}
