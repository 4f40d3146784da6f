//! `cargo xtask setup`: installs what the project needs and is missing, idempotently (fast when present).
//!
//! Python tools go into `.venv` (created with `--system-site-packages`, so versions already installed on the
//! machine are reused); the Rust components are checked; cargo-generate (for `cargo xtask new`) is installed at
//! its pinned version with `cargo install --locked` unless that version is there; the CDK toolchain (npm
//! `aws-cdk`, `aws-cdk-lib`, TypeScript) with `npm ci` into `target/xtask/cdk-toolchain/`
//! (xtask/src/cdk/toolchain.rs); the SAM CLI and cargo-lambda, pinned, in a virtualenv of their own under
//! `target/xtask/sam-cli/` (xtask/src/sam_cli.rs); Chromium (for `browser` verify checks) as Debian's `chromium`
//! with apt-get where that works (root or passwordless sudo), else a warning with the hint; Terraform cannot be
//! installed from a package registry, so its absence is an error with the install hint.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::pattern::project_root;

/// The project's virtualenv.
pub fn venv() -> PathBuf {
    project_root().join(".venv")
}

/// The Python that has the project's tools: `.venv/bin/python` once set up.
pub fn python() -> PathBuf {
    let venv_python = venv().join("bin").join("python");
    if venv_python.exists() {
        venv_python
    } else {
        PathBuf::from("python3")
    }
}

/// `name==version` pins from requirements.txt.
fn pins() -> Result<Vec<(String, String)>> {
    let path = project_root().join("requirements.txt");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut pins = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (name, version) = line
            .split_once("==")
            .with_context(|| format!("{}: `{line}` is not pinned with ==", path.display()))?;
        let name = name.split('[').next().unwrap_or(name);
        pins.push((name.to_owned(), version.to_owned()));
    }
    Ok(pins)
}

pub fn run() -> Result<()> {
    rust_components()?;
    tools()
}

/// rustfmt and clippy, added with rustup where missing (what a build that lints needs first).
pub fn rust_components() -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    for component in [["fmt", "--version"], ["clippy", "--version"]] {
        if cmd!(sh, "cargo {component...}")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .is_err()
        {
            let name = if component[0] == "fmt" {
                "rustfmt"
            } else {
                "clippy"
            };
            cmd!(sh, "rustup component add {name}")
                .run()
                .with_context(|| {
                    format!("installing {name}; fix: `rustup component add {name}`")
                })?;
        }
    }
    Ok(())
}

/// Everything else: the Python tools, cargo-generate, the CDK toolchain, the SAM CLI, Chromium, Terraform's check.
/// Needs no build of this workspace, so `ci` runs it beside its first one.
pub fn tools() -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    python_tools(false)?;
    crate::cargo_generate::ensure_installed(&sh)?;
    // The CDK flavour's pinned toolchain (`cargo xtask test --iac cdk`), with npm into target/.
    crate::cdk::toolchain::ensure(false)?;
    // The SAM CLI users deploy with (`sam deploy` against the local cloud), in a virtualenv of its own.
    crate::sam_cli::ensure(false)?;
    chromium(&sh);

    if cmd!(sh, "terraform version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_err()
    {
        bail!(
            "terraform is not installed and no package registry ships it; fix: install Terraform >= 1.5 \
             (https://developer.hashicorp.com/terraform/install) and put it on PATH"
        );
    }
    println!("setup: ok");
    Ok(())
}

/// Chromium for the `browser` verify checks (`xtask/src/verify/browser.rs`): Debian's `chromium` through apt-get
/// as root, or with `sudo -n`; where neither works, a warning (the check itself then fails with the hint).
fn chromium(sh: &Shell) {
    if crate::verify::browser::chromium().is_ok() {
        return;
    }
    let root = cmd!(sh, "id -u").read().is_ok_and(|id| id.trim() == "0");
    let install = if root {
        cmd!(sh, "apt-get install -y --no-install-recommends chromium")
    } else {
        cmd!(
            sh,
            "sudo -n apt-get install -y --no-install-recommends chromium"
        )
    };
    println!("installing chromium (apt-get) for the browser checks");
    if install.run().is_err() || crate::verify::browser::chromium().is_err() {
        eprintln!(
            "warning: could not install Chromium; `browser` verify checks will fail until it is on PATH \
             (fix: `sudo apt-get install chromium`, or your system's Chromium package)"
        );
    }
}

/// Creates `.venv` and installs the pinned Python tools of requirements.txt that are missing or at another
/// version; fast (one probe) when everything is there. `quiet` prints nothing when nothing changes.
pub fn python_tools(quiet: bool) -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let venv = venv();
    if !venv.join("bin").join("python").exists() {
        println!("creating {}", venv.display());
        cmd!(sh, "python3 -m venv --system-site-packages {venv}")
            .run()
            .context(
                "creating the project virtualenv; fix: install Python 3.10+ with the venv module",
            )?;
    }
    let python = python();
    let pins = pins()?;
    let probe = pins
        .iter()
        .map(|(n, v)| format!("({n:?}, {v:?})"))
        .collect::<Vec<_>>()
        .join(", ");
    let script = format!(
        "import importlib.metadata as m\nmissing = []\nfor name, version in [{probe}]:\n    \
         try:\n        ok = m.version(name) == version\n    except m.PackageNotFoundError:\n        ok = False\n    \
         if not ok: missing.append(name)\nprint(' '.join(missing))\n"
    );
    let missing = cmd!(sh, "{python} -c {script}")
        .read()
        .context("probing the Python tools")?;
    if missing.trim().is_empty() {
        if quiet {
            return Ok(());
        }
        println!(
            "python tools: up to date ({})",
            pins.iter()
                .map(|(n, v)| format!("{n} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else {
        println!("installing python tools: {missing}");
        cmd!(
            sh,
            "{python} -m pip install --quiet --disable-pip-version-check -r requirements.txt"
        )
        .run()
        .context("pip install -r requirements.txt")?;
    }

    Ok(())
}
