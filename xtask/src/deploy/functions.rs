//! The Lambda functions of a deployment and their log groups, read from what was deployed (the Terraform state,
//! the stack's resources). `verify` names them when a check gets a 5xx: what API Gateway or a load balancer
//! answers then (a bare 502) names no function, and the function's own output is in its log group.

use std::{fs, path::Path};

use anyhow::Result;

use super::{Deployment, sam, sam::stack::StackResource};
use crate::flags::Iac;

/// The log group of each function of the deployment: `/aws/lambda/<name>`, unless its logging configuration (in
/// the Terraform state) names another.
pub fn log_groups(dep: &Deployment<'_>, endpoint: Option<&str>) -> Result<Vec<String>> {
    Ok(match dep.iac {
        Iac::Terraform => terraform_log_groups(&dep.work_dir().join("terraform.tfstate")),
        Iac::Sam | Iac::Cdk => sam::Driver::new(dep, endpoint)?.log_groups()?,
    })
}

/// Where Lambda writes a function's output unless told otherwise.
pub fn default_log_group(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// The log group of each `AWS::Lambda::Function` of a stack (`resources`, as ListStackResources answers) whose
/// template is `template`: its `LoggingConfig.LogGroup` when that is a name or a `Ref` to one of the stack's log
/// groups, else the default; a value this cannot resolve (`Fn::Sub`, ...) gives every log group of the stack.
pub fn stack_log_groups(template: &serde_json::Value, resources: &[StackResource]) -> Vec<String> {
    let physical = |logical: &str| {
        resources
            .iter()
            .find(|r| r.logical_id == logical && !r.physical_id.is_empty())
            .map(|r| r.physical_id.clone())
    };
    let mut groups = Vec::new();
    for function in resources
        .iter()
        .filter(|r| r.resource_type == "AWS::Lambda::Function" && !r.physical_id.is_empty())
    {
        let configured =
            &template["Resources"][&function.logical_id]["Properties"]["LoggingConfig"]["LogGroup"];
        let found = match configured {
            serde_json::Value::Null => Some(default_log_group(&function.physical_id)),
            serde_json::Value::String(name) => Some(name.clone()),
            other => other["Ref"].as_str().and_then(physical),
        };
        match found {
            Some(group) => groups.push(group),
            None => groups.extend(
                resources
                    .iter()
                    .filter(|r| {
                        r.resource_type == "AWS::Logs::LogGroup" && !r.physical_id.is_empty()
                    })
                    .map(|r| r.physical_id.clone()),
            ),
        }
    }
    groups.sort();
    groups.dedup();
    groups
}

/// The log groups of the `aws_lambda_function` resources of the Terraform state at `path` (none without one).
fn terraform_log_groups(path: &Path) -> Vec<String> {
    let Some(state) = fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    else {
        return Vec::new();
    };
    let mut groups = Vec::new();
    for resource in state["resources"].as_array().into_iter().flatten() {
        if resource["type"] != "aws_lambda_function" || resource["mode"] != "managed" {
            continue;
        }
        for instance in resource["instances"].as_array().into_iter().flatten() {
            let attributes = &instance["attributes"];
            let custom = attributes["logging_config"][0]["log_group"]
                .as_str()
                .filter(|g| !g.is_empty());
            match (custom, attributes["function_name"].as_str()) {
                (Some(group), _) => groups.push(group.to_owned()),
                (None, Some(name)) => groups.push(default_log_group(name)),
                (None, None) => {}
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(logical: &str, physical: &str, kind: &str) -> StackResource {
        StackResource {
            logical_id: logical.into(),
            physical_id: physical.into(),
            resource_type: kind.into(),
            status: "CREATE_COMPLETE".into(),
        }
    }

    #[test]
    fn a_stack_function_logs_where_its_logging_config_says_else_to_the_default_group() {
        let template = serde_json::json!({"Resources": {
            "Items": {"Properties": {"LoggingConfig": {"LogGroup": {"Ref": "ItemsLogs"}}}},
            "Named": {"Properties": {"LoggingConfig": {"LogGroup": "/custom/named"}}},
            "Plain": {"Properties": {}},
            "Subbed": {"Properties": {"LoggingConfig": {"LogGroup": {"Fn::Sub": "/x/${AWS::StackName}"}}}}
        }});
        let resources = [
            resource("Items", "stack-Items-1", "AWS::Lambda::Function"),
            resource(
                "ItemsLogs",
                "/aws/lambda/stack-items",
                "AWS::Logs::LogGroup",
            ),
            resource("Named", "stack-Named-2", "AWS::Lambda::Function"),
            resource("Plain", "stack-Plain-3", "AWS::Lambda::Function"),
        ];
        assert_eq!(
            stack_log_groups(&template, &resources),
            [
                "/aws/lambda/stack-Plain-3",
                "/aws/lambda/stack-items",
                "/custom/named"
            ]
        );
        // A value it cannot resolve names every log group of the stack rather than a wrong default.
        let subbed = [
            resource("Subbed", "stack-Subbed-4", "AWS::Lambda::Function"),
            resource("ItemsLogs", "/x/stack", "AWS::Logs::LogGroup"),
        ];
        assert_eq!(stack_log_groups(&template, &subbed), ["/x/stack"]);
    }

    #[test]
    fn the_terraform_state_names_each_functions_log_group() {
        let path =
            std::env::temp_dir().join(format!("xtask-functions-{}.tfstate", std::process::id()));
        let state = serde_json::json!({ "resources": [
            { "mode": "managed", "type": "aws_lambda_function", "instances": [
                { "attributes": { "function_name": "hello", "logging_config": [] } },
                { "attributes": { "function_name": "custom",
                                  "logging_config": [{ "log_group": "/custom/group" }] } }
            ] },
            { "mode": "data", "type": "aws_lambda_function", "instances": [
                { "attributes": { "function_name": "read-only" } }
            ] },
            { "mode": "managed", "type": "aws_sqs_queue", "instances": [{ "attributes": { "name": "q" } }] }
        ] });
        fs::write(&path, state.to_string()).unwrap();
        let groups = terraform_log_groups(&path);
        fs::remove_file(&path).unwrap();
        assert_eq!(groups, ["/aws/lambda/hello", "/custom/group"]);
        assert!(terraform_log_groups(Path::new("/nonexistent/terraform.tfstate")).is_empty());
    }
}
