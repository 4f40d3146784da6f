//! The `start_execution` check: a Step Functions execution started with an input through the Step Functions API
//! and awaited to a terminal status, which must be the expected one; then its output (SUCCEEDED) or its cause
//! (otherwise) asserted with `json` / `body_contains`, its `error`, and how many task attempts its history shows.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_sfn::{error::DisplayErrorContext, types::HistoryEventType};

use super::{Check, Run, check::StartExecution, invoke::answer_matches, placeholders::expand};

pub fn run(execution: &StartExecution, check: &Check, run: &mut Run) -> Result<String> {
    let machine = expand(&execution.state_machine, &run.values)?;
    let input = expand(execution.input.as_deref().unwrap_or("{}"), &run.values)?;
    let rt = crate::aws::sdk::runtime()?;
    let config = rt.block_on(crate::aws::sdk::config(run.edge_url.as_deref()));
    let sfn = aws_sdk_sfn::Client::new(&config);
    let started = rt
        .block_on(
            sfn.start_execution()
                .state_machine_arn(&machine)
                .input(&input)
                .send(),
        )
        .map_err(|e| anyhow!("StartExecution of {machine}: {}", DisplayErrorContext(e)))?;
    let arn = started.execution_arn().to_owned();
    let deadline = Instant::now() + Duration::from_secs(execution.timeout.unwrap_or(60));
    let out = loop {
        let out = rt
            .block_on(sfn.describe_execution().execution_arn(&arn).send())
            .map_err(|e| anyhow!("DescribeExecution of {arn}: {}", DisplayErrorContext(e)))?;
        if out.status().as_str() != "RUNNING" {
            break out;
        }
        if Instant::now() > deadline {
            bail!(
                "{arn} still RUNNING after {} s",
                execution.timeout.unwrap_or(60)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let (status, error) = (out.status().as_str(), out.error().unwrap_or_default());
    let answer = if status == "SUCCEEDED" {
        out.output().unwrap_or_default()
    } else {
        out.cause().unwrap_or_default()
    };
    if status != execution.status() {
        bail!(
            "{arn} ended {status} (error {error:?}: {answer}); expected {}",
            execution.status()
        );
    }
    if let Some(expected) = &execution.error
        && error != expand(expected, &run.values)?
    {
        bail!("{arn} failed with the error {error:?}, not {expected:?} (cause: {answer})");
    }
    answer_matches(check, answer, &run.values).with_context(|| {
        format!(
            "the {} of {arn}",
            if status == "SUCCEEDED" {
                "output"
            } else {
                "cause"
            }
        )
    })?;
    let mut summary = format!("{arn} {status}");
    if let Some(expected) = execution.attempts {
        let attempts = rt.block_on(attempts(&sfn, &arn))?;
        if attempts != expected {
            bail!("{arn}'s history shows {attempts} task attempts; expected {expected}");
        }
        summary.push_str(&format!(" after {attempts} task attempts"));
    }
    Ok(summary)
}

/// The task attempts in an execution's history: each `TaskScheduled` (a service integration) and
/// `LambdaFunctionScheduled` (a Lambda ARN as the resource) event, every page of it.
async fn attempts(sfn: &aws_sdk_sfn::Client, arn: &str) -> Result<usize> {
    let mut pages = sfn
        .get_execution_history()
        .execution_arn(arn)
        .into_paginator()
        .send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| anyhow!("GetExecutionHistory of {arn}: {}", DisplayErrorContext(e)))?;
        count += page
            .events()
            .iter()
            .filter(|e| {
                matches!(
                    e.r#type(),
                    HistoryEventType::TaskScheduled | HistoryEventType::LambdaFunctionScheduled
                )
            })
            .count();
    }
    Ok(count)
}
