//! JWT authorizers of HTTP APIs
//! (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html): the token
//! from the identity source (a `Bearer ` prefix is allowed), an RS256 signature checked against the
//! issuer's JWKS (`{issuer}/.well-known/jwks.json`; moto's Cognito user pools serve theirs at
//! `/{pool-id}/.well-known/jwks.json`), `iss`, `aud` or `client_id` among the audiences, `exp` and `nbf`,
//! and the route's scopes in `scope` (the verification is `shared::jwt`'s). No token or a bad one: 401 `Unauthorized`; missing scopes: 403.
//! Never a 500 for a token: whatever is wrong with it is a 401.

use bytes::Bytes;
use http::{Response, request::Parts};
use serde_json::{Map, Value, json};

use super::{
    errors,
    model::{Authorizer, HttpApi, Route},
};
use crate::{SharedCloud, shared::jwt};

/// Runs the route's JWT authorizer: `requestContext.authorizer` for the event, or API Gateway's refusal.
pub async fn authorize(
    cloud: &SharedCloud,
    api: &HttpApi,
    route: &Route,
    parts: &Parts,
) -> Result<Value, Response<Bytes>> {
    let Some(authorizer) = route
        .authorizer_id
        .as_ref()
        .and_then(|id| api.authorizers.get(id))
    else {
        tracing::error!(route = %route.key, "JWT route without a known authorizer: 500");
        return Err(errors::internal_server_error());
    };
    let Some(token) = token(authorizer, parts) else {
        tracing::info!(route = %route.key, "JWT authorizer: no token: 401");
        return Err(errors::unauthorized());
    };
    let Some(issuer) = authorizer.issuer.as_deref() else {
        tracing::error!(authorizer = %authorizer.id, "JWT authorizer without an issuer: 500");
        return Err(errors::internal_server_error());
    };
    let cache = &cloud.apigwv2;
    let jwks = match jwt::jwks(cloud, &cache.jwks, cache.generation.get(), issuer).await {
        Ok(jwks) => jwks,
        Err(err) => {
            tracing::warn!(
                issuer,
                error = format!("{err:#}"),
                "JWT authorizer: cannot read the issuer's JWKS: 401"
            );
            return Err(errors::unauthorized());
        }
    };
    let now = chrono::Utc::now().timestamp();
    let claims = match jwt::verify(token, &jwks, issuer, Some(&authorizer.audience), now) {
        Ok(claims) => claims,
        Err(why) => {
            tracing::info!(route = %route.key, why, "JWT authorizer refused the token: 401");
            return Err(errors::unauthorized());
        }
    };
    let scopes: Vec<String> = claims
        .get("scope")
        .and_then(Value::as_str)
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    if !route.authorization_scopes.is_empty()
        && !route
            .authorization_scopes
            .iter()
            .any(|s| scopes.contains(s))
    {
        tracing::info!(route = %route.key, required = ?route.authorization_scopes, "JWT authorizer: the token lacks the route's scopes: 403");
        return Err(errors::forbidden());
    }
    // Claims reach the function as strings (arrays in their JSON form), as AWS sends them.
    let claims: Map<String, Value> = claims
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, Value::String(v))
        })
        .collect();
    Ok(
        json!({"jwt": {"claims": claims, "scopes": if scopes.is_empty() { Value::Null } else { json!(scopes) }}}),
    )
}

/// The token from the authorizer's identity source (`$request.header.Authorization` by default).
fn token<'p>(authorizer: &Authorizer, parts: &'p Parts) -> Option<&'p str> {
    let source = authorizer
        .identity_source
        .first()
        .map_or("$request.header.Authorization", String::as_str);
    let name = source.strip_prefix("$request.header.")?;
    let value = parts.headers.get(name)?.to_str().ok()?.trim();
    if value.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let value = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim(),
        _ => value,
    };
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_the_identity_source() {
        let a = Authorizer {
            identity_source: vec!["$request.header.Authorization".into()],
            ..Authorizer::default()
        };
        let p = |v: &str| {
            http::Request::get("/")
                .header("authorization", v)
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        assert_eq!(token(&a, &p("Bearer abc")), Some("abc"));
        assert_eq!(token(&a, &p("abc")), Some("abc"));
        assert_eq!(token(&a, &p("Bearer ")), None);
    }
}
