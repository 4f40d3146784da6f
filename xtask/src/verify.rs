//! `cargo xtask verify`: runs a pattern's declared checks (`[[verify]]` in pattern.toml) against the outputs of
//! its deployment. The same checks run unchanged against the local and the AWS target.

use std::{net::ToSocketAddrs, time::Duration};

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use crate::deploy::Outputs;

/// One check, as written in pattern.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: String,
    /// `METHOD URL`, with `{output}` placeholders.
    pub request: Option<String>,
    pub body: Option<String>,
    #[serde(default)]
    pub headers: toml::Table,
    pub status: Option<u16>,
    /// Fields the JSON response body must contain (a subset match).
    pub json: Option<toml::Value>,
    /// Text the response body must contain.
    pub body_contains: Option<String>,
    /// `host:port` that must NOT accept connections from this machine.
    pub unreachable: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct CheckResult {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// Parses the `[[verify]]` tables of a pattern.
pub fn checks(pattern: &crate::pattern::Pattern) -> Result<Vec<Check>> {
    pattern
        .manifest
        .verify
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            raw.clone()
                .try_into()
                .map_err(|e| anyhow!("{}: `verify[{i}]`: {e}", pattern.manifest_path().display()))
        })
        .collect()
}

/// Runs every check; prints each result; fails if any failed.
pub fn run(pattern: &crate::pattern::Pattern, outputs: &Outputs, json: bool) -> Result<()> {
    let checks = checks(pattern)?;
    if checks.is_empty() {
        bail!(
            "{}: no `[[verify]]` checks; fix: declare at least one (see CONTRIBUTING.md)",
            pattern.manifest_path().display()
        );
    }
    let results: Vec<CheckResult> = checks
        .iter()
        .map(|check| {
            let outcome = run_check(check, outputs);
            CheckResult {
                name: check.name.clone(),
                passed: outcome.is_ok(),
                detail: match outcome {
                    Ok(detail) => detail,
                    Err(err) => format!("{err:#}"),
                },
            }
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for r in &results {
            let mark = if r.passed { "PASS" } else { "FAIL" };
            println!("{mark}  {}  ({})", r.name, r.detail);
        }
    }
    let failed = results.iter().filter(|r| !r.passed).count();
    println!(
        "{}: {} passed, {failed} failed",
        pattern.name,
        results.len() - failed
    );
    if failed > 0 {
        bail!("{failed} verify check(s) of `{}` failed", pattern.name);
    }
    Ok(())
}

/// The output a placeholder names. Names match ignoring case and `_`, so one check serves a Terraform output
/// `api_url` and a CloudFormation output `ApiUrl` (whose names must be alphanumeric).
pub fn output<'a>(outputs: &'a Outputs, name: &str) -> Option<&'a serde_json::Value> {
    let key = |s: &str| s.replace('_', "").to_ascii_lowercase();
    outputs.get(name).or_else(|| {
        outputs
            .iter()
            .find(|(k, _)| key(k) == key(name))
            .map(|(_, v)| v)
    })
}

/// Replaces `{name}` with the output `name` (see [`output`]).
pub fn expand(template: &str, outputs: &Outputs) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .context("unclosed `{` in a check")?;
        let name = &rest[start + 1..end];
        let value = output(outputs, name).with_context(|| {
            format!(
                "`{{{name}}}` is not an output of the deployment; outputs: {}",
                outputs.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        out.push_str(&rest[..start]);
        match value.as_str() {
            Some(s) => out.push_str(s),
            None => out.push_str(&value.to_string()),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn run_check(check: &Check, outputs: &Outputs) -> Result<String> {
    if let Some(target) = &check.unreachable {
        return unreachable(&expand(target, outputs)?);
    }
    let request = check
        .request
        .as_deref()
        .context("a check needs `request` or `unreachable`")?;
    let (method, url) = request
        .split_once(' ')
        .with_context(|| format!("`request = \"{request}\"` must be `METHOD URL`"))?;
    let url = local_form(&expand(url.trim(), outputs)?);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut req = http::Request::builder().method(method).uri(&url);
    for (name, value) in &check.headers {
        req = req.header(name, value.as_str().unwrap_or_default());
    }
    let body = check.body.clone().unwrap_or_default();
    if check.body.is_some() && !check.headers.contains_key("content-type") {
        req = req.header("content-type", "application/json");
    }
    let mut response = agent
        .run(req.body(body)?)
        .with_context(|| format!("{method} {url}"))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let short: String = text.chars().take(300).collect();
    if let Some(expected) = check.status
        && status != expected
    {
        bail!("{method} {url}: status {status}, expected {expected}; body: {short}");
    }
    if let Some(needle) = &check.body_contains
        && !text.contains(needle.as_str())
    {
        bail!("{method} {url}: body does not contain {needle:?}; body: {short}");
    }
    if let Some(expected) = &check.json {
        let actual: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{method} {url}: body is not JSON: {short}"))?;
        let expected = serde_json::to_value(expected)?;
        if let Err(path) = contains(&actual, &expected, "") {
            bail!("{method} {url}: JSON differs at `{path}`; expected {expected}, body: {short}");
        }
    }
    Ok(format!("{method} {url} -> {status}"))
}

/// `actual` contains `expected`: objects by subset, everything else by equality. Err = the first differing path.
pub fn contains(
    actual: &serde_json::Value,
    expected: &serde_json::Value,
    path: &str,
) -> Result<(), String> {
    match (actual, expected) {
        (serde_json::Value::Object(a), serde_json::Value::Object(e)) => {
            for (key, e_value) in e {
                let path = format!("{path}.{key}");
                match a.get(key) {
                    Some(a_value) => contains(a_value, e_value, &path)?,
                    None => return Err(path),
                }
            }
            Ok(())
        }
        _ if actual == expected => Ok(()),
        _ => Err(if path.is_empty() {
            ".".to_owned()
        } else {
            path.to_owned()
        }),
    }
}

/// `http://{id}.execute-api.localhost:{port}/{stage}/{path}` -> the edge's path form on 127.0.0.1, so no
/// resolver needs to know `*.localhost`. Other URLs are returned unchanged.
pub(crate) fn local_form(url: &str) -> String {
    let Some(rest) = url.strip_prefix("http://") else {
        return url.to_owned();
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Some((api_id, port)) = host
        .split_once(".execute-api.localhost")
        .map(|(id, port)| (id, port.trim_start_matches(':')))
    else {
        return url.to_owned();
    };
    let port = if port.is_empty() { "80" } else { port };
    let (stage, rest) = path.split_once('/').unwrap_or((path, ""));
    format!("http://127.0.0.1:{port}/restapis/{api_id}/{stage}/_user_request_/{rest}")
}

/// Passes when `target` (`host:port`) does not resolve or refuses/times out every connection.
fn unreachable(target: &str) -> Result<String> {
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
    fn placeholders_match_outputs_ignoring_case_and_underscores() {
        let outputs: Outputs = [("ApiUrl".to_owned(), serde_json::json!("https://x"))].into();
        assert_eq!(expand("{api_url}/a", &outputs).unwrap(), "https://x/a");
        assert_eq!(expand("{ApiUrl}/a", &outputs).unwrap(), "https://x/a");
        assert!(expand("{api_urls}", &outputs).is_err());
    }

    #[test]
    fn placeholders_expand_from_outputs_and_unknown_ones_are_named() {
        let mut outputs = Outputs::new();
        outputs.insert("api_url".into(), "http://x".into());
        assert_eq!(
            expand("GET {api_url}/hello", &outputs).unwrap(),
            "GET http://x/hello"
        );
        let err = expand("{nope}", &outputs).unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("api_url"), "{err}");
    }

    #[test]
    fn host_form_urls_become_the_edge_path_form() {
        assert_eq!(
            local_form("http://abc.execute-api.localhost:4566/prod/hello?name=x"),
            "http://127.0.0.1:4566/restapis/abc/prod/_user_request_/hello?name=x"
        );
        assert_eq!(
            local_form("https://abc.execute-api.us-east-1.amazonaws.com/prod"),
            "https://abc.execute-api.us-east-1.amazonaws.com/prod"
        );
    }

    #[test]
    fn json_subset_matching_reports_the_differing_path() {
        let actual = serde_json::json!({"message": "hi", "source": "alb", "n": [1, 2]});
        assert!(contains(&actual, &serde_json::json!({"source": "alb"}), "").is_ok());
        assert_eq!(
            contains(&actual, &serde_json::json!({"source": "apigw"}), ""),
            Err(".source".into())
        );
        assert_eq!(
            contains(&actual, &serde_json::json!({"missing": 1}), ""),
            Err(".missing".into())
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
