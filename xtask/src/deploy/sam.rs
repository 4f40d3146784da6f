//! The SAM driver: the pattern's SAM template deployed as the CloudFormation stack `srp-<pattern>`, the same
//! way on the local cloud and on AWS.
//!
//! Deploy: the Lambda zips are uploaded to the artifacts bucket ([`artifacts`]); the template's local `CodeUri`s
//! are matched to the pattern's crates ([`code_uris`]) and replaced by their S3 locations in a copy in the work
//! directory, which aws-sam-translator transforms offline into `template.cfn.json` ([`transform`]);
//! CreateStack or UpdateStack runs with a progress bar ([`stack`]). A stack that fails shows its failed events
//! and is deleted (unless `--keep`). A complete stack must list every logical resource of the template (a
//! CloudFormation that skips a type it does not model fails here, naming it) and have a value for every
//! declared output.
//!
//! Destroy needs nothing from the work directory (the state lives in CloudFormation): its buckets emptied,
//! DeleteStack, the pattern's artifacts; on the local cloud, a check that no resource the stack listed is left.

mod artifacts;
mod aws;
mod code_uris;
mod leftovers;
mod stack;
mod transform;

use std::{collections::BTreeMap, fs, path::PathBuf};

use anyhow::{Context, Result, bail};

use super::{Deployment, Outputs, terraform::PATTERN_TAG};
use crate::cfn;
use crate::flags::Target;
use aws::Aws;
use code_uris::S3Location;
use stack::{Operation, Request, Template};

pub struct Driver<'a> {
    dep: &'a Deployment<'a>,
    work_dir: PathBuf,
    /// The local cloud's edge URL, for the local target.
    endpoint: Option<String>,
    aws: Aws,
}

impl<'a> Driver<'a> {
    pub fn new(dep: &'a Deployment<'a>, endpoint: Option<&str>) -> Result<Driver<'a>> {
        let work_dir = dep.work_dir();
        fs::create_dir_all(&work_dir)
            .with_context(|| format!("creating {}", work_dir.display()))?;
        Ok(Driver {
            dep,
            work_dir,
            endpoint: endpoint.map(str::to_owned),
            aws: Aws::connect(endpoint)?,
        })
    }

    /// The stack's name: `srp-<pattern>`, with `-<SRP_SUFFIX>` when set (see [`super::name_suffix`]).
    pub fn stack_name(&self) -> String {
        match super::name_suffix().ok().flatten() {
            Some(suffix) => format!("srp-{}-{suffix}", self.dep.pattern.name),
            None => format!("srp-{}", self.dep.pattern.name),
        }
    }

    /// The physical names of the stack's Lambda functions (`functions::log_groups` names their log groups).
    pub fn functions(&self) -> Result<Vec<String>> {
        if stack::describe(&self.aws, &self.stack_name())?.is_none() {
            return Ok(Vec::new());
        }
        Ok(stack::list_resources(&self.aws, &self.stack_name())?
            .into_iter()
            .filter(|r| r.resource_type == "AWS::Lambda::Function" && !r.physical_id.is_empty())
            .map(|r| r.physical_id)
            .collect())
    }

    fn destroy_hint(&self) -> String {
        self.dep.command("destroy")
    }

    /// Uploads the zips, transforms the template and creates or updates the stack; returns its outputs.
    /// `parameters`: stack parameter overrides (`name=value`). On failure the stack is deleted unless `keep`.
    pub fn deploy(
        &self,
        zips: &BTreeMap<String, PathBuf>,
        parameters: &[(String, String)],
        keep: bool,
    ) -> Result<Outputs> {
        let started = std::time::Instant::now();
        let transformed = self.prepare(zips)?;
        crate::interrupt::check().context("stopped before the stack was created")?;
        tracing::info!(elapsed = ?started.elapsed(), "artifacts uploaded, template transformed");
        let name = self.stack_name();
        let body = serde_json::to_string(&transformed.doc)?;
        let template = if body.len() > stack::MAX_TEMPLATE_BODY {
            let bucket = artifacts::bucket_name(&self.aws);
            let key = format!(
                "{}/template/{}.json",
                self.dep.pattern.name,
                sha256_hex(&body)
            );
            let path = self.work_dir.join(transform::TRANSFORMED);
            artifacts::upload(&self.aws, &bucket, &key, &path)?;
            Template::Url(format!(
                "https://{bucket}.s3.{}.amazonaws.com/{key}",
                self.aws.region
            ))
        } else {
            Template::Body(body)
        };
        let tags = match self.dep.target {
            Target::Local => vec![(PATTERN_TAG.to_owned(), self.dep.pattern.name.clone())],
            Target::Aws => Vec::new(),
        };
        let request = Request {
            template,
            parameters,
            tags: &tags,
            keep,
        };
        let (operation, stack_id) =
            stack::create_or_update(&self.aws, &name, &request, &self.destroy_hint())?;
        let result = self.finish(&transformed, operation, &stack_id);
        tracing::info!(elapsed = ?started.elapsed(), ?operation, ok = result.is_ok(), "stack settled");
        match result {
            Ok(outputs) => Ok(outputs),
            Err(err) if keep => Err(err.context(format!(
                "deploy failed; stack {name} kept because of --keep (`{}` deletes it)",
                self.destroy_hint()
            ))),
            Err(err) => {
                eprintln!("{} (stack {name})", super::cleanup_notice(&err));
                let bar =
                    stack::progress(transformed.resource_count(), &format!("deleting {name}"));
                let cleanup = stack::delete(&self.aws, &stack_id, &bar);
                bar.finish_and_clear();
                match cleanup {
                    Ok(_) => super::cleaned_up(self.dep, &err),
                    Err(cleanup) => {
                        eprintln!("deleting the failed stack also failed: {cleanup:#}")
                    }
                }
                Err(err)
            }
        }
    }

    /// Uploads the zips and writes `template.sam.json` (CodeUris replaced) and `template.cfn.json`
    /// (transformed) into the work directory.
    fn prepare(&self, zips: &BTreeMap<String, PathBuf>) -> Result<cfn::Template> {
        let pattern = self.dep.pattern;
        let bucket = artifacts::bucket_name(&self.aws);
        artifacts::ensure_bucket(&self.aws, &bucket)?;
        let mut crates = BTreeMap::new();
        for lambda in &pattern.lambdas {
            let zip = zips
                .get(&lambda.package)
                .with_context(|| format!("no zip was built for crate `{}`", lambda.package))?;
            let key = artifacts::key(
                &pattern.name,
                &lambda.package,
                &artifacts::sha256_file(zip)?,
            );
            artifacts::upload(&self.aws, &bucket, &key, zip)?;
            crates.insert(
                crate::pattern::normalize(&lambda.dir),
                S3Location {
                    bucket: bucket.clone(),
                    key,
                },
            );
        }
        let source = pattern.sam_template();
        let text =
            fs::read_to_string(&source).with_context(|| format!("reading {}", source.display()))?;
        let normalized = crate::pattern::normalize(&source);
        let sam = cfn::Template::from_yaml(&normalized, text)
            .with_context(|| format!("{} is not valid YAML", normalized.display()))?;
        let code_uris = code_uris::code_uris(&sam, &crates, &pattern.manifest_path())?;
        transform::run(&source, &code_uris, &self.work_dir, &self.aws.region)?;
        let out = self.work_dir.join(transform::TRANSFORMED);
        let text =
            fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
        cfn::Template::from_json(&out, text)
    }

    /// Waits for the stack, then checks it holds what the template declares; returns the outputs.
    fn finish(
        &self,
        transformed: &cfn::Template,
        operation: Operation,
        stack_id: &str,
    ) -> Result<Outputs> {
        let name = self.stack_name();
        let final_stack = if operation == Operation::Unchanged {
            stack::describe(&self.aws, stack_id)?
        } else {
            let verb = if operation == Operation::Create {
                "creating"
            } else {
                "updating"
            };
            let bar = stack::progress(transformed.resource_count(), &format!("{verb} {name}"));
            let waited = stack::wait(&self.aws, stack_id, &bar, false);
            bar.finish_and_clear();
            waited?
        };
        // CloudFormation has settled (a consistent point): an interrupt now removes the stack.
        crate::interrupt::check().with_context(|| format!("deploying stack {name}"))?;
        let final_stack = final_stack.with_context(|| format!("stack {name} disappeared"))?;
        if !stack::succeeded(&final_stack) && operation != Operation::Unchanged {
            let failures = stack::failures(&self.aws, stack_id)?;
            bail!(
                "stack {name} ended in {}:\n  {}",
                stack::status_of(&final_stack),
                if failures.is_empty() {
                    "(no failed event recorded)".to_owned()
                } else {
                    failures.join("\n  ")
                }
            );
        }
        let listed: Vec<String> = stack::list_resources(&self.aws, stack_id)?
            .into_iter()
            .map(|r| r.logical_id)
            .collect();
        let missing = cfn::missing_resources(transformed, &listed);
        if !missing.is_empty() {
            bail!(
                "stack {name} is {} but lacks resources of its template (the target's CloudFormation skipped \
                 them):\n  {}",
                stack::status_of(&final_stack),
                missing.join("\n  ")
            );
        }
        let outputs = stack::outputs(&final_stack);
        let unresolved = cfn::missing_outputs(transformed, &outputs);
        if !unresolved.is_empty() {
            bail!(
                "stack {name} has no value for the declared output(s) {} (an output that refers to something the \
                 target did not create is dropped)",
                unresolved.join(", ")
            );
        }
        if operation == Operation::Unchanged {
            println!("stack {name}: no changes");
        }
        Ok(outputs)
    }

    /// Deletes the stack (if any) and the pattern's artifacts; on the local cloud, checks nothing is left.
    /// Returns whether there was a stack. Needs nothing from the work directory: the stack is found by its name.
    pub fn destroy(&self) -> Result<bool> {
        let name = self.stack_name();
        let found = stack::describe(&self.aws, &name)?;
        let existed = found.is_some();
        if let Some(found) = found {
            let stack_id = found.stack_id().unwrap_or(&name).to_owned();
            let resources = stack::list_resources(&self.aws, &stack_id)?;
            if let Some(edge) = &self.endpoint {
                flush_function_logs(edge);
            }
            artifacts::empty_buckets(&self.aws, &resources)
                .with_context(|| format!("emptying the buckets of {name}"))?;
            let bar = stack::progress(resources.len(), &format!("deleting {name}"));
            let deleted = stack::delete(&self.aws, &stack_id, &bar);
            bar.finish_and_clear();
            deleted?;
            if let Some(edge) = &self.endpoint {
                let left = leftovers::remaining(edge, &resources)?;
                if !left.is_empty() {
                    bail!(
                        "stack {name} is deleted but the local cloud still holds:\n  {}",
                        left.join("\n  ")
                    );
                }
            }
        }
        let bucket = artifacts::bucket_name(&self.aws);
        artifacts::delete_prefix(&self.aws, &bucket, &format!("{}/", self.dep.pattern.name))?;
        if let Some(edge) = &self.endpoint {
            let tagged =
                crate::aws::json::tagged_resources(edge, PATTERN_TAG, &self.dep.pattern.name)?;
            if !tagged.is_empty() {
                bail!(
                    "the local cloud still holds resources of `{}` after destroy:\n{}",
                    self.dep.pattern.name,
                    tagged.join("\n")
                );
            }
        }
        Ok(existed)
    }
}

/// Has the local cloud write out the function logs it still holds, before the stack deletes their log groups
/// (lines shipped afterwards would create a group again, and the next deploy would find it in its way).
pub(super) fn flush_function_logs(edge: &str) {
    let url = format!("{edge}/_local/lambda/logs/flush");
    if let Err(e) = ureq::post(&url).send_empty() {
        eprintln!(
            "warning: could not flush the local cloud's function logs ({e}); a stale daemon? \
             `cargo xtask local down && cargo xtask local up` restarts it"
        );
    }
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        deploy::{Options, deploy_with},
        destroy::destroy,
        flags::DeployArgs,
        pattern::{Pattern, project_root},
    };

    /// A deploy interrupted before the work directory was written (or a lost `.work/`): destroy still finds the
    /// stack by its name and deletes it; a second destroy finds nothing and says so. Uses the local cloud.
    #[test]
    fn destroy_finds_the_stack_by_name_without_a_work_dir() {
        let _cloud = crate::local::TestUse::hold();
        let pattern = Pattern::load(&project_root().join("tests/sam-interrupted")).unwrap();
        let args = DeployArgs {
            target: Target::Local,
            iac: None,
            keep: false,
        };
        let dep = Deployment::new(&pattern, &args).unwrap();
        let options = Options {
            skip_validation: true,
            ..Options::default()
        };
        deploy_with(&dep, &options).expect("deploy of the fixture stack");
        let edge = crate::local::ensure_up(None).unwrap().edge_url;
        let aws = Aws::connect(Some(&edge)).unwrap();
        let name = Driver::new(&dep, Some(&edge)).unwrap().stack_name();
        assert!(stack::describe(&aws, &name).unwrap().is_some());

        fs::remove_dir_all(dep.work_dir()).unwrap();
        let destroyed = destroy(&dep);
        let left = stack::describe(&aws, &name).unwrap();
        if left.is_some() {
            // Leave nothing behind for the next run, whatever destroy did.
            let _ = Driver::new(&dep, Some(&edge)).and_then(|d| d.destroy());
            let _ = fs::remove_dir_all(dep.work_dir());
        }
        destroyed.expect("destroy without a work directory");
        assert!(left.is_none(), "the stack is deleted: {left:?}");
        assert!(!dep.work_dir().exists(), "no work directory is left");

        destroy(&dep).expect("a second destroy finds nothing and succeeds");
        assert!(!dep.work_dir().exists());
    }

    /// A crate at the pattern's root (`lambdas = ["."]`, `CodeUri: .`, as the upstream collection lays Rust
    /// patterns out) builds, deploys and runs like one under `functions/`. Uses the local cloud.
    #[test]
    fn a_crate_at_the_pattern_root_deploys_and_runs() {
        let _cloud = crate::local::TestUse::hold();
        let pattern = Pattern::load(&project_root().join("tests/upstream-layout")).unwrap();
        assert_eq!(pattern.lambdas[0].package, "upstream-layout-fn");
        assert_eq!(
            pattern.lambdas[0].dir, pattern.dir,
            "`.` is the pattern folder itself"
        );
        let args = DeployArgs {
            target: Target::Local,
            iac: None,
            keep: false,
        };
        let dep = Deployment::new(&pattern, &args).unwrap();
        let options = Options {
            skip_validation: true, // a fixture, without the README and metadata of a pattern
            ..Options::default()
        };
        let deployed = deploy_with(&dep, &options);
        let invoked = deployed.as_ref().map(|outputs| {
            let edge = crate::local::ensure_up(None).unwrap().edge_url;
            let function = outputs["FunctionName"].as_str().unwrap().to_owned();
            let mut response = ureq::post(&format!(
                "{edge}/2015-03-31/functions/{function}/invocations"
            ))
            .send(r#"{"n":1}"#)
            .expect("invoke");
            response.body_mut().read_to_string().unwrap()
        });
        destroy(&dep).expect("destroy");
        if let Err(err) = deployed {
            panic!("deploy of the root-crate pattern: {err:#}");
        }
        let body: serde_json::Value = serde_json::from_str(&invoked.unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"layout": "pattern root", "echo": {"n": 1}})
        );
    }
}
