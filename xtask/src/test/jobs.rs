//! `cargo xtask test` of several patterns at once: each pattern (its flavours in turn, so they never share names)
//! in a child `cargo xtask test <pattern>` writing to its own log, up to `--jobs` children, all in one local cloud.
//!
//! A pattern test mostly waits: Terraform's AWS provider polls a new SQS queue for 25 s and a new function for
//! ~5 s whatever the endpoint answers, and a load balancer for 60 s; verify waits for retries and schedules. Run
//! side by side, those waits overlap. The functions of every pattern are built first, in one cargo run, so the
//! children do not queue on cargo's lock, and the local cloud is started once, before them. The longest tests of
//! the previous run start first (`durations.json` beside the logs), so no long one starts last.

use std::{
    collections::{BTreeMap, VecDeque},
    fs::{self, File},
    io::{BufRead, BufReader},
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use xshell::{Shell, cmd};

use crate::{
    build,
    deploy::Deployment,
    flags::{DeployArgs, Target},
    interrupt::{self, Forward},
    pattern::{Pattern, target_dir},
};

/// Lines of a failed pattern's log printed under its failure (the whole log stays on disk).
const TAIL_LINES: usize = 60;

/// A child testing one pattern.
struct Running {
    name: String,
    child: Child,
    log: PathBuf,
    started: Instant,
    _group: interrupt::Group,
}

pub fn run(patterns: &[Pattern], args: &DeployArgs, jobs: usize) -> Result<()> {
    let started = Instant::now();
    crate::setup::python_tools(true)?;
    build_all(patterns, args)?;
    interrupt::check()?;
    if args.target == Target::Local {
        crate::local::ensure_up(None)?;
    }
    let logs = target_dir().join("xtask").join("test-logs");
    fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let sh = Shell::new()?;
    let exe = std::env::current_exe().context("finding the running xtask")?;
    // Building the daemon (it links from xtask's own build) may have replaced this very binary after an edit:
    // Linux then names the running one `<path> (deleted)`, and the new one at `<path>` is what to start.
    let exe = match exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
        Some(path) => PathBuf::from(path),
        None => exe,
    };
    println!(
        "testing {} patterns, {jobs} at a time (each pattern's output: {})",
        patterns.len(),
        logs.display()
    );
    let bar = ProgressBar::new(patterns.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} patterns {elapsed}  {msg}")
            .unwrap()
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let durations_path = logs.join("durations.json");
    let mut durations: BTreeMap<String, f64> = fs::read_to_string(&durations_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    // Timed per flavour selection: `--iac cdk` takes longer than the default flavours.
    let key = |name: &str| match args.iac {
        Some(iac) => format!("{name} --iac {}", iac.as_str()),
        None => name.to_owned(),
    };
    let mut order: Vec<&Pattern> = patterns.iter().collect();
    // Longest first; a pattern never timed counts as the longest.
    order.sort_by(|a, b| {
        let secs = |p: &Pattern| durations.get(&key(&p.name)).copied().unwrap_or(f64::MAX);
        secs(b).total_cmp(&secs(a))
    });
    let mut queue: VecDeque<&Pattern> = order.into_iter().collect();
    let mut running: Vec<Running> = Vec::new();
    let mut failed = Vec::new();
    loop {
        while running.len() < jobs && !interrupt::requested() {
            let Some(pattern) = queue.pop_front() else {
                break;
            };
            running.push(spawn(&sh, &exe, pattern, args, &logs)?);
        }
        if running.is_empty() {
            break;
        }
        bar.set_message(
            running
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        std::thread::sleep(Duration::from_millis(200));
        let mut i = 0;
        while i < running.len() {
            let Some(status) = running[i]
                .child
                .try_wait()
                .with_context(|| format!("waiting for the test of {}", running[i].name))?
            else {
                i += 1;
                continue;
            };
            let done = running.remove(i);
            let secs = done.started.elapsed().as_secs_f64();
            durations.insert(key(&done.name), secs);
            bar.inc(1);
            if status.success() {
                // (`suspend`, not `println`: a hidden bar, as in CI, drops what it is given to print.)
                bar.suspend(|| println!("ok    {} in {secs:.1} s", done.name));
            } else {
                bar.suspend(|| {
                    println!(
                        "FAIL  {} in {secs:.1} s ({status}); its log, {}, ends:\n{}",
                        done.name,
                        done.log.display(),
                        tail(&done.log)
                    )
                });
                failed.push(done.name);
            }
        }
    }
    bar.finish_and_clear();
    if let Err(err) = fs::write(&durations_path, serde_json::to_string_pretty(&durations)?) {
        tracing::warn!(
            "could not record the test durations in {}: {err}",
            durations_path.display()
        );
    }
    interrupt::check().context(if queue.is_empty() {
        "stopped: the tests that ran cleaned up after themselves".to_owned()
    } else {
        format!(
            "stopped: not tested: {}",
            queue
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let secs = started.elapsed().as_secs_f64();
    if !failed.is_empty() {
        bail!(
            "test failed for: {} ({} of {} patterns passed, {secs:.0} s)",
            failed.join(", "),
            patterns.len() - failed.len(),
            patterns.len()
        );
    }
    println!("{} patterns passed in {secs:.0} s", patterns.len());
    Ok(())
}

/// Builds the functions of every pattern in one cargo run per architecture (what each child then finds built).
fn build_all(patterns: &[Pattern], args: &DeployArgs) -> Result<()> {
    let mut by_arch: Vec<(build::Arch, Vec<crate::pattern::LambdaCrate>)> = Vec::new();
    for pattern in patterns {
        let dep = Deployment::new(pattern, args)?;
        pattern.packages()?; // each must be a workspace member
        let arch = dep.build_arch();
        let lambdas = match by_arch.iter_mut().find(|(a, _)| *a == arch) {
            Some((_, lambdas)) => lambdas,
            None => {
                by_arch.push((arch, Vec::new()));
                &mut by_arch.last_mut().unwrap().1
            }
        };
        for lambda in &pattern.lambdas {
            if !lambdas.iter().any(|l| l.package == lambda.package) {
                lambdas.push(lambda.clone());
            }
        }
    }
    for (arch, lambdas) in by_arch {
        build::build(&lambdas, arch).context("building the patterns' functions")?;
    }
    Ok(())
}

/// Starts `cargo xtask test <pattern>` (the same flags) in its own process group, its output to its log file.
fn spawn(
    sh: &Shell,
    exe: &std::path::Path,
    pattern: &Pattern,
    args: &DeployArgs,
    logs: &std::path::Path,
) -> Result<Running> {
    let name = pattern.name.as_str();
    let target = args.target.as_str();
    let mut flags = Vec::new();
    if let Some(iac) = args.iac {
        flags.extend(["--iac".to_owned(), iac.as_str().to_owned()]);
    }
    if args.keep {
        flags.push("--keep".to_owned());
    }
    if args.release {
        flags.push("--release".to_owned());
    }
    let log = logs.join(format!("{name}.log"));
    let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let err = out.try_clone()?;
    let mut command: std::process::Command =
        cmd!(sh, "{exe} test {name} --target {target} {flags...}").into();
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        // Its own group: a terminal's Ctrl-C reaches it once, through `interrupt` (which passes the first on), so
        // it cleans up what it deployed as `cargo xtask test` always does.
        .process_group(0);
    let child = command
        .spawn()
        .with_context(|| format!("starting the test of {name}"))?;
    let group = interrupt::track_group(child.id(), Forward::Yes);
    Ok(Running {
        name: name.to_owned(),
        child,
        log,
        started: Instant::now(),
        _group: group,
    })
}

/// The last [`TAIL_LINES`] lines of a log, indented.
fn tail(log: &std::path::Path) -> String {
    let Ok(file) = File::open(log) else {
        return "  (no log)".to_owned();
    };
    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..]
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
