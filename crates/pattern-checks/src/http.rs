//! HTTP checks: one request against a deployed URL (sent where the runner says it is served), its assertions
//! and captures; `repeat` and `until_status`; and the `unreachable` check for addresses that must stay private.

use std::{net::ToSocketAddrs, time::Duration};

use anyhow::{Context, Result, bail};

use crate::{Check, Values, answer::contains, placeholders};

/// What an HTTP check needs of its runner.
pub struct HttpRun<'a> {
    /// Outputs and captured values: placeholders expand to them, `capture` adds to them.
    pub values: &'a mut Values,
    /// Where a URL is served: the URL to connect to and the Host header to send when that differs from the URL's
    /// host (the local cloud routes by Host), or the URL as it is.
    pub locate: &'a dyn Fn(&str) -> (String, Option<String>),
    /// The status of the last answer (a failed check's 5xx gets a hint about logs).
    pub last_status: Option<u16>,
}

/// The URL as it is: what a deployment on AWS needs.
pub fn as_is(url: &str) -> (String, Option<String>) {
    (url.to_owned(), None)
}

pub fn run(check: &Check, run: &mut HttpRun<'_>) -> Result<String> {
    if let Some(until) = check.until_status {
        let max = check.repeat.unwrap_or(20).max(1);
        for attempt in 1..=max {
            if let Some((summary, _)) = once(check, run, Some(until))? {
                return Ok(format!("{summary} (request {attempt})"));
            }
        }
        bail!(
            "{}: no {until} answer in {max} requests, each answered 2xx",
            check.request.as_deref().unwrap_or_default()
        );
    }
    let repeat = check.repeat.unwrap_or(1).max(1);
    let mut tally = std::collections::BTreeMap::<String, u32>::new();
    let mut summary = String::new();
    for _ in 0..repeat {
        let text;
        (summary, text) = once(check, run, None)?.context("an answer without `until_status`")?;
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

/// One request and its assertions: the summary line and the answer's body. With `until`, an answer of another
/// status is `None` when it is a 2xx (not there yet) and an error otherwise; the assertions apply to the answer
/// with that status.
fn once(
    check: &Check,
    run: &mut HttpRun<'_>,
    until: Option<u16>,
) -> Result<Option<(String, String)>> {
    let request = check.request.as_deref().context("not a request check")?;
    let (method, url) = request
        .split_once(' ')
        .with_context(|| format!("`request = \"{request}\"` must be `METHOD URL`"))?;
    let url = placeholders::expand(url.trim(), run.values)?;
    let (url, host) = (run.locate)(&url);
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
        let value = placeholders::expand(value.as_str().unwrap_or_default(), run.values)?;
        req = req.header(name, value);
    }
    let body = match &check.body {
        Some(body) => placeholders::expand(body, run.values)?,
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
        let expected = placeholders::expand(expected.as_str().unwrap_or_default(), run.values)?;
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
    if let Some(until) = until
        && status != until
    {
        if (200..300).contains(&status) {
            return Ok(None);
        }
        bail!("{method} {shown}: status {status} before any {until}; body: {short}");
    }
    if let Some(expected) = check.status
        && status != expected
    {
        bail!("{method} {shown}: status {status}, expected {expected}; body: {short}");
    }
    if let Some(needle) = &check.body_contains {
        let needle = placeholders::expand(needle, run.values)?;
        if !text.contains(needle.as_str()) {
            bail!("{method} {shown}: body does not contain {needle:?}; body: {short}");
        }
    }
    let parsed = || {
        serde_json::from_str::<serde_json::Value>(&text)
            .with_context(|| format!("{method} {shown}: body is not JSON: {short}"))
    };
    if let Some(expected) = &check.json {
        let expected = placeholders::expand_json(&serde_json::to_value(expected)?, run.values)?;
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
    Ok(Some((
        format!("{method} {shown} -> {status}{captured}"),
        text,
    )))
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
    use super::{run as run_http, *};

    /// A server on 127.0.0.1 answering each connection with the next of `answers` (status, body), then closing.
    fn serve(answers: Vec<(u16, &'static str)>) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for (status, body) in answers {
                let (mut stream, _) = listener.accept().unwrap();
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        url
    }

    fn until_check(url: &str) -> Check {
        let text = format!(
            "name = \"c\"\nrequest = \"GET {url}/metered\"\nrepeat = 5\nuntil_status = 429\njson = {{ message = \"Too Many Requests\" }}"
        );
        let check: Check = toml::from_str(&text).unwrap();
        check.validate().unwrap();
        check
    }

    fn run_check(check: &Check) -> Result<String> {
        let mut values = Values::new();
        let mut run = HttpRun {
            values: &mut values,
            locate: &as_is,
            last_status: None,
        };
        run_http(check, &mut run)
    }

    #[test]
    fn until_status_repeats_2xx_answers_until_that_status_then_asserts_it() {
        let ok = r#"{"message":"ok"}"#;
        let url = serve(vec![
            (200, ok),
            (200, ok),
            (429, r#"{"message":"Too Many Requests"}"#),
        ]);
        let check = until_check(&url);
        let summary = run_check(&check).unwrap();
        assert!(summary.ends_with("-> 429 (request 3)"), "{summary}");

        let url = serve(vec![(200, ok), (403, r#"{"message":"Forbidden"}"#)]);
        let check = until_check(&url);
        let err = run_check(&check).unwrap_err().to_string();
        assert!(err.contains("status 403 before any 429"), "{err}");

        let url = serve(vec![(200, ok); 5]);
        let check = until_check(&url);
        let err = run_check(&check).unwrap_err().to_string();
        assert!(err.contains("no 429 answer in 5 requests"), "{err}");

        let url = serve(vec![(429, r#"{"message":"Limit Exceeded"}"#)]);
        let check = until_check(&url);
        let err = run_check(&check).unwrap_err().to_string();
        assert!(
            err.contains("JSON differs"),
            "the last answer is asserted: {err}"
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
