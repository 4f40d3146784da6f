//! The Step Functions series of `cargo xtask bench` ([`super::events`] sets up the function): a state machine of
//! three Lambda tasks in a row, each the function (invoked synchronously by the execution); per execution, its
//! `startDate` to its `stopDate` as DescribeExecution answers them once it is `SUCCEEDED` (moto's clock, which
//! starts when StartExecution is handled), so the client's polling (every 20 ms: moto is one Python process, and
//! faster polling slows the execution it waits for) does not round the figure.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{Series, samples::summary};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const POLL: Duration = Duration::from_millis(20);

fn sdk<E: std::error::Error + Send + Sync + 'static>(e: E) -> anyhow::Error {
    anyhow::anyhow!("{}", aws_sdk_sfn::error::DisplayErrorContext(e))
}

/// The state machine `name` (three tasks invoking `function_arn`, run as `role`): its ARN.
pub(super) fn create(
    rt: &tokio::runtime::Runtime,
    sfn: &aws_sdk_sfn::Client,
    name: &str,
    function_arn: &str,
    role: &str,
) -> Result<String> {
    let task = |next: Option<&str>| {
        let mut state = serde_json::json!({"Type": "Task", "Resource": function_arn});
        match next {
            Some(next) => state["Next"] = next.into(),
            None => state["End"] = true.into(),
        }
        state
    };
    let definition = serde_json::json!({"StartAt": "One", "States": {
        "One": task(Some("Two")), "Two": task(Some("Three")), "Three": task(None)}});
    Ok(rt
        .block_on(
            sfn.create_state_machine()
                .name(name)
                .role_arn(role)
                .definition(definition.to_string())
                .send(),
        )
        .map_err(sdk)
        .context("CreateStateMachine")?
        .state_machine_arn)
}

/// One execution, started and awaited: its duration from `startDate` to `stopDate`.
pub(super) fn execute(
    rt: &tokio::runtime::Runtime,
    sfn: &aws_sdk_sfn::Client,
    state_machine: &str,
) -> Result<Duration> {
    let started = Instant::now();
    let arn = rt
        .block_on(
            sfn.start_execution()
                .state_machine_arn(state_machine)
                .input(r#"{"bench": true}"#)
                .send(),
        )
        .map_err(sdk)
        .context("StartExecution")?
        .execution_arn;
    loop {
        let out = rt
            .block_on(sfn.describe_execution().execution_arn(&arn).send())
            .map_err(sdk)
            .context("DescribeExecution")?;
        match (out.status.as_str(), out.stop_date) {
            ("SUCCEEDED", Some(stop)) => {
                let secs = stop.as_secs_f64() - out.start_date.as_secs_f64();
                return Ok(Duration::from_secs_f64(secs.max(0.0)));
            }
            ("RUNNING", _) if started.elapsed() < Duration::from_secs(60) => {
                std::thread::sleep(POLL)
            }
            (other, _) => bail!("execution {arn} is {other} after {:?}", started.elapsed()),
        }
    }
}

/// `samples` executions, one after the other.
pub(super) fn series(
    rt: &tokio::runtime::Runtime,
    sfn: &aws_sdk_sfn::Client,
    state_machine: &str,
    samples: usize,
) -> Result<Series> {
    let mut ms = Vec::with_capacity(samples);
    for _ in 0..samples {
        ms.push(execute(rt, sfn, state_machine)?.as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok(summary(
        "Step Functions, 3 Lambda tasks: started -> SUCCEEDED",
        &ms,
    ))
}

/// Deletes the state machine `name`, if it is there.
pub(super) fn delete(rt: &tokio::runtime::Runtime, sfn: &aws_sdk_sfn::Client, name: &str) {
    let _ = rt.block_on(
        sfn.delete_state_machine()
            .state_machine_arn(format!(
                "arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
            ))
            .send(),
    );
}
