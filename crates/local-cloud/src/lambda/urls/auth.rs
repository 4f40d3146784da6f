//! Who calls a function URL and whether Lambda lets them: the SigV4 signer (an IAM user's key, looked up in moto
//! with its identity policies; any other key is the account's root), CloudFront's Origin Access Control, and the
//! function's resource policy with the URL's condition keys
//! (<https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html>).

use anyhow::Context as _;
use bytes::Bytes;
use http::{Request, header};
use serde_json::Value;

use crate::{
    SharedCloud,
    config::ACCOUNT_ID,
    lambda::policy::{Statement, statements},
};

/// The SigV4 access key of a signed request (`Authorization: AWS4-HMAC-SHA256 Credential={key}/...`, or a
/// presigned URL's `X-Amz-Credential`).
pub fn access_key(req: &Request<Bytes>) -> Option<String> {
    if let Some(auth) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let credential = auth
            .strip_prefix("AWS4-HMAC-SHA256")?
            .split(',')
            .find_map(|part| part.trim().strip_prefix("Credential="))?;
        return credential.split('/').next().map(str::to_owned);
    }
    let query = req.uri().query()?;
    crate::shared::url::query_pairs(query)
        .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Credential"))
        .and_then(|(_, v)| {
            crate::shared::url::percent_decode(v)
                .split('/')
                .next()
                .map(str::to_owned)
        })
}

/// Who signed a request, as the local cloud knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// A service for one of its resources (CloudFront's Origin Access Control for its distribution).
    Service {
        principal: String,
        source_arn: String,
    },
    /// An IAM identity of the account: its ARN, access key, id, and whether its own policies allow both URL
    /// actions on the function.
    Identity {
        arn: String,
        access_key: String,
        user_id: String,
        allowed: bool,
    },
}

/// The identity a signed request's access key belongs to: an IAM user's key is that user, with its policies
/// evaluated by moto (`/_local/iam/...`); any other key is the account's root (the test credentials), which
/// identity policies never limit.
pub async fn identity(cloud: &SharedCloud, key: &str, function_arn: &str) -> Caller {
    let root = Caller::Identity {
        arn: format!("arn:aws:iam::{ACCOUNT_ID}:root"),
        access_key: key.to_owned(),
        user_id: ACCOUNT_ID.to_owned(),
        allowed: true,
    };
    match iam_identity(cloud, key, function_arn).await {
        Ok(Some(caller)) => caller,
        Ok(None) => root,
        Err(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                "cannot read the signer's IAM identity: taken as the account root"
            );
            root
        }
    }
}

/// `GET {moto}/_local/iam/access-key/{key}?function={arn}`: the user owning `key` and whether its policies allow
/// `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` on the function (`None`: no user has the key).
pub async fn iam_identity(
    cloud: &SharedCloud,
    key: &str,
    function_arn: &str,
) -> anyhow::Result<Option<Caller>> {
    let url = format!(
        "{}/_local/iam/access-key/{key}?function={}",
        cloud.config.moto_url(),
        function_arn.replace(':', "%3A")
    );
    let req = Request::get(&url)
        .body(Bytes::new())
        .context("building the request to moto")?;
    let resp = crate::shared::http_client::send(req, std::time::Duration::from_secs(10))
        .await
        .map_err(|e| anyhow::anyhow!("GET {url}: {e}"))?;
    match resp.status().as_u16() {
        200 => {
            let v: Value = serde_json::from_slice(resp.body()).context("moto's IAM identity")?;
            Ok(Some(Caller::Identity {
                arn: v["arn"].as_str().unwrap_or_default().to_owned(),
                access_key: key.to_owned(),
                user_id: v["user_id"].as_str().unwrap_or_default().to_owned(),
                allowed: v["allowed"].as_bool().unwrap_or(false),
            }))
        }
        404 => Ok(None),
        other => anyhow::bail!("GET {url}: status {other}"),
    }
}

/// Who calls a function URL, as Lambda authenticates the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlCaller<'a> {
    /// No signature (always so for `AuthType` `NONE`: Lambda authenticates nobody).
    Anonymous,
    /// A service signing for one of its resources: CloudFront with an Origin Access Control, for its
    /// distribution.
    Service {
        principal: &'a str,
        source_arn: &'a str,
    },
    /// An IAM identity of this account (its ARN) whose own policies already allow both actions, or which a
    /// statement must name.
    Identity {
        arn: &'a str,
        allowed_by_identity: bool,
    },
}

/// Whether `caller` may invoke a function through its URL of `auth_type`: Lambda needs `lambda:InvokeFunctionUrl`
/// and, for URLs created since October 2025, `lambda:InvokeFunction` (with `lambda:InvokedViaFunctionUrl` true)
/// (<https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html>). The condition keys of the request are
/// `lambda:FunctionUrlAuthType`, `lambda:InvokedViaFunctionUrl`, and a service's `aws:SourceArn`/`aws:SourceAccount`.
/// An identity of the account whose identity policies allow both needs no statement (the policy is then optional).
pub fn url_allows(statements: &[Statement], caller: UrlCaller<'_>, auth_type: &str) -> bool {
    let account = crate::config::ACCOUNT_ID;
    let applies = |s: &Statement, action: &str| {
        let principal = match caller {
            UrlCaller::Anonymous => s.principals.iter().any(|p| p == "*"),
            UrlCaller::Service { principal, .. } => {
                s.principals.iter().any(|p| p == "*" || p == principal)
            }
            UrlCaller::Identity { arn, .. } => {
                s.principals.iter().any(|p| p == "*")
                    || s.aws_principals.iter().any(|p| {
                        p == arn || p == account || *p == format!("arn:aws:iam::{account}:root")
                    })
            }
        };
        principal
            && s.covers(action)
            && s.conditions.iter().all(|c| {
                let value = match c.key.as_str() {
                    "lambda:functionurlauthtype" => Some(auth_type),
                    "lambda:invokedviafunctionurl" => Some("true"),
                    "aws:sourcearn" => match caller {
                        UrlCaller::Service { source_arn, .. } => Some(source_arn),
                        _ => None,
                    },
                    "aws:sourceaccount" => match caller {
                        UrlCaller::Service { .. } => Some(account),
                        _ => None,
                    },
                    _ => None,
                };
                c.holds(value)
            })
    };
    let identity_allows = matches!(
        caller,
        UrlCaller::Identity {
            allowed_by_identity: true,
            ..
        }
    );
    ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"]
        .iter()
        .all(|action| {
            let applicable: Vec<&Statement> =
                statements.iter().filter(|s| applies(s, action)).collect();
            !applicable.iter().any(|s| !s.allow)
                && (identity_allows || applicable.iter().any(|s| s.allow))
        })
}

/// Whether `caller` may invoke `function` through its URL of `auth_type` ([`url_allows`]).
pub async fn may_invoke_url(
    cloud: &SharedCloud,
    function: &str,
    caller: UrlCaller<'_>,
    auth_type: &str,
) -> anyhow::Result<bool> {
    Ok(url_allows(
        &statements(cloud, function).await?,
        caller,
        auth_type,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lambda::policy::parse;

    #[test]
    fn function_urls_need_both_actions_with_their_conditions() {
        // As `aws lambda add-permission --function-url-auth-type NONE` and `--invoked-via-function-url` write them.
        let public = parse(
            r#"{"Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
                 "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}},
                {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                 "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}}]}"#,
        )
        .unwrap();
        assert!(url_allows(&public, UrlCaller::Anonymous, "NONE"));
        assert!(!url_allows(&public, UrlCaller::Anonymous, "AWS_IAM"));
        assert!(!url_allows(&public[..1], UrlCaller::Anonymous, "NONE"));

        let dist = "arn:aws:cloudfront::123456789012:distribution/E1";
        let oac = parse(&format!(
            r#"{{"Statement": [
                {{"Effect": "Allow", "Principal": {{"Service": "cloudfront.amazonaws.com"}},
                 "Action": "lambda:InvokeFunctionUrl", "Condition": {{"ArnLike": {{"AWS:SourceArn": "{dist}"}}}}}},
                {{"Effect": "Allow", "Principal": {{"Service": "cloudfront.amazonaws.com"}},
                 "Action": "lambda:InvokeFunction", "Condition": {{"ArnLike": {{"AWS:SourceArn": "{dist}"}}}}}}]}}"#
        ))
        .unwrap();
        let cloudfront = |source_arn| UrlCaller::Service {
            principal: "cloudfront.amazonaws.com",
            source_arn,
        };
        assert!(url_allows(&oac, cloudfront(dist), "AWS_IAM"));
        let other = "arn:aws:cloudfront::123456789012:distribution/E2";
        assert!(!url_allows(&oac, cloudfront(other), "AWS_IAM"));
        assert!(!url_allows(&oac, UrlCaller::Anonymous, "AWS_IAM"));

        let user = "arn:aws:iam::123456789012:user/reader";
        let nobody = UrlCaller::Identity {
            arn: user,
            allowed_by_identity: false,
        };
        assert!(!url_allows(&oac, nobody, "AWS_IAM"));
        let allowed = UrlCaller::Identity {
            arn: user,
            allowed_by_identity: true,
        };
        assert!(url_allows(&oac, allowed, "AWS_IAM"));
        let named = parse(&format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "{user}"}},
                "Action": ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"]}}]}}"#
        ))
        .unwrap();
        assert!(url_allows(&named, nobody, "AWS_IAM"));
    }
}
