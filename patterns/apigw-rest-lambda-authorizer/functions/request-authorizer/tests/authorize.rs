//! The authorizer on AWS's example REQUEST event (`tests/fixtures/`, as shipped with aws_lambda_events), with
//! this pattern's tenant header set.

use aws_lambda_events::{apigw::ApiGatewayCustomAuthorizerRequestTypeRequest, http::HeaderValue};
use rest_request_authorizer::{Unauthorized, handle};
use serde_json::{Value, json};

fn fixture(tenant: Option<&str>) -> ApiGatewayCustomAuthorizerRequestTypeRequest {
    let path = format!(
        "{}/tests/fixtures/example-apigw-custom-auth-request-type-request.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut request: ApiGatewayCustomAuthorizerRequestTypeRequest =
        serde_json::from_str(&text).unwrap();
    if let Some(tenant) = tenant {
        // Header names arrive in any case; the map is case-insensitive.
        request
            .headers
            .insert("X-Tenant", HeaderValue::from_str(tenant).unwrap());
    }
    request
}

fn wire(tenant: &str) -> Value {
    serde_json::to_value(handle(&fixture(Some(tenant)), "req-2").unwrap()).unwrap()
}

#[test]
fn a_tenant_is_allowed_on_the_whole_stage_with_a_context() {
    let answer = wire("acme");
    assert_eq!(answer["principalId"], "tenant:acme");
    assert_eq!(
        answer["policyDocument"]["Statement"][0],
        json!({"Action": ["execute-api:Invoke"], "Effect": "Allow",
               "Resource": ["arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/*"]})
    );
    assert_eq!(
        answer["context"],
        json!({"tenant": "acme", "authorizer": "request", "firstPath": "/request", "invocationId": "req-2"})
    );
}

#[test]
fn a_blocked_tenant_is_denied_explicitly() {
    assert_eq!(
        wire("blocked-acme")["policyDocument"]["Statement"][0]["Effect"],
        "Deny"
    );
}

#[test]
fn a_missing_or_malformed_tenant_is_unauthorized() {
    assert_eq!(handle(&fixture(None), "r").unwrap_err(), Unauthorized);
    for tenant in ["", "ACME", "a b", &"x".repeat(65)] {
        assert_eq!(
            handle(&fixture(Some(tenant)), "r").unwrap_err(),
            Unauthorized,
            "{tenant:?}"
        );
    }
}
