//! `browser` checks: a page opened in headless Chromium (Debian's `chromium`), its scripts run (a virtual time
//! budget of 10 s), then the rendered DOM, the page's own response headers and the requests the page made
//! (Chromium's NetLog: a CORS preflight is an `OPTIONS` request) are asserted. A screenshot of the rendered page is
//! kept under `target/xtask/browser/` as an artifact of the run. Works on either target: the local cloud's
//! `*.localhost` URLs resolve in Chromium.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xshell::{Shell, cmd};

use super::{Run, check::Browser, placeholders};

/// The names Chromium is installed under.
const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// The browser on `PATH`, or the error with the install hint.
pub fn chromium() -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    BROWSERS
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
        .context(
            "no Chromium on PATH (chromium, chromium-browser or google-chrome) for a `browser` check; fix: \
             `cargo xtask setup` (installs Debian's `chromium` with apt-get), or `sudo apt-get install chromium`",
        )
}

pub fn run(browser: &Browser, run: &Run) -> Result<String> {
    let url = placeholders::expand(&browser.url, &run.values)?;
    let chromium = chromium()?;
    let dir = crate::pattern::target_dir().join("xtask").join("browser");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stem = if run.label.is_empty() {
        "page".to_owned()
    } else {
        run.label.clone()
    };
    let netlog = dir.join(format!("{stem}.netlog.json"));
    let screenshot = dir.join(format!("{stem}.png"));
    let sh = Shell::new()?;
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--virtual-time-budget=10000",
    ];
    let netlog_flag = format!("--log-net-log={}", netlog.display());
    let dom = cmd!(
        sh,
        "timeout 90 {chromium} {flags...} {netlog_flag} --net-log-capture-mode=IncludeSensitive --dump-dom {url}"
    )
    .quiet()
    .ignore_stderr()
    .read()
    .with_context(|| format!("opening {url} in headless Chromium"))?;
    let shot_flag = format!("--screenshot={}", screenshot.display());
    cmd!(
        sh,
        "timeout 90 {chromium} {flags...} --window-size=1024,768 {shot_flag} {url}"
    )
    .quiet()
    .ignore_stdout()
    .ignore_stderr()
    .run()
    .with_context(|| format!("taking a screenshot of {url}"))?;
    for text in &browser.dom_contains {
        let text = placeholders::expand(text, &run.values)?;
        if !dom.contains(text.as_str()) {
            let short: String = dom.chars().take(600).collect();
            bail!("{url}: the rendered page does not contain {text:?}; its DOM: {short}");
        }
    }
    let log = read_netlog(&netlog)?;
    if browser.no_preflight
        && let Some(preflight) = log.requests.iter().find(|(method, _)| method == "OPTIONS")
    {
        bail!(
            "{url}: the page sent a CORS preflight (OPTIONS {}); its API calls should stay on its own origin",
            preflight.1
        );
    }
    for (name, expected) in &browser.page_headers {
        let expected = placeholders::expand(expected.as_str().unwrap_or_default(), &run.values)?;
        let actual = log
            .page_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        if actual != Some(expected.as_str()) {
            bail!("{url}: the page's header {name} is {actual:?}, expected {expected:?}");
        }
    }
    Ok(format!(
        "{url} rendered in Chromium after {} request(s); screenshot {}",
        log.requests.len(),
        screenshot.display()
    ))
}

/// What a NetLog says about the page: each request (method, URL) and the main frame's response headers.
#[derive(Debug, Default)]
pub struct NetLog {
    pub requests: Vec<(String, String)>,
    pub page_headers: Vec<(String, String)>,
}

fn read_netlog(path: &Path) -> Result<NetLog> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading Chromium's NetLog {}", path.display()))?;
    // Chromium may stop before closing the JSON: the events so far still parse once closed.
    let doc: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .with_context(|| format!("parsing Chromium's NetLog {}", path.display()))?;
    Ok(parse_netlog(&doc))
}

/// Reads the events `URL_REQUEST_START_JOB` (method, URL; the main frame's by `request_type`) and
/// `HTTP_TRANSACTION_READ_RESPONSE_HEADERS` (the headers, matched to the main frame by the event's source id).
pub fn parse_netlog(doc: &Value) -> NetLog {
    let type_id = |name: &str| doc["constants"]["logEventTypes"][name].as_i64();
    let (start, headers) = (
        type_id("URL_REQUEST_START_JOB"),
        type_id("HTTP_TRANSACTION_READ_RESPONSE_HEADERS"),
    );
    let mut log = NetLog::default();
    let mut page_source = None;
    for event in doc["events"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let kind = event["type"].as_i64();
        let params = &event["params"];
        let source = event["source"]["id"].as_i64();
        if kind == start
            && let (Some(method), Some(url)) = (params["method"].as_str(), params["url"].as_str())
        {
            log.requests.push((method.to_owned(), url.to_owned()));
            if page_source.is_none() && params["request_type"] == "main frame" {
                page_source = source;
            }
        } else if kind == headers
            && source.is_some()
            && source == page_source
            && log.page_headers.is_empty()
        {
            log.page_headers = params["headers"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|line| line.split_once(": "))
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
                .collect();
        }
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_netlog_gives_requests_and_the_main_frames_headers() {
        let doc = serde_json::json!({
        "constants": {"logEventTypes": {"URL_REQUEST_START_JOB": 2, "HTTP_TRANSACTION_READ_RESPONSE_HEADERS": 7}},
        "events": [
            {"type": 2, "source": {"id": 10}, "params": {"method": "GET", "url": "http://d1.cloudfront.localhost:4566/",
                                                          "request_type": "main frame"}},
            {"type": 7, "source": {"id": 10}, "params": {"headers": ["HTTP/1.1 200 OK", "X-Frame-Options: DENY"]}},
            {"type": 2, "source": {"id": 11}, "params": {"method": "OPTIONS", "url": "http://api/x",
                                                          "request_type": "other"}},
            {"type": 7, "source": {"id": 11}, "params": {"headers": ["HTTP/1.1 204 No Content", "X-Frame-Options: SAMEORIGIN"]}},
            {"type": 2, "source": {"id": 12}, "params": {"net_error": -105}}
        ]});
        let log = parse_netlog(&doc);
        assert_eq!(
            log.requests,
            [
                (
                    "GET".to_owned(),
                    "http://d1.cloudfront.localhost:4566/".to_owned()
                ),
                ("OPTIONS".to_owned(), "http://api/x".to_owned())
            ]
        );
        assert_eq!(
            log.page_headers,
            [("x-frame-options".to_owned(), "DENY".to_owned())]
        );
    }
}
