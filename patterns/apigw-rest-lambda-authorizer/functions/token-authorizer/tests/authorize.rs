//! The authorizer on AWS's example TOKEN event (`tests/fixtures/`, as shipped with aws_lambda_events), with this
//! pattern's tokens.

use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequest;
use rest_token_authorizer::{Unauthorized, handle};
use serde_json::{Value, json};

fn fixture(token: &str) -> ApiGatewayCustomAuthorizerRequest {
    let path = format!(
        "{}/tests/fixtures/example-apigw-custom-auth-request.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut request: ApiGatewayCustomAuthorizerRequest = serde_json::from_str(&text).unwrap();
    assert_eq!(request.authorization_token.as_deref(), Some("allow"));
    request.authorization_token = Some(token.to_owned());
    request.method_arn =
        Some("arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/prod/GET/token".into());
    request
}

/// The answer as API Gateway reads it.
fn wire(token: &str) -> Value {
    serde_json::to_value(handle(&fixture(token), "req-1").unwrap()).unwrap()
}

#[test]
fn an_allow_token_allows_the_whole_stage_with_a_context() {
    let answer = wire("allow-ada");
    assert_eq!(answer["principalId"], "ada");
    assert_eq!(
        answer["policyDocument"],
        json!({"Version": "2012-10-17", "Statement": [{
            "Action": ["execute-api:Invoke"], "Effect": "Allow",
            "Resource": ["arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/prod/*"]}]})
    );
    assert_eq!(
        answer["context"],
        json!({"user": "ada", "authorizer": "token", "invocationId": "req-1"})
    );
}

#[test]
fn a_deny_token_denies_explicitly() {
    let answer = wire("Bearer deny-mallory");
    assert_eq!(answer["principalId"], "mallory");
    assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Deny");
}

#[test]
fn other_tokens_are_unauthorized_with_the_text_api_gateway_expects() {
    for token in ["allow", "allow-", "nobody-ada", "", "deny"] {
        assert_eq!(
            handle(&fixture(token), "r").unwrap_err(),
            Unauthorized,
            "{token:?}"
        );
    }
    assert_eq!(Unauthorized.to_string(), "Unauthorized");
}

#[test]
fn the_type_field_reads_back() {
    let request = fixture("allow-ada");
    assert_eq!(request.type_.as_deref(), Some("TOKEN"));
}
