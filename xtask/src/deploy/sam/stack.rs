//! One CloudFormation stack through its whole life: CreateStack or UpdateStack (or refusing a stack in a state
//! that cannot be updated), polling DescribeStacks with a progress bar over the template's logical resources,
//! the failed events when it fails, ListStackResources, the outputs, and DeleteStack until it is gone. The same
//! calls serve the local cloud (moto) and AWS.
//! Over 400 lines: its unit tests sit beside the stack operations they check.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use aws_sdk_cloudformation::types::{
    Capability, OnFailure, Parameter, ResourceStatus, Stack, StackEvent, Tag,
};
use indicatif::{ProgressBar, ProgressStyle};

use super::aws::{Aws, sdk_error, service_message};

/// What CreateStack/UpdateStack need besides the stack name.
pub struct Request<'a> {
    /// The template: its body, or an S3 URL when it is too large for a body.
    pub template: Template,
    pub parameters: &'a [(String, String)],
    pub tags: &'a [(String, String)],
    /// Keep failed resources (no rollback) for inspection.
    pub keep: bool,
}

pub enum Template {
    Body(String),
    Url(String),
}

/// What a deploy did to the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    /// UpdateStack found nothing to change.
    Unchanged,
}

/// CloudFormation's limit for `TemplateBody`; larger templates go through S3.
pub const MAX_TEMPLATE_BODY: usize = 51_200;

/// The stack `name`, or `None` when it does not exist.
pub fn describe(aws: &Aws, name: &str) -> Result<Option<Stack>> {
    match aws.block_on(aws.cfn.describe_stacks().stack_name(name).send()) {
        Ok(out) => Ok(out.stacks().first().cloned()),
        Err(e) if service_message(&e).is_some_and(|m| m.contains("does not exist")) => Ok(None),
        Err(e) => Err(sdk_error(e)).with_context(|| format!("DescribeStacks {name}")),
    }
}

fn status(stack: &Stack) -> &str {
    stack.stack_status().map_or("UNKNOWN", |s| s.as_str())
}

/// Whether a stack in `status` can take an UpdateStack.
fn updatable(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE" | "IMPORT_COMPLETE"
    )
}

/// Creates the stack, or updates it when it exists; returns what was done and the stack id.
pub fn create_or_update(
    aws: &Aws,
    name: &str,
    req: &Request<'_>,
    destroy_hint: &str,
) -> Result<(Operation, String)> {
    let parameters: Vec<Parameter> = req
        .parameters
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect();
    let capabilities = vec![
        Capability::CapabilityIam,
        Capability::CapabilityNamedIam,
        Capability::CapabilityAutoExpand,
    ];
    let tags: Vec<Tag> = req
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    match describe(aws, name)? {
        None => {
            let mut call = aws
                .cfn
                .create_stack()
                .stack_name(name)
                .set_parameters(Some(parameters))
                .set_capabilities(Some(capabilities))
                .set_tags(Some(tags))
                // Failed resources are shown, then deleted by xtask (or kept with --keep).
                .on_failure(OnFailure::DoNothing);
            call = match &req.template {
                Template::Body(body) => call.template_body(body),
                Template::Url(url) => call.template_url(url),
            };
            let out = aws
                .block_on(call.send())
                .map_err(sdk_error)
                .with_context(|| format!("CreateStack {name}"))?;
            Ok((Operation::Create, out.stack_id().unwrap_or(name).to_owned()))
        }
        Some(stack) if updatable(status(&stack)) => {
            let id = stack.stack_id().unwrap_or(name).to_owned();
            let mut call = aws
                .cfn
                .update_stack()
                .stack_name(name)
                .set_parameters(Some(parameters))
                .set_capabilities(Some(capabilities))
                .set_tags(Some(tags))
                .disable_rollback(req.keep);
            call = match &req.template {
                Template::Body(body) => call.template_body(body),
                Template::Url(url) => call.template_url(url),
            };
            match aws.block_on(call.send()) {
                Ok(_) => Ok((Operation::Update, id)),
                Err(e)
                    if service_message(&e)
                        .is_some_and(|m| m.contains("No updates are to be performed")) =>
                {
                    Ok((Operation::Unchanged, id))
                }
                Err(e) => Err(sdk_error(e)).with_context(|| format!("UpdateStack {name}")),
            }
        }
        Some(stack) => {
            let state = status(&stack);
            let what = if state.ends_with("_IN_PROGRESS") {
                "another operation is running on it: wait for it to finish, then deploy again"
            } else {
                "it cannot be updated"
            };
            bail!(
                "stack {name} is in state {state}{}: {what}; `{destroy_hint}` deletes it",
                stack
                    .stack_status_reason()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )
        }
    }
}

/// A progress bar over `total` resources.
pub fn progress(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64).with_message(what.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} resources {elapsed}")
            .unwrap()
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Polls the stack until its status is no longer `*_IN_PROGRESS`, advancing `bar` with the resources done;
/// returns the final stack (`None`: it no longer exists, i.e. was deleted).
pub fn wait(aws: &Aws, stack_id: &str, bar: &ProgressBar, deleting: bool) -> Result<Option<Stack>> {
    let started = Instant::now();
    let mut interval = Duration::from_millis(100);
    loop {
        let stack = describe(aws, stack_id)?;
        let Some(stack) = stack else {
            return Ok(None);
        };
        let state = status(&stack).to_owned();
        if let Ok(resources) = list_resources(aws, stack_id) {
            let position = if deleting {
                let left = resources
                    .iter()
                    .filter(|r| r.status != "DELETE_COMPLETE")
                    .count() as u64;
                bar.length().unwrap_or(0).saturating_sub(left)
            } else {
                resources
                    .iter()
                    .filter(|r| r.status.ends_with("_COMPLETE") && !r.status.starts_with("DELETE"))
                    .count() as u64
            };
            bar.set_position(position);
            if let Some(busy) = resources
                .iter()
                .find(|r| r.status.ends_with("_IN_PROGRESS"))
            {
                bar.set_message(format!("{}: {}", state.to_lowercase(), busy.logical_id));
            }
        }
        if !state.ends_with("_IN_PROGRESS") {
            return Ok(Some(stack));
        }
        if aws.account.is_none() && started.elapsed() > Duration::from_secs(300) {
            bail!(
                "stack {stack_id} is still {state} after 5 minutes on the local cloud; see `cargo xtask local logs`"
            );
        }
        std::thread::sleep(interval);
        interval = (interval * 2).min(if aws.account.is_some() {
            Duration::from_secs(5)
        } else {
            Duration::from_millis(500)
        });
    }
}

/// Whether a final status means the operation succeeded.
pub fn succeeded(stack: &Stack) -> bool {
    matches!(
        status(stack),
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
    )
}

pub fn status_of(stack: &Stack) -> String {
    status(stack).to_owned()
}

/// One resource of a stack, as ListStackResources reports it.
#[derive(Debug, Clone)]
pub struct StackResource {
    pub logical_id: String,
    pub physical_id: String,
    pub resource_type: String,
    pub status: String,
}

pub fn list_resources(aws: &Aws, stack: &str) -> Result<Vec<StackResource>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .block_on(
                aws.cfn
                    .list_stack_resources()
                    .stack_name(stack)
                    .set_next_token(token.take())
                    .send(),
            )
            .map_err(sdk_error)
            .with_context(|| format!("ListStackResources {stack}"))?;
        for r in page.stack_resource_summaries() {
            out.push(StackResource {
                logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
                physical_id: r.physical_resource_id().unwrap_or_default().to_owned(),
                resource_type: r.resource_type().unwrap_or_default().to_owned(),
                status: r
                    .resource_status()
                    .map_or("", ResourceStatus::as_str)
                    .to_owned(),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return Ok(out),
        }
    }
}

/// The stack's outputs (name -> value as a JSON string).
pub fn outputs(stack: &Stack) -> BTreeMap<String, serde_json::Value> {
    stack
        .outputs()
        .iter()
        .filter_map(|o| {
            Some((
                o.output_key()?.to_owned(),
                serde_json::Value::String(o.output_value().unwrap_or_default().to_owned()),
            ))
        })
        .collect()
}

/// The failures of the stack's last operation, one line each: `LogicalId (Type): STATUS: reason`.
pub fn failures(aws: &Aws, stack_id: &str) -> Result<Vec<String>> {
    let mut events: Vec<StackEvent> = Vec::new();
    let mut token: Option<String> = None;
    // Newest first; stop at the start of the last operation ("User Initiated").
    'pages: loop {
        let page = aws
            .block_on(
                aws.cfn
                    .describe_stack_events()
                    .stack_name(stack_id)
                    .set_next_token(token.take())
                    .send(),
            )
            .map_err(sdk_error)
            .with_context(|| format!("DescribeStackEvents {stack_id}"))?;
        for e in page.stack_events() {
            let started = e.resource_type() == Some("AWS::CloudFormation::Stack")
                && e.resource_status_reason() == Some("User Initiated");
            events.push(e.clone());
            if started {
                break 'pages;
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    Ok(failure_lines(&events))
}

/// The failed events among `events` (newest first), oldest first: resources first; the stack's own reason only
/// when no resource says why; cancellations of siblings last.
pub fn failure_lines(events: &[StackEvent]) -> Vec<String> {
    let failed: Vec<&StackEvent> = events
        .iter()
        .rev()
        .filter(|e| {
            e.resource_status()
                .is_some_and(|s| s.as_str().ends_with("_FAILED"))
        })
        .collect();
    let line = |e: &StackEvent| {
        format!(
            "{} ({}): {}: {}",
            e.logical_resource_id().unwrap_or("?"),
            e.resource_type().unwrap_or("?"),
            e.resource_status().map_or("?", |s| s.as_str()),
            e.resource_status_reason().unwrap_or("(no reason given)")
        )
    };
    let is_stack = |e: &&&StackEvent| e.resource_type() == Some("AWS::CloudFormation::Stack");
    let cancelled = |e: &&&StackEvent| {
        e.resource_status_reason()
            .is_some_and(|r| r.contains("cancelled"))
    };
    let mut lines: Vec<String> = failed
        .iter()
        .filter(|e| !is_stack(e) && !cancelled(e))
        .map(|e| line(e))
        .collect();
    if lines.is_empty() {
        lines.extend(failed.iter().filter(|e| is_stack(e)).map(|e| line(e)));
    }
    lines.extend(
        failed
            .iter()
            .filter(|e| !is_stack(e) && cancelled(e))
            .map(|e| line(e)),
    );
    lines
}

/// DeleteStack, then waits until the stack is gone; a DELETE_FAILED stack is an error with its failures.
pub fn delete(aws: &Aws, stack_id: &str, bar: &ProgressBar) -> Result<()> {
    aws.block_on(aws.cfn.delete_stack().stack_name(stack_id).send())
        .map_err(sdk_error)
        .with_context(|| format!("DeleteStack {stack_id}"))?;
    match wait(aws, stack_id, bar, true)? {
        None => Ok(()),
        Some(stack) if status(&stack) == "DELETE_COMPLETE" => Ok(()),
        Some(stack) => {
            let failures = failures(aws, stack_id).unwrap_or_default();
            bail!(
                "deleting stack {stack_id} ended in {}:\n  {}",
                status(&stack),
                failures.join("\n  ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::types::ResourceStatus;

    fn event(id: &str, rtype: &str, status: &str, reason: &str) -> StackEvent {
        StackEvent::builder()
            .logical_resource_id(id)
            .resource_type(rtype)
            .resource_status(ResourceStatus::from(status))
            .resource_status_reason(reason)
            .build()
    }

    #[test]
    fn failed_events_name_the_resource_its_type_and_the_reason() {
        // Newest first, as DescribeStackEvents answers.
        let events = vec![
            event(
                "srp-x",
                "AWS::CloudFormation::Stack",
                "CREATE_FAILED",
                "The following resource(s) failed to create: [Link].",
            ),
            event(
                "Table",
                "AWS::DynamoDB::Table",
                "CREATE_FAILED",
                "Resource creation cancelled",
            ),
            event(
                "Link",
                "AWS::ApiGateway::VpcLink",
                "CREATE_FAILED",
                "not supported",
            ),
            event("Api", "AWS::ApiGateway::RestApi", "CREATE_COMPLETE", ""),
            event(
                "srp-x",
                "AWS::CloudFormation::Stack",
                "CREATE_IN_PROGRESS",
                "User Initiated",
            ),
        ];
        assert_eq!(
            failure_lines(&events),
            vec![
                "Link (AWS::ApiGateway::VpcLink): CREATE_FAILED: not supported".to_owned(),
                "Table (AWS::DynamoDB::Table): CREATE_FAILED: Resource creation cancelled"
                    .to_owned(),
            ]
        );
        let only_stack = &events[..1];
        assert!(failure_lines(only_stack)[0].starts_with("srp-x (AWS::CloudFormation::Stack)"));
    }

    #[test]
    fn only_settled_stacks_can_be_updated() {
        for s in [
            "CREATE_COMPLETE",
            "UPDATE_COMPLETE",
            "UPDATE_ROLLBACK_COMPLETE",
        ] {
            assert!(updatable(s), "{s}");
        }
        for s in [
            "ROLLBACK_COMPLETE",
            "CREATE_FAILED",
            "DELETE_FAILED",
            "CREATE_IN_PROGRESS",
            "UPDATE_ROLLBACK_FAILED",
        ] {
            assert!(!updatable(s), "{s}");
        }
    }
}
