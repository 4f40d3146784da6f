//! `cargo xtask bench apis`: the API and web series, each through a pattern deployed here with `--release`
//! function builds (as the flagship's series) and destroyed afterwards ([`super::with_release`]):
//!
//! - `apigw-http-api-lambda`: its public route, HTTP API (payload 2.0) -> Lambda;
//! - `apigw-rest-lambda-authorizer`: `GET /token` behind the TOKEN authorizer with a fixed allowed token (the
//!   authorizer runs once; every later request is answered from its TTL cache), against a route the bench adds
//!   to the same API and stage without an authorizer (`GET /bench-open`, the same greeter function, which
//!   answers an anonymous caller 401: that status is the route's success), so the difference is the cached
//!   authorizer;
//!   Beside the two series, [`paired_difference`] measures both routes in alternating rounds for that difference;
//! - `cloudfront-s3-apigw-spa`: `/index.html` through the distribution (a cache hit after the first request,
//!   checked before measuring), and `/api/orders/42` through the distribution against the same API's own
//!   execute-api URL (and their paired difference).
//!
//! Every route is measured by `local-cloud load` with 1 client and with `--concurrency` clients.

use anyhow::{Context, Result, bail};

use super::{LoadRequest, Series, series as load, with_release};
use crate::{aws::raw, deploy::Outputs, flags::BenchArgs, verify::placeholders::output};

/// The token of the authorized route: allowed by the pattern's authorizer (its validation expression is
/// `^(Bearer )?(allow|deny)-[A-Za-z0-9-]{1,64}$`).
const TOKEN: &str = "Bearer allow-bench";
/// The route the bench adds to the REST API, without an authorizer.
const OPEN: &str = "bench-open";

/// The three patterns' series, one after the other.
pub fn series(args: &BenchArgs) -> Result<Vec<Series>> {
    let edge = crate::local::ensure_up(None)?.edge_url;
    let mut results = with_release("apigw-http-api-lambda", None, "function_name", |o| {
        http_api(args, &edge, o)
    })?;
    results.extend(with_release(
        "apigw-rest-lambda-authorizer",
        None,
        "token_authorizer_function",
        |o| rest_authorizer(args, &edge, o),
    )?);
    results.extend(with_release(
        "cloudfront-s3-apigw-spa",
        None,
        "function_name",
        |o| cloudfront(args, &edge, o),
    )?);
    Ok(results)
}

/// A deployed URL as the local cloud serves it, with the headers to send.
struct Route {
    url: String,
    headers: Vec<String>,
    expect_status: Option<u16>,
}

impl Route {
    /// `url` (a deployment's URL) mapped to the edge as `cargo xtask verify` maps it (a distribution's Host).
    fn new(edge: &str, url: &str, headers: &[&str]) -> Self {
        let (url, host) = crate::verify::local_url(url, edge);
        let mut headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        headers.extend(host.map(|h| format!("host: {h}")));
        Self {
            url,
            headers,
            expect_status: None,
        }
    }

    /// The route measured with 1 client and with `args.concurrency` clients.
    fn measure(&self, args: &BenchArgs, name: &str) -> Result<Vec<Series>> {
        let at = |concurrency| LoadRequest {
            url: &self.url,
            method: "GET",
            body_file: None,
            requests: args.requests,
            concurrency,
            cold_reset: None,
            headers: self.headers.clone(),
            expect_status: self.expect_status,
        };
        Ok(vec![
            load(name, &at(1))?,
            load(&format!("{name}, concurrent"), &at(args.concurrency))?,
        ])
    }
}

fn url_output<'a>(outputs: &'a Outputs, name: &str) -> Result<&'a str> {
    output(outputs, name)
        .and_then(|v| v.as_str())
        .with_context(|| format!("output {name}"))
}

fn http_api(args: &BenchArgs, edge: &str, outputs: &Outputs) -> Result<Vec<Series>> {
    let api = url_output(outputs, "api_url")?.trim_end_matches('/');
    Route::new(edge, &format!("{api}/hello/bench"), &[])
        .measure(args, "HTTP API (payload 2.0) -> Lambda")
}

fn rest_authorizer(args: &BenchArgs, edge: &str, outputs: &Outputs) -> Result<Vec<Series>> {
    let api = url_output(outputs, "api_url")?.trim_end_matches('/');
    add_open_route(edge, api)?;
    let mut open = Route::new(edge, &format!("{api}/{OPEN}"), &[]);
    open.expect_status = Some(401);
    let authorized = Route::new(
        edge,
        &format!("{api}/token"),
        &[&format!("authorization: {TOKEN}")],
    );
    let mut results = open.measure(args, "REST API -> Lambda, no authorizer")?;
    results.extend(authorized.measure(args, "REST API, cached TOKEN authorizer -> Lambda")?);
    results.push(paired_difference(
        args,
        "cached TOKEN authorizer adds",
        &open,
        &authorized,
    )?);
    Ok(results)
}

/// Rounds of [`paired_difference`]: each measures both routes in turn, so a change of the machine's load (other
/// work on the same cores) weighs on both alike.
const ROUNDS: usize = 10;

/// What `with` adds to `without` at p50 (the cached authorizer, the distribution): the median, over [`ROUNDS`]
/// alternating rounds of one client, of `with`'s p50 minus `without`'s (`max_ms`: the largest difference of a round).
fn paired_difference(
    args: &BenchArgs,
    name: &str,
    without: &Route,
    with: &Route,
) -> Result<Series> {
    let requests = (args.requests / ROUNDS).max(100);
    let p50 = |route: &Route| -> Result<f64> {
        let request = LoadRequest {
            url: &route.url,
            method: "GET",
            body_file: None,
            requests,
            concurrency: 1,
            cold_reset: None,
            headers: route.headers.clone(),
            expect_status: route.expect_status,
        };
        Ok(load("a round", &request)?.p50_ms)
    };
    let mut differences = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let base = p50(without)?;
        differences.push(p50(with)? - base);
    }
    differences.sort_by(f64::total_cmp);
    let median = (differences[ROUNDS / 2 - 1] + differences[ROUNDS / 2]) / 2.0;
    tracing::info!(?differences, "{name}: p50 differences per round");
    Ok(Series {
        name: format!("{name} (p50, median of {ROUNDS} paired rounds)"),
        requests: 2 * ROUNDS * requests,
        concurrency: 1,
        p50_ms: median,
        p99_ms: f64::NAN,
        max_ms: differences[ROUNDS - 1],
        requests_per_s: f64::NAN,
    })
}

/// Adds `GET /{OPEN}` without an authorizer to the REST API of `api_url` (`.../{id}.execute-api.../{stage}`),
/// integrated with the same function as `GET /token`, and redeploys the stage. The pattern's destroy deletes
/// the API with it.
fn add_open_route(edge: &str, api_url: &str) -> Result<()> {
    let rest = api_url.split_once("://").map_or(api_url, |(_, rest)| rest);
    let (host, path) = rest.split_once('/').context("api_url names no stage")?;
    let id = host.split('.').next().unwrap_or(host);
    let stage = path.split('/').next().unwrap_or(path);
    let call = |method: &str, path: &str, body: Option<serde_json::Value>| {
        let path = format!("/restapis/{id}{path}");
        let answer = match body {
            Some(body) => raw::rest_with_json(edge, method, "apigateway", &path, &body)?,
            None => raw::rest(edge, method, "apigateway", &path)?,
        };
        raw::ok_json(answer, &format!("{method} {path}"))
    };
    let resources = call("GET", "/resources?limit=500", None)?;
    let id_of = |path: &str| {
        resources["item"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["path"] == path)
            .and_then(|r| r["id"].as_str())
            .map(str::to_owned)
            .with_context(|| format!("the API has no resource {path}"))
    };
    if id_of(&format!("/{OPEN}")).is_ok() {
        // A deployment reused from an earlier run has it already.
        return Ok(());
    }
    let (root, token) = (id_of("/")?, id_of("/token")?);
    let integration = call(
        "GET",
        &format!("/resources/{token}/methods/GET/integration"),
        None,
    )?;
    let Some(uri) = integration["uri"].as_str() else {
        bail!("GET /token has no integration URI: {integration}");
    };
    let open = call(
        "POST",
        &format!("/resources/{root}"),
        Some(serde_json::json!({"pathPart": OPEN})),
    )?;
    let open = open["id"].as_str().context("CreateResource gave no id")?;
    call(
        "PUT",
        &format!("/resources/{open}/methods/GET"),
        Some(serde_json::json!({"authorizationType": "NONE"})),
    )?;
    call(
        "PUT",
        &format!("/resources/{open}/methods/GET/integration"),
        Some(serde_json::json!({"type": "AWS_PROXY", "httpMethod": "POST", "uri": uri})),
    )?;
    call(
        "POST",
        "/deployments",
        Some(serde_json::json!({"stageName": stage})),
    )?;
    Ok(())
}

fn cloudfront(args: &BenchArgs, edge: &str, outputs: &Outputs) -> Result<Vec<Series>> {
    let site = url_output(outputs, "site_url")?.trim_end_matches('/');
    let api = url_output(outputs, "api_url")?.trim_end_matches('/');
    let index = Route::new(edge, &format!("{site}/index.html"), &[]);
    // The first request fills the cache; the second must be a hit, or the series would not be what it says.
    for _ in 0..2 {
        let cache = x_cache(&index)?;
        if cache.starts_with("Hit") {
            break;
        }
        tracing::info!("/index.html: x-cache {cache}");
    }
    let cache = x_cache(&index)?;
    if !cache.starts_with("Hit") {
        bail!("/index.html through the distribution is no cache hit (x-cache: {cache})");
    }
    let mut results = index.measure(args, "CloudFront -> S3 /index.html (cache hit)")?;
    let through = Route::new(edge, &format!("{site}/api/orders/42"), &[]);
    let direct = Route::new(edge, &format!("{api}/api/orders/42"), &[]);
    results.extend(through.measure(args, "CloudFront -> API GW (HTTP API) -> Lambda")?);
    results.extend(direct.measure(args, "the same API GW -> Lambda, its own URL")?);
    results.push(paired_difference(
        args,
        "the distribution adds to the API",
        &direct,
        &through,
    )?);
    Ok(results)
}

/// The `x-cache` header of one GET of `route`.
fn x_cache(route: &Route) -> Result<String> {
    let mut request = ureq::get(&route.url);
    for header in &route.headers {
        let (name, value) = header.split_once(':').context("a header without `:`")?;
        request = request.header(name.trim(), value.trim());
    }
    let resp = request
        .call()
        .with_context(|| format!("GET {}", route.url))?;
    Ok(resp
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned())
}
