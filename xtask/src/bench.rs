//! `cargo xtask bench`: latency and throughput of the local cloud, measured (never asserted).
//!
//! Measures, in one run: cold start (Invoke API on a fresh instance), the same function warm through the
//! Lambda Invoke API alone, the whole chain API Gateway -> VPC link -> NLB -> ALB -> Lambda of the flagship,
//! SQS -> Lambda through an event source mapping ([`sqs`]), SNS -> SQS -> Lambda, EventBridge -> Lambda and a
//! Step Functions execution of three Lambda tasks ([`events`]), and, where `cargo lambda` is installed, the same
//! function under `cargo lambda watch`. Prints a table and
//! writes `target/bench/latest.json` (`bench events`: the event series alone, without the flagship); docs/benchmarks.md records the method and figures. `bench apis` ([`apis`]: HTTP API, REST with a
//! cached authorizer, CloudFront) writes `target/bench/apis.json`. `bench soak` (memory and
//! errors over a long run) is in `bench/soak.rs`, its RSS sampling in `bench/rss.rs`.

mod apis;
mod events;
mod rss;
mod samples;
mod sfn;
mod soak;
mod sqs;

use std::{
    fs,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::{
    deploy::{self, Deployment},
    destroy::destroy,
    flags::{BenchArgs, BenchCmd, DeployArgs, Iac, Target},
    pattern::{self, project_root},
};

const FLAGSHIP: &str = "apigw-rest-vpclink-pvt-alb";
/// Messages of the SQS -> Lambda series ([`sqs`]): sent one at a time for the latency, in batches of 10 for the
/// throughput.
const SQS_LATENCY_MESSAGES: usize = 100;
const SQS_THROUGHPUT_MESSAGES: usize = 2000;
/// Messages, events and executions of each series of [`events`], each waited for before the next.
const EVENT_SAMPLES: usize = 100;

#[derive(Debug, Serialize)]
pub struct Series {
    pub name: String,
    pub requests: usize,
    pub concurrency: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub requests_per_s: f64,
}

/// Measures one series with the optimised load generator of the local cloud (`local-cloud load`), so the
/// client is a release build too.
fn series(name: &str, load: &LoadRequest<'_>) -> Result<Series> {
    let sh = xshell::Shell::new()?;
    let binary = crate::local::build_daemon()?;
    let (url, method) = (load.url, load.method);
    let (requests, concurrency) = (load.requests.to_string(), load.concurrency.to_string());
    let mut extra = Vec::new();
    if let Some(body) = load.body_file {
        extra.push("--body-file".to_owned());
        extra.push(body.display().to_string());
    }
    if let Some(reset) = load.cold_reset {
        extra.push("--cold-reset".to_owned());
        extra.push(reset.to_owned());
    }
    for header in &load.headers {
        extra.push("--header".to_owned());
        extra.push(header.clone());
    }
    if let Some(status) = load.expect_status {
        extra.push("--expect-status".to_owned());
        extra.push(status.to_string());
    }
    let out = xshell::cmd!(
        sh,
        "{binary} load --url {url} --method {method} --requests {requests} --concurrency {concurrency} {extra...}"
    )
    .read()
    .with_context(|| format!("measuring `{name}`"))?;
    let summary: serde_json::Value =
        serde_json::from_str(&out).context("parsing the load summary")?;
    let number = |key: &str| summary[key].as_f64().unwrap_or(f64::NAN);
    Ok(Series {
        name: name.to_owned(),
        requests: load.requests,
        concurrency: load.concurrency,
        p50_ms: number("p50_ms"),
        p99_ms: number("p99_ms"),
        max_ms: number("max_ms"),
        requests_per_s: number("requests_per_s"),
    })
}

struct LoadRequest<'a> {
    url: &'a str,
    method: &'a str,
    body_file: Option<&'a std::path::Path>,
    requests: usize,
    concurrency: usize,
    cold_reset: Option<&'a str>,
    /// Request headers, `name: value`.
    headers: Vec<String>,
    /// The status that counts as success instead of any 2xx.
    expect_status: Option<u16>,
}

/// The ALB event fixture of the flagship, used for direct invocations.
fn alb_event() -> std::path::PathBuf {
    project_root()
        .join("patterns")
        .join(FLAGSHIP)
        .join("functions/hello/tests/fixtures/alb-get-hello.json")
}

/// The `CodeSha256` of the function named by the output `function_output` of saved `outputs` (either flavour's:
/// `function_name`, `FunctionName`) in the running local cloud; `None` when it is not there.
fn deployed_code(outputs: &deploy::Outputs, function_output: &str) -> Option<String> {
    let cloud = crate::local::ensure_up(None).ok()?;
    let function = crate::verify::placeholders::output(outputs, function_output)?.as_str()?;
    let url = format!("{}/2015-03-31/functions/{function}", cloud.edge_url);
    let auth = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0";
    let mut resp = ureq::get(&url).header("Authorization", auth).call().ok()?;
    let body: serde_json::Value = resp.body_mut().read_json().ok()?;
    Some(body["Configuration"]["CodeSha256"].as_str()?.to_owned())
}

/// Lambda's `CodeSha256` of a zip: its SHA-256, base64.
fn code_sha256(zip: &std::path::Path) -> Result<String> {
    use base64::Engine;
    use sha2::Digest;
    let bytes = fs::read(zip).with_context(|| format!("reading {}", zip.display()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&bytes)))
}

/// Runs `work` against the flagship (flavour `iac`, or its default) on the local cloud, its function built as
/// for AWS (`--release`: the dev build of a local deploy runs ~1.5x slower and would be measured instead of the
/// local cloud): the deployment is reused while the running local cloud holds it with that build, else deployed
/// here and destroyed afterwards, also when `work` fails (then `work`'s error is the one returned). A deployment
/// with another build is the user's: refused, with the fix.
fn with_flagship<T>(
    iac: Option<Iac>,
    work: impl FnOnce(&deploy::Outputs) -> Result<T>,
) -> Result<T> {
    with_release(FLAGSHIP, iac, "function_name", work)
}

/// [`with_flagship`] for any pattern: `function_output` names the output of the function whose build is
/// compared (the pattern's first function).
fn with_release<T>(
    name: &str,
    iac: Option<Iac>,
    function_output: &str,
    work: impl FnOnce(&deploy::Outputs) -> Result<T>,
) -> Result<T> {
    let target = pattern::one(name)?;
    let dep_args = DeployArgs {
        target: Target::Local,
        iac,
        keep: false,
        release: true,
    };
    let dep = Deployment::new(&target, &dep_args)?;
    // A restarted local cloud starts empty: saved outputs alone do not prove the deployment is there.
    if let Ok(outputs) = dep.saved_outputs()
        && let Some(deployed) = deployed_code(&outputs, function_output)
    {
        let built = crate::build::build(&target.lambdas, dep.build_arch())?;
        let release = built
            .first()
            .context("the pattern has no function to measure")?;
        if deployed != code_sha256(&release.zip)? {
            bail!(
                "`{name}` is deployed with another build of its function than the release build `bench` \
                 measures; fix: `{}` first, or deploy it with `--release`",
                dep.command("destroy")
            );
        }
        return work(&outputs);
    }
    destroy(&dep).with_context(|| format!("clearing {name}'s old deployment"))?;
    let outputs = deploy::deploy(&dep, false).with_context(|| format!("deploying {name}"))?;
    let result = work(&outputs);
    let cleared =
        destroy(&dep).with_context(|| format!("destroying {name}, deployed for the measurement"));
    match (result, cleared) {
        (Err(err), cleared) => {
            if let Err(also) = cleared {
                tracing::warn!("{also:#}");
            }
            Err(err)
        }
        (Ok(value), cleared) => cleared.map(|_| value),
    }
}

/// `cargo xtask bench`: measures the flagship on the local cloud (deployed here unless it still is);
/// `cargo xtask bench soak`: the soak.
pub fn run(args: &BenchArgs) -> Result<()> {
    let (results, file) = match &args.cmd {
        Some(BenchCmd::Soak(soak)) => return soak::run(soak),
        Some(BenchCmd::Events) => (event_series()?, "latest.json"),
        Some(BenchCmd::Apis) => (apis::series(args)?, "apis.json"),
        None => (
            with_flagship(None, |outputs| measure(args, outputs))?,
            "latest.json",
        ),
    };
    let dir = project_root().join("target/bench");
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(file), serde_json::to_string_pretty(&results)?)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        println!(
            "{:<58} {:>8} {:>4} {:>9} {:>9} {:>9} {:>10}",
            "series", "requests", "conc", "p50 ms", "p99 ms", "max ms", "req/s"
        );
        for s in &results {
            println!(
                "{:<58} {:>8} {:>4} {:>9.3} {:>9.3} {:>9.3} {:>10.0}",
                s.name, s.requests, s.concurrency, s.p50_ms, s.p99_ms, s.max_ms, s.requests_per_s
            );
        }
    }
    Ok(())
}

fn measure(args: &BenchArgs, outputs: &deploy::Outputs) -> Result<Vec<Series>> {
    let edge = crate::local::ensure_up(None)?.edge_url;
    let function = outputs["function_name"]
        .as_str()
        .context("output function_name")?
        .to_owned();
    let api = crate::verify::local_form(outputs["api_url"].as_str().context("output api_url")?);
    let event = alb_event();
    let invoke_url = format!("{edge}/2015-03-31/functions/{function}/invocations");
    let reset_url = format!("{edge}/_local/lambda/functions/{function}/instances");
    let hello = format!("{api}/hello?name=bench");
    let invoke = |requests, concurrency, cold_reset| LoadRequest {
        url: &invoke_url,
        method: "POST",
        body_file: Some(&event),
        requests,
        concurrency,
        cold_reset,
        headers: Vec::new(),
        expect_status: None,
    };
    let chain = |concurrency| LoadRequest {
        url: &hello,
        method: "GET",
        body_file: None,
        requests: args.requests,
        concurrency,
        cold_reset: None,
        headers: Vec::new(),
        expect_status: None,
    };
    let mut results = vec![
        series(
            "cold start: Invoke API -> new instance -> response",
            &invoke(args.cold_starts, 1, Some(&reset_url)),
        )?,
        series(
            "warm: Invoke API -> Runtime API -> function",
            &invoke(args.requests, 1, None),
        )?,
        series(
            "warm: Invoke API, concurrent",
            &invoke(args.requests, args.concurrency, None),
        )?,
        series(
            "chain: API GW -> VPC link -> NLB -> ALB -> Lambda",
            &chain(1),
        )?,
        series("chain, concurrent", &chain(args.concurrency))?,
    ];
    results[0].requests_per_s = f64::NAN;
    results.extend(event_series()?);
    match cargo_lambda_watch(args, &event)? {
        Some(s) => results.extend(s),
        None => eprintln!(
            "cargo lambda is not installed (`pip install cargo-lambda`): its series is skipped"
        ),
    }
    Ok(results)
}

/// The event series: SQS -> Lambda ([`sqs`]), then SNS, EventBridge and Step Functions ([`events`]).
fn event_series() -> Result<Vec<Series>> {
    let edge = crate::local::ensure_up(None)?.edge_url;
    let mut results = sqs::series(&edge, SQS_LATENCY_MESSAGES, SQS_THROUGHPUT_MESSAGES)?;
    results.extend(events::series(&edge, EVENT_SAMPLES)?);
    Ok(results)
}

/// The flagship's function under `cargo lambda watch`, invoked through its Invoke API emulation.
fn cargo_lambda_watch(args: &BenchArgs, event: &std::path::Path) -> Result<Option<Vec<Series>>> {
    let sh = xshell::Shell::new()?;
    let Ok(cargo_lambda) = crate::tools::program_path(&sh, crate::tools::Tool::CargoLambda) else {
        return Ok(None);
    };
    let crate_dir = project_root()
        .join("patterns")
        .join(FLAGSHIP)
        .join("functions/hello");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let port_s = port.to_string();
    let mut command = std::process::Command::from(
        xshell::cmd!(
            sh,
            "{cargo_lambda} lambda watch --release --invoke-port {port_s}"
        )
        .quiet(),
    );
    command
        .current_dir(&crate_dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn().context("starting cargo lambda watch")?;
    let result = (|| {
        let url = format!("http://127.0.0.1:{port}/2015-03-31/functions/pvt-alb-hello/invocations");
        let body = fs::read(event)?;
        let deadline = Instant::now() + Duration::from_secs(900);
        // cargo lambda compiles the function on the first invoke.
        while ureq::post(&url)
            .send(body.as_slice())
            .map(|r| r.status() != 200)
            .unwrap_or(true)
        {
            if let Some(status) = child.try_wait()? {
                bail!("cargo lambda watch exited ({status}) before answering");
            }
            if Instant::now() > deadline {
                bail!("cargo lambda watch did not answer within 15 minutes");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let load = |concurrency| LoadRequest {
            url: &url,
            method: "POST",
            body_file: Some(event),
            requests: args.requests,
            concurrency,
            cold_reset: None,
            headers: Vec::new(),
            expect_status: None,
        };
        Ok(vec![
            series("cargo lambda watch: Invoke API -> function", &load(1))?,
            series("cargo lambda watch: concurrent", &load(args.concurrency))?,
        ])
    })();
    let _ = child.kill();
    let _ = child.wait();
    result.map(Some)
}
