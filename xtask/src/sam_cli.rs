//! The SAM CLI as the project installs it: `aws-sam-cli` and `cargo-lambda` (which `sam build`'s
//! `BuildMethod: rust-cargolambda` runs) from PyPI at pinned versions, in a virtualenv of their own under
//! `target/xtask/sam-cli/` (the SAM CLI pins aws-sam-translator and cfn-lint at other versions than the project's
//! `.venv`, which runs moto and `cargo xtask validate`). Installed by `cargo xtask setup`, once; then one file
//! compare. Used by the test that drives `sam build` / `sam deploy` against the local cloud
//! (`xtask/src/repo_tests/sam_cli.rs`).

use std::{fs, path::PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::pattern::target_dir;

/// The pinned packages, as pip reads them.
pub const PINS: &[&str] = &["aws-sam-cli==1.170.0", "cargo-lambda==1.9.2"];

/// How to get the SAM CLI where the automatic install cannot run.
pub const INSTALL_HINT: &str = "`cargo xtask setup` installs it (needs Python 3.10+ with the venv module and \
                                PyPI); by hand: `python3 -m venv V && V/bin/pip install aws-sam-cli==1.170.0 \
                                cargo-lambda==1.9.2`, then put V/bin on PATH";

/// The virtualenv.
pub fn dir() -> PathBuf {
    target_dir().join("xtask").join("sam-cli")
}

/// The virtualenv's `bin`, which holds `sam` and `cargo-lambda` (put it first on `PATH`).
pub fn bin_dir() -> PathBuf {
    dir().join("bin")
}

/// Installs the pinned SAM CLI unless it is there at these pins; returns the `bin` folder. `quiet`: print
/// nothing when it is up to date.
pub fn ensure(quiet: bool) -> Result<PathBuf> {
    let dir = dir();
    let stamp = dir.join("installed-pins.txt");
    let wanted = PINS.join("\n");
    let present = bin_dir().join("sam").exists() && bin_dir().join("cargo-lambda").exists();
    if present && fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        if !quiet {
            println!("sam cli: up to date ({})", PINS.join(", "));
        }
        return Ok(bin_dir());
    }
    println!(
        "installing the SAM CLI ({}) into {}",
        PINS.join(", "),
        dir.display()
    );
    let sh = Shell::new()?;
    let _ = fs::remove_file(&stamp);
    if !dir.join("bin").join("python").exists() {
        cmd!(sh, "python3 -m venv {dir}")
            .run()
            .with_context(|| format!("creating the SAM CLI's virtualenv; fix: {INSTALL_HINT}"))?;
    }
    let pip = dir.join("bin").join("pip");
    cmd!(
        sh,
        "{pip} install --quiet --disable-pip-version-check {PINS...}"
    )
    .run()
    .with_context(|| format!("installing the SAM CLI with pip; fix: {INSTALL_HINT}"))?;
    if !bin_dir().join("sam").exists() {
        bail!(
            "pip installed no {}; fix: {INSTALL_HINT}",
            bin_dir().join("sam").display()
        );
    }
    fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(bin_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pin_is_exact() {
        for pin in PINS {
            let (name, version) = pin.split_once("==").unwrap();
            assert!(!name.is_empty() && version.split('.').count() == 3, "{pin}");
            assert!(INSTALL_HINT.contains(pin), "the hint names {pin}");
        }
    }
}
