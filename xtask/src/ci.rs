//! `cargo xtask ci`: the project's test command, exactly what `.ci/run` and the README run.
//!
//! fmt, clippy, the workspace tests (including the fidelity tests against the local cloud), pattern
//! validation, and a full local deploy+verify+destroy of the Terraform flagship and of a SAM pattern. The local cloud is stopped at the end,
//! also after a failure, so no process outlives the run.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::pattern::project_root;

/// The patterns whose full local lifecycle CI runs on every change: the Terraform flagship and a SAM pattern.
const LIFECYCLE: [&str; 2] = ["apigw-rest-vpclink-pvt-alb", "apigw-rest-lambda-dynamodb"];

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
    for pattern in LIFECYCLE {
        steps.push((
            "local deploy + verify + destroy",
            cmd!(sh, "{xtask} test {pattern}"),
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
