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
    let built = cargo(&[
        "test",
        "--workspace",
        "--all-targets",
        "--locked",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ])?
    .read()
    .context("linting and building the tests")?;
    let unit_tests = unit_test_executables(&built, "local-cloud");
    if unit_tests.is_empty() {
        bail!(
            "cargo reported no unit-test executable of local-cloud; its unit tests would not run"
        );
    }

    let log = crate::pattern::target_dir().join("xtask/ci-logs/local-cloud-it.log");
    fs::create_dir_all(log.parent().expect("a log has a folder"))?;
    let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    // `--workspace`, as the build above: `-p local-cloud` would resolve other features and build again.
    let mut command: std::process::Command =
        cargo(&["test", "--workspace", "--test", "it", "--locked"])?.into();
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
    // nothing is built again. Its unit tests are the executables built above, run as cargo runs them (from the
    // package's folder): `cargo test -p local-cloud` would resolve other features and build them again.
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
        let _dir = sh.push_dir(crate::pattern::project_root().join("crates/local-cloud"));
        for executable in &unit_tests {
            xshell::cmd!(sh, "{executable}").run().with_context(|| {
                format!("the unit tests of local-cloud ({})", executable.display())
            })?;
        }
        Ok(())
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

/// The unit-test executables (`lib` and `bin` targets) of `package` in cargo's JSON messages.
fn unit_test_executables(messages: &str, package: &str) -> Vec<std::path::PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| {
            m["reason"] == "compiler-artifact"
                && m["profile"]["test"] == true
                && m["target"]["name"].as_str().map(|n| n.replace('_', "-"))
                    == Some(package.to_owned())
                && m["target"]["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "lib" || k == "bin"))
        })
        .filter_map(|m| m["executable"].as_str().map(std::path::PathBuf::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_test_executables_of_a_package_are_found_in_cargos_messages() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"local_cloud","kind":["lib"]},"profile":{"test":true},"executable":"/t/local_cloud-1"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"local-cloud","kind":["bin"]},"profile":{"test":true},"executable":"/t/local_cloud-2"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"local-cloud","kind":["bin"]},"profile":{"test":false},"executable":"/t/local-cloud"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"it","kind":["test"]},"profile":{"test":true},"executable":"/t/it-1"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"xtask","kind":["bin"]},"profile":{"test":true},"executable":"/t/xtask-1"}"#,
            "not json",
        ]
        .join("\n");
        assert_eq!(
            unit_test_executables(&messages, "local-cloud"),
            [
                std::path::PathBuf::from("/t/local_cloud-1"),
                std::path::PathBuf::from("/t/local_cloud-2")
            ]
        );
    }
}
