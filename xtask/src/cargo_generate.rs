//! cargo-generate, which `cargo xtask new` runs on template/: the pinned version, the check that it is installed
//! (failing with the install command), and its installation by `cargo xtask setup`.
//!
//! The pin is 0.23.14, the newest release whose `Cargo.lock` builds with `--locked` on Rust 1.94/1.95:
//! 0.24, 0.25 and 0.26 lock `cargo-util-schemas` 0.14.2+ and `kstring` 2.0.4+, which need rustc 1.96 or 1.97.

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// The cargo-generate release the template is written and tested against.
pub const VERSION: &str = "0.23.14";

/// The command that installs it.
pub fn install_command() -> String {
    format!("cargo install cargo-generate --version {VERSION} --locked")
}

/// The installed version (`cargo-generate --version` prints `cargo generate 0.23.14`), or None.
pub fn installed_version(sh: &Shell) -> Option<String> {
    let out = cmd!(sh, "cargo-generate --version")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()?;
    parse_version(&out)
}

fn parse_version(out: &str) -> Option<String> {
    let last = out.split_whitespace().last()?;
    last.chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
        .then(|| last.to_owned())
}

/// Fails, with the install command, unless the pinned cargo-generate is installed.
pub fn require(sh: &Shell) -> Result<()> {
    match installed_version(sh) {
        Some(version) if version == VERSION => Ok(()),
        Some(version) => bail!(
            "cargo-generate {version} is installed, but the template is tested with {VERSION}; fix: `cargo xtask \
             setup` (or `{}`)",
            install_command()
        ),
        None => bail!(
            "cargo-generate is not installed; fix: `cargo xtask setup` (or `{}`)",
            install_command()
        ),
    }
}

/// Installs the pinned version unless it is installed already (one `--version` probe when it is).
pub fn ensure_installed(sh: &Shell) -> Result<()> {
    match installed_version(sh) {
        Some(version) if version == VERSION => {
            println!("cargo-generate: up to date ({VERSION})");
            return Ok(());
        }
        Some(version) => println!("cargo-generate {version} is installed; installing {VERSION}"),
        None => println!("installing cargo-generate {VERSION} (a few minutes, once)"),
    }
    // Its own release profile (fat LTO, one codegen unit, opt-level 3) is for a tool run all day; here it renders one
    // template a few times per CI run. With it the install costs ~460 CPU-seconds on 2 cores, with QUICK_RELEASE ~195
    // (docs/benchmarks.md); a generation then takes 0.35 s instead of 0.1.
    cmd!(
        sh,
        "cargo install cargo-generate --version {VERSION} --locked"
    )
    .envs(crate::cargo::QUICK_RELEASE)
    .run()
    .with_context(|| {
        format!(
            "installing cargo-generate; fix: run `{}`",
            install_command()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_last_word_of_the_version_line() {
        assert_eq!(
            parse_version("cargo generate 0.23.14\n").as_deref(),
            Some("0.23.14")
        );
        assert_eq!(
            parse_version("cargo-generate 0.26.0").as_deref(),
            Some("0.26.0")
        );
        assert_eq!(parse_version("error: no such command"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn ci_installs_the_pinned_version() {
        let action = crate::pattern::project_root().join(".github/actions/setup/action.yml");
        let text = std::fs::read_to_string(&action).unwrap();
        assert!(
            text.contains(&format!("tool: cargo-generate@{VERSION}\n")),
            "{} must install cargo-generate@{VERSION}, the version `cargo xtask setup` pins",
            action.display()
        );
    }
}
