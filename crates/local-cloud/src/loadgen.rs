//! `local-cloud load`: the optimised HTTP load generator behind `cargo xtask bench` (so the measuring client
//! is not a debug build competing for the same two cores), and behind `cargo xtask bench soak` (`--keep-going`:
//! failures are counted, not fatal).

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// The URL to request.
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// A file whose bytes are the request body.
    #[arg(long)]
    pub body_file: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 1000)]
    pub requests: usize,
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Before each (timed) request, an untimed DELETE of this URL: measures cold starts.
    #[arg(long)]
    pub cold_reset: Option<String>,
    /// Count failed requests (a status outside 2xx, a connection error) in `errors` instead of stopping at the
    /// first one.
    #[arg(long)]
    pub keep_going: bool,
    /// A request header, `name: value` (repeatable): a token, or the Host naming a CloudFront distribution.
    #[arg(long = "header", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// The status that counts as success instead of any 2xx (a route whose function refuses what it is sent).
    #[arg(long)]
    pub expect_status: Option<u16>,
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}`: a header is `name: value`"))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

/// Latency summary, printed as JSON.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    pub requests: usize,
    pub concurrency: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub requests_per_s: f64,
    /// With `--keep-going`: each kind of failure (`status 502`, or the error) and how many requests had it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, usize>,
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

async fn send(
    client: &HttpClient,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &Bytes,
) -> Result<u16> {
    let mut req = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    let req = req.body(Full::new(body.clone()))?;
    let resp = client
        .request(req)
        .await
        .with_context(|| format!("{method} {url}"))?;
    let status = resp.status().as_u16();
    resp.into_body().collect().await?;
    Ok(status)
}

pub async fn run(args: LoadArgs) -> Result<Summary> {
    let body = match &args.body_file {
        Some(path) => {
            Bytes::from(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
        }
        None => Bytes::new(),
    };
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let args = Arc::new(args);
    // One untimed request per client opens the keep-alive connections.
    send(&client, &args.method, &args.url, &args.headers, &body).await?;
    let per_task = args.requests.div_ceil(args.concurrency.max(1));
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.concurrency.max(1))
        .map(|_| {
            let (client, args, body) = (client.clone(), args.clone(), body.clone());
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(per_task);
                let mut errors = BTreeMap::<String, usize>::new();
                let mut untimed = Duration::ZERO;
                for _ in 0..per_task {
                    if let Some(reset) = &args.cold_reset {
                        let reset_started = Instant::now();
                        send(&client, "DELETE", reset, &[], &Bytes::new()).await?;
                        untimed += reset_started.elapsed();
                    }
                    let start = Instant::now();
                    let sent = send(&client, &args.method, &args.url, &args.headers, &body).await;
                    samples.push(start.elapsed());
                    let failure = match sent {
                        Ok(status)
                            if args
                                .expect_status
                                .map_or((200..300).contains(&status), |s| s == status) =>
                        {
                            continue;
                        }
                        Ok(status) => format!("status {status}"),
                        Err(e) if args.keep_going => format!("{e:#}"),
                        Err(e) => return Err(e),
                    };
                    if !args.keep_going {
                        bail!("{} {}: {failure}", args.method, args.url);
                    }
                    *errors.entry(failure).or_default() += 1;
                }
                Ok((samples, errors, untimed))
            })
        })
        .collect();
    let mut samples = Vec::new();
    let mut errors = BTreeMap::new();
    let mut untimed = Duration::ZERO;
    for task in tasks {
        let (s, e, u) = task.await??;
        samples.extend(s);
        for (failure, count) in e {
            *errors.entry(failure).or_default() += count;
        }
        untimed = untimed.max(u);
    }
    let wall = started.elapsed().saturating_sub(untimed);
    samples.sort();
    let pct = |p: f64| {
        let idx = ((samples.len() as f64 * p).ceil() as usize).saturating_sub(1);
        samples[idx.min(samples.len() - 1)].as_secs_f64() * 1e3
    };
    Ok(Summary {
        requests: samples.len(),
        concurrency: args.concurrency,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: samples.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        requests_per_s: samples.len() as f64 / wall.as_secs_f64(),
        errors,
    })
}
