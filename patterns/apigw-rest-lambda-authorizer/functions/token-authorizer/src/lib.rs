//! A Lambda TOKEN authorizer: API Gateway hands it the `Authorization` header's token and the method ARN; it
//! answers a policy (Allow or Deny) and a context for the backend, or `Unauthorized` (API Gateway then answers
//! 401 itself). API Gateway caches the answer per token for the authorizer's TTL, so the policy allows the whole
//! stage (`.../{stage}/*`), not only the method that happened to come first.
//!
//! The token rule here is a stand-in: `allow-<user>` and `deny-<user>`. Replace [`decide`] with the check your
//! tokens need (a JWT's signature, an opaque token looked up in a store).

use aws_lambda_events::{
    apigw::{
        ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequest,
        ApiGatewayCustomAuthorizerResponse,
    },
    iam::{IamPolicyEffect, IamPolicyStatement},
};
use serde_json::json;

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

/// What a token asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'a> {
    Allow { user: &'a str },
    Deny { user: &'a str },
}

/// The stand-in token rule: `allow-<user>` or `deny-<user>` (API Gateway's identityValidationExpression has
/// already refused tokens of another shape); anything else is unauthorized.
pub fn decide(token: &str) -> Result<Decision<'_>, Unauthorized> {
    let token = token.strip_prefix("Bearer ").unwrap_or(token);
    match token.split_once('-') {
        Some(("allow", user)) if !user.is_empty() => Ok(Decision::Allow { user }),
        Some(("deny", user)) if !user.is_empty() => Ok(Decision::Deny { user }),
        _ => Err(Unauthorized),
    }
}

/// `arn:aws:execute-api:{region}:{account}:{api}/{stage}/*` from a method ARN
/// (`arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`): every method of the stage.
pub fn stage_wildcard(method_arn: &str) -> String {
    let mut parts = method_arn.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}/*"),
        _ => method_arn.to_owned(),
    }
}

/// Answers one authorization request; `invocation_id` (the Lambda request id) goes into the context, so a
/// caller can see which invocation authorized it (and that a cached answer was reused).
pub fn handle(
    request: &ApiGatewayCustomAuthorizerRequest,
    invocation_id: &str,
) -> Result<ApiGatewayCustomAuthorizerResponse, Unauthorized> {
    let token = request.authorization_token.as_deref().unwrap_or_default();
    let method_arn = request.method_arn.as_deref().unwrap_or_default();
    let (effect, user) = match decide(token)? {
        Decision::Allow { user } => (IamPolicyEffect::Allow, user),
        Decision::Deny { user } => (IamPolicyEffect::Deny, user),
    };
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = effect;
    statement.resource = vec![stage_wildcard(method_arn)];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(user.to_owned());
    response.policy_document = policy;
    // Context values must be strings, numbers or booleans; the backend gets them as strings.
    response.context = json!({
        "user": user,
        "authorizer": "token",
        "invocationId": invocation_id,
    });
    Ok(response)
}
