//! `COGNITO_USER_POOLS` authorizers of REST API methods
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html>): the
//! token from the identity source header (a `Bearer ` prefix allowed), issued by one of the authorizer's user pools
//! (`providerARNs`, `${stageVariables.x}` rendered), its RS256 signature checked against that pool's JWKS, `exp`
//! and `nbf` (`shared::jwt`). A method without OAuth scopes takes ID tokens (AWS treats the token as an identity
//! token, so an access token fails), whose `aud` must match the authorizer's `identityValidationExpression` when it
//! has one; a method with scopes takes access tokens carrying one of them. Anything wrong: 401 `Unauthorized`.
//! The backend gets the claims as strings in `requestContext.authorizer.claims`.

use http::request::Parts;
use serde_json::{Map, Value, json};

use super::{
    authorizer::Refusal,
    model::{Authorizer, Method, RestApi},
    params::render_stage_variables,
};
use crate::{SharedCloud, shared::jwt};

/// Runs the method's Cognito authorizer: `requestContext.authorizer` (`{"claims": {...}}`) or the refusal.
pub async fn authorize(
    cloud: &SharedCloud,
    api: &RestApi,
    method: &Method,
    stage_variables: &std::collections::BTreeMap<String, String>,
    parts: &Parts,
) -> Result<Value, Refusal> {
    let Some(authorizer) = method
        .authorizer_id
        .as_deref()
        .and_then(|id| api.authorizers.get(id))
        .filter(|a| a.kind == "COGNITO_USER_POOLS")
    else {
        tracing::error!(authorizer = ?method.authorizer_id, "the method's Cognito authorizer does not exist: 500");
        return Err(Refusal::ConfigurationError);
    };
    let Some(token) = token(authorizer, parts) else {
        tracing::info!(authorizer = %authorizer.name, "Cognito authorizer: no token: 401");
        return Err(Refusal::Unauthorized);
    };
    let issuers: Vec<String> = authorizer
        .provider_arns
        .iter()
        .filter_map(|arn| issuer(&render_stage_variables(arn, stage_variables)))
        .collect();
    let claimed = unverified_issuer(token);
    let Some(issuer) = claimed.filter(|iss| issuers.contains(iss)) else {
        tracing::info!(authorizer = %authorizer.name, ?issuers, "Cognito authorizer: the token is not from the authorizer's user pools: 401");
        return Err(Refusal::Unauthorized);
    };
    let snapshots = &cloud.apigw;
    let jwks = match jwt::jwks(cloud, &snapshots.jwks, snapshots.generation.get(), &issuer).await {
        Ok(jwks) => jwks,
        Err(err) => {
            tracing::warn!(%issuer, error = format!("{err:#}"), "Cognito authorizer: cannot read the pool's JWKS: 401");
            return Err(Refusal::Unauthorized);
        }
    };
    let now = chrono::Utc::now().timestamp();
    let claims = jwt::verify(token, &jwks, &issuer, None, now).map_err(|why| {
        tracing::info!(authorizer = %authorizer.name, why, "Cognito authorizer refused the token: 401");
        Refusal::Unauthorized
    })?;
    accepts(authorizer, &method.authorization_scopes, &claims).map_err(|why| {
        tracing::info!(authorizer = %authorizer.name, why, "Cognito authorizer refused the token: 401");
        Refusal::Unauthorized
    })?;
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
    Ok(json!({ "claims": claims }))
}

/// Whether a verified token fits the method: an ID token (with `aud` matching the validation expression) when the
/// method has no scopes, else an access token with one of them.
fn accepts(
    authorizer: &Authorizer,
    scopes: &[String],
    claims: &Map<String, Value>,
) -> Result<(), String> {
    let token_use = claims.get("token_use").and_then(Value::as_str);
    if scopes.is_empty() {
        if token_use != Some("id") {
            return Err(format!(
                "the method has no scopes, so it takes ID tokens; token_use is {token_use:?}"
            ));
        }
        if let Some(expression) = &authorizer.identity_validation_expression {
            let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
            let regex = regex::Regex::new(&format!("^(?:{expression})$"))
                .map_err(|e| format!("identityValidationExpression: {e}"))?;
            if !regex.is_match(aud) {
                return Err(format!("aud {aud} does not match {expression}"));
            }
        }
        return Ok(());
    }
    if token_use != Some("access") {
        return Err(format!(
            "the method has scopes, so it takes access tokens; token_use is {token_use:?}"
        ));
    }
    let granted: Vec<&str> = claims
        .get("scope")
        .and_then(Value::as_str)
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    if scopes.iter().any(|s| granted.contains(&s.as_str())) {
        Ok(())
    } else {
        Err(format!(
            "the token's scopes {granted:?} hold none of {scopes:?}"
        ))
    }
}

/// The token from the identity source (`method.request.header.Authorization` by default).
fn token<'p>(authorizer: &Authorizer, parts: &'p Parts) -> Option<&'p str> {
    let source = authorizer
        .identity_source
        .as_deref()
        .unwrap_or("method.request.header.Authorization");
    let name = source.trim().strip_prefix("method.request.header.")?;
    let value = parts.headers.get(name)?.to_str().ok()?.trim();
    let value = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim(),
        _ => value,
    };
    (!value.is_empty()).then_some(value)
}

/// The issuer of a user pool ARN: `https://cognito-idp.{region}.amazonaws.com/{pool-id}`.
fn issuer(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:aws:cognito-idp:")?;
    let (region, rest) = rest.split_once(':')?;
    let (_account, resource) = rest.split_once(':')?;
    let pool = resource.strip_prefix("userpool/")?;
    (!region.is_empty() && !pool.is_empty())
        .then(|| format!("https://cognito-idp.{region}.amazonaws.com/{pool}"))
}

/// The `iss` a token claims, before anything is verified (it picks the pool whose keys verify it).
fn unverified_issuer(token: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims["iss"].as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn id_tokens_without_scopes_access_tokens_with_them() {
        let plain = Authorizer {
            id: "a".into(),
            name: "cognito".into(),
            kind: "COGNITO_USER_POOLS".into(),
            uri: None,
            credentials: None,
            identity_source: None,
            identity_validation_expression: None,
            ttl: std::time::Duration::ZERO,
            provider_arns: vec![],
        };
        let id = claims(json!({"token_use": "id", "aud": "client-1"}));
        let access = claims(
            json!({"token_use": "access", "scope": "aws.cognito.signin.user.admin keys/read"}),
        );
        assert!(accepts(&plain, &[], &id).is_ok());
        assert!(
            accepts(&plain, &[], &access).is_err(),
            "no scopes: ID tokens only"
        );
        let read = ["keys/read".to_owned()];
        assert!(accepts(&plain, &read, &access).is_ok());
        assert!(
            accepts(&plain, &read, &id).is_err(),
            "scopes: access tokens only"
        );
        assert!(accepts(&plain, &["keys/write".to_owned()], &access).is_err());
        let only_client_2 = Authorizer {
            identity_validation_expression: Some("client-2".into()),
            ..plain
        };
        assert!(accepts(&only_client_2, &[], &id).is_err(), "aud checked");
    }

    #[test]
    fn pool_arns_name_their_issuers() {
        assert_eq!(
            issuer("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc").as_deref(),
            Some("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc")
        );
        assert_eq!(
            issuer("arn:aws:cognito-idp:us-east-1:123456789012:pool/x"),
            None
        );
        let a = Authorizer {
            id: "a".into(),
            name: "n".into(),
            kind: "COGNITO_USER_POOLS".into(),
            uri: None,
            credentials: None,
            identity_source: Some("method.request.header.Authorization".into()),
            identity_validation_expression: None,
            ttl: std::time::Duration::ZERO,
            provider_arns: vec![],
        };
        let parts = |v: &str| {
            http::Request::get("/")
                .header("authorization", v)
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        assert_eq!(token(&a, &parts("Bearer abc")), Some("abc"));
        assert_eq!(token(&a, &parts("abc")), Some("abc"));
        assert_eq!(token(&a, &parts(" ")), None);
    }
}
