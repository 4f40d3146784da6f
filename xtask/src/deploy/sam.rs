//! The SAM driver: the pattern's SAM template deployed as the CloudFormation stack `srp-<pattern>`, the same
//! way on the local cloud and on AWS.
//!
//! Deploy: the Lambda zips and the state machines' local definition files are uploaded to the artifacts bucket
//! ([`artifacts`]); the template's local `CodeUri`s are matched to the pattern's crates ([`code_uris`]) and
//! replaced by their S3 locations, as are the local `DefinitionUri`s, in a copy in the work directory, which aws-sam-translator transforms offline into `template.cfn.json` ([`transform`]);
//! CreateStack or UpdateStack runs with a progress bar ([`stack`]), with the template's parameters from
//! `pattern.toml` ([`parameters`]). A stack that fails shows its failed events
//! and is deleted (unless `--keep`). A complete stack must list every logical resource of the template (a
//! CloudFormation that skips a type it does not model fails here, naming it) and have a value for every
//! declared output.
//!
//! Destroy needs nothing from the work directory (the state lives in CloudFormation): its buckets emptied,
//! DeleteStack, the pattern's artifacts; on the local cloud, a check that no resource the stack listed is left.

pub(crate) mod artifacts;
pub(crate) mod aws;
pub(crate) mod code_uris;
mod leftovers;
pub mod parameters;
pub(crate) mod stack;
pub(crate) mod transform;

use std::{collections::BTreeMap, fs, path::PathBuf};

use anyhow::{Context, Result, bail};

use super::{Deployment, Outputs, terraform::PATTERN_TAG};
use crate::cfn;
use crate::flags::{Iac, Target};
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

    /// The stack's name: `srp-<pattern>` (`srp-<pattern>-cdk` for the CDK flavour, so both flavours can be
    /// deployed at once), with `-<SRP_SUFFIX>` when set (see [`super::name_suffix`]).
    pub fn stack_name(&self) -> String {
        stack_name(self.dep)
    }

    /// The SDK clients of this driver (the CDK flavour uploads its assets with them).
    pub(crate) fn aws(&self) -> &Aws {
        &self.aws
    }

    /// The log group of each of the stack's Lambda functions ([`super::functions::stack_log_groups`]).
    pub fn log_groups(&self) -> Result<Vec<String>> {
        if stack::describe(&self.aws, &self.stack_name())?.is_none() {
            return Ok(Vec::new());
        }
        let resources = stack::list_resources(&self.aws, &self.stack_name())?;
        let path = self.dep.work_dir().join(transform::TRANSFORMED);
        let template: serde_json::Value = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        Ok(super::functions::stack_log_groups(&template, &resources))
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
        let sam_template = match cfn::Template::read(&self.dep.pattern.sam_template())? {
            Ok(template) => template,
            Err(err) => bail!(
                "{} is not valid YAML: {err}",
                self.dep.pattern.sam_template().display()
            ),
        };
        let parameters = parameters::for_target(
            self.dep.pattern,
            &sam_template,
            self.dep.target,
            self.endpoint.as_deref(),
            parameters,
        )?;
        let parameters = parameters.as_slice();
        let transformed = self.prepare(zips)?;
        crate::interrupt::check().context("stopped before the stack was created")?;
        tracing::info!(elapsed = ?started.elapsed(), "artifacts uploaded, template transformed");
        self.deploy_template(&transformed, parameters, keep)
    }

    /// Creates or updates the stack from a CloudFormation template whose artifacts are uploaded (the SAM
    /// template transformed, or the CDK app's synthesized template); returns its outputs. On failure the stack is
    /// deleted unless `keep`.
    pub fn deploy_template(
        &self,
        transformed: &cfn::Template,
        parameters: &[(String, String)],
        keep: bool,
    ) -> Result<Outputs> {
        let started = std::time::Instant::now();
        let name = self.stack_name();
        let body = serde_json::to_string(&transformed.doc)?;
        let template = if body.len() > stack::MAX_TEMPLATE_BODY {
            let bucket = artifacts::bucket_name(&self.aws);
            let key = format!(
                "{}/template/{}.json",
                self.dep.pattern.name,
                sha256_hex(&body)
            );
            artifacts::ensure_bucket(&self.aws, &bucket)?;
            artifacts::upload(&self.aws, &bucket, &key, &transformed.path)?;
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
        let result = self.finish(transformed, operation, &stack_id);
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

    /// Uploads the zips and the state machine definitions and writes `template.sam.json` (CodeUris and
    /// DefinitionUris replaced) and `template.cfn.json` (transformed) into the work directory.
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
        let mut code_uris = code_uris::code_uris(&sam, &crates, &pattern.manifest_path())?;
        for (id, file) in code_uris::local_definitions(&sam)? {
            let key =
                artifacts::definition_key(&pattern.name, &file, &artifacts::sha256_file(&file)?);
            artifacts::upload_as(&self.aws, &bucket, &key, &file, "application/json")?;
            code_uris.definitions.insert(
                id,
                S3Location {
                    bucket: bucket.clone(),
                    key,
                },
            );
        }
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

/// The stack of `dep`: `srp-<pattern>` (`srp-<pattern>-cdk` for the CDK flavour, so both flavours can be deployed
/// at once), with `-<SRP_SUFFIX>` when set (see [`super::name_suffix`]).
pub fn stack_name(dep: &Deployment<'_>) -> String {
    let base = match dep.iac {
        Iac::Cdk => format!("srp-{}-cdk", dep.pattern.name),
        _ => format!("srp-{}", dep.pattern.name),
    };
    match super::name_suffix().ok().flatten() {
        Some(suffix) => format!("{base}-{suffix}"),
        None => base,
    }
}

#[cfg(test)]
mod tests;
