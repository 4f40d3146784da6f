//! Origin requests: S3 buckets (with an Origin Access Control, CloudFront signs as `cloudfront.amazonaws.com`
//! for the distribution, and the bucket policy decides as S3 does:
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html>)
//! and custom origins (API Gateway's `*.execute-api.<region>.amazonaws.com`, Lambda function URLs with or without an
//! Origin Access Control, anything on the edge reached locally; other hosts over plain HTTP), with the origin path
//! and custom headers.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use serde_json::Value;

use super::model::{self, Distribution, Model, items, string};
use crate::{
    SharedCloud,
    config::ACCOUNT_ID,
    contract::urls,
    shared::{
        http_client,
        matchers::wildcard,
        policy::{self, Decision},
        url::percent_decode,
    },
};

/// What the viewer's request carries on to the origin (after the origin request policy).
pub struct OriginRequest {
    pub method: Method,
    /// The normalised path, still percent-encoded.
    pub path: String,
    /// The query string forwarded (empty: none).
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why an origin gave no HTTP response: CloudFront answers 502 (504 on a timeout).
#[derive(Debug)]
pub enum OriginError {
    Unreachable(String),
    Timeout,
}

/// Fetches `req` from the origin `origin` (one item of the distribution's `Origins`).
pub async fn fetch(
    cloud: &SharedCloud,
    model: &Model,
    dist: &Distribution,
    origin: &Value,
    req: &OriginRequest,
) -> Result<Response<Bytes>, OriginError> {
    let domain = string(origin, "DomainName");
    if origin.get("S3OriginConfig").is_some()
        && let Some(bucket) = s3_bucket(domain)
    {
        return Ok(s3(cloud, model, dist, origin, bucket, req).await);
    }
    if let Some(url_id) = urls::lambda_url_id(domain) {
        return function_url(cloud, model, dist, origin, url_id, req).await;
    }
    custom(cloud, origin, req).await
}

/// A Lambda function URL origin (`{url_id}.lambda-url.{region}.on.aws`): with an Origin Access Control of type
/// `lambda` that signs, CloudFront calls as `cloudfront.amazonaws.com` for the distribution and the function's
/// resource policy decides
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html>);
/// without one the request is anonymous. A url id no function has does not resolve on AWS: 502.
async fn function_url(
    cloud: &SharedCloud,
    model: &Model,
    dist: &Distribution,
    origin: &Value,
    url_id: &str,
    req: &OriginRequest,
) -> Result<Response<Bytes>, OriginError> {
    let config = match crate::lambda::urls::find(cloud, url_id).await {
        Ok(Some(config)) => config,
        Ok(None) => {
            return Err(OriginError::Unreachable(format!(
                "{url_id}: no function has this URL, its name does not resolve"
            )));
        }
        Err(e) => return Err(OriginError::Unreachable(format!("{e:#}"))),
    };
    let oac = string(origin, "OriginAccessControlId");
    let signs = !oac.is_empty()
        && model.origin_access_controls.get(oac).is_some_and(|c| {
            string(c, "SigningBehavior") != "never"
                && string(c, "OriginAccessControlOriginType") == "lambda"
        });
    let caller = if signs {
        crate::lambda::urls::Caller::Service {
            principal: "cloudfront.amazonaws.com".to_owned(),
            source_arn: dist.arn.clone(),
        }
    } else {
        crate::lambda::urls::Caller::Anonymous
    };
    let origin_path = string(origin, "OriginPath").trim_end_matches('/');
    let mut uri = format!("{origin_path}{}", req.path);
    if !req.query.is_empty() {
        uri = format!("{uri}?{}", req.query);
    }
    let mut builder = Request::builder().method(req.method.clone()).uri(&uri);
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    let mut out = builder
        .body(req.body.clone())
        .map_err(|e| OriginError::Unreachable(format!("{uri}: {e}")))?;
    let headers = out.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&config.domain) {
        headers.insert(header::HOST, v);
    }
    for h in items(origin.get("CustomHeaders").unwrap_or(&Value::Null)) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(string(h, "HeaderName").as_bytes()),
            HeaderValue::from_str(string(h, "HeaderValue")),
        ) {
            headers.insert(name, value);
        }
    }
    Ok(crate::lambda::urls::invoke(cloud, &config, caller, out).await)
}

/// The bucket of an S3 REST endpoint domain (`b.s3.amazonaws.com`, `b.s3.us-east-1.amazonaws.com`,
/// `b.s3-us-east-1.amazonaws.com`).
pub fn s3_bucket(domain: &str) -> Option<&str> {
    let host = domain.strip_suffix(".amazonaws.com")?;
    let (bucket, rest) = host.rsplit_once(".s3")?;
    (rest.is_empty() || rest.starts_with('.') || rest.starts_with('-')).then_some(bucket)
}

/// An S3 error as S3 writes it.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>\
         <RequestId>{}</RequestId></Error>",
        uuid::Uuid::new_v4().simple()
    );
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Bytes::from(body))
        .expect("static response parts")
}

async fn s3(
    cloud: &SharedCloud,
    model: &Model,
    dist: &Distribution,
    origin: &Value,
    bucket: &str,
    req: &OriginRequest,
) -> Response<Bytes> {
    if !matches!(req.method, Method::GET | Method::HEAD) {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    }
    let key = percent_decode(req.path.trim_start_matches('/'));
    let origin_path = string(origin, "OriginPath").trim_matches('/');
    let key = if origin_path.is_empty() {
        key
    } else {
        format!("{origin_path}/{key}")
    };
    let policy = match super::moto_get(cloud, &format!("s3/{bucket}")).await {
        Ok(Some(body)) => serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("policy").and_then(Value::as_str).map(str::to_owned)),
        Ok(None) => {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchBucket",
                "The specified bucket does not exist",
            );
        }
        Err(e) => {
            tracing::warn!(bucket, error = %format!("{e:#}"), "reading the bucket");
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
            );
        }
    };
    // Signed by CloudFront when the origin has an Origin Access Control that signs; anonymous otherwise.
    let oac = string(origin, "OriginAccessControlId");
    let signed = !oac.is_empty()
        && model
            .origin_access_controls
            .get(oac)
            .is_some_and(|c| string(c, "SigningBehavior") != "never");
    let statements = policy
        .as_deref()
        .and_then(|p| policy::parse(p).ok())
        .unwrap_or_default();
    let allowed = |action: &str, resource: &str| {
        policy::decide(&statements, |s| {
            s.principals
                .iter()
                .any(|p| p == "*" || (signed && p == "service:cloudfront.amazonaws.com"))
                && s.covers_action(action)
                && s.covers_resource(|r| wildcard(r, resource, false))
                && s.conditions_hold(|k| match k {
                    "aws:sourcearn" if signed => Some(dist.arn.clone()),
                    "aws:sourceaccount" if signed => Some(ACCOUNT_ID.to_owned()),
                    _ => None,
                })
        }) == Decision::Allow
    };
    if !allowed("s3:GetObject", &format!("arn:aws:s3:::{bucket}/{key}")) {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    }
    let path = format!(
        "s3/{bucket}/{}",
        key.split('/')
            .map(encode_segment)
            .collect::<Vec<_>>()
            .join("/")
    );
    match super::moto_get_full(cloud, &path).await {
        Ok((Some(body), headers)) => {
            let mut resp = Response::builder().status(StatusCode::OK);
            for name in [header::CONTENT_TYPE, header::ETAG, header::LAST_MODIFIED] {
                if let Some(v) = headers.get(&name) {
                    resp = resp.header(name, v);
                }
            }
            let body = if req.method == Method::HEAD {
                Bytes::new()
            } else {
                body
            };
            resp.body(body).expect("copied response parts")
        }
        // S3 answers 404 for a missing key only to a caller that may list the bucket; 403 otherwise
        // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
        Ok((None, _)) if allowed("s3:ListBucket", &format!("arn:aws:s3:::{bucket}")) => s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ),
        Ok((None, _)) => s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied"),
        Err(e) => {
            tracing::warn!(bucket, error = %format!("{e:#}"), "reading the object");
            s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
            )
        }
    }
}

fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a custom origin's domain is reached locally: (URL base, Host header).
pub fn local_target(cloud: &SharedCloud, domain: &str, port: Option<i64>) -> (String, String) {
    let edge_port = cloud.config.edge_port;
    if let Some((api, rest)) = domain.split_once(".execute-api.")
        && rest.ends_with(".amazonaws.com")
    {
        let host = urls::execute_api(api, edge_port, "");
        let host = host.trim_start_matches("http://").to_owned();
        return (cloud.config.edge_url(), host);
    }
    if domain.ends_with(".localhost") || domain == "127.0.0.1" || domain == "localhost" {
        let port = port.map_or(edge_port.to_string(), |p| p.to_string());
        return (
            format!("http://127.0.0.1:{port}"),
            format!("{domain}:{port}"),
        );
    }
    let port = port.unwrap_or(80);
    (
        format!("http://{domain}:{port}"),
        format!("{domain}:{port}"),
    )
}

/// Whether an API Gateway domain (`{id}.execute-api.{region}.amazonaws.com`) names a deployed REST or HTTP API;
/// other domains are taken to exist (a failed connection answers for them). A failed read of moto counts as
/// existing, so the API's own answer decides.
async fn api_exists(cloud: &SharedCloud, domain: &str) -> bool {
    let Some((api, rest)) = domain.split_once(".execute-api.") else {
        return true;
    };
    if !rest.ends_with(".amazonaws.com") {
        return true;
    }
    !matches!(
        (
            crate::apigwv2::load::api(cloud, api).await,
            crate::apigw::load::api(cloud, api).await
        ),
        (Ok(None), Ok(None))
    )
}

async fn custom(
    cloud: &SharedCloud,
    origin: &Value,
    req: &OriginRequest,
) -> Result<Response<Bytes>, OriginError> {
    let domain = string(origin, "DomainName");
    if !api_exists(cloud, domain).await {
        // On AWS the name of an API that does not exist does not resolve: CloudFront cannot connect (502).
        return Err(OriginError::Unreachable(format!(
            "{domain}: no such API, its name does not resolve"
        )));
    }
    let config = origin
        .get("CustomOriginConfig")
        .cloned()
        .unwrap_or_default();
    let port = model::int(&config, "HTTPPort").filter(|p| *p != 80);
    let (base, host) = local_target(cloud, domain, port);
    let origin_path = string(origin, "OriginPath").trim_end_matches('/');
    let mut url = format!("{base}{origin_path}{}", req.path);
    if !req.query.is_empty() {
        url = format!("{url}?{}", req.query);
    }
    let mut builder = Request::builder().method(req.method.clone()).uri(&url);
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    let mut out = builder
        .body(req.body.clone())
        .map_err(|e| OriginError::Unreachable(format!("{url}: {e}")))?;
    let headers = out.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&host) {
        headers.insert(header::HOST, v);
    }
    for h in items(origin.get("CustomHeaders").unwrap_or(&Value::Null)) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(string(h, "HeaderName").as_bytes()),
            HeaderValue::from_str(string(h, "HeaderValue")),
        ) {
            headers.insert(name, value);
        }
    }
    let timeout = model::int(&config, "OriginReadTimeout")
        .unwrap_or(30)
        .max(1) as u64;
    match http_client::send(out, Duration::from_secs(timeout)).await {
        Ok(resp) => Ok(resp),
        Err(http_client::ForwardError::Timeout) => Err(OriginError::Timeout),
        Err(e) => Err(OriginError::Unreachable(format!("{url}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_rest_endpoints_name_their_bucket() {
        assert_eq!(s3_bucket("site.s3.amazonaws.com"), Some("site"));
        assert_eq!(
            s3_bucket("my.site.s3.us-east-1.amazonaws.com"),
            Some("my.site")
        );
        assert_eq!(s3_bucket("site.s3-us-west-2.amazonaws.com"), Some("site"));
        assert_eq!(s3_bucket("abc.execute-api.us-east-1.amazonaws.com"), None);
    }
}
