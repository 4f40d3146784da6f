//! What a deployment holds, for the placeholders: its outputs (`terraform output -json`, or the stack's outputs
//! through the AWS CLI) and the resources the checks name as `{resource:X}` (a Terraform address's `id` in the
//! state, or a CloudFormation logical id's physical id).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xshell::{Shell, cmd};

use crate::{Values, args, cli::Cli, placeholders::RESOURCE};

/// Where the deployment is described.
#[derive(Debug, Clone)]
pub enum Source {
    /// A Terraform root module that was applied (`terraform -chdir=DIR output -json`).
    Terraform(PathBuf),
    /// A CloudFormation stack (SAM, CDK) by name.
    Stack(String),
    /// A JSON object of outputs (`{"api_url": "https://..."}`), e.g. `cargo xtask outputs <pattern> --json`.
    File(PathBuf),
}

/// The deployment's outputs by name.
pub fn outputs(source: &Source, cli: &Cli) -> Result<Values> {
    match source {
        Source::Terraform(dir) => {
            let text = terraform(dir, &["output", "-json"])?;
            let all: serde_json::Map<String, Value> = serde_json::from_str(&text)
                .with_context(|| format!("`terraform output -json` in {}", dir.display()))?;
            Ok(all
                .into_iter()
                .map(|(name, output)| (name, output["value"].clone()))
                .collect())
        }
        Source::Stack(stack) => {
            let out = cli.call(
                "cloudformation",
                "describe-stacks",
                &args!["--stack-name", stack.as_str()],
            )?;
            let outputs = out["Stacks"][0]["Outputs"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            Ok(outputs
                .iter()
                .filter_map(|o| {
                    Some((
                        o["OutputKey"].as_str()?.to_owned(),
                        o["OutputValue"].clone(),
                    ))
                })
                .collect())
        }
        Source::File(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| {
                format!(
                    "{}: not a JSON object of outputs; fix: write {{\"name\": \"value\", ...}}",
                    path.display()
                )
            })
        }
    }
}

/// Adds `resource:X` for each `{resource:X}` in `wanted`: the physical id of the logical resource `X` of the
/// stack, or the `id` of the Terraform resource at address `X`.
pub fn resources(source: &Source, wanted: &[String], cli: &Cli, values: &mut Values) -> Result<()> {
    if wanted.is_empty() {
        return Ok(());
    }
    let state = match source {
        Source::Terraform(dir) => Some(serde_json::from_str::<Value>(&terraform(
            dir,
            &["show", "-json"],
        )?)?),
        _ => None,
    };
    for id in wanted {
        let physical = match (source, &state) {
            (Source::Stack(stack), _) => {
                let out = cli.call(
                    "cloudformation",
                    "describe-stack-resource",
                    &args![
                        "--stack-name",
                        stack.as_str(),
                        "--logical-resource-id",
                        id.as_str()
                    ],
                )?;
                out["StackResourceDetail"]["PhysicalResourceId"]
                    .as_str()
                    .map(str::to_owned)
            }
            (_, Some(state)) => state["values"]["root_module"]["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["address"] == id.as_str())
                .and_then(|r| r["values"]["id"].as_str().map(str::to_owned)),
            _ => bail!("`{{{RESOURCE}{id}}}` needs --terraform or --stack, not an outputs file"),
        };
        let physical =
            physical.with_context(|| format!("the deployment has no resource `{id}`"))?;
        values.insert(format!("{RESOURCE}{id}"), physical.into());
    }
    Ok(())
}

fn terraform(dir: &std::path::Path, command: &[&str]) -> Result<String> {
    let sh = Shell::new()?;
    let chdir = format!("-chdir={}", dir.display());
    cmd!(sh, "terraform {chdir} {command...}")
        .quiet()
        .read()
        .with_context(|| format!("`terraform {}` in {}", command.join(" "), dir.display()))
}
