//! `{resource:X}` placeholders: what a deployment holds beyond its outputs, by the name the IaC gives it: a
//! CloudFormation logical id (SAM, CDK: DescribeStackResource's physical id) or a Terraform resource address
//! (`type.name` in the root module: its `id` in the state). Resolved once, before the checks run, on either
//! target alike.

use anyhow::{Context, Result, anyhow};
use aws_sdk_cloudformation::error::DisplayErrorContext;

use super::placeholders::{self, RESOURCE};
use crate::{
    deploy::{Deployment, Outputs},
    flags::Iac,
};

/// Adds the physical id of every resource the checks name (`{resource:X}`) to `values`, keyed `resource:X`.
pub fn resolve(dep: &Deployment<'_>, edge_url: Option<&str>, values: &mut Outputs) -> Result<()> {
    let wanted = placeholders::resources_named(&dep.pattern.manifest.verify);
    if wanted.is_empty() {
        return Ok(());
    }
    let found = match dep.iac {
        Iac::Terraform => from_state(&dep.work_dir().join("terraform.tfstate"), &wanted)?,
        Iac::Sam | Iac::Cdk => from_stack(&crate::deploy::sam::stack_name(dep), edge_url, &wanted)?,
    };
    for (id, physical) in wanted.iter().zip(found) {
        values.insert(format!("{RESOURCE}{id}"), physical.into());
    }
    Ok(())
}

/// The `id` attribute of each `type.name` of the root module in a Terraform state.
fn from_state(path: &std::path::Path, wanted: &[String]) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading the Terraform state {} for `{{resource:...}}`",
            path.display()
        )
    })?;
    let state: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let resources = state["resources"].as_array().cloned().unwrap_or_default();
    wanted
        .iter()
        .map(|address| {
            let (rtype, name) = address.split_once('.').unwrap_or((address, ""));
            resources
                .iter()
                .find(|r| {
                    r.get("module").is_none()
                        && r["mode"] == "managed"
                        && r["type"] == rtype
                        && r["name"] == name
                })
                .and_then(|r| r["instances"][0]["attributes"]["id"].as_str())
                .map(str::to_owned)
                .ok_or_else(|| {
                    anyhow!(
                        "`{{{RESOURCE}{address}}}`: the state {} holds no such resource; fix: name a `type.name` \
                         of the root module",
                        path.display()
                    )
                })
        })
        .collect()
}

/// The physical id of each logical id of the stack.
fn from_stack(stack: &str, edge_url: Option<&str>, wanted: &[String]) -> Result<Vec<String>> {
    let rt = crate::aws::sdk::runtime()?;
    let config = rt.block_on(crate::aws::sdk::config(edge_url));
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    wanted
        .iter()
        .map(|logical| {
            let answer = rt
                .block_on(
                    cfn.describe_stack_resource()
                        .stack_name(stack)
                        .logical_resource_id(logical)
                        .send(),
                )
                .map_err(|e| {
                    anyhow!(
                        "`{{{RESOURCE}{logical}}}`: DescribeStackResource on stack {stack}: {}",
                        DisplayErrorContext(e)
                    )
                })?;
            answer
                .stack_resource_detail()
                .and_then(|d| d.physical_resource_id())
                .map(str::to_owned)
                .with_context(|| {
                    format!("`{{{RESOURCE}{logical}}}`: stack {stack} gives it no physical id")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terraform_address_is_its_id_in_the_root_module() {
        let dir = crate::pattern::project_root().join("target/tmp/resources-unit");
        std::fs::create_dir_all(&dir).unwrap();
        let state = dir.join("terraform.tfstate");
        std::fs::write(
            &state,
            r#"{"resources":[
              {"module":"module.inner","mode":"managed","type":"aws_sqs_queue","name":"q","instances":[{"attributes":{"id":"inner"}}]},
              {"mode":"data","type":"aws_sqs_queue","name":"q","instances":[{"attributes":{"id":"data"}}]},
              {"mode":"managed","type":"aws_sqs_queue","name":"q","instances":[{"attributes":{"id":"http://q"}}]}
            ]}"#,
        )
        .unwrap();
        assert_eq!(
            from_state(&state, &["aws_sqs_queue.q".into()]).unwrap(),
            ["http://q"]
        );
        let missing = from_state(&state, &["aws_sqs_queue.nope".into()])
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("no such resource") && missing.contains("fix:"),
            "{missing}"
        );
    }
}
