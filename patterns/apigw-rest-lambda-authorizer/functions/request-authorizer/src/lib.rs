//! A Lambda REQUEST authorizer: API Gateway hands it the whole request (headers, query string, path, stage
//! variables, request context) once the identity sources it is configured with (here the `X-Tenant` header) are
//! present; it answers a policy and a context for the backend, or `Unauthorized` (API Gateway then answers 401).
//! API Gateway caches the answer per identity source value for the authorizer's TTL, so the policy allows the
//! whole stage.
//!
//! The tenant rule here is a stand-in: tenants named `blocked-...` are denied, other well-formed names allowed.
//! Replace [`decide`] with a lookup of your tenants.

use aws_lambda_events::{
    apigw::{
        ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
        ApiGatewayCustomAuthorizerResponse,
    },
    iam::{IamPolicyEffect, IamPolicyStatement},
};
use serde_json::json;

/// The header naming the tenant (the authorizer's identity source).
pub const TENANT_HEADER: &str = "x-tenant";

/// The authorizer's refusal: the error message API Gateway turns into a 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthorized;

impl std::fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // API Gateway matches this exact text.
        f.write_str("Unauthorized")
    }
}

impl std::error::Error for Unauthorized {}

/// The stand-in tenant rule: 1 to 64 characters of `a-z`, `0-9` and `-`; `blocked-...` is denied (`false`).
pub fn decide(tenant: &str) -> Result<bool, Unauthorized> {
    let well_formed = (1..=64).contains(&tenant.len())
        && tenant
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        return Err(Unauthorized);
    }
    Ok(!tenant.starts_with("blocked-"))
}

/// `arn:aws:execute-api:{region}:{account}:{api}/{stage}/*` from a method ARN: every method of the stage.
pub fn stage_wildcard(method_arn: &str) -> String {
    let mut parts = method_arn.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}/*"),
        _ => method_arn.to_owned(),
    }
}

/// Answers one authorization request; `invocation_id` (the Lambda request id) goes into the context.
pub fn handle(
    request: &ApiGatewayCustomAuthorizerRequestTypeRequest,
    invocation_id: &str,
) -> Result<ApiGatewayCustomAuthorizerResponse, Unauthorized> {
    let tenant = request
        .headers
        .get(TENANT_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(Unauthorized)?;
    let effect = if decide(tenant)? {
        IamPolicyEffect::Allow
    } else {
        IamPolicyEffect::Deny
    };
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = effect;
    statement.resource = vec![stage_wildcard(
        request.method_arn.as_deref().unwrap_or_default(),
    )];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(format!("tenant:{tenant}"));
    response.policy_document = policy;
    // The whole request is here: e.g. the path it was first authorized for.
    response.context = json!({
        "tenant": tenant,
        "authorizer": "request",
        "firstPath": request.path.as_deref().unwrap_or_default(),
        "invocationId": invocation_id,
    });
    Ok(response)
}
