//! `cargo xtask deploy`: applies a pattern's own IaC to a target and records its outputs.
//!
//! Each pattern, target and IaC flavour gets a work directory `.work/<pattern>/<target>-<iac>/` holding the
//! state, generated configuration and `outputs.json`; the pattern's files are never edited. [`Deployment`] is that
//! one deployment, for every command that acts on one (`destroy`, `outputs`, `verify`, `test`, `bench`); the
//! drivers ([`terraform`], [`sam`], [`cdk`]), the work directory's [`lock`] and the check that a local deployment's
//! cloud still runs ([`stale`]) are here too.
//! Over 400 lines: the deploy sequence every flavour shares, with its tests.

pub mod cdk;
pub mod functions;
pub mod local_urls;
pub mod lock;
pub mod sam;
pub mod stale;
pub mod sweep;
pub mod terraform;
pub mod upload;

use std::{collections::BTreeMap, fs, path::PathBuf};

use anyhow::{Context, Result, bail};

use crate::{
    build,
    flags::{DeployArgs, Iac, Target},
    interrupt, outputs,
    pattern::{self, Architecture, Pattern},
};

/// `cargo xtask deploy`: builds, validates and deploys the pattern named `name`, then prints its outputs.
pub fn run(name: &str, args: &DeployArgs) -> Result<()> {
    let pattern = pattern::one(name)?;
    deploy(&Deployment::new(&pattern, args)?, args.keep).map(drop)
}

/// `SRP_SUFFIX` (e.g. a CI run id): appended to stack names and Terraform's `name_prefix`, so concurrent
/// deployments of one pattern in one account do not collide. Lowercase letters, digits and `-`, at most 12.
pub fn name_suffix() -> Result<Option<String>> {
    match std::env::var("SRP_SUFFIX") {
        Ok(suffix) => check_suffix(suffix).map(Some),
        Err(_) => Ok(None),
    }
}

fn check_suffix(suffix: String) -> Result<String> {
    let valid = !suffix.is_empty()
        && suffix.len() <= 12
        && suffix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!(
            "SRP_SUFFIX={suffix:?} is not a valid name suffix; fix: use 1-12 lowercase letters, digits or `-` \
             (or unset it)"
        );
    }
    Ok(suffix)
}

/// Outputs of a deployment: output name -> value (strings as JSON strings).
pub type Outputs = BTreeMap<String, serde_json::Value>;

/// One deployment of one pattern.
pub struct Deployment<'a> {
    pub pattern: &'a Pattern,
    pub target: Target,
    pub iac: Iac,
    /// Functions built with `lambda-release` also for the local target (`--release`).
    pub release: bool,
}

impl<'a> Deployment<'a> {
    pub fn new(pattern: &'a Pattern, args: &DeployArgs) -> Result<Deployment<'a>> {
        let iac = match args.iac {
            Some(iac) if pattern.has(iac) => iac,
            Some(iac) => bail!(
                "pattern `{}` has no {} flavour; its pattern.toml lists: {}",
                pattern.name,
                iac.as_str(),
                pattern
                    .manifest
                    .iac
                    .iter()
                    .map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => pattern.manifest.iac[0],
        };
        name_suffix()?;
        Ok(Deployment {
            pattern,
            target: args.target,
            iac,
            release: args.release,
        })
    }

    /// What the functions are built for: the machine itself with the shared dev build on the local target
    /// (our runtime runs them natively; `--release`: size-tuned and optimised as for AWS), the pattern's
    /// `architecture` on AWS.
    pub fn build_arch(&self) -> build::Arch {
        match (self.target, self.pattern.manifest.architecture) {
            (Target::Local, _) if self.release => build::Arch::Host,
            (Target::Local, _) => build::Arch::Local,
            (Target::Aws, Architecture::Arm64) => build::Arch::Arm64,
            (Target::Aws, Architecture::X86_64) => build::Arch::Host,
        }
    }

    pub fn work_dir(&self) -> PathBuf {
        crate::pattern::work_root()
            .join(&self.pattern.name)
            .join(format!("{}-{}", self.target.as_str(), self.iac.as_str()))
    }

    fn outputs_path(&self) -> PathBuf {
        self.work_dir().join("outputs.json")
    }

    /// The outputs saved by the last successful deploy, unless the local cloud it was made in has restarted or
    /// stopped since (the deployment is gone with moto's memory).
    pub fn saved_outputs(&self) -> Result<Outputs> {
        if let Some(stale) = self.stale()? {
            return Err(self.stale_error(stale));
        }
        let path = self.outputs_path();
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "no outputs for `{}` on the {} target with {} ({} is missing); fix: `{}` first",
                self.pattern.name,
                self.target.as_str(),
                self.iac.as_str(),
                path.display(),
                self.command("deploy")
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// `cargo xtask <verb> <pattern>` for this deployment, with `--target aws` on AWS and `--iac` when the
    /// pattern has several flavours (or this is not its default one), so the command acts on this deployment.
    pub fn command(&self, verb: &str) -> String {
        let mut line = format!("cargo xtask {verb} {}", self.pattern.name);
        if self.target == Target::Aws {
            line.push_str(" --target aws");
        }
        let flavours = &self.pattern.manifest.iac;
        if flavours.len() > 1 || flavours.first() != Some(&self.iac) {
            line.push_str(&format!(" --iac {}", self.iac.as_str()));
        }
        line
    }

    fn save_outputs(&self, outputs: &Outputs) -> Result<()> {
        let path = self.outputs_path();
        fs::write(&path, serde_json::to_string_pretty(outputs)?)
            .with_context(|| format!("writing {}", path.display()))
    }
}

/// How a deploy runs beyond the pattern's own settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Keep what a failed deploy created.
    pub keep: bool,
    /// Skip `validate` (only for the fidelity tests' deliberately mis-wired deployments).
    pub skip_validation: bool,
    /// Extra IaC variables (`name=value`), after the pattern's own.
    pub extra_vars: Vec<(String, String)>,
}

/// Validates, builds and applies; on failure destroys what was created unless `keep`.
pub fn deploy(dep: &Deployment<'_>, keep: bool) -> Result<Outputs> {
    deploy_with(
        dep,
        &Options {
            keep,
            ..Options::default()
        },
    )
}

/// Nothing is created before it is needed: the cheap checks (validation, no build) come first, then the build,
/// and the work directory only when the deployment really starts (its lock creates it).
pub fn deploy_with(dep: &Deployment<'_>, options: &Options) -> Result<Outputs> {
    let keep = options.keep;
    // First use installs the pinned Python tools (moto, cfn-lint, aws-sam-translator) that validation and the
    // local cloud need.
    crate::setup::python_tools(true)?;
    let findings = if options.skip_validation {
        Vec::new()
    } else {
        // The CDK flavour is the SAM template converted: the SAM template is what is validated.
        let source = if dep.iac == Iac::Cdk {
            Iac::Sam
        } else {
            dep.iac
        };
        crate::validate::check_flavours(dep.pattern, &[source])?
    };
    if !findings.is_empty() {
        for f in &findings {
            eprintln!("{f}");
        }
        bail!(
            "`{}` does not validate: nothing was deployed",
            dep.pattern.name
        );
    }
    dep.pattern.packages()?; // each must be a workspace member
    let artifacts = build::build(&dep.pattern.lambdas, dep.build_arch()).map_err(|err| {
        // cargo got the terminal's Ctrl-C too: its failure is the interrupt, not a compile error.
        if interrupt::requested() {
            anyhow::Error::new(interrupt::Interrupted)
                .context("stopped during the build: nothing was deployed")
        } else {
            err
        }
    })?;
    interrupt::check().context("stopped after the build: nothing was deployed")?;
    let cloud = match dep.target {
        Target::Local => Some(crate::local::ensure_up(None)?),
        Target::Aws => None,
    };
    let endpoint = cloud.as_ref().map(|cloud| cloud.edge_url.clone());
    interrupt::check().context("stopped before deploying anything")?;
    let _lock = lock::acquire(&dep.work_dir())?;
    if let Some(cloud) = &cloud {
        dep.record_run(cloud)?;
    }
    interrupt::set_leftover_hint(Some(format!(
        "`{}` may be partly deployed; `{}` removes it",
        dep.pattern.name,
        dep.command("destroy")
    )));
    let zips: BTreeMap<String, PathBuf> =
        artifacts.into_iter().map(|a| (a.package, a.zip)).collect();
    let raw = match dep.iac {
        Iac::Terraform => {
            let tf = terraform::Driver::new(dep, endpoint.as_deref())?;
            // A fresh deploy (no resource in the state) first removes what an interrupted one left untracked, so
            // it does not collide with it.
            if let Some(edge) = endpoint.as_deref()
                && !terraform::state_has_resources(&dep.work_dir().join("terraform.tfstate"))
            {
                crate::destroy::sweep_leftovers(dep, edge)?;
            }
            // An interrupt that came during the apply's last moments still undoes it.
            let applied = tf
                .apply(&zips, &options.extra_vars)
                .and_then(|outputs| Ok(interrupt::check().map(|()| outputs)?));
            match applied {
                Ok(outputs) => outputs,
                Err(err) if keep => {
                    return Err(err.context(format!(
                        "deploy failed; kept what it created because of --keep (`{}` removes it)",
                        dep.command("destroy")
                    )));
                }
                Err(err) => {
                    eprintln!("{}", cleanup_notice(&err));
                    match tf.destroy(&zips) {
                        Ok(()) => cleaned_up(dep, &err),
                        Err(cleanup) => {
                            eprintln!("cleanup after the failed deploy also failed: {cleanup:#}")
                        }
                    }
                    return Err(err);
                }
            }
        }
        Iac::Sam => {
            sam::Driver::new(dep, endpoint.as_deref())?.deploy(&zips, &options.extra_vars, keep)?
        }
        Iac::Cdk => cdk::deploy(dep, endpoint.as_deref(), &zips, &options.extra_vars, keep)?,
    };
    // A CloudFormation stack holds no objects: `[sam.upload]` puts the pattern's files into its bucket.
    if matches!(dep.iac, Iac::Sam | Iac::Cdk) {
        upload::run(dep, endpoint.as_deref(), &raw).with_context(|| {
            format!(
                "uploading `[sam.upload]` of {}; the stack stays (`{}` removes it)",
                dep.pattern.name,
                dep.command("destroy")
            )
        })?;
    }
    let outputs = match (dep.target, endpoint.as_deref()) {
        (Target::Local, Some(edge)) => local_urls::map_outputs(raw, edge),
        _ => raw,
    };
    dep.save_outputs(&outputs)?;
    outputs::print(&outputs);
    Ok(outputs)
}

/// What a deploy that failed (or was interrupted) says before it removes what it created.
pub(crate) fn cleanup_notice(err: &anyhow::Error) -> &'static str {
    if interrupt::is_interrupt(err) {
        "interrupted: removing what this deploy created (--keep keeps it)"
    } else {
        "deploy failed; destroying what was created (use --keep to keep it)"
    }
}

/// After a failed or interrupted deploy removed what it created: nothing is deployed, so no work directory stays
/// (a later `destroy` finds nothing); an interrupt says so.
pub(crate) fn cleaned_up(dep: &Deployment<'_>, err: &anyhow::Error) {
    let _ = fs::remove_dir_all(dep.work_dir());
    if let Some(parent) = dep.work_dir().parent() {
        let _ = fs::remove_dir(parent); // only when no other flavour's work directory is there
    }
    if interrupt::is_interrupt(err) {
        eprintln!(
            "interrupted: removed what this deploy of `{}` created; nothing is left",
            dep.pattern.name
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(manifest: &str) -> Pattern {
        Pattern {
            name: "p".into(),
            dir: PathBuf::from("patterns/p"),
            manifest: toml::from_str(manifest).unwrap(),
            lambdas: Vec::new(),
        }
    }

    #[test]
    fn arm64_patterns_are_built_for_arm64_on_aws_only() {
        let arm = pattern("iac = [\"sam\"]\narchitecture = \"arm64\"");
        let x86 = pattern("iac = [\"sam\"]");
        let arch = |p, target, release| {
            Deployment {
                pattern: p,
                target,
                iac: Iac::Sam,
                release,
            }
            .build_arch()
        };
        assert_eq!(arch(&arm, Target::Aws, false), build::Arch::Arm64);
        assert_eq!(arch(&arm, Target::Local, false), build::Arch::Local);
        assert_eq!(arch(&x86, Target::Aws, false), build::Arch::Host);
        // `--release` on the local target: optimised as for AWS, for the machine itself.
        assert_eq!(arch(&arm, Target::Local, true), build::Arch::Host);
        assert_eq!(arch(&arm, Target::Aws, true), build::Arch::Arm64);
        assert!(
            toml::from_str::<crate::pattern::Manifest>("iac = [\"sam\"]\narchitecture = \"arm\"")
                .is_err(),
            "only x86_64 and arm64"
        );
    }

    #[test]
    fn the_deploy_first_hint_names_the_flavour_where_there_is_a_choice() {
        let both = pattern("iac = [\"terraform\", \"sam\"]");
        let sam_only = pattern("iac = [\"sam\"]");
        let hint = |p, iac, target| {
            let dep = Deployment {
                pattern: p,
                target,
                iac,
                release: false,
            };
            format!("{:#}", dep.saved_outputs().unwrap_err())
        };
        let err = hint(&both, Iac::Sam, Target::Local);
        assert!(
            err.contains("fix: `cargo xtask deploy p --iac sam` first"),
            "{err}"
        );
        let err = hint(&both, Iac::Terraform, Target::Aws);
        assert!(
            err.contains("fix: `cargo xtask deploy p --target aws --iac terraform` first"),
            "{err}"
        );
        let err = hint(&sam_only, Iac::Sam, Target::Local);
        assert!(err.contains("fix: `cargo xtask deploy p` first"), "{err}");
    }

    #[test]
    fn name_suffixes_are_short_lowercase_names() {
        assert_eq!(check_suffix("12345678".into()).unwrap(), "12345678");
        assert_eq!(check_suffix("pr-42".into()).unwrap(), "pr-42");
        for bad in ["", "Run1", "a_b", "1234567890123", "a b"] {
            let err = check_suffix(bad.into()).unwrap_err().to_string();
            assert!(
                err.contains("SRP_SUFFIX") && err.contains("fix:"),
                "{bad}: {err}"
            );
        }
    }

    /// A deploy that does not validate stops before the build (the fixture's crate is not even a workspace
    /// member, so building it would fail differently) and leaves no work directory behind.
    #[test]
    fn a_deploy_that_does_not_validate_builds_and_creates_nothing() {
        let scratch =
            crate::validate::test_support::Scratch::from_fixture("good", "deploy-invalid-metadata");
        scratch.write("example-pattern.json", "{not json");
        let pattern = scratch.pattern();
        let dep = Deployment {
            pattern: &pattern,
            target: Target::Local,
            iac: Iac::Sam,
            release: false,
        };
        let _ = fs::remove_dir_all(dep.work_dir().parent().unwrap());
        let err = format!("{:#}", deploy(&dep, false).unwrap_err());
        let created = dep.work_dir().parent().unwrap().exists();
        let _ = fs::remove_dir_all(dep.work_dir().parent().unwrap());
        assert!(
            err.contains("`deploy-invalid-metadata` does not validate: nothing was deployed"),
            "{err}"
        );
        assert!(
            !created,
            "a deploy that never started creates no work directory"
        );
    }
}
