//! `cargo xtask ci`: the project's test command, exactly what `.ci/run` and the README run.
//!
//! fmt, clippy, the workspace tests (including the fidelity tests against the local cloud), pattern
//! validation, and a full local deploy+verify+destroy of the flagship in both its flavours (Terraform, SAM) and
//! of a SAM-only pattern. The local cloud is stopped at the end, also after a failure, so no process outlives the
//! run.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::pattern::project_root;

/// The full local lifecycles CI runs on every change, as (pattern, IaC flavour): the flagship with Terraform
/// (its default) and with SAM, and a SAM-only pattern.
const LIFECYCLE: [(&str, &str); 3] = [
    ("apigw-rest-vpclink-pvt-alb", "terraform"),
    ("apigw-rest-vpclink-pvt-alb", "sam"),
    ("apigw-rest-lambda-dynamodb", "sam"),
];

pub fn run() -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let xtask = std::env::current_exe()?;
    let mut steps: Vec<(&str, xshell::Cmd<'_>)> = vec![
        ("format", cmd!(sh, "cargo fmt --all --check")),
        (
            "lint",
            cmd!(
                sh,
                "cargo clippy --workspace --all-targets --locked -- -D warnings"
            ),
        ),
        (
            "unit, integration and fidelity tests",
            cmd!(sh, "cargo test --workspace --locked"),
        ),
        ("pattern validation", cmd!(sh, "{xtask} validate --all")),
    ];
    for (pattern, iac) in LIFECYCLE {
        steps.push((
            "local deploy + verify + destroy",
            cmd!(sh, "{xtask} test {pattern} --iac {iac}"),
        ));
    }
    let mut result = Ok(());
    for (name, step) in steps {
        println!("\n==> {name}");
        if let Err(err) = step.run() {
            result = Err(err).with_context(|| format!("ci step `{name}` failed"));
            break;
        }
    }
    println!("\n==> stopping the local cloud");
    cmd!(sh, "{xtask} local down")
        .run()
        .context("stopping the local cloud")?;
    result?;
    println!("\nci: all steps passed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern;

    #[test]
    fn every_lifecycle_run_is_a_flavour_its_pattern_has() {
        let patterns = pattern::discover().unwrap();
        for (name, iac) in LIFECYCLE {
            let p = pattern::find(&patterns, name).unwrap();
            assert!(
                p.manifest.iac.iter().any(|i| i.as_str() == iac),
                "{name} has no {iac} flavour: fix LIFECYCLE or its pattern.toml"
            );
        }
    }
}
