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

/// `cargo`, with the environment a shell gives it: without the variables cargo set for xtask's own run. They
/// belong to that run (`cargo xtask` is `cargo run -p xtask`, which sets `CARGO`, `CARGO_MANIFEST_DIR`,
/// `CARGO_MANIFEST_PATH` and `CARGO_PKG_*`; `cargo test` sets the same for test binaries), and build scripts that
/// watch them (`rerun-if-env-changed`: ring's `CARGO_MANIFEST_DIR`, `CARGO_MANIFEST_LINKS`, `CARGO_PKG_NAME`,
/// `CARGO_PKG_VERSION_*`) ran again each time a shell build and an xtask build alternated, recompiling what
/// depends on them (19.5 minutes once). The compiler variables (`RUSTC*`) go too: cargo sets them for build
/// scripts and `cargo xtask ci` sets `RUSTC_WORKSPACE_WRAPPER` (clippy-driver) for its test binaries, which must
/// not lint or rebuild the Lambda crates they deploy; a compiler or wrapper of the user's is configured in
/// `.cargo/config.toml` (`build.rustc`, `build.rustc-wrapper`), which both builds read. What the user set stays:
/// `PATH`, `HOME`, `RUSTUP_*`, `CARGO_HOME`, `CARGO_TARGET_DIR` and cargo's configuration variables
/// (`CARGO_BUILD_*`, `CARGO_PROFILE_*`, ...), which a shell build reads the same way.
pub fn clean_cargo(sh: &Shell) -> xshell::Cmd<'_> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    without_run_env(cmd!(sh, "{cargo}"))
}

/// A release build made quick to compile, set as cargo's profile variables: no optimisation, no LTO, many codegen
/// units, no debug info. For a release build a test or the set-up makes only to run a few times (cargo-generate's
/// install, the SAM CLI's `cargo lambda build --release`), where the profile's own settings would cost minutes of
/// CPU for speed nobody measures.
pub const QUICK_RELEASE: [(&str, &str); 4] = [
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"),
    ("CARGO_PROFILE_RELEASE_LTO", "false"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
];

/// `cmd` (cargo, or a tool that runs cargo: cargo-lambda) without the variables of xtask's own run (see
/// [`clean_cargo`]).
pub fn without_run_env(mut cmd: xshell::Cmd<'_>) -> xshell::Cmd<'_> {
    for key in run_variables(std::env::vars_os().map(|(key, _)| key.to_string_lossy().into_owned()))
    {
        cmd = cmd.env_remove(key);
    }
    cmd
}

/// The names among `keys` that cargo sets for a program it runs (`cargo run`, a test, a build script), as
/// opposed to configuration a user sets.
fn run_variables(keys: impl Iterator<Item = String>) -> Vec<String> {
    keys.filter(|key| is_run_variable(key)).collect()
}

/// See [`run_variables`]: cargo's "environment variables Cargo sets for crates" and "for build scripts"
/// (<https://doc.rust-lang.org/cargo/reference/environment-variables.html>) that a child cargo would read as
/// configuration or a build script would watch; `RUSTC*` are the compiler cargo chose for xtask's build, set for
/// its build scripts (a different compiler or wrapper is configured in `.cargo/config.toml`, read by both builds).
fn is_run_variable(key: &str) -> bool {
    const PREFIXES: [&str; 4] = [
        "CARGO_PKG_",
        "CARGO_CFG_",
        "CARGO_FEATURE_",
        "CARGO_BIN_EXE_",
    ];
    const NAMES: [&str; 16] = [
        "CARGO",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "CARGO_MAKEFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_LINKER",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
    ];
    PREFIXES.iter().any(|p| key.starts_with(p)) || NAMES.contains(&key)
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
        let shell: Vec<String> = [
            "PATH",
            "HOME",
            "RUSTUP_TOOLCHAIN",
            "RUSTUP_HOME",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_TERM_COLOR",
            "CARGO_BUILD_JOBS",
            "CARGO_PROFILE_DEV_DEBUG",
            "RUSTFLAGS",
            "CC",
        ]
        .map(str::to_owned)
        .to_vec();
        let run: Vec<String> = [
            "CARGO",
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_BIN_EXE_xtask",
            "CARGO_TARGET_TMPDIR",
            "RUSTC",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
        ]
        .map(str::to_owned)
        .to_vec();
        let all = shell.iter().chain(&run).cloned();
        assert_eq!(run_variables(all), run);
    }

    /// The command itself: run by `cargo test`, this process has the variables cargo sets for a test binary
    /// (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`); the child cargo gets none of them, and keeps `PATH` and `HOME`.
    #[test]
    fn the_child_cargo_runs_without_the_variables_of_this_run() {
        assert!(
            std::env::var_os("CARGO_MANIFEST_DIR").is_some()
                && std::env::var_os("CARGO_PKG_NAME").is_some(),
            "run by cargo test, which sets them"
        );
        let sh = Shell::new().unwrap();
        let command = std::process::Command::from(clean_cargo(&sh).arg("build"));
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(key, _)| key.to_string_lossy().into_owned())
            .collect();
        for key in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "CARGO_PKG_VERSION"] {
            assert!(removed.iter().any(|k| k == key), "{key} kept: {removed:?}");
        }
        for key in [
            "PATH",
            "HOME",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "RUSTUP_TOOLCHAIN",
        ] {
            assert!(!removed.iter().any(|k| k == key), "{key} removed");
        }
        assert!(
            command.get_envs().all(|(_, value)| value.is_none()),
            "nothing is set, only removed"
        );
    }
}
