//! `cargo xtask bench soak`: does the local cloud stay up, correct and flat in memory over a long run?
//!
//! Runs `--cycles` deploy+verify+destroy cycles of a pattern (each one `cargo xtask test <pattern>` in a child
//! process, its output kept for the report when it fails), then `--requests` requests through the flagship's
//! chain (API Gateway -> VPC link -> NLB -> ALB -> Lambda, its SAM flavour, deployed here unless it is) with the
//! daemon's load generator in `--keep-going` mode. Samples the RSS (`VmRSS` of `/proc/<pid>/status`) of moto, the
//! daemon and the function instances (the daemon's other children) at the start, every `--sample-every` cycles,
//! after the cycles, during the requests and at the end. Every error is reported (a failed cycle does not stop
//! the soak); the command fails when there was any. Prints a table and writes `target/bench/soak.json`;
//! docs/benchmarks.md records the method, figures and bound.

use std::{
    collections::BTreeMap, fs, os::unix::process::CommandExt, path::Path, process::Stdio,
    time::Instant,
};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::{
    rss::{Sample, sample},
    with_flagship,
};
use crate::{
    deploy,
    flags::{Iac, SoakArgs},
    interrupt,
    local::LocalCloud,
    pattern::{self, project_root},
};

/// Lines of a failed cycle's output kept in the report.
const FAILED_OUTPUT_LINES: usize = 12;

/// One error of the soak: where, and what.
#[derive(Debug, Serialize)]
pub struct SoakError {
    pub phase: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub pattern: String,
    pub iac: String,
    pub cycles: usize,
    pub cycles_passed: usize,
    pub cycle_seconds_mean: f64,
    pub requests: usize,
    pub requests_failed: usize,
    pub concurrency: usize,
    pub requests_per_s: f64,
    pub samples: Vec<Sample>,
    pub errors: Vec<SoakError>,
}

/// `cargo xtask bench soak`.
pub fn run(args: &SoakArgs) -> Result<()> {
    let target = pattern::one(&args.pattern)?;
    let iac = args.iac.unwrap_or(target.manifest.iac[0]);
    let cloud = crate::local::ensure_up(None)?;
    let mut soak = Soak {
        cloud,
        report: Report {
            pattern: args.pattern.clone(),
            iac: iac.as_str().to_owned(),
            cycles: args.cycles,
            cycles_passed: 0,
            cycle_seconds_mean: f64::NAN,
            requests: args.requests,
            requests_failed: 0,
            concurrency: args.concurrency,
            requests_per_s: f64::NAN,
            samples: Vec::new(),
            errors: Vec::new(),
        },
    };
    soak.sample("start");
    // A phase that cannot go on (the flagship does not deploy) is one more error in the report; only an interrupt
    // stops the soak.
    let cycles = soak.cycles(args, iac);
    soak.keep_going("cycles", cycles)?;
    if args.requests > 0 {
        let requests = soak.requests(args);
        soak.keep_going("requests", requests)?;
    }
    soak.sample("end");
    if crate::local::running().map(|c| c.instance) != Some(soak.cloud.instance.clone()) {
        soak.error(
            "end",
            "the local cloud restarted or stopped during the soak".into(),
        );
    }
    let report = soak.report;
    let dir = project_root().join("target/bench");
    fs::create_dir_all(&dir)?;
    let path = dir.join("soak.json");
    fs::write(&path, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("writing {}", path.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if !report.errors.is_empty() {
        bail!(
            "the soak had {} error(s) (listed above and in {})",
            report.errors.len(),
            path.display()
        );
    }
    Ok(())
}

struct Soak {
    cloud: LocalCloud,
    report: Report,
}

impl Soak {
    fn error(&mut self, phase: &str, error: String) {
        tracing::warn!(phase, error, "soak error");
        self.report.errors.push(SoakError {
            phase: phase.to_owned(),
            error,
        });
    }

    /// Records the error of a phase that stopped, unless it was an interrupt (returned, to stop the soak).
    fn keep_going(&mut self, phase: &str, result: Result<()>) -> Result<()> {
        match result {
            Err(err) if interrupt::requested() || interrupt::is_interrupt(&err) => Err(err),
            Err(err) => {
                self.error(phase, format!("{err:#}"));
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    fn sample(&mut self, at: &str) {
        let sample = sample(&self.cloud, at);
        tracing::info!(?sample, "rss");
        self.report.samples.push(sample);
    }

    /// `--cycles` runs of `cargo xtask test <pattern> --iac <iac>`, each in its own process group (a first
    /// Ctrl-C is passed on, so the cycle cleans up, then the soak stops).
    fn cycles(&mut self, args: &SoakArgs, iac: Iac) -> Result<()> {
        if args.cycles == 0 {
            return Ok(());
        }
        let exe = std::env::current_exe().context("finding the xtask executable")?;
        let bar = bar(args.cycles as u64, "cycles");
        let started = Instant::now();
        for cycle in 1..=args.cycles {
            interrupt::check()?;
            let outcome = test_once(&exe, &args.pattern, iac)
                .with_context(|| format!("running `cargo xtask test {}`", args.pattern));
            interrupt::check()?;
            match outcome {
                Ok(None) => self.report.cycles_passed += 1,
                Ok(Some(failure)) => {
                    bar.println(format!("cycle {cycle} failed:\n{failure}"));
                    self.error(&format!("cycle {cycle}"), failure);
                }
                Err(err) => self.error(&format!("cycle {cycle}"), format!("{err:#}")),
            }
            bar.inc(1);
            bar.set_message(format!("{} error(s)", self.report.errors.len()));
            if cycle == 1 || cycle % args.sample_every.max(1) == 0 || cycle == args.cycles {
                self.sample(&format!("after cycle {cycle}"));
            }
        }
        bar.finish_and_clear();
        self.report.cycle_seconds_mean = started.elapsed().as_secs_f64() / args.cycles as f64;
        Ok(())
    }

    /// `--requests` requests through the flagship's chain, in `--sample-every` parts with a sample after each.
    fn requests(&mut self, args: &SoakArgs) -> Result<()> {
        with_flagship(Some(Iac::Sam), |outputs| self.load(args, outputs))
    }

    fn load(&mut self, args: &SoakArgs, outputs: &deploy::Outputs) -> Result<()> {
        let api = crate::verify::placeholders::output(outputs, "api_url")
            .and_then(|v| v.as_str())
            .context("the flagship's output api_url")?;
        let api = crate::verify::local_form(api);
        let url = format!("{api}/hello?name=soak");
        let binary = crate::local::build_daemon()?;
        let parts = args.sample_every.clamp(1, args.requests);
        let bar = bar(args.requests as u64, "requests");
        let mut seconds = 0.0;
        let mut done = 0;
        for part in 0..parts {
            interrupt::check()?;
            let n = args.requests / parts + usize::from(part < args.requests % parts);
            let phase = format!("requests {}-{}", done + 1, done + n);
            let started = Instant::now();
            match load_part(&binary, &url, n, args.concurrency) {
                Ok(errors) => {
                    for (failure, count) in errors {
                        self.report.requests_failed += count;
                        self.error(&phase, format!("{count} request(s): {failure}"));
                    }
                }
                Err(err) => {
                    self.report.requests_failed += n;
                    self.error(&phase, format!("{err:#}"));
                }
            }
            seconds += started.elapsed().as_secs_f64();
            done += n;
            bar.set_position(done as u64);
            self.sample(&format!("after {done} requests"));
        }
        bar.finish_and_clear();
        self.report.requests_per_s = done as f64 / seconds;
        Ok(())
    }
}

/// One `cargo xtask test`: `None` when it passed, else the end of its output.
fn test_once(exe: &Path, pattern: &str, iac: Iac) -> Result<Option<String>> {
    let sh = xshell::Shell::new()?;
    let iac = iac.as_str();
    let mut command =
        std::process::Command::from(xshell::cmd!(sh, "{exe} test {pattern} --iac {iac}").quiet());
    command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn()?;
    let _group = interrupt::track_group(child.id(), interrupt::Forward::Yes);
    let out = child.wait_with_output()?;
    if out.status.success() {
        return Ok(None);
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(FAILED_OUTPUT_LINES)..].join("\n");
    Ok(Some(format!("exit {}:\n{tail}", out.status)))
}

/// `local-cloud load --keep-going`: the failures of `n` requests by kind (empty: all answered 2xx).
fn load_part(
    binary: &Path,
    url: &str,
    n: usize,
    concurrency: usize,
) -> Result<BTreeMap<String, usize>> {
    let sh = xshell::Shell::new()?;
    let (n, concurrency) = (n.to_string(), concurrency.to_string());
    let out = xshell::cmd!(
        sh,
        "{binary} load --url {url} --requests {n} --concurrency {concurrency} --keep-going"
    )
    .quiet()
    .read()
    .with_context(|| format!("{n} requests to {url}"))?;
    #[derive(serde::Deserialize)]
    struct Summary {
        #[serde(default)]
        errors: BTreeMap<String, usize>,
    }
    let summary: Summary = serde_json::from_str(&out).context("parsing the load summary")?;
    Ok(summary.errors)
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} [{{bar:40}}] {{pos}}/{{len}} {{elapsed}} {{msg}}"
        ))
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}

fn print_report(report: &Report) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "{:<24} {:>9} {:>10} {:>13} {:>10}",
        "sample", "moto MiB", "daemon MiB", "functions MiB", "instances"
    );
    for s in &report.samples {
        println!(
            "{:<24} {:>9.1} {:>10.1} {:>13.1} {:>10}",
            s.at,
            mib(s.moto_kib),
            mib(s.daemon_kib),
            mib(s.functions_kib),
            s.function_instances
        );
    }
    println!(
        "cycles: {}/{} passed ({} {}), {:.1} s each on average",
        report.cycles_passed, report.cycles, report.pattern, report.iac, report.cycle_seconds_mean
    );
    println!(
        "requests: {} through the flagship's chain, {} failed, {} clients, {:.0} req/s",
        report.requests, report.requests_failed, report.concurrency, report.requests_per_s
    );
    // Growth is measured from the first warm sample: moto loads its IAM managed policies and the like on the
    // first deploy, which is not growth.
    let warm = report.samples.iter().find(|s| s.at == "after cycle 1");
    if let (Some(warm), Some(end)) = (warm, report.samples.last()) {
        println!(
            "growth from `after cycle 1` to the end: moto {:+.1} MiB, daemon {:+.1} MiB",
            mib(end.moto_kib) - mib(warm.moto_kib),
            mib(end.daemon_kib) - mib(warm.daemon_kib)
        );
    }
    println!("errors: {}", report.errors.len());
    for e in &report.errors {
        println!("  {}: {}", e.phase, e.error);
    }
}
