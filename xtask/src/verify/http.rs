//! HTTP checks: one request against a deployed URL (local URLs mapped to the edge by `local_urls`), its
//! assertions and captures; and the `unreachable` check for addresses that must stay private.

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
        (Target::Local, Some(edge)) => super::local_urls::local_url(&url, edge),
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
    fn a_listening_port_is_reachable_and_a_closed_one_is_not() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap().to_string();
        assert!(unreachable(&open).is_err());
        drop(listener);
        assert!(unreachable(&open).is_ok());
        assert!(unreachable("no-such-host.invalid:80").is_ok());
    }
}
