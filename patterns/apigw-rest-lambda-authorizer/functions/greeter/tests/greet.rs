//! The backend on AWS's example REST proxy event (`tests/fixtures/`, as shipped with aws_lambda_events), whose
//! `requestContext.authorizer` holds a Lambda authorizer's principal and context.

use aws_lambda_events::{apigw::ApiGatewayProxyRequest, encodings::Body};
use serde_json::{Value, json};

fn fixture() -> ApiGatewayProxyRequest {
    let path = format!(
        "{}/tests/fixtures/example-apigw-request.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn body(r: &aws_lambda_events::apigw::ApiGatewayProxyResponse) -> Value {
    match &r.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

#[test]
fn greets_the_principal_and_returns_the_authorizer_context() {
    let r = rest_authorized_greeter::handle(&fixture());
    assert_eq!(r.status_code, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(
        body(&r),
        json!({
            "message": "Hello, admin!",
            "route": "/{proxy+}",
            "authorizer": {"principalId": "admin", "clientId": 1, "clientName": "Exata"},
        })
    );
}

#[test]
fn no_principal_no_greeting() {
    let mut request = fixture();
    request.request_context.authorizer.fields.clear();
    assert_eq!(rest_authorized_greeter::handle(&request).status_code, 401);
}
