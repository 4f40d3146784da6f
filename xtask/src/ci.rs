//! `cargo xtask ci`: the project's test command, exactly what `.ci/run` and the README run.
//!
//! It installs what the tests need (`cargo xtask setup`, idempotent, quick when everything is there), so a fresh
//! machine needs nothing run before it: the Rust components first, the other tools beside the format check and
//! the first build. Then fmt; one build that lints and compiles every test target
//! (see [`with_clippy`]); every test in three lanes side by side ([`lanes`]: unit, repository and fidelity
//! tests; the local cloud's integration tests, the fault tests, the moto launcher's pytest files; full local
//! validate+deploy+verify+destroy lifecycles of every pattern in each of its flavours and of
//! [`CDK_LIFECYCLE`] as CDK apps); then the cargo-generate template, which edits the checkout and so runs
//! alone: the sample of CONTRIBUTING.md (`cargo xtask new orders-queue --iac sam --trigger sqs`, then
//! `cargo xtask test orders-queue`) and the quick subset of `.github/scripts/template-matrix.sh`, both leaving
//! the checkout as it was. Every local cloud is stopped at the end, also after a failure, so no process
//! outlives the run.

mod lanes;

use std::{fs, path::PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::{
    new::Scratch,
    pattern::{patterns_dir, project_root},
};

/// The template sample: a pattern generated, then deployed, verified and destroyed with no edit.
const SAMPLE: &str = "orders-queue";

/// The patterns CI also tests as the CDK app converted from their SAM template (each adds a `cdk synth`): the
/// flagship and a SAM-only pattern. Every pattern is tested in each flavour its pattern.toml lists
/// (`cargo xtask test --all`), so a new pattern is in CI without an edit here.
const CDK_LIFECYCLE: &[&str] = &["apigw-rest-vpclink-pvt-alb", "apigw-rest-lambda-dynamodb"];

pub fn run() -> Result<()> {
    println!(
        "==> set-up: what the tests need (cargo xtask setup), beside the format check and the first build"
    );
    crate::setup::rust_components().context("ci step `set-up` failed")?;
    let mut setup = Some(std::thread::spawn(crate::setup::tools));
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let xtask = std::env::current_exe()?;
    // cargo with a shell's environment, not the one `cargo run` gave xtask (see `cargo::clean_cargo`).
    let cargo = |args: &[&str]| crate::cargo::clean_cargo(&sh).args(args);
    let converter = "crates/cdk-gen/Cargo.toml";
    let steps: Vec<(&str, Step<'_>)> = vec![
        ("format", cargo(&["fmt", "--all", "--check"]).into()),
        (
            "format of the CDK converter",
            cmd!(sh, "cargo fmt --manifest-path {converter} --check").into(),
        ),
        (
            "lint and build once (clippy-driver compiles the workspace's crates), then every test in three lanes side by side",
            Step::Lanes,
        ),
        (
            "template sample: cargo xtask new orders-queue --iac sam --trigger sqs, cargo xtask test orders-queue",
            Step::TemplateSample,
        ),
        (
            "template: the quick subset of .github/scripts/template-matrix.sh",
            crate::cargo::without_run_env(cmd!(
                sh,
                "bash .github/scripts/template-matrix.sh --quick"
            ))
            .into(),
        ),
    ];
    let mut result = Ok(());
    let started = std::time::Instant::now();
    let mut cpu = ChildrenCpu::default();
    cpu.step();
    for (name, step) in steps {
        println!("\n==> {name}");
        let step_started = std::time::Instant::now();
        let outcome = match step {
            Step::Run(cmd) => cmd.run().map_err(anyhow::Error::from),
            Step::Lanes => lanes::run(&sh, &xtask, setup.take()),
            Step::TemplateSample => template_sample(&sh, &xtask),
        };
        if let Err(err) = outcome {
            result = Err(err).with_context(|| format!("ci step `{name}` failed"));
            break;
        }
        println!(
            "<== {name}: {:.0} s, {:.0} CPU-s",
            step_started.elapsed().as_secs_f64(),
            cpu.step()
        );
    }
    println!(
        "\nci: {:.0} s in all, {:.0} CPU-s (the steps' processes; the local clouds' own are not counted)",
        started.elapsed().as_secs_f64(),
        cpu.total()
    );
    println!("\n==> stopping the local cloud");
    cmd!(sh, "{xtask} local down")
        .run()
        .context("stopping the local cloud")?;
    result?;
    println!("\nci: all steps passed");
    Ok(())
}

/// The CPU time (user + system) of the processes ci has waited for, step by step: what each step costs the
/// machine, beside its wall time (`docs/benchmarks.md` records both). The local cloud runs detached from the
/// step that started it, so its own time is not in these figures.
#[derive(Default)]
struct ChildrenCpu {
    start: Option<f64>,
    last: f64,
}

impl ChildrenCpu {
    fn now() -> f64 {
        use nix::sys::resource::{UsageWho, getrusage};
        getrusage(UsageWho::RUSAGE_CHILDREN).map_or(0.0, |usage| {
            let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
            seconds(usage.user_time()) + seconds(usage.system_time())
        })
    }

    /// The CPU seconds since the previous call.
    fn step(&mut self) -> f64 {
        let now = Self::now();
        self.start.get_or_insert(now);
        let spent = now - self.last;
        self.last = now;
        spent
    }

    fn total(&self) -> f64 {
        self.last - self.start.unwrap_or(self.last)
    }
}

/// One step of `ci`: a command, the tests in their lanes ([`lanes`]), or the template sample.
enum Step<'a> {
    Run(xshell::Cmd<'a>),
    Lanes,
    TemplateSample,
}

impl<'a> From<xshell::Cmd<'a>> for Step<'a> {
    fn from(cmd: xshell::Cmd<'a>) -> Step<'a> {
        Step::Run(cmd)
    }
}

/// `cmd` (a cargo build or test) with the workspace's own crates compiled by clippy-driver, with `-D warnings`:
/// what `cargo clippy` does (it is `cargo check` with `RUSTC_WORKSPACE_WRAPPER` set to clippy-driver), but in
/// the test build itself, so the dependencies are compiled once for the lints and the tests instead of once more
/// in check mode (about 300 CPU-seconds on 2 cores). Cargo keeps the linted artifacts of the workspace's crates
/// beside the plain ones, so later plain builds do not thrash. `CLIPPY_ARGS` is the lint list as cargo-clippy
/// passes it to clippy-driver (both ship in the same toolchain). [`LINT_BUILD_CONFIG`] leaves the linted copy of
/// local-cloud unoptimised.
fn with_clippy(cmd: xshell::Cmd<'_>) -> Result<xshell::Cmd<'_>> {
    let sh = Shell::new()?;
    let sysroot = cmd!(sh, "rustc --print sysroot")
        .read()
        .context("finding the toolchain (rustc --print sysroot)")?;
    let driver = PathBuf::from(sysroot.trim())
        .join("bin")
        .join("clippy-driver");
    if !driver.exists() {
        bail!(
            "{} is missing; fix: `rustup component add clippy`",
            driver.display()
        );
    }
    Ok(cmd
        .args(["--config", LINT_BUILD_CONFIG])
        .env("RUSTC_WORKSPACE_WRAPPER", driver)
        .env("CLIPPY_ARGS", CLIPPY_ARGS))
}

/// `-D warnings` as cargo-clippy passes it to clippy-driver.
const CLIPPY_ARGS: &str = "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__";

/// The lint build's own settings (local-cloud's linted copy unoptimised), shared with template-matrix.sh; a path
/// from the repository's root, where `ci` runs cargo.
const LINT_BUILD_CONFIG: &str = ".cargo/lint-build.toml";

/// Generates the sample, tests it, and removes it again (Cargo.lock restored), whatever happened.
fn template_sample(sh: &Shell, xtask: &std::path::Path) -> Result<()> {
    let dir = patterns_dir().join(SAMPLE);
    if dir.exists() {
        bail!(
            "{} exists, but ci generates its template sample there; fix: rename that pattern or remove the folder",
            dir.display()
        );
    }
    let _restore = Restore::new(dir)?;
    cmd!(sh, "{xtask} new {SAMPLE} --iac sam --trigger sqs").run()?;
    cmd!(sh, "{xtask} test {SAMPLE}").run()?;
    Ok(())
}

/// Removes a generated pattern and restores Cargo.lock (which building it extended) when dropped.
struct Restore {
    _dir: Scratch,
    lock: Vec<u8>,
}

impl Restore {
    fn new(dir: PathBuf) -> Result<Restore> {
        let lock = fs::read(project_root().join("Cargo.lock")).context("reading Cargo.lock")?;
        Ok(Restore {
            _dir: Scratch(dir),
            lock,
        })
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Err(err) = fs::write(project_root().join("Cargo.lock"), &self.lock) {
            eprintln!("could not restore Cargo.lock: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern;

    /// The template matrix builds the generated crates inside the workspace's lint build: with other lints or
    /// settings it would compile the workspace's crates once more.
    #[test]
    fn the_template_matrix_lints_as_ci_does() {
        let script =
            fs::read_to_string(project_root().join(".github/scripts/template-matrix.sh")).unwrap();
        for needed in [
            format!("CLIPPY_ARGS={CLIPPY_ARGS}"),
            format!("--config {LINT_BUILD_CONFIG}"),
        ] {
            assert!(
                script.contains(&needed),
                ".github/scripts/template-matrix.sh: its lint build lacks `{needed}` (xtask/src/ci.rs); fix: use the same"
            );
        }
        assert!(project_root().join(LINT_BUILD_CONFIG).is_file());
    }

    #[test]
    fn every_cdk_lifecycle_pattern_has_the_cdk_flavour() {
        let patterns = pattern::discover().unwrap();
        for name in CDK_LIFECYCLE {
            let p = patterns.find(name).unwrap();
            assert!(
                p.flavours().contains(&crate::flags::Iac::Cdk),
                "{name} has no cdk flavour (no SAM template): fix CDK_LIFECYCLE or its pattern.toml"
            );
        }
    }
}
