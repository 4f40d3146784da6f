//! Stale local deployments: `cloud.json` in a local work directory records which run of the local cloud the
//! deployment was made in. moto keeps its state in memory only, so once that run is over (the local cloud
//! restarted or stopped) the deployment is gone, whatever its work directory still holds: `outputs`, `verify`
//! and `bench` refuse its saved outputs, `destroy` has nothing to destroy and `deploy` starts afresh.

use std::{fs, path::Path};

use anyhow::{Context, Result, anyhow};

use super::Deployment;
use crate::{flags::Target, local::LocalCloud};

/// The record in the work directory.
const FILE: &str = "cloud.json";

/// What [`FILE`] holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct Record {
    /// [`LocalCloud::instance`] of the run deployed to.
    instance: String,
}

/// Why a saved local deployment is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// A local cloud runs, but not the run the deployment was made in.
    Restarted,
    /// No local cloud runs (stopped, or its moto or daemon died).
    Stopped,
}

impl Stale {
    /// What the local cloud did since the deployment.
    pub fn happened(self) -> &'static str {
        match self {
            Stale::Restarted => "restarted",
            Stale::Stopped => "stopped",
        }
    }
}

/// Whether a deployment made in run `recorded` of the local cloud is gone, with run `running` up now (`None`: no
/// local cloud runs). A deployment without a record (made before deployments recorded their run) counts as live.
pub fn check(recorded: Option<&str>, running: Option<&str>) -> Option<Stale> {
    match (recorded, running) {
        (None, _) => None,
        (Some(_), None) => Some(Stale::Stopped),
        (Some(recorded), Some(running)) if recorded != running => Some(Stale::Restarted),
        (Some(_), Some(_)) => None,
    }
}

impl Deployment<'_> {
    /// On the local target: whether the run of the local cloud this deployment was made in is over (never starts
    /// a local cloud). Always `None` on AWS.
    pub fn stale(&self) -> Result<Option<Stale>> {
        if self.target != Target::Local {
            return Ok(None);
        }
        let Some(recorded) = self.recorded_run()? else {
            return Ok(None);
        };
        let running = crate::local::running().map(|cloud| cloud.instance);
        Ok(check(Some(&recorded), running.as_deref()))
    }

    /// What happened to this deployment, for every message about a stale one.
    fn stale_what(&self, stale: Stale) -> String {
        format!(
            "`{}` ({}, {}) was deployed to a local cloud that has since {} (moto's state lives in memory)",
            self.pattern.name,
            self.target.as_str(),
            self.iac.as_str(),
            stale.happened()
        )
    }

    /// The error of `outputs`, `verify` and the like for a stale deployment.
    pub fn stale_error(&self, stale: Stale) -> anyhow::Error {
        anyhow!(
            "{}; fix: `{}`",
            self.stale_what(stale),
            self.command("deploy")
        )
    }

    /// Before a local deploy applies (its lock held): a work directory left by an earlier run of `cloud` describes
    /// resources that are gone (Terraform would try to refresh and update them), so it is discarded, with a
    /// message; then this run is recorded.
    pub(super) fn record_run(&self, cloud: &LocalCloud) -> Result<()> {
        let work_dir = self.work_dir();
        let recorded = self.recorded_run()?;
        if let Some(stale) = check(recorded.as_deref(), Some(&cloud.instance)) {
            eprintln!(
                "{}: discarding its work directory {} and deploying afresh",
                self.stale_what(stale),
                work_dir.display()
            );
            discard(&work_dir)?;
        }
        let path = work_dir.join(FILE);
        let record = Record {
            instance: cloud.instance.clone(),
        };
        fs::write(&path, serde_json::to_string_pretty(&record)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// The run of the local cloud recorded in the work directory, if any (a record that does not parse names no
    /// run that can be up: the deployment counts as stale, so `destroy` and `deploy` clear it).
    fn recorded_run(&self) -> Result<Option<String>> {
        let path = self.work_dir().join(FILE);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(
                serde_json::from_str::<Record>(&text)
                    .map(|record| record.instance)
                    .unwrap_or_else(|_| format!("(unreadable {FILE})")),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
}

/// Empties a work directory but for its lock (held by the caller).
fn discard(work_dir: &Path) -> Result<()> {
    for entry in
        fs::read_dir(work_dir).with_context(|| format!("reading {}", work_dir.display()))?
    {
        let entry = entry?;
        if entry.file_name() == "lock" {
            continue;
        }
        let path = entry.path();
        let removed = if entry.file_type()?.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        deploy::{Options, deploy_with, lock},
        destroy::destroy,
        flags::{DeployArgs, Iac},
        pattern::{Pattern, project_root},
    };

    #[test]
    fn a_deployment_is_stale_once_its_run_of_the_local_cloud_is_over() {
        assert_eq!(check(Some("a"), Some("a")), None);
        assert_eq!(check(Some("a"), Some("b")), Some(Stale::Restarted));
        assert_eq!(check(Some("a"), None), Some(Stale::Stopped));
        assert_eq!(
            check(None, Some("b")),
            None,
            "made before runs were recorded"
        );
        assert_eq!(check(None, None), None);
    }

    /// A deploy keeps the work directory of the same run, discards (but for the lock) that of an earlier run, and
    /// records its own; an unreadable record is stale. Needs no local cloud.
    #[test]
    fn a_deploy_discards_the_work_directory_of_an_earlier_run() {
        let pattern = Pattern {
            name: "stale-unit".into(),
            dir: "patterns/stale-unit".into(),
            manifest: toml::from_str("iac = [\"terraform\"]").unwrap(),
            lambdas: Vec::new(),
        };
        let dep = Deployment {
            pattern: &pattern,
            target: Target::Local,
            iac: Iac::Terraform,
            release: false,
        };
        let work_dir = dep.work_dir();
        let _ = fs::remove_dir_all(work_dir.parent().unwrap());
        fs::create_dir_all(&work_dir).unwrap();
        let cloud = |instance: &str| LocalCloud {
            edge_url: "http://127.0.0.1:1".into(),
            edge_port: 1,
            moto_port: 2,
            pid: 0,
            moto_pid: 0,
            instance: instance.into(),
        };
        let state = work_dir.join("terraform.tfstate");
        dep.record_run(&cloud("one")).unwrap();
        fs::write(&state, "{}").unwrap();
        dep.record_run(&cloud("one")).unwrap();
        let kept = state.exists();
        let lock = lock::acquire(&work_dir).unwrap();
        dep.record_run(&cloud("two")).unwrap();
        let mut left: Vec<String> = fs::read_dir(&work_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let recorded = dep.recorded_run().unwrap();
        fs::write(work_dir.join(FILE), "{not json").unwrap();
        let unreadable = dep.recorded_run().unwrap();
        drop(lock);
        fs::remove_dir_all(work_dir.parent().unwrap()).unwrap();

        assert!(kept, "the same run keeps its state");
        assert_eq!(
            left,
            ["cloud.json", "lock"],
            "an earlier run's state is gone"
        );
        assert_eq!(recorded.as_deref(), Some("two"));
        assert_eq!(
            check(unreadable.as_deref(), Some("two")),
            Some(Stale::Restarted)
        );
        assert_eq!(
            dep.stale_error(Stale::Restarted).to_string(),
            "`stale-unit` (local, terraform) was deployed to a local cloud that has since restarted (moto's \
             state lives in memory); fix: `cargo xtask deploy stale-unit`"
        );
        let on_aws = Deployment {
            target: Target::Aws,
            ..dep
        };
        assert_eq!(on_aws.stale().unwrap(), None, "AWS keeps its state");
    }

    /// A restart of the local cloud (moto killed, then `ensure_up`, as after a crash) loses a Terraform
    /// deployment: its saved outputs (what `outputs` and `verify` read) say to redeploy, a redeploy works first
    /// time, and after another restart `destroy` has nothing to destroy and leaves no work directory. Uses the
    /// local cloud, alone (it restarts it).
    #[test]
    fn a_restart_of_the_local_cloud_makes_its_deployments_stale() {
        let _cloud = crate::local::TestUse::alone();
        let pattern = Pattern::load(&project_root().join("tests/moto-restart")).unwrap();
        let args = DeployArgs {
            target: Target::Local,
            iac: None,
            keep: false,
            release: false,
        };
        let dep = Deployment::new(&pattern, &args).unwrap();
        let options = Options {
            skip_validation: true, // a fixture, without the README and metadata of a pattern
            ..Options::default()
        };
        let _ = fs::remove_dir_all(dep.work_dir());
        let restart = || {
            let before = crate::local::ensure_up(None).unwrap().instance;
            crate::local::kill_moto().unwrap();
            let after = crate::local::ensure_up(None).unwrap().instance;
            assert_ne!(before, after, "a restarted local cloud is a new run");
        };

        deploy_with(&dep, &options).expect("first deploy");
        dep.saved_outputs().expect("outputs of a live deployment");
        restart();
        let err = format!("{:#}", dep.saved_outputs().unwrap_err());
        assert!(
            err.contains("`moto-restart` (local, terraform) was deployed to a local cloud that has since restarted")
                && err.ends_with("fix: `cargo xtask deploy moto-restart`"),
            "{err}"
        );

        let redeployed = deploy_with(&dep, &options).expect("redeploy after the restart");
        assert_eq!(dep.stale().unwrap(), None);
        assert_eq!(dep.saved_outputs().unwrap(), redeployed);

        restart();
        let destroyed = destroy(&dep).expect("destroy of a stale deployment");
        assert!(!destroyed, "nothing was left to destroy");
        assert!(
            !dep.work_dir().exists(),
            "the stale work directory is removed"
        );
    }
}
