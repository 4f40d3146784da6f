//! Cargo builds run by xtask (the daemon, the Lambda crates), with a progress line that says what is
//! compiling, and with the features and profile `cargo xtask` itself was built with, so they share its
//! artifacts instead of compiling the dependency tree again.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use xshell::{Shell, cmd};

use crate::pattern::project_root;

/// The package whose features every build of xtask's is unified with (see [`build`]).
const XTASK: &str = "xtask";

/// One `cargo build` of some binaries.
pub struct Build<'a> {
    /// What the user is told is being built ("the local cloud daemon").
    pub what: &'a str,
    /// `-p` packages.
    pub packages: Vec<String>,
    /// `--profile` (`dev` unless set).
    pub profile: &'a str,
    /// Also build xtask: the build then unifies features with xtask's own dependency tree, so a dev build
    /// reuses every artifact `cargo xtask` was built with (feature unification is per set of packages built).
    pub with_xtask: bool,
}

/// A binary the build produced.
#[derive(Debug, Clone)]
pub struct Binary {
    pub package: String,
    pub name: String,
    pub path: PathBuf,
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    package_id: String,
    #[serde(default)]
    target: Option<Target>,
    #[serde(default)]
    fresh: bool,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    success: Option<bool>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

/// Runs the build, showing what compiles; returns the binaries of the asked packages.
pub fn build(build: &Build<'_>) -> Result<Vec<Binary>> {
    let mut args: Vec<String> = vec![
        "build".into(),
        "--message-format=json-render-diagnostics".into(),
        "--profile".into(),
        build.profile.into(),
    ];
    for p in &build.packages {
        args.extend(["-p".into(), p.clone()]);
    }
    if build.with_xtask && !build.packages.iter().any(|p| p == XTASK) {
        args.extend(["-p".into(), XTASK.into()]);
    }
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message(format!("building {}", build.what));

    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let mut child = std::process::Command::from(clean_cargo(&sh).args(&args))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running cargo")?;
    // Diagnostics (rendered) arrive on stderr; kept for the error message.
    let stderr = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !line.trim_start().starts_with("Compiling")
                && !line.trim_start().starts_with("Finished")
            {
                text.push_str(&line);
                text.push('\n');
            }
        }
        text
    });
    let (mut compiled, mut fresh) = (0usize, 0usize);
    let mut binaries = Vec::new();
    let mut succeeded = None;
    for line in BufReader::new(child.stdout.take().expect("piped"))
        .lines()
        .map_while(Result::ok)
    {
        let Ok(msg) = serde_json::from_str::<Message>(&line) else {
            continue;
        };
        match msg.reason.as_str() {
            "compiler-artifact" => {
                let Some(target) = msg.target else { continue };
                if msg.fresh {
                    fresh += 1;
                } else {
                    compiled += 1;
                    bar.set_message(format!(
                        "building {}: {compiled} crates compiled ({fresh} up to date), last {} [{}s]",
                        build.what,
                        target.name,
                        started.elapsed().as_secs()
                    ));
                }
                if let Some(path) = msg.executable
                    && target.kind.iter().any(|k| k == "bin")
                {
                    binaries.push(Binary {
                        package: package_name(&msg.package_id),
                        name: target.name,
                        path,
                    });
                }
            }
            "build-finished" => succeeded = msg.success,
            _ => {}
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    let diagnostics = errors.join().unwrap_or_default();
    bar.finish_and_clear();
    if !status.success() || succeeded == Some(false) {
        bail!(
            "cargo build of {} failed:\n{}",
            build.what,
            diagnostics.trim_end()
        );
    }
    if compiled > 0 {
        eprintln!(
            "built {} ({compiled} crates compiled, {fresh} up to date) in {:.1}s",
            build.what,
            started.elapsed().as_secs_f64()
        );
    }
    binaries.retain(|b| build.packages.contains(&b.package));
    Ok(binaries)
}

/// `cargo`, without the variables `cargo run` set for xtask: they belong to xtask's own run, and some
/// (`CARGO_MANIFEST_DIR`, `CARGO_PKG_*`) would make build scripts that watch them (ring's) run again, so
/// alternating a shell build and an xtask build would recompile the dependency tree.
pub fn clean_cargo(sh: &Shell) -> xshell::Cmd<'_> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = cmd!(sh, "{cargo}");
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if is_run_variable(&key) {
            cmd = cmd.env_remove(key.as_ref());
        }
    }
    cmd
}

/// The variables cargo sets for the program it runs (as opposed to configuration a user sets).
fn is_run_variable(key: &str) -> bool {
    key.starts_with("CARGO_PKG_")
        || matches!(
            key,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_RUSTC_CURRENT_DIR"
        )
}

/// The package name of a cargo package id (`path+file:///...#name@0.1.0`, `registry+...#name@1.0`, or the
/// old `name 0.1.0 (...)` form).
fn package_name(id: &str) -> String {
    if let Some((_, fragment)) = id.rsplit_once('#') {
        let name_version = fragment.split('@').next().unwrap_or(fragment);
        // `#0.1.0` alone means the name is the last path segment.
        if name_version
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
        {
            let path = id.rsplit_once('#').map_or(id, |(p, _)| p);
            return path.rsplit('/').next().unwrap_or(path).to_owned();
        }
        return name_version.to_owned();
    }
    id.split(' ').next().unwrap_or(id).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_from_ids() {
        assert_eq!(
            package_name("path+file:///w/patterns/x/functions/hello#pvt-alb-hello@0.1.0"),
            "pvt-alb-hello"
        );
        assert_eq!(
            package_name("path+file:///w/crates/local-cloud#0.1.0"),
            "local-cloud"
        );
        assert_eq!(
            package_name("registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0"),
            "serde"
        );
        assert_eq!(package_name("xtask 0.1.0 (path+file:///w/xtask)"), "xtask");
    }

    #[test]
    fn only_the_variables_of_the_run_are_cleared() {
        assert!(is_run_variable("CARGO_MANIFEST_DIR"));
        assert!(is_run_variable("CARGO_PKG_VERSION"));
        assert!(!is_run_variable("CARGO_TARGET_DIR"));
        assert!(!is_run_variable("CARGO_HOME"));
        assert!(!is_run_variable("CARGO_TERM_COLOR"));
    }
}
