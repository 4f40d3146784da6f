//! `cargo xtask bench`: latency and throughput of the local cloud, measured (never asserted).
//!
//! Measures, in one run: cold start (Invoke API on a fresh instance), the same function warm through the
//! Lambda Invoke API alone, the whole chain API Gateway -> VPC link -> NLB -> ALB -> Lambda of the flagship,
//! and, where `cargo lambda` is installed, the same function under `cargo lambda watch`. Prints a table and
//! writes `target/bench/latest.json`; docs/benchmarks.md records the method and figures.

use std::{
    fs,
    sync::{Arc, Barrier},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::{
    deploy::{self, DeployArgs, Deployment, Target},
    pattern::{self, project_root},
};

const FLAGSHIP: &str = "apigw-rest-vpclink-pvt-alb";

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Requests per measured series.
    #[arg(long, default_value_t = 5000)]
    pub requests: usize,
    /// Concurrent clients for the throughput series.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Cold starts to measure.
    #[arg(long, default_value_t = 20)]
    pub cold_starts: usize,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

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

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_idle_connections_per_host(64)
        .build()
        .into()
}

/// Runs `requests` calls of `call` over `concurrency` threads (each with its own keep-alive connection) and
/// summarises the latencies. Any non-2xx answer fails the series: a fast error is not a result.
fn series(
    name: &str,
    requests: usize,
    concurrency: usize,
    call: impl Fn(&ureq::Agent) -> Result<u16> + Send + Sync + 'static,
) -> Result<Series> {
    let call = Arc::new(call);
    let barrier = Arc::new(Barrier::new(concurrency + 1));
    let per_thread = requests.div_ceil(concurrency);
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, barrier) = (call.clone(), barrier.clone());
            std::thread::spawn(move || -> Result<Vec<Duration>> {
                let agent = agent();
                call(&agent)?; // open the connection before the clock starts
                barrier.wait();
                let mut samples = Vec::with_capacity(per_thread);
                for _ in 0..per_thread {
                    let start = Instant::now();
                    let status = call(&agent)?;
                    samples.push(start.elapsed());
                    if !(200..300).contains(&status) {
                        bail!("status {status}");
                    }
                }
                Ok(samples)
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let mut samples = Vec::new();
    for t in threads {
        samples.extend(
            t.join()
                .expect("bench thread panicked")
                .with_context(|| name.to_owned())?,
        );
    }
    let wall = started.elapsed();
    Ok(summarise(name, samples, concurrency, wall))
}

fn summarise(name: &str, mut samples: Vec<Duration>, concurrency: usize, wall: Duration) -> Series {
    samples.sort();
    let pct = |p: f64| {
        let idx = ((samples.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(samples.len() - 1);
        samples[idx].as_secs_f64() * 1e3
    };
    Series {
        name: name.to_owned(),
        requests: samples.len(),
        concurrency,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: samples.last().unwrap().as_secs_f64() * 1e3,
        requests_per_s: samples.len() as f64 / wall.as_secs_f64(),
    }
}

/// The ALB event fixture of the flagship, used for direct invocations.
fn alb_event() -> Result<Vec<u8>> {
    let path = project_root()
        .join("patterns")
        .join(FLAGSHIP)
        .join("functions/hello/tests/fixtures/alb-get-hello.json");
    fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

fn invoke(agent: &ureq::Agent, url: &str, event: &[u8]) -> Result<u16> {
    let mut response = agent.post(url).send(event)?;
    let status = response.status().as_u16();
    let _ = response.body_mut().read_to_vec()?;
    Ok(status)
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let patterns = pattern::discover()?;
    let flagship = pattern::find(&patterns, FLAGSHIP)?;
    let dep_args = DeployArgs {
        target: Target::Local,
        iac: None,
        keep: false,
    };
    let dep = Deployment::new(&flagship, &dep_args)?;
    let (outputs, deployed_here) = match dep.saved_outputs() {
        Ok(outputs) => (outputs, false),
        Err(_) => (deploy::deploy(&dep, false)?, true),
    };
    let result = measure(args, &outputs);
    if deployed_here {
        deploy::destroy(&dep)?;
    }
    let results = result?;
    let dir = project_root().join("target/bench");
    fs::create_dir_all(&dir)?;
    fs::write(
        dir.join("latest.json"),
        serde_json::to_string_pretty(&results)?,
    )?;
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
    let event = Arc::new(alb_event()?);
    let mut results = Vec::new();

    // Cold start: the local cloud drops the function's warm instances, then one invoke starts a new one.
    let invoke_url = format!("{edge}/2015-03-31/functions/{function}/invocations");
    let reset_url = format!("{edge}/_local/lambda/functions/{function}/instances");
    let agent = agent();
    let mut cold = Vec::new();
    for _ in 0..args.cold_starts {
        let response = agent.delete(&reset_url).call()?;
        if response.status() != 200 && response.status() != 204 {
            bail!("DELETE {reset_url}: {}", response.status());
        }
        let start = Instant::now();
        let status = invoke(&agent, &invoke_url, &event)?;
        cold.push(start.elapsed());
        if status != 200 {
            bail!("cold invoke: status {status}");
        }
    }
    results.push(summarise(
        "cold start: Invoke API -> new instance -> response",
        cold,
        1,
        Duration::from_secs(1),
    ));
    results.last_mut().unwrap().requests_per_s = f64::NAN;

    let (url, ev) = (invoke_url.clone(), event.clone());
    results.push(series(
        "warm: Invoke API -> Runtime API -> function",
        args.requests,
        1,
        move |a| invoke(a, &url, &ev),
    )?);
    let (url, ev) = (invoke_url, event.clone());
    results.push(series(
        "warm: Invoke API, concurrent",
        args.requests,
        args.concurrency,
        move |a| invoke(a, &url, &ev),
    )?);

    let hello = format!("{api}/hello?name=bench");
    let url = hello.clone();
    results.push(series(
        "chain: API GW -> VPC link -> NLB -> ALB -> Lambda",
        args.requests,
        1,
        move |a| Ok(a.get(&url).call()?.status().as_u16()),
    )?);
    let url = hello;
    results.push(series(
        "chain, concurrent",
        args.requests,
        args.concurrency,
        move |a| Ok(a.get(&url).call()?.status().as_u16()),
    )?);

    match cargo_lambda_watch(args, &event)? {
        Some(s) => results.extend(s),
        None => eprintln!(
            "cargo lambda is not installed (`pip install cargo-lambda`): its series is skipped"
        ),
    }
    Ok(results)
}

/// The flagship's function under `cargo lambda watch`, invoked through its Invoke API emulation.
fn cargo_lambda_watch(args: &BenchArgs, event: &Arc<Vec<u8>>) -> Result<Option<Vec<Series>>> {
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
            "{cargo_lambda} lambda watch --release --invoke-port {port_s} --only-lambda-apis"
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
        let deadline = Instant::now() + Duration::from_secs(600);
        let agent = agent();
        // cargo lambda compiles the function on the first invoke.
        while invoke(&agent, &url, event)
            .map(|s| s != 200)
            .unwrap_or(true)
        {
            if Instant::now() > deadline {
                bail!("cargo lambda watch did not answer within 10 minutes");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let (u, ev) = (url.clone(), event.clone());
        let one = series(
            "cargo lambda watch: Invoke API -> function",
            args.requests,
            1,
            move |a| invoke(a, &u, &ev),
        )?;
        let (u, ev) = (url, event.clone());
        let many = series(
            "cargo lambda watch: concurrent",
            args.requests,
            args.concurrency,
            move |a| invoke(a, &u, &ev),
        )?;
        Ok(vec![one, many])
    })();
    let _ = child.kill();
    let _ = child.wait();
    result.map(Some)
}
