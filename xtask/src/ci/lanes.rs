//! `ci`'s tests in one build and three lanes side by side. Each lane runs its commands one after another; the
//! lanes mostly wait (on deploys, clouds, processes), so together they take about as long as the longest
//! (docs/benchmarks.md, "CI"). Lanes that deploy each have a [`World`] of their own: a work folder
//! (`XTASK_WORK_DIR`) and a local cloud on a port of its own (`LOCAL_CLOUD_PORT`), so no lane sees another's
//! deployments or restarts another's cloud.
//!
//! - `workspace` (the terminal, the default world): every crate's unit tests and xtask's repository tests.
//! - `cloud` (a log, a world of its own): the local cloud's integration tests (each its own moto and daemon on
//!   free ports), xtask's fault tests (they kill and restart their cloud), the moto launcher's pytest files,
//!   doc tests, the CDK converter's lint and tests. (No `validate --all`: `cargo xtask test` validates each
//!   flavour of a pattern, with the same checks and tools, before it builds or deploys it.)
//! - `lifecycles` (a log, a world of its own): `cargo xtask test --all`, then the CDK apps of [`super::CDK_LIFECYCLE`].

use std::{
    collections::BTreeSet,
    fs::{self, File},
    io::Write,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread::JoinHandle,
    time::Instant,
};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::{
    interrupt::{self, Forward},
    pattern::{WORK_DIR_VAR, project_root, target_dir},
};

/// Lints and builds every test target once (clippy-driver compiles the workspace's crates, see
/// [`super::with_clippy`]) while `setup` (the tools' set-up, started before) finishes, then runs the lanes;
/// fails naming each lane that failed, with the end of its log.
pub fn run(sh: &Shell, xtask: &Path, setup: Option<JoinHandle<Result<()>>>) -> Result<()> {
    let cargo = |args: &[&str]| super::with_clippy(crate::cargo::clean_cargo(sh).args(args));
    let built = cargo(&[
        "test",
        "--workspace",
        "--all-targets",
        "--locked",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ])
    .and_then(|build| Ok(build.read()?));
    // Waited for whatever the build did: no install is left half done.
    if let Some(setup) = setup {
        setup
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the set-up's thread panicked")))
            .context("the set-up (cargo xtask setup) failed")?;
    }
    let built = built.context("linting and building the tests")?;
    let unit_tests = unit_test_executables(&built, "local-cloud");
    if unit_tests.is_empty() {
        bail!(
            "cargo reported no unit-test executable of local-cloud; its unit tests would not run"
        );
    }
    // The workspace lane's integration-test targets: all but the two the cloud lane runs. Named one by one, as
    // `--all-targets` would select them, so the build above is what runs (same features, nothing rebuilt).
    let tests = test_targets(&built, &["it", "faults"]);
    let base = crate::local::env_port()?.unwrap_or(crate::local::DEFAULT_PORT);
    let cloud_world = World::new("cloud", base + 1);
    let lifecycle_world = World::new("lifecycles", base + 2);
    for world in [&cloud_world, &lifecycle_world] {
        world.reset(sh, xtask)?;
    }

    let mut workspace = cargo(&[
        "test",
        "--workspace",
        "--exclude",
        "local-cloud",
        "--lib",
        "--bins",
        "--examples",
        "--benches",
        "--locked",
    ])?;
    for name in &tests {
        workspace = workspace.args(["--test", name]);
    }
    let mut workspace = vec![Job::new("unit and repository tests", workspace.into())];
    // Local-cloud's unit tests are the executables built above, run as cargo runs them (from the package's
    // folder): `cargo test -p local-cloud` would resolve other features and build them again.
    for executable in &unit_tests {
        let mut command = Command::new(executable);
        command.current_dir(project_root().join("crates/local-cloud"));
        workspace.push(Job::new("the unit tests of local-cloud", command));
    }

    let python = crate::setup::python();
    let converter = "crates/cdk-gen/Cargo.toml";
    let converter_target = target_dir().join("cdk-gen");
    // `--workspace`, as the build above: `-p local-cloud` or `-p xtask` would resolve other features and build again.
    let cloud = vec![
        Job::new(
            "the local cloud's integration tests",
            cargo(&["test", "--workspace", "--test", "it", "--locked"])?.into(),
        ),
        cloud_world.job(
            "xtask's fault tests (kills, restarts, broken patterns)",
            cargo(&["test", "--workspace", "--test", "faults", "--locked"])?.into(),
        ),
        Job::new(
            "moto launcher tests (one pytest file per service module)",
            cmd!(sh, "{python} -m pytest crates/local-cloud/python/tests -q").into(),
        ),
        // Linted as the build above, so its libraries are reused (a plain `cargo test` would compile local-cloud's
        // test-profile library once more).
        Job::new(
            "doc tests",
            cargo(&["test", "--workspace", "--doc", "--locked"])?.into(),
        ),
        Job::new(
            "lint and tests of the CDK converter (crates/cdk-gen)",
            super::with_clippy(cmd!(
                sh,
                "cargo test --manifest-path {converter} --target-dir {converter_target} --all-targets --locked"
            ))?
            .into(),
        ),
    ];
    let cdk_patterns = super::CDK_LIFECYCLE;
    let lifecycles = vec![
        lifecycle_world.job(
            "local deploy + verify + destroy: every pattern, each of its flavours, four at a time in one local cloud",
            cmd!(sh, "{xtask} test --all").into(),
        ),
        lifecycle_world.job(
            "local deploy + verify + destroy of the CDK apps, side by side",
            cmd!(sh, "{xtask} test {cdk_patterns...} --iac cdk").into(),
        ),
    ];

    let logs = target_dir().join("xtask/ci-logs");
    fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let lanes = [
        Lane {
            name: "workspace",
            log: None,
            jobs: workspace,
        },
        Lane {
            name: "cloud",
            log: Some(logs.join("lane-cloud.log")),
            jobs: cloud,
        },
        Lane {
            name: "lifecycles",
            log: Some(logs.join("lane-lifecycles.log")),
            jobs: lifecycles,
        },
    ];
    for lane in &lanes {
        if let Some(log) = &lane.log {
            println!(
                "lane `{}` runs beside the others, logging to {}",
                lane.name,
                log.display()
            );
        }
    }
    let outcomes: Vec<(&str, Option<PathBuf>, Result<()>)> = std::thread::scope(|s| {
        let running: Vec<_> = lanes
            .into_iter()
            .map(|lane| {
                let (name, log) = (lane.name, lane.log.clone());
                (name, log, s.spawn(move || lane.run()))
            })
            .collect();
        running
            .into_iter()
            .map(|(name, log, handle)| {
                let result = handle
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("the lane's thread panicked")));
                (name, log, result)
            })
            .collect()
    });

    // The worlds' clouds stop whatever happened (the default world's is stopped at the end of `ci`).
    let mut stopped = Ok(());
    for world in [&cloud_world, &lifecycle_world] {
        if let Err(err) = world.stop(sh, xtask) {
            stopped = Err(err);
        }
    }
    let mut failures = Vec::new();
    for (name, log, result) in outcomes {
        if let Err(err) = result {
            let tail = log.as_deref().map(tail).unwrap_or_default();
            failures.push(format!("lane `{name}`: {err:#}{tail}"));
        }
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n\n"));
    }
    stopped
}

/// A work folder and a local-cloud port of their own: what one lane deploys to, apart from the others.
struct World {
    dir: PathBuf,
    port: u16,
}

impl World {
    /// `.work/ci-<name>/`, the cloud on `port`.
    fn new(name: &str, port: u16) -> World {
        World {
            dir: project_root().join(".work").join(format!("ci-{name}")),
            port,
        }
    }

    /// What puts a command in this world.
    fn vars(&self) -> [(&'static str, String); 2] {
        [
            (WORK_DIR_VAR, self.dir.display().to_string()),
            ("LOCAL_CLOUD_PORT", self.port.to_string()),
        ]
    }

    /// `command` run in this world.
    fn job(&self, label: &'static str, mut command: Command) -> Job {
        command.envs(self.vars());
        Job::new(label, command)
    }

    /// Stops a cloud an interrupted run may have left, and empties the folder: each run starts from nothing.
    fn reset(&self, sh: &Shell, xtask: &Path) -> Result<()> {
        if self.dir.exists() {
            self.stop(sh, xtask)?;
            fs::remove_dir_all(&self.dir)
                .with_context(|| format!("emptying {}", self.dir.display()))?;
        }
        Ok(())
    }

    fn stop(&self, sh: &Shell, xtask: &Path) -> Result<()> {
        cmd!(sh, "{xtask} local down")
            .envs(self.vars())
            .quiet()
            .ignore_stdout()
            .run()
            .with_context(|| format!("stopping the local cloud of {}", self.dir.display()))
    }
}

/// One command of a lane.
struct Job {
    label: &'static str,
    command: Command,
}

impl Job {
    fn new(label: &'static str, command: Command) -> Job {
        Job { label, command }
    }
}

/// Commands run one after another, their output to the terminal or to `log`; the first failure ends the lane.
struct Lane {
    name: &'static str,
    log: Option<PathBuf>,
    jobs: Vec<Job>,
}

impl Lane {
    fn run(self) -> Result<()> {
        let mut log = match &self.log {
            Some(path) => {
                Some(File::create(path).with_context(|| format!("creating {}", path.display()))?)
            }
            None => None,
        };
        for mut job in self.jobs {
            interrupt::check()?;
            println!("\n==> [{}] {}", self.name, job.label);
            let started = Instant::now();
            if let Some(log) = &mut log {
                writeln!(log, "\n==> {}", job.label)?;
                job.command
                    .stdout(log.try_clone()?)
                    .stderr(log.try_clone()?);
            }
            // Its own group, as `cargo xtask test`'s children: a Ctrl-C reaches it once, through `interrupt`.
            job.command.stdin(Stdio::null()).process_group(0);
            let mut child = job
                .command
                .spawn()
                .with_context(|| format!("starting {}", job.label))?;
            let _group = interrupt::track_group(child.id(), Forward::Yes);
            let status = child
                .wait()
                .with_context(|| format!("waiting for {}", job.label))?;
            let secs = started.elapsed().as_secs_f64();
            if !status.success() {
                bail!("{} failed after {secs:.0} s ({status})", job.label);
            }
            println!("<== [{}] {}: {secs:.0} s", self.name, job.label);
        }
        Ok(())
    }
}

/// The last lines of a lane's log, to print under its failure.
fn tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(60);
    format!(
        "\nits log, {}, ends:\n{}",
        log.display(),
        lines[from..].join("\n")
    )
}

/// The JSON messages cargo printed, those about a test build (`profile.test`).
fn test_artifacts(messages: &str) -> impl Iterator<Item = serde_json::Value> + '_ {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["profile"]["test"] == true)
}

/// The unit-test executables (`lib` and `bin` targets) of `package` in cargo's JSON messages.
fn unit_test_executables(messages: &str, package: &str) -> Vec<PathBuf> {
    test_artifacts(messages)
        .filter(|m| {
            m["target"]["name"].as_str().map(|n| n.replace('_', "-")) == Some(package.to_owned())
                && m["target"]["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "lib" || k == "bin"))
        })
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .collect()
}

/// The names of the integration-test targets (`tests/`) in cargo's JSON messages, but `except`.
fn test_targets(messages: &str, except: &[&str]) -> BTreeSet<String> {
    test_artifacts(messages)
        .filter(|m| {
            m["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "test"))
        })
        .filter_map(|m| m["target"]["name"].as_str().map(str::to_owned))
        .filter(|name| !except.contains(&name.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGES: &[&str] = &[
        r#"{"reason":"compiler-artifact","target":{"name":"local_cloud","kind":["lib"]},"profile":{"test":true},"executable":"/t/local_cloud-1"}"#,
        r#"{"reason":"compiler-artifact","target":{"name":"local-cloud","kind":["bin"]},"profile":{"test":true},"executable":"/t/local_cloud-2"}"#,
        r#"{"reason":"compiler-artifact","target":{"name":"local-cloud","kind":["bin"]},"profile":{"test":false},"executable":"/t/local-cloud"}"#,
        r#"{"reason":"compiler-artifact","target":{"name":"it","kind":["test"]},"profile":{"test":true},"executable":"/t/it-1"}"#,
        r#"{"reason":"compiler-artifact","target":{"name":"faults","kind":["test"]},"profile":{"test":true},"executable":"/t/faults-1"}"#,
        r#"{"reason":"compiler-artifact","target":{"name":"handler","kind":["test"]},"profile":{"test":true},"executable":"/t/handler-1"}"#,
        r#"{"reason":"compiler-artifact","target":{"name":"handler","kind":["test"]},"profile":{"test":true},"executable":"/t/handler-2"}"#,
        r#"{"reason":"compiler-artifact","target":{"name":"xtask","kind":["bin"]},"profile":{"test":true},"executable":"/t/xtask-1"}"#,
        "not json",
    ];

    #[test]
    fn the_unit_test_executables_of_a_package_are_found_in_cargos_messages() {
        assert_eq!(
            unit_test_executables(&MESSAGES.join("\n"), "local-cloud"),
            [
                PathBuf::from("/t/local_cloud-1"),
                PathBuf::from("/t/local_cloud-2")
            ]
        );
    }

    #[test]
    fn the_integration_test_targets_are_named_once_and_the_excepted_ones_left_out() {
        let names: Vec<String> = test_targets(&MESSAGES.join("\n"), &["it", "faults"])
            .into_iter()
            .collect();
        assert_eq!(names, ["handler"]);
    }
}
