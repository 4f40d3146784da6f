//! JSON Web Tokens of Cognito user pools as API Gateway verifies them, for HTTP APIs' JWT authorizers
//! (`apigwv2::jwt`) and REST APIs' `COGNITO_USER_POOLS` authorizers (`apigw::cognito`): the issuer's JWKS read
//! from moto (a user pool serves it at `/{pool-id}/.well-known/jwks.json`) and cached per generation, the RS256
//! signature, `iss`, the audience when one is required, `exp` and `nbf`.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::{SharedCloud, apigwv2::load::Moto, shared::cache::GenCache};

/// JWKS documents by issuer, valid for one generation of the caller's deployed state.
pub type JwksCache = GenCache<String, Arc<Value>>;

/// Where the issuer's JWKS is read: moto's Cognito for a `cognito-idp` issuer, else the issuer itself.
pub fn jwks_location(issuer: &str) -> Option<String> {
    let rest = issuer.strip_prefix("https://cognito-idp.")?;
    let (_, pool) = rest.split_once(".amazonaws.com/")?;
    (!pool.is_empty()
        && pool
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then(|| format!("/{pool}/.well-known/jwks.json"))
}

/// The issuer's JWKS (only Cognito user pools' are served locally), from `cache` when it holds this generation's.
pub async fn jwks(
    cloud: &SharedCloud,
    cache: &JwksCache,
    generation: u64,
    issuer: &str,
) -> anyhow::Result<Arc<Value>> {
    if let Some(hit) = cache.get(generation, &issuer.to_owned()) {
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
    cache.insert(generation, issuer.to_owned(), jwks.clone());
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

/// The token's claims if it is valid for `issuer` and (when given) `audience` at `now` (seconds); else why not.
/// `None`: any audience (a REST API's Cognito authorizer takes ID tokens of every app client of its pools).
pub fn verify(
    token: &str,
    jwks: &Value,
    issuer: &str,
    audience: Option<&[String]>,
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
    if let Some(audience) = audience
        && !audiences.iter().any(|a| audience.iter().any(|x| x == a))
    {
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
        let claims = verify(&t("id_token"), jwks, iss, Some(&aud), now).unwrap();
        assert_eq!(claims["email"], "a@example.com");
        // An access token carries client_id instead of aud.
        let access = verify(&t("access_token"), jwks, iss, Some(&aud), now).unwrap();
        assert_eq!(access["scope"], "aws.cognito.signin.user.admin notes/write");
        for (name, why) in [
            ("expired", "expired"),
            ("other_audience", "audience"),
            ("other_issuer", "iss"),
            ("other_key", "bad signature"),
        ] {
            let err = verify(&t(name), jwks, iss, Some(&aud), now).unwrap_err();
            assert!(err.contains(why), "{name}: {err}");
        }
        assert!(
            verify(
                &t("id_token"),
                jwks,
                iss,
                Some(&["client-2".to_owned()]),
                now
            )
            .is_err()
        );
        for malformed in ["", "abc", "a.b.c", "a.b.c.d", "eyJhbGciOiJub25lIn0.e30."] {
            assert!(
                verify(malformed, jwks, iss, Some(&aud), now).is_err(),
                "{malformed}"
            );
        }
        // A tampered payload fails the signature.
        let good = t("id_token");
        let mut parts: Vec<&str> = good.split('.').collect();
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"iss":"x","aud":"client-1","exp":4102444800}"#);
        parts[1] = &forged;
        assert!(verify(&parts.join("."), jwks, iss, Some(&aud), now).is_err());
        // Without an audience to check, an ID token of any app client passes.
        assert!(verify(&t("other_audience"), jwks, iss, None, now).is_ok());
    }

    #[test]
    fn cognito_issuers_have_their_jwks_in_moto() {
        assert_eq!(
            jwks_location("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"),
            Some("/us-east-1_abc/.well-known/jwks.json".into())
        );
        assert_eq!(jwks_location("https://issuer.example"), None);
    }
}
