//! `cargo xtask logs`: what a deployment's functions printed (START/END/REPORT lines and their own output), read
//! from their CloudWatch Logs groups through the API, on the local cloud or AWS alike: what a bare 502 does not say.

use std::{
    collections::HashSet,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, Result, bail};
use aws_sdk_cloudwatchlogs::{Client, error::DisplayErrorContext};
use serde::Serialize;

use crate::{
    deploy::{Deployment, functions},
    flags::{DeployArgs, Target},
    pattern,
};

/// One log event, as printed with `--json`.
#[derive(Debug, Serialize, PartialEq)]
struct Event {
    group: String,
    stream: String,
    /// Milliseconds since the epoch.
    timestamp: i64,
    message: String,
}

/// `cargo xtask logs`: the events of the last `since` in the deployment's function log groups, oldest first;
/// with `follow`, new ones as they arrive.
pub fn run(name: &str, args: &DeployArgs, since: Duration, follow: bool, json: bool) -> Result<()> {
    let pattern = pattern::one(name)?;
    let dep = Deployment::new(&pattern, args)?;
    // Refuses, with the fix, a pattern that is not deployed (or whose local cloud has restarted since).
    dep.saved_outputs()?;
    let endpoint = match dep.target {
        Target::Local => Some(
            crate::local::running()
                .with_context(|| {
                    format!(
                        "the local cloud is not running, so `{name}` is not deployed there; fix: {}",
                        dep.command("deploy")
                    )
                })?
                .edge_url,
        ),
        Target::Aws => None,
    };
    let groups = functions::log_groups(&dep, endpoint.as_deref())?;
    if groups.is_empty() {
        bail!("the deployment of `{name}` has no Lambda functions, so no function logs");
    }
    let rt = crate::aws::sdk::runtime()?;
    let client = Client::new(&rt.block_on(crate::aws::sdk::config(endpoint.as_deref())));
    let mut from = now_ms() - i64::try_from(since.as_millis()).unwrap_or(i64::MAX / 2);
    let mut printed = HashSet::new();
    if !json {
        eprintln!("the last {} s of {}", since.as_secs(), groups.join(", "));
    }
    loop {
        let mut events = Vec::new();
        for group in &groups {
            events.extend(rt.block_on(group_events(&client, group, from))?);
        }
        events.sort_by_key(|(_, e)| e.timestamp);
        for (id, event) in events {
            if !printed.insert(id) {
                continue;
            }
            from = from.max(event.timestamp);
            if json {
                println!("{}", serde_json::to_string(&event)?);
            } else {
                println!("{}", line(&event));
            }
        }
        if !follow {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The events of `group` from `from` ms on, with their event ids; none while the group does not exist (a function
/// that never ran has no group yet).
async fn group_events(client: &Client, group: &str, from: i64) -> Result<Vec<(String, Event)>> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .filter_log_events()
            .log_group_name(group)
            .start_time(from)
            .set_next_token(token.take())
            .send()
            .await;
        let page = match page {
            Ok(page) => page,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(out);
            }
            Err(err) => {
                return Err(anyhow::anyhow!("{}", DisplayErrorContext(err)))
                    .with_context(|| format!("FilterLogEvents on {group}"));
            }
        };
        for e in page.events() {
            let id = e.event_id().map_or_else(
                || format!("{group}/{:?}/{:?}", e.timestamp(), e.message()),
                str::to_owned,
            );
            out.push((
                id,
                Event {
                    group: group.to_owned(),
                    stream: e.log_stream_name().unwrap_or_default().to_owned(),
                    timestamp: e.timestamp().unwrap_or_default(),
                    message: e.message().unwrap_or_default().trim_end().to_owned(),
                },
            ));
        }
        match page.next_token() {
            Some(t) if !page.events().is_empty() => token = Some(t.to_owned()),
            _ => return Ok(out),
        }
    }
}

/// `aws logs tail`'s shape: the time (UTC, ms), the group, the message.
fn line(event: &Event) -> String {
    let time = chrono::DateTime::from_timestamp_millis(event.timestamp).map_or_else(
        || event.timestamp.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    );
    format!("{time} {} {}", event.group, event.message)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_the_utc_time_the_group_and_the_message() {
        let event = Event {
            group: "/aws/lambda/hello".into(),
            stream: "2026/12/06/[$LATEST]abc".into(),
            timestamp: 1_764_990_000_123,
            message: "START RequestId: 1 Version: $LATEST".into(),
        };
        assert_eq!(
            line(&event),
            "2025-12-06T03:00:00.123Z /aws/lambda/hello START RequestId: 1 Version: $LATEST"
        );
    }
}
