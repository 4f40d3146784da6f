//! `cargo xtask destroy`: removes a deployment (through the driver of its IaC flavour) and cleans its work
//! directory.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};

use crate::{
    build,
    deploy::{Deployment, lock, sam, terraform},
    flags::{DeployArgs, Iac, Target},
    pattern,
};

/// `cargo xtask destroy`: destroys the deployment of the pattern named `name`.
pub fn run(name: &str, args: &DeployArgs) -> Result<()> {
    let pattern = pattern::one(name)?;
    destroy(&Deployment::new(&pattern, args)?)
}

/// Destroys the deployment and cleans its work directory.
///
/// A SAM deployment is found by its stack name even when the work directory is gone (a deploy interrupted
/// before it was written, or a fresh checkout): CloudFormation holds its state. A Terraform deployment's state
/// lives in the work directory, so without it there is nothing to destroy.
pub fn destroy(dep: &Deployment<'_>) -> Result<()> {
    let work_dir = dep.work_dir();
    let had_work_dir = work_dir.exists();
    let nothing = |why: &str| {
        println!(
            "{}: nothing deployed on the {} target{why}",
            dep.pattern.name,
            dep.target.as_str()
        );
    };
    if !had_work_dir && dep.iac == Iac::Terraform {
        nothing("");
        return Ok(());
    }
    let endpoint = match dep.target {
        // moto keeps its state in memory: a local cloud that is not running holds no stack.
        Target::Local if !had_work_dir => match crate::local::running() {
            Some(cloud) => Some(cloud.edge_url),
            None => {
                nothing(" (the local cloud is not running)");
                return Ok(());
            }
        },
        Target::Local => Some(crate::local::ensure_up(None)?.edge_url),
        Target::Aws => None,
    };
    let _lock = lock::acquire(&work_dir)?;
    let zips: BTreeMap<String, PathBuf> = dep
        .pattern
        .lambdas
        .iter()
        .map(|l| {
            (
                l.package.clone(),
                build::zip_path(&l.package, dep.build_arch()),
            )
        })
        .collect();
    let found = match dep.iac {
        Iac::Terraform => {
            let tf = terraform::Driver::new(dep, endpoint.as_deref())?;
            tf.destroy(&zips)?;
            if let Some(edge) = endpoint.as_deref() {
                tf.check_nothing_left(edge)?;
            }
            true
        }
        Iac::Sam => sam::Driver::new(dep, endpoint.as_deref())?.destroy()?,
    };
    drop(_lock);
    remove_work_dir(&work_dir)?;
    if found || had_work_dir {
        println!("{}: destroyed", dep.pattern.name);
    } else {
        nothing("");
    }
    Ok(())
}

fn remove_work_dir(dir: &Path) -> Result<()> {
    fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    if let Some(parent) = dir.parent() {
        let _ = fs::remove_dir(parent); // only succeeds when no other target's work dir remains
    }
    Ok(())
}
