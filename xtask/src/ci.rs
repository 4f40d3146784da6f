//! `cargo xtask ci`: the project's test command, exactly what `.ci/run` and the README run.

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use crate::pattern::project_root;

pub fn run() -> Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let xtask = std::env::current_exe()?;
    let steps: Vec<(&str, xshell::Cmd<'_>)> = vec![
        ("format", cmd!(sh, "cargo fmt --all --check")),
        ("lint", cmd!(sh, "cargo clippy --workspace --all-targets --locked -- -D warnings")),
        ("unit and integration tests", cmd!(sh, "cargo test --workspace --locked")),
        ("pattern validation", cmd!(sh, "{xtask} validate --all")),
    ];
    for (name, step) in steps {
        println!("\n==> {name}");
        step.run().with_context(|| format!("ci step `{name}` failed"))?;
    }
    println!("\nci: all steps passed");
    Ok(())
}
