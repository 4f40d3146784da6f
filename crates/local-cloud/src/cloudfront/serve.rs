//! One viewer request to a distribution: the URL checks and path normalisation, the cache behaviour (the first
//! `CacheBehaviors` path pattern that matches, in order, else the default), allowed methods, the edge cache
//! (`x-cache: Hit/Miss/Error from cloudfront`), the origin or origin group, custom error responses and the
//! response headers policy
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-web-values-specify.html>).
//!
//! Over 400 lines: the steps of one request in the order CloudFront runs them, with their tests.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use serde_json::Value;

use super::{
    cache::{self, Entry},
    model::{Distribution, Model, flag, int, items, string},
    origin::{self, OriginError, OriginRequest},
};
use crate::{SharedCloud, shared::matchers::wildcard};

/// CloudFront's maximum URL length (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html>,
/// "Maximum length of a URL": 8,192 bytes).
pub const MAX_URL: usize = 8192;

/// A page CloudFront itself answers with (as its "The request could not be satisfied" pages).
fn page(status: StatusCode, why: &str) -> Response<Bytes> {
    let body = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<HTML><HEAD><TITLE>ERROR: The request \
         could not be satisfied</TITLE></HEAD><BODY><H1>{} ERROR</H1><H2>The request could not be satisfied.</H2>\
         <HR noshade size=\"1px\">{why}</BODY></HTML>",
        status.as_u16()
    );
    let mut resp = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html")
        .body(Bytes::from(body))
        .expect("static response parts");
    resp.headers_mut()
        .insert("x-cache", HeaderValue::from_static("Error from cloudfront"));
    resp
}

/// Removes `.` and `..` segments (RFC 3986, 5.2.4), as CloudFront normalises a path before it matches behaviours;
/// `..` never climbs above the root.
pub fn normalise(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

/// The behaviour serving `path`: the first of `CacheBehaviors` whose pattern matches (case-sensitive, `*` and
/// `?`), else the default.
pub fn behaviour<'a>(config: &'a Value, path: &str) -> &'a Value {
    items(config.get("CacheBehaviors").unwrap_or(&Value::Null))
        .iter()
        .find(|b| {
            let pattern = string(b, "PathPattern");
            let pattern = if pattern.starts_with('/') {
                pattern.to_owned()
            } else {
                format!("/{pattern}")
            };
            wildcard(&pattern, path, false)
        })
        .unwrap_or(&config["DefaultCacheBehavior"])
}

/// Serves a viewer request to distribution `id`.
pub async fn handle(cloud: &SharedCloud, id: &str, req: Request<Bytes>) -> Response<Bytes> {
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URL {
        return page(
            StatusCode::URI_TOO_LONG,
            "The URL is longer than CloudFront allows.",
        );
    }
    let model = match super::model(cloud).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "reading CloudFront distributions");
            return page(
                StatusCode::BAD_GATEWAY,
                "The distribution's configuration could not be read.",
            );
        }
    };
    let Some(dist) = model.distribution(id) else {
        return page(
            StatusCode::NOT_FOUND,
            "No distribution has this domain name.",
        );
    };
    let config = &dist.distribution_config;
    if config
        .get("Enabled")
        .is_some_and(|e| !flag(config, "Enabled") && !e.is_null())
    {
        return page(StatusCode::FORBIDDEN, "The distribution is disabled.");
    }
    let raw_path = req.uri().path();
    if !raw_path.starts_with('/') {
        return page(StatusCode::BAD_REQUEST, "Bad request.");
    }
    let mut path = normalise(raw_path);
    let root = string(config, "DefaultRootObject");
    if path == "/" && !root.is_empty() {
        path = format!("/{}", root.trim_start_matches('/'));
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    let (parts, body) = req.into_parts();
    let mut resp = serve(
        cloud,
        &model,
        dist,
        &parts.method,
        &path,
        &query,
        &parts.headers,
        body,
    )
    .await;
    // Custom error responses: the origin's error code replaced by a page from the distribution.
    let status = resp.status().as_u16();
    if status >= 400
        && let Some(custom) = items(config.get("CustomErrorResponses").unwrap_or(&Value::Null))
            .iter()
            .find(|e| int(e, "ErrorCode") == Some(i64::from(status)))
    {
        let page_path = string(custom, "ResponsePagePath");
        let code = int(custom, "ResponseCode")
            .and_then(|c| StatusCode::from_u16(c as u16).ok())
            .unwrap_or(resp.status());
        if !page_path.is_empty() {
            let page = serve(
                cloud,
                &model,
                dist,
                &Method::GET,
                page_path,
                "",
                &parts.headers,
                Bytes::new(),
            )
            .await;
            if page.status().is_success() {
                resp = page;
            }
        }
        *resp.status_mut() = code;
        resp.headers_mut()
            .insert("x-cache", HeaderValue::from_static("Error from cloudfront"));
    }
    let behaviour = behaviour(config, &path);
    if let Some(policy) = model
        .response_headers_policies
        .get(string(behaviour, "ResponseHeadersPolicyId"))
    {
        apply_response_headers(policy, resp.headers_mut());
    }
    let headers = resp.headers_mut();
    headers.insert(
        "via",
        HeaderValue::from_str(&format!("1.1 {} (CloudFront)", dist.domain_name))
            .unwrap_or(HeaderValue::from_static("1.1 cloudfront.net (CloudFront)")),
    );
    headers.insert("x-amz-cf-pop", HeaderValue::from_static("LOCAL1-C1"));
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().simple().to_string()) {
        headers.insert("x-amz-cf-id", v);
    }
    if parts.method == Method::HEAD {
        *resp.body_mut() = Bytes::new();
    }
    resp
}

/// The behaviour's answer for one path: from the edge cache or the origin (group); no custom error pages.
#[allow(clippy::too_many_arguments)]
async fn serve(
    cloud: &SharedCloud,
    model: &Model,
    dist: &Distribution,
    method: &Method,
    path: &str,
    query: &str,
    viewer_headers: &HeaderMap,
    body: Bytes,
) -> Response<Bytes> {
    let config = &dist.distribution_config;
    let behaviour = behaviour(config, path);
    let allowed = behaviour.get("AllowedMethods");
    let allowed: Vec<&str> = allowed
        .map(|a| items(a).iter().filter_map(Value::as_str).collect())
        .filter(|a: &Vec<&str>| !a.is_empty())
        .unwrap_or_else(|| vec!["GET", "HEAD"]);
    if !allowed
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method.as_str()))
    {
        return page(
            StatusCode::FORBIDDEN,
            "This distribution is not configured to allow the HTTP request method that was used for this request.",
        );
    }
    let cache_policy = model.cache_policies.get(string(behaviour, "CachePolicyId"));
    let request_policy = model
        .origin_request_policies
        .get(string(behaviour, "OriginRequestPolicyId"));
    let (min, default, max) = match cache_policy {
        Some(p) => (
            int(p, "MinTTL").unwrap_or(0),
            int(p, "DefaultTTL").unwrap_or(86400),
            int(p, "MaxTTL").unwrap_or(31536000),
        ),
        None => (
            int(behaviour, "MinTTL").unwrap_or(0),
            int(behaviour, "DefaultTTL").unwrap_or(86400),
            int(behaviour, "MaxTTL").unwrap_or(31536000),
        ),
    };
    let in_key = cache_policy
        .and_then(|p| p.get("ParametersInCacheKeyAndForwardedToOrigin"))
        .cloned()
        .unwrap_or_default();
    let legacy = behaviour
        .get("ForwardedValues")
        .cloned()
        .unwrap_or_default();
    let query_in_key = behaviour_of(&in_key, "QueryStringsConfig", "QueryStringBehavior")
        .is_some_and(|b| b != "none")
        || flag(&legacy, "QueryString");
    let query_forwarded = query_in_key
        || request_policy
            .and_then(|p| behaviour_of(p, "QueryStringsConfig", "QueryStringBehavior"))
            .is_some_and(|b| b != "none");
    let headers = forwarded_headers(viewer_headers, request_policy, &in_key);
    let cacheable = matches!(*method, Method::GET | Method::HEAD);
    let key = format!("{path}?{}", if query_in_key { query } else { "" });
    if cacheable && let Some(hit) = cloud.cloudfront.cache.get(&dist.id, &key) {
        let mut resp = Response::builder()
            .status(hit.status)
            .body(hit.body)
            .expect("cached parts");
        *resp.headers_mut() = hit.headers;
        resp.headers_mut()
            .insert("x-cache", HeaderValue::from_static("Hit from cloudfront"));
        if let Ok(age) = HeaderValue::from_str(&hit.stored.elapsed().as_secs().to_string()) {
            resp.headers_mut().insert(header::AGE, age);
        }
        return resp;
    }
    let request = OriginRequest {
        method: method.clone(),
        path: path.to_owned(),
        query: if query_forwarded {
            query.to_owned()
        } else {
            String::new()
        },
        headers,
        body,
    };
    let target = string(behaviour, "TargetOriginId");
    let mut resp = match fetch_target(cloud, model, dist, target, &request).await {
        Ok(resp) => resp,
        Err(OriginError::Timeout) => {
            return page(
                StatusCode::GATEWAY_TIMEOUT,
                "The origin did not answer in time.",
            );
        }
        Err(OriginError::Unreachable(why)) => {
            tracing::warn!(distribution = %dist.id, origin = target, why, "origin unreachable");
            return page(
                StatusCode::BAD_GATEWAY,
                "CloudFront wasn't able to connect to the origin.",
            );
        }
    };
    let ttl = cache::ttl(
        resp.headers(),
        min.max(0) as u64,
        default.max(0) as u64,
        max.max(0) as u64,
    );
    if cacheable && resp.status().is_success() {
        cloud.cloudfront.cache.put(
            &dist.id,
            key,
            Entry {
                status: resp.status(),
                headers: resp.headers().clone(),
                body: resp.body().clone(),
                stored: Instant::now(),
                ttl,
            },
        );
    }
    let x_cache = if resp.status().as_u16() >= 400 {
        "Error from cloudfront"
    } else {
        "Miss from cloudfront"
    };
    resp.headers_mut()
        .insert("x-cache", HeaderValue::from_static(x_cache));
    resp
}

/// `config[section][field]` (`HeadersConfig.HeaderBehavior`, ...).
fn behaviour_of<'a>(config: &'a Value, section: &str, field: &str) -> Option<&'a str> {
    config.get(section)?.get(field)?.as_str()
}

/// The origin or origin group `target`: an origin group fails over to its next member when an origin gives no
/// response or one of the group's failover status codes.
async fn fetch_target(
    cloud: &SharedCloud,
    model: &Model,
    dist: &Distribution,
    target: &str,
    req: &OriginRequest,
) -> Result<Response<Bytes>, OriginError> {
    let config = &dist.distribution_config;
    let origin_by_id = |id: &str| {
        items(config.get("Origins").unwrap_or(&Value::Null))
            .iter()
            .find(|o| string(o, "Id") == id)
            .cloned()
    };
    if let Some(group) = items(config.get("OriginGroups").unwrap_or(&Value::Null))
        .iter()
        .find(|g| string(g, "Id") == target)
    {
        let codes: Vec<i64> = group
            .get("FailoverCriteria")
            .and_then(|c| c.get("StatusCodes"))
            // Numbers, or numeric strings as CloudFormation may pass them.
            .map(|c| {
                items(c)
                    .iter()
                    .filter_map(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                    .collect()
            })
            .unwrap_or_default();
        let members: Vec<String> = items(group.get("Members").unwrap_or(&Value::Null))
            .iter()
            .map(|m| string(m, "OriginId").to_owned())
            .collect();
        let mut last = Err(OriginError::Unreachable(format!(
            "origin group {target} has no members"
        )));
        for (i, member) in members.iter().enumerate() {
            let Some(origin) = origin_by_id(member) else {
                continue;
            };
            last = origin::fetch(cloud, model, dist, &origin, req).await;
            let fails_over = match &last {
                Ok(resp) => codes.contains(&i64::from(resp.status().as_u16())),
                Err(_) => true,
            };
            if !fails_over || i + 1 == members.len() {
                break;
            }
        }
        return last;
    }
    let origin = origin_by_id(target)
        .ok_or_else(|| OriginError::Unreachable(format!("no origin {target}")))?;
    origin::fetch(cloud, model, dist, &origin, req).await
}

/// The viewer headers the origin request policy (and the cache policy) forward, without `Host` (CloudFront sets
/// the origin's), plus what CloudFront always adds.
fn forwarded_headers(
    viewer: &HeaderMap,
    request_policy: Option<&Value>,
    in_key: &Value,
) -> HeaderMap {
    let names = |c: &Value, section: &str| -> Vec<String> {
        c.get(section)
            .and_then(|h| h.get("Headers"))
            .map(|h| {
                items(h)
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    };
    let policy_behaviour =
        request_policy.and_then(|p| behaviour_of(p, "HeadersConfig", "HeaderBehavior"));
    let policy_names = request_policy
        .map(|p| names(p, "HeadersConfig"))
        .unwrap_or_default();
    let key_names = names(in_key, "HeadersConfig");
    let cookies = request_policy
        .and_then(|p| behaviour_of(p, "CookiesConfig", "CookieBehavior"))
        .is_some_and(|b| b != "none")
        || behaviour_of(in_key, "CookiesConfig", "CookieBehavior").is_some_and(|b| b != "none");
    let mut out = HeaderMap::new();
    for (name, value) in viewer {
        let n = name.as_str();
        if n == "host" || (n == "cookie" && !cookies) {
            continue;
        }
        let forward = n == "cookie"
            || key_names.iter().any(|k| k == n)
            || match policy_behaviour {
                Some("allViewer" | "allViewerAndWhitelistCloudFront") => true,
                Some("allExcept") => !policy_names.iter().any(|k| k == n),
                Some("whitelist") => policy_names.iter().any(|k| k == n),
                _ => false,
            };
        if forward {
            out.append(name.clone(), value.clone());
        }
    }
    if !out.contains_key(header::USER_AGENT) {
        out.insert(
            header::USER_AGENT,
            HeaderValue::from_static("Amazon CloudFront"),
        );
    }
    out.insert("x-forwarded-for", HeaderValue::from_static("127.0.0.1"));
    out.insert(
        "via",
        HeaderValue::from_static("1.1 local.cloudfront.net (CloudFront)"),
    );
    out
}

/// The response headers policy's security and custom headers (each one set unless the origin sent it and the
/// policy does not override).
pub fn apply_response_headers(policy: &Value, headers: &mut HeaderMap) {
    let mut set = |name: &'static str, value: String, overrides: bool| {
        if (overrides || !headers.contains_key(name))
            && let Ok(v) = HeaderValue::from_str(&value)
        {
            headers.insert(HeaderName::from_static(name), v);
        }
    };
    let security = policy
        .get("SecurityHeadersConfig")
        .cloned()
        .unwrap_or_default();
    if let Some(c) = security.get("StrictTransportSecurity") {
        let mut value = format!("max-age={}", int(c, "AccessControlMaxAgeSec").unwrap_or(0));
        if flag(c, "IncludeSubdomains") {
            value.push_str("; includeSubDomains");
        }
        if flag(c, "Preload") {
            value.push_str("; preload");
        }
        set("strict-transport-security", value, flag(c, "Override"));
    }
    if let Some(c) = security.get("ContentSecurityPolicy") {
        set(
            "content-security-policy",
            string(c, "ContentSecurityPolicy").to_owned(),
            flag(c, "Override"),
        );
    }
    if let Some(c) = security.get("ContentTypeOptions") {
        set(
            "x-content-type-options",
            "nosniff".to_owned(),
            flag(c, "Override"),
        );
    }
    if let Some(c) = security.get("FrameOptions") {
        set(
            "x-frame-options",
            string(c, "FrameOption").to_owned(),
            flag(c, "Override"),
        );
    }
    if let Some(c) = security.get("ReferrerPolicy") {
        set(
            "referrer-policy",
            string(c, "ReferrerPolicy").to_owned(),
            flag(c, "Override"),
        );
    }
    if let Some(c) = security.get("XSSProtection") {
        let mut value = if flag(c, "Protection") {
            "1".to_owned()
        } else {
            "0".to_owned()
        };
        if flag(c, "ModeBlock") {
            value.push_str("; mode=block");
        }
        set("x-xss-protection", value, flag(c, "Override"));
    }
    let custom = policy
        .get("CustomHeadersConfig")
        .cloned()
        .unwrap_or_default();
    for h in items(&custom) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(string(h, "Header").to_ascii_lowercase().as_bytes()),
            HeaderValue::from_str(string(h, "Value")),
        ) && (flag(h, "Override") || !headers.contains_key(&name))
        {
            headers.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_removed_and_never_climb_above_the_root() {
        assert_eq!(normalise("/a/./b/../c"), "/a/c");
        assert_eq!(normalise("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(normalise("/a/b/.."), "/a/");
        assert_eq!(normalise("/"), "/");
        assert_eq!(
            normalise("/a%2F..%2Fb"),
            "/a%2F..%2Fb",
            "encoded slashes are not separators"
        );
    }

    #[test]
    fn behaviours_match_in_order_and_fall_back_to_the_default() {
        let config = serde_json::json!({
            "DefaultCacheBehavior": {"TargetOriginId": "site"},
            "CacheBehaviors": {"Quantity": 2, "Items": [
                {"PathPattern": "/api/*", "TargetOriginId": "api"},
                {"PathPattern": "*.js", "TargetOriginId": "assets"}]}});
        assert_eq!(
            string(behaviour(&config, "/api/orders"), "TargetOriginId"),
            "api"
        );
        assert_eq!(
            string(behaviour(&config, "/api/x.js"), "TargetOriginId"),
            "api",
            "the first match wins"
        );
        assert_eq!(
            string(behaviour(&config, "/app.js"), "TargetOriginId"),
            "assets"
        );
        assert_eq!(
            string(behaviour(&config, "/API/orders"), "TargetOriginId"),
            "site",
            "case-sensitive"
        );
        assert_eq!(
            string(behaviour(&config, "/index.html"), "TargetOriginId"),
            "site"
        );
    }

    #[test]
    fn security_headers_are_set_and_respect_override() {
        let policy = serde_json::json!({"SecurityHeadersConfig": {
            "StrictTransportSecurity": {"Override": true, "AccessControlMaxAgeSec": 63072000,
                                        "IncludeSubdomains": true, "Preload": false},
            "FrameOptions": {"Override": false, "FrameOption": "DENY"},
            "ContentTypeOptions": {"Override": true}},
            "CustomHeadersConfig": {"Quantity": 1, "Items": [{"Header": "X-Team", "Value": "spa", "Override": true}]}});
        let mut headers = HeaderMap::new();
        headers.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
        apply_response_headers(&policy, &mut headers);
        assert_eq!(
            headers["strict-transport-security"],
            "max-age=63072000; includeSubDomains"
        );
        assert_eq!(
            headers["x-frame-options"], "SAMEORIGIN",
            "the origin's wins without Override"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-team"], "spa");
    }
}
