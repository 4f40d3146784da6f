//! HTTP checks: one request against a deployed URL (local URLs mapped to the edge), its assertions and
//! captures; and the `unreachable` check for addresses that must stay private.

use std::{net::ToSocketAddrs, time::Duration};

use anyhow::{Context, Result, bail};

use super::{Check, Run, contains, placeholders};
use crate::flags::Target;

pub fn run(check: &Check, run: &mut Run) -> Result<String> {
    let repeat = check.repeat.unwrap_or(1).max(1);
    let mut tally = std::collections::BTreeMap::<String, u32>::new();
    let mut summary = String::new();
    for _ in 0..repeat {
        let text;
        (summary, text) = once(check, run)?;
        if let Some(spread) = &check.spread {
            *tally.entry(spread.value_of(&text)).or_default() += 1;
        }
    }
    match &check.spread {
        Some(spread) => Ok(format!("{summary}; {}", spread.judge(&tally, repeat)?)),
        None if repeat > 1 => Ok(format!("{summary} ({repeat} times)")),
        None => Ok(summary),
    }
}

/// One request and its assertions: the summary line and the answer's body.
fn once(check: &Check, run: &mut Run) -> Result<(String, String)> {
    let request = check.request.as_deref().context("not a request check")?;
    let (method, url) = request
        .split_once(' ')
        .with_context(|| format!("`request = \"{request}\"` must be `METHOD URL`"))?;
    let url = placeholders::expand(url.trim(), &run.values)?;
    let (url, host) = match (run.target, run.edge_url.as_deref()) {
        (Target::Local, Some(edge)) => local_url(&url, edge),
        _ => (url, None),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    // What the messages name: a distribution by its local URL, not the edge's address it is sent to.
    let shown = match &host {
        Some(host) => format!(
            "http://{host}/{}",
            url.split_once("://")
                .and_then(|(_, rest)| rest.split_once('/'))
                .map_or("", |(_, path)| path)
        ),
        None => url.clone(),
    };
    let mut req = http::Request::builder().method(method).uri(&url);
    if let Some(host) = &host {
        req = req.header(http::header::HOST, host);
    }
    for (name, value) in &check.headers {
        let value = placeholders::expand(value.as_str().unwrap_or_default(), &run.values)?;
        req = req.header(name, value);
    }
    let body = match &check.body {
        Some(body) => placeholders::expand(body, &run.values)?,
        None => String::new(),
    };
    if check.body.is_some() && !check.headers.contains_key("content-type") {
        req = req.header("content-type", "application/json");
    }
    let mut response = agent
        .run(req.body(body)?)
        .with_context(|| format!("{method} {shown}"))?;
    let status = response.status().as_u16();
    run.last_status = Some(status);
    for (name, expected) in &check.response_headers {
        let expected = placeholders::expand(expected.as_str().unwrap_or_default(), &run.values)?;
        let actual = response
            .headers()
            .get(name.as_str())
            .and_then(|v| v.to_str().ok());
        if actual != Some(expected.as_str()) {
            bail!("{method} {shown}: header {name} is {actual:?}, expected {expected:?}");
        }
    }
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let short: String = text.chars().take(300).collect();
    if let Some(expected) = check.status
        && status != expected
    {
        bail!("{method} {shown}: status {status}, expected {expected}; body: {short}");
    }
    if let Some(needle) = &check.body_contains {
        let needle = placeholders::expand(needle, &run.values)?;
        if !text.contains(needle.as_str()) {
            bail!("{method} {shown}: body does not contain {needle:?}; body: {short}");
        }
    }
    let parsed = || {
        serde_json::from_str::<serde_json::Value>(&text)
            .with_context(|| format!("{method} {shown}: body is not JSON: {short}"))
    };
    if let Some(expected) = &check.json {
        let expected = placeholders::expand_json(&serde_json::to_value(expected)?, &run.values)?;
        if let Err(path) = contains(&parsed()?, &expected, "") {
            bail!("{method} {shown}: JSON differs at `{path}`; expected {expected}, body: {short}");
        }
    }
    let mut captured = Vec::new();
    if !check.capture.is_empty() {
        let doc = parsed()?;
        for (name, path) in &check.capture {
            let value = placeholders::at_path(&doc, path).with_context(|| {
                format!("{method} {shown}: `capture.{name}`: no `{path}` in the body: {short}")
            })?;
            captured.push(format!("{name}={value}"));
            run.values.insert(name.clone(), value.clone());
        }
    }
    let captured = if captured.is_empty() {
        String::new()
    } else {
        format!("; captured {}", captured.join(", "))
    };
    Ok((format!("{method} {shown} -> {status}{captured}"), text))
}

/// Where the local cloud serves `url`, and the Host header to send when the URL's host is not the one to connect
/// to: a CloudFront distribution ([`local_host_routed_form`]), execute-api ([`local_form`]), a load balancer
/// ([`local_elb_form`]) or an S3 bucket ([`local_s3_form`]).
fn local_url(url: &str, edge_url: &str) -> (String, Option<String>) {
    if let Some((url, host)) = local_host_routed_form(url, edge_url) {
        return (url, Some(host));
    }
    (
        local_s3_form(&local_elb_form(&local_form(url), edge_url), edge_url),
        None,
    )
}

/// A distribution's URL, `https://{id}.cloudfront.net/{path}` or its local form
/// `http://{id}.cloudfront.localhost:{port}/{path}` (which browsers resolve, but not every resolver), or a function
/// URL, `https://{url_id}.lambda-url.{region}.on.aws/{path}` or `http://{url_id}.lambda-url.localhost:{port}/{path}`
/// -> the edge on 127.0.0.1 and the Host header naming the distribution or URL, as the edge routes them by Host.
fn local_host_routed_form(url: &str, edge_url: &str) -> Option<(String, String)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (authority, path, query) = split_authority(rest);
    let edge = edge_url.trim_end_matches('/');
    let edge_port = edge.rsplit(':').next().unwrap_or("4566");
    use local_cloud::contract::urls;
    let local = if authority.ends_with(".cloudfront.net") {
        urls::cloudfront(authority, edge_port, "")?
    } else if authority.ends_with(".on.aws") {
        urls::lambda_url(authority, edge_port, "")?
    } else {
        format!("http://{authority}")
    };
    let host = local.strip_prefix("http://")?.to_owned();
    let (name, port) = host.split_once(':').unwrap_or((&host, "80"));
    if !name.ends_with(urls::CLOUDFRONT_HOST_SUFFIX)
        && !name.ends_with(urls::LAMBDA_URL_HOST_SUFFIX)
    {
        return None;
    }
    Some((format!("http://127.0.0.1:{port}/{path}{query}"), host))
}

/// `https://{bucket}.s3[.{region}].amazonaws.com/{key}` (a bucket's virtual-hosted URL) -> the edge's path-style
/// `{edge}/{bucket}/{key}`, sent as it came (an unsigned request stays unsigned).
fn local_s3_form(url: &str, edge_url: &str) -> String {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return url.to_owned();
    };
    let (host, path, query) = split_authority(rest);
    let bucket = host.strip_suffix(".amazonaws.com").and_then(|h| {
        let (bucket, region) = h.rsplit_once(".s3")?;
        (region.is_empty() || region.starts_with('.') || region.starts_with('-')).then_some(bucket)
    });
    match bucket {
        Some(bucket) if !bucket.is_empty() => {
            format!("{}/{bucket}/{path}{query}", edge_url.trim_end_matches('/'))
        }
        _ => url.to_owned(),
    }
}

/// `http://{id}.execute-api.localhost:{port}/{stage}/{path}` -> the edge's path form on 127.0.0.1, so no
/// resolver needs to know `*.localhost`. Other URLs are returned unchanged.
pub(crate) fn local_form(url: &str) -> String {
    let Some(rest) = url.strip_prefix("http://") else {
        return url.to_owned();
    };
    let (host, path, query) = split_authority(rest);
    let Some((api_id, port)) = host
        .split_once(".execute-api.localhost")
        .map(|(id, port)| (id, port.trim_start_matches(':')))
    else {
        return url.to_owned();
    };
    let port = if port.is_empty() { "80" } else { port };
    let (stage, rest) = path.split_once('/').unwrap_or((path, ""));
    // An HTTP API's `$default` stage has no path segment: `https://{id}.execute-api.../?name=x`.
    let stage = if stage.is_empty() { "$default" } else { stage };
    format!("http://127.0.0.1:{port}/restapis/{api_id}/{stage}/_user_request_/{rest}{query}")
}

/// `http://{lb}.elb.amazonaws.com[:port]/{path}` (a load balancer's DNS name, which only AWS resolves) -> the
/// edge's `/_elb/{dns}:{port}/{path}` route, which serves internet-facing load balancers and refuses internal ones.
fn local_elb_form(url: &str, edge_url: &str) -> String {
    let Some(rest) = url.strip_prefix("http://") else {
        return url.to_owned();
    };
    let (authority, path, query) = split_authority(rest);
    let (host, port) = authority.split_once(':').unwrap_or((authority, "80"));
    if !host.ends_with(".elb.amazonaws.com") {
        return url.to_owned();
    }
    format!(
        "{}/_elb/{host}:{port}/{path}{query}",
        edge_url.trim_end_matches('/')
    )
}

/// A URL after its `scheme://` -> its authority, its path without the leading `/`, and what follows the path
/// (`?query`, `#fragment`, or nothing): a query may follow the authority directly (`host?x=/y`).
fn split_authority(rest: &str) -> (&str, &str, &str) {
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let tail = tail.strip_prefix('/').unwrap_or(tail);
    let (path, query) = tail.split_at(tail.find(['?', '#']).unwrap_or(tail.len()));
    (authority, path, query)
}

/// Passes when `target` (`host:port`) does not resolve or refuses/times out every connection.
pub fn unreachable(target: &str) -> Result<String> {
    let addrs = match target.to_socket_addrs() {
        Ok(addrs) => addrs.collect::<Vec<_>>(),
        Err(err) => return Ok(format!("{target} does not resolve from this host ({err})")),
    };
    for addr in &addrs {
        if std::net::TcpStream::connect_timeout(addr, Duration::from_secs(3)).is_ok() {
            bail!("{target} accepted a connection at {addr}: it is reachable from this host");
        }
    }
    Ok(format!(
        "{target}: no connection at {} address(es)",
        addrs.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_form_urls_become_the_edge_path_form() {
        assert_eq!(
            local_form("http://abc.execute-api.localhost:4566/prod/hello?name=x"),
            "http://127.0.0.1:4566/restapis/abc/prod/_user_request_/hello?name=x"
        );
        // The query is not a path segment, and the `$default` stage of an HTTP API has none (found copying the
        // upstream collection's apigw-http-api-lambda-rust: `GET {HttpApiEndpoint}/?name=x`).
        assert_eq!(
            local_form("http://abc.execute-api.localhost:4566/?name=x"),
            "http://127.0.0.1:4566/restapis/abc/$default/_user_request_/?name=x"
        );
        assert_eq!(
            local_form("http://abc.execute-api.localhost:4566?name=x/y"),
            "http://127.0.0.1:4566/restapis/abc/$default/_user_request_/?name=x/y"
        );
        assert_eq!(
            local_form("http://abc.execute-api.localhost:4566/prod?a=1"),
            "http://127.0.0.1:4566/restapis/abc/prod/_user_request_/?a=1"
        );
        assert_eq!(
            local_form("https://abc.execute-api.us-east-1.amazonaws.com/prod"),
            "https://abc.execute-api.us-east-1.amazonaws.com/prod"
        );
    }

    #[test]
    fn load_balancer_urls_go_to_the_edge_elb_route() {
        let edge = "http://127.0.0.1:4566";
        assert_eq!(
            local_elb_form("http://a-1.us-east-1.elb.amazonaws.com/x?y=1", edge),
            "http://127.0.0.1:4566/_elb/a-1.us-east-1.elb.amazonaws.com:80/x?y=1"
        );
        assert_eq!(
            local_elb_form("http://a.elb.amazonaws.com:8080", edge),
            "http://127.0.0.1:4566/_elb/a.elb.amazonaws.com:8080/"
        );
        assert_eq!(
            local_elb_form("http://example.com/x", edge),
            "http://example.com/x"
        );
    }

    #[test]
    fn a_url_splits_into_authority_path_and_query() {
        assert_eq!(split_authority("h:1/a/b?q=/x"), ("h:1", "a/b", "?q=/x"));
        assert_eq!(split_authority("h?q=/x"), ("h", "", "?q=/x"));
        assert_eq!(split_authority("h/#f"), ("h", "", "#f"));
        assert_eq!(split_authority("h"), ("h", "", ""));
    }

    #[test]
    fn distribution_urls_go_to_the_edge_with_the_distribution_as_host() {
        let edge = "http://127.0.0.1:4664";
        assert_eq!(
            local_url(
                "http://d111abcdef8.cloudfront.localhost:4664/orders/42",
                edge
            ),
            (
                "http://127.0.0.1:4664/orders/42".to_owned(),
                Some("d111abcdef8.cloudfront.localhost:4664".to_owned())
            )
        );
        assert_eq!(
            local_url("https://d111abcdef8.cloudfront.net", edge),
            (
                "http://127.0.0.1:4664/".to_owned(),
                Some("d111abcdef8.cloudfront.localhost:4664".to_owned())
            )
        );
        assert_eq!(
            local_url("https://example.com/x", edge),
            ("https://example.com/x".to_owned(), None)
        );
    }

    #[test]
    fn function_urls_go_to_the_edge_with_the_url_as_host() {
        let edge = "http://127.0.0.1:4664";
        let local = (
            "http://127.0.0.1:4664/hello?x=1".to_owned(),
            Some("abc123.lambda-url.localhost:4664".to_owned()),
        );
        assert_eq!(
            local_url("https://abc123.lambda-url.us-east-1.on.aws/hello?x=1", edge),
            local
        );
        assert_eq!(
            local_url("http://abc123.lambda-url.localhost:4664/hello?x=1", edge),
            local
        );
    }

    #[test]
    fn bucket_urls_become_the_edge_path_style() {
        let edge = "http://127.0.0.1:4566";
        assert_eq!(
            local_s3_form("https://site-1.s3.us-east-1.amazonaws.com/index.html", edge),
            "http://127.0.0.1:4566/site-1/index.html"
        );
        assert_eq!(
            local_s3_form("https://site.s3.amazonaws.com/a/b.js", edge),
            "http://127.0.0.1:4566/site/a/b.js"
        );
        assert_eq!(
            local_s3_form("https://abc.execute-api.us-east-1.amazonaws.com/x", edge),
            "https://abc.execute-api.us-east-1.amazonaws.com/x"
        );
    }

    #[test]
    fn a_listening_port_is_reachable_and_a_closed_one_is_not() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap().to_string();
        assert!(unreachable(&open).is_err());
        drop(listener);
        assert!(unreachable(&open).is_ok());
        assert!(unreachable("no-such-host.invalid:80").is_ok());
    }
}
