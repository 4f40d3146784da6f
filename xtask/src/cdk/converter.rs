//! The converter: the `cdk-gen` binary (crates/cdk-gen, around the cdk-from-cfn crate), built on demand into
//! `target/cdk-gen` and run on a template. It is a workspace of its own, so `cargo xtask` and the local cloud never
//! compile cdk-from-cfn's dependency tree (docs/cdk.md, "Cost").

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::{
    flags::CdkLang,
    pattern::{project_root, target_dir},
};

/// The converter's exit code for a template it refuses, and for one it stopped on (crates/cdk-gen/src/main.rs).
const REFUSED: i32 = 1;
const STOPPED: i32 = 3;

/// Builds `cdk-gen` if needed (seconds when up to date; the first build compiles cdk-from-cfn and its
/// dependencies, about a minute on 2 cores) and returns the binary.
pub fn binary() -> Result<PathBuf> {
    let manifest = project_root().join("crates/cdk-gen/Cargo.toml");
    let target = target_dir().join("cdk-gen");
    let binary = target.join("debug").join("cdk-gen");
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let first = !binary.exists();
    if first {
        eprintln!(
            "building the CDK converter (crates/cdk-gen with cdk-from-cfn 0.162.0), once: about a minute on 2 cores"
        );
    }
    let quiet = (!first).then_some("--quiet");
    crate::cargo::clean_cargo(&sh)
        .args(["build", "--locked", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .args(quiet)
        // Set by `cargo xtask ci` for the workspace's own lint build; this crate is another workspace.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .quiet()
        .run()
        .with_context(|| format!("building the CDK converter ({})", manifest.display()))?;
    Ok(binary)
}

/// The stack's source in `lang` for the CloudFormation template `template` (JSON text), with the class
/// `class_name`. `what` names the template in errors.
pub fn convert(template: &str, lang: CdkLang, class_name: &str, what: &str) -> Result<String> {
    let binary = binary()?;
    let language = lang.as_str();
    let sh = Shell::new()?;
    let out = cmd!(
        sh,
        "{binary} --language {language} --stack-name {class_name}"
    )
    .stdin(template)
    .quiet()
    .ignore_status()
    .output()
    .with_context(|| format!("running {}", binary.display()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {
            String::from_utf8(out.stdout).context("the converter wrote text that is not UTF-8")
        }
        Some(REFUSED) => bail!("cdk-from-cfn 0.162.0 refuses {what}: {}", stderr.trim()),
        Some(STOPPED) => bail!(
            "cdk-from-cfn 0.162.0 cannot convert {what}: {}",
            stderr.trim()
        ),
        _ => bail!(
            "the CDK converter failed on {what} ({}): {}",
            out.status,
            stderr.trim()
        ),
    }
}
