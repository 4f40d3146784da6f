//! JWT authorizers of HTTP APIs
//! (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html): the token
//! from the identity source (a `Bearer ` prefix is allowed), an RS256 signature checked against the
//! issuer's JWKS (`{issuer}/.well-known/jwks.json`; moto's Cognito user pools serve theirs at
//! `/{pool-id}/.well-known/jwks.json`), `iss`, `aud` or `client_id` among the audiences, `exp` and `nbf`,
//! and the route's scopes in `scope`. No token or a bad one: 401 `Unauthorized`; missing scopes: 403.
//! Never a 500 for a token: whatever is wrong with it is a 401.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{Response, request::Parts};
use serde_json::{Map, Value, json};

use super::{
    errors,
    load::Moto,
    model::{Authorizer, HttpApi, Route},
};
use crate::SharedCloud;

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
    let jwks = match jwks(cloud, issuer).await {
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
    let claims = match verify(token, &jwks, issuer, &authorizer.audience, now) {
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

/// Where the issuer's JWKS is read: moto's Cognito for a `cognito-idp` issuer, else the issuer itself.
fn jwks_location(issuer: &str) -> Option<String> {
    let rest = issuer.strip_prefix("https://cognito-idp.")?;
    let (_, pool) = rest.split_once(".amazonaws.com/")?;
    (!pool.is_empty()
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then(|| format!("/{pool}/.well-known/jwks.json"))
}

async fn jwks(cloud: &SharedCloud, issuer: &str) -> anyhow::Result<Arc<Value>> {
    let cache = &cloud.apigwv2;
    let generation = cache.generation.get();
    if let Some(hit) = cache.jwks.get(generation, &issuer.to_owned()) {
        return Ok(hit);
    }
    let Some(path) = jwks_location(issuer) else {
        anyhow::bail!(
            "only Cognito user pool issuers (https://cognito-idp.<region>.amazonaws.com/<pool-id>) are served \
             locally: the local cloud has no TLS client"
        );
    };
    let jwks = Moto::of(cloud)
        .get_as("cognito-idp", &path)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user pool behind {issuer}"))?;
    let jwks = Arc::new(jwks);
    cache
        .jwks
        .insert(generation, issuer.to_owned(), jwks.clone());
    Ok(jwks)
}

fn b64(part: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| format!("not base64url: {e}"))
}

fn json_part(part: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice(&b64(part)?) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err("not a JSON object".to_owned()),
    }
}

/// The token's claims if it is valid for `issuer` and `audience` at `now` (seconds); else why not.
pub fn verify(
    token: &str,
    jwks: &Value,
    issuer: &str,
    audience: &[String],
    now: i64,
) -> Result<Map<String, Value>, String> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT (three dot-separated parts)".to_owned());
    };
    let header = json_part(h).map_err(|e| format!("header: {e}"))?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(format!("alg {:?} is not RS256", header.get("alg")));
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let key = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|k| k["kty"] == "RSA" && k["kid"].as_str() == kid)
        .ok_or_else(|| format!("no key {kid:?} in the issuer's JWKS"))?;
    let (n, e) = (
        b64(key["n"].as_str().unwrap_or_default())?,
        b64(key["e"].as_str().unwrap_or_default())?,
    );
    let signature = b64(s).map_err(|e| format!("signature: {e}"))?;
    aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{h}.{p}").as_bytes(),
            &signature,
        )
        .map_err(|_| "bad signature".to_owned())?;
    let claims = json_part(p).map_err(|e| format!("payload: {e}"))?;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(format!("iss {:?} is not {issuer}", claims.get("iss")));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => claims
            .get("client_id")
            .and_then(Value::as_str)
            .into_iter()
            .collect(),
    };
    if !audiences.iter().any(|a| audience.iter().any(|x| x == a)) {
        return Err(format!("audience {audiences:?} is not among {audience:?}"));
    }
    let exp = claims.get("exp").and_then(Value::as_i64).ok_or("no exp")?;
    if exp <= now {
        return Err("expired".to_owned());
    }
    if claims
        .get("nbf")
        .and_then(Value::as_i64)
        .is_some_and(|nbf| nbf > now)
    {
        return Err("not valid yet (nbf)".to_owned());
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> Value {
        serde_json::from_str(include_str!("testdata/jwt-fixtures.json")).unwrap()
    }

    #[test]
    fn good_tokens_pass_and_every_bad_one_is_refused() {
        let f = fixtures();
        let (jwks, iss) = (&f["jwks"], f["issuer"].as_str().unwrap());
        let aud = ["client-1".to_owned()];
        let now = 1_800_000_000;
        let t = |name: &str| f[name].as_str().unwrap().to_owned();
        let claims = verify(&t("id_token"), jwks, iss, &aud, now).unwrap();
        assert_eq!(claims["email"], "a@example.com");
        // An access token carries client_id instead of aud.
        let access = verify(&t("access_token"), jwks, iss, &aud, now).unwrap();
        assert_eq!(access["scope"], "aws.cognito.signin.user.admin notes/write");
        for (name, why) in [
            ("expired", "expired"),
            ("other_audience", "audience"),
            ("other_issuer", "iss"),
            ("other_key", "bad signature"),
        ] {
            let err = verify(&t(name), jwks, iss, &aud, now).unwrap_err();
            assert!(err.contains(why), "{name}: {err}");
        }
        assert!(verify(&t("id_token"), jwks, iss, &["client-2".to_owned()], now).is_err());
        for malformed in ["", "abc", "a.b.c", "a.b.c.d", "eyJhbGciOiJub25lIn0.e30."] {
            assert!(
                verify(malformed, jwks, iss, &aud, now).is_err(),
                "{malformed}"
            );
        }
        // A tampered payload fails the signature.
        let good = t("id_token");
        let mut parts: Vec<&str> = good.split('.').collect();
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"iss":"x","aud":"client-1","exp":4102444800}"#);
        parts[1] = &forged;
        assert!(verify(&parts.join("."), jwks, iss, &aud, now).is_err());
    }

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
        assert_eq!(
            jwks_location("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"),
            Some("/us-east-1_abc/.well-known/jwks.json".into())
        );
        assert_eq!(jwks_location("https://issuer.example"), None);
    }
}
