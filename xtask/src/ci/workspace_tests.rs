//! `ci`'s workspace tests in one build, two lanes: the local cloud's integration tests
//! (`crates/local-cloud/tests/it`: each test its own moto and daemon on free ports, nothing of `.work/local`) run
//! in a child process beside the other tests (xtask's repository and fault tests, which share `.work/local`'s
//! cloud, and every crate's unit tests). Both lanes mostly wait on deploys and processes, so together they take
//! about as long as the longer one (docs/benchmarks.md, "CI").

use std::{
    fs::{self, File},
    os::unix::process::CommandExt,
    process::Stdio,
};

use anyhow::{Context, Result, bail};
use xshell::Shell;

use crate::interrupt::{self, Forward};

/// Lints and builds every test target once (clippy-driver compiles the workspace's crates, see
/// [`super::with_clippy`]), then runs the two lanes; fails if either failed, the integration tests' log named.
pub fn run(sh: &Shell) -> Result<()> {
    let cargo = |args: &[&str]| super::with_clippy(crate::cargo::clean_cargo(sh).args(args));
    cargo(&[
        "test",
        "--workspace",
        "--all-targets",
        "--locked",
        "--no-run",
    ])?
    .run()
    .context("linting and building the tests")?;

    let log = crate::pattern::target_dir().join("xtask/ci-logs/local-cloud-it.log");
    fs::create_dir_all(log.parent().expect("a log has a folder"))?;
    let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let mut command: std::process::Command =
        cargo(&["test", "-p", "local-cloud", "--test", "it", "--locked"])?.into();
    command
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        // Its own group, as `cargo xtask test`'s children: a Ctrl-C reaches it once, through `interrupt`.
        .process_group(0);
    let mut it = command
        .spawn()
        .context("starting the local cloud's integration tests")?;
    let _group = interrupt::track_group(it.id(), Forward::Yes);
    println!(
        "the local cloud's integration tests run beside the others, logging to {}",
        log.display()
    );

    // Excluding `local-cloud` from the tested packages changes no feature (it has no dev-dependencies), so
    // nothing is built again; its unit tests run on their own.
    let others = cargo(&[
        "test",
        "--workspace",
        "--exclude",
        "local-cloud",
        "--all-targets",
        "--locked",
    ])
    .and_then(|c| Ok(c.run()?))
    .and_then(|()| {
        Ok(cargo(&["test", "-p", "local-cloud", "--lib", "--bins", "--locked"])?.run()?)
    });
    let status = it
        .wait()
        .context("waiting for the local cloud's integration tests")?;
    let text = fs::read_to_string(&log).unwrap_or_default();
    let summary = text
        .lines()
        .rfind(|l| l.starts_with("test result:"))
        .unwrap_or("no result");
    println!("the local cloud's integration tests: {summary}");
    others?;
    if !status.success() {
        let tail: Vec<&str> = text.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "the local cloud's integration tests failed ({status}); their log is {}:\n{}",
            log.display(),
            tail.join("\n")
        );
    }
    Ok(())
}
