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
    deploy::{Deployment, lock, sam, sweep, terraform},
    flags::{DeployArgs, Iac, Target},
    interrupt, pattern,
};

/// `cargo xtask destroy`: destroys the deployment of the pattern named `name`.
pub fn run(name: &str, args: &DeployArgs) -> Result<()> {
    let pattern = pattern::one(name)?;
    destroy(&Deployment::new(&pattern, args)?).map(drop)
}

/// Destroys the deployment and cleans its work directory.
///
/// A SAM deployment is found by its stack name even when the work directory is gone (a deploy interrupted
/// before it was written, or a fresh checkout): CloudFormation holds its state. A Terraform deployment's state
/// lives in the work directory, so without a state file there is nothing to destroy (a work directory without
/// one is removed). A local deployment made in an earlier run of the local cloud is gone with moto's memory: its
/// work directory is removed, nothing else. Returns whether something was deployed: only then does it say
/// "destroyed".
pub fn destroy(dep: &Deployment<'_>) -> Result<bool> {
    let work_dir = dep.work_dir();
    let had_work_dir = work_dir.exists();
    let nothing = |why: &str| {
        println!(
            "nothing to destroy: {} is not deployed ({}, {}){why}",
            dep.pattern.name,
            dep.target.as_str(),
            dep.iac.as_str()
        );
        Ok(false)
    };
    // moto keeps its state in memory: a deployment made in an earlier run of the local cloud is gone with it.
    if let Some(stale) = dep.stale()? {
        let _lock = lock::acquire(&work_dir)?;
        remove_work_dir(&work_dir)?;
        return nothing(&format!(
            ": the local cloud {} since it was deployed (moto's state lives in memory)",
            stale.happened()
        ));
    }
    let tf_state = work_dir.join("terraform.tfstate");
    if dep.iac == Iac::Terraform && !tf_state.exists() {
        if had_work_dir {
            let _lock = lock::acquire(&work_dir)?;
            remove_work_dir(&work_dir)?;
        }
        // No state, but a terraform killed before it wrote one may have left tagged resources.
        if dep.target == Target::Local
            && let Some(cloud) = crate::local::running()
            && sweep_leftovers(dep, &cloud.edge_url)?
        {
            println!("{}: destroyed", dep.pattern.name);
            return Ok(true);
        }
        return nothing("");
    }
    let endpoint = match dep.target {
        // moto keeps its state in memory: a local cloud that is not running holds no stack.
        Target::Local if !had_work_dir => match crate::local::running() {
            Some(cloud) => Some(cloud.edge_url),
            None => return nothing(": the local cloud is not running"),
        },
        Target::Local => Some(crate::local::ensure_up(None)?.edge_url),
        Target::Aws => None,
    };
    let _lock = lock::acquire(&work_dir)?;
    interrupt::set_leftover_hint(Some(format!(
        "`{}` may be partly destroyed; `{}` removes the rest",
        dep.pattern.name,
        dep.command("destroy")
    )));
    let zips: BTreeMap<String, PathBuf> = dep
        .pattern
        .lambdas
        .iter()
        .map(|l| (l.package.clone(), deployed_zip(dep, &l.package)))
        .collect();
    let found = match dep.iac {
        Iac::Terraform => {
            let had_resources = terraform::state_has_resources(&tf_state);
            let tf = terraform::Driver::new(dep, endpoint.as_deref())?;
            tf.destroy(&zips)?;
            let mut swept = false;
            if let Some(edge) = endpoint.as_deref() {
                swept = sweep_leftovers(dep, edge)?;
                tf.check_nothing_left(edge)?;
            }
            had_resources || swept
        }
        // The CDK flavour's synthesized template is deployed as a stack too (xtask/src/deploy/cdk.rs).
        Iac::Sam | Iac::Cdk => sam::Driver::new(dep, endpoint.as_deref())?.destroy()?,
    };
    drop(_lock);
    interrupt::set_leftover_hint(None);
    remove_work_dir(&work_dir)?;
    if !found {
        return nothing("");
    }
    println!("{}: destroyed", dep.pattern.name);
    Ok(true)
}

/// Deletes what the local cloud holds of the pattern that no state knows (see [`sweep`]), naming each;
/// returns whether there was anything.
pub fn sweep_leftovers(dep: &Deployment<'_>, edge: &str) -> Result<bool> {
    let deleted = sweep::sweep(edge, &dep.pattern.name).with_context(|| {
        format!(
            "removing the resources of `{}` that its state does not know",
            dep.pattern.name
        )
    })?;
    if !deleted.is_empty() {
        println!(
            "removed {} resource(s) of `{}` that no state knew (left by an interrupted deploy):\n  {}",
            deleted.len(),
            dep.pattern.name,
            deleted.join("\n  ")
        );
    }
    Ok(!deleted.is_empty())
}

fn remove_work_dir(dir: &Path) -> Result<()> {
    fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    if let Some(parent) = dir.parent() {
        let _ = fs::remove_dir(parent); // only succeeds when no other target's work dir remains
    }
    Ok(())
}

/// The zip a deploy of `package` used, for the IaC variables that name it: the build of this command's flags,
/// or, on the local target, the other local build when only that one is there (a `deploy --release` destroyed
/// without the flag, or the reverse).
fn deployed_zip(dep: &Deployment<'_>, package: &str) -> PathBuf {
    let zip = build::zip_path(package, dep.build_arch());
    if zip.exists() || dep.target != Target::Local {
        return zip;
    }
    let other = build::zip_path(
        package,
        Deployment {
            release: !dep.release,
            ..*dep
        }
        .build_arch(),
    );
    if other.exists() { other } else { zip }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    fn deployment(pattern: &pattern::Pattern, iac: Iac) -> Deployment<'_> {
        Deployment {
            pattern,
            target: Target::Local,
            iac,
            release: false,
        }
    }

    /// A pattern never deployed with Terraform (no work directory, or one without a state, as a deploy that
    /// failed before applying left it): nothing is destroyed, nothing is created, and it does not say "destroyed".
    #[test]
    fn a_never_deployed_terraform_pattern_has_nothing_to_destroy() {
        let scratch = Scratch::from_fixture("good", "destroy-never-deployed");
        let pattern = scratch.pattern();
        let dep = deployment(&pattern, Iac::Terraform);
        let work_dir = dep.work_dir();
        let _ = fs::remove_dir_all(work_dir.parent().unwrap());
        assert!(!destroy(&dep).unwrap(), "nothing was deployed");
        assert!(!work_dir.exists(), "destroy creates no work directory");

        fs::create_dir_all(work_dir.join("src")).unwrap();
        let destroyed = destroy(&dep);
        let left = work_dir.exists();
        let _ = fs::remove_dir_all(work_dir.parent().unwrap());
        assert!(
            !destroyed.unwrap(),
            "a work directory without a state is no deployment"
        );
        assert!(!left, "the stale work directory is removed");
    }
}
