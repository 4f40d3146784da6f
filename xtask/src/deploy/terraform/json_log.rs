//! Terraform's machine-readable log (`-json`): a progress bar over the planned resources, the error diagnostics
//! with the failing resource's address, and the outputs reported at the end.

use std::{
    io::{BufRead, BufReader},
    os::unix::process::CommandExt,
    process::Stdio,
};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    deploy::Outputs,
    interrupt::{self, Forward},
};

/// Runs a `terraform ... -json` command, drawing a progress bar from its machine-readable log, and turns its
/// error diagnostics (with the failing resource's address) into the error. Returns the outputs its log reported
/// at the end, unless one of them is sensitive (the log leaves its value out).
///
/// Terraform runs in its own process group, so a terminal's Ctrl-C reaches it only through
/// [`crate::interrupt`]: once, for its graceful stop (`Forward::Yes`: it finishes the calls in flight and
/// writes its state), or not at all for a cleanup step; a second Ctrl-C kills the group, provider plugins too.
pub(super) fn stream_json(
    cmd: xshell::Cmd<'_>,
    what: &str,
    forward: Forward,
) -> Result<Option<Outputs>> {
    let mut command = std::process::Command::from(cmd);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command.spawn().context("starting terraform")?;
    let _group = interrupt::track_group(child.id(), forward);
    let bar = ProgressBar::new(0).with_message(what.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} resources {elapsed}")
            .unwrap()
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let mut errors = Vec::new();
    let mut outputs = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line?;
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        match msg["type"].as_str() {
            Some("planned_change") if msg["change"]["action"] != "noop" => bar.inc_length(1),
            Some("apply_complete") | Some("apply_errored") => {
                bar.inc(1);
                if let Some(addr) = msg["hook"]["resource"]["addr"].as_str() {
                    bar.set_message(format!("{what}: {addr}"));
                }
            }
            Some("outputs") => outputs = reported_outputs(&msg["outputs"]),
            Some("diagnostic") if msg["diagnostic"]["severity"] == "error" => {
                let d = &msg["diagnostic"];
                let address = d["address"]
                    .as_str()
                    .map(|a| format!("{a}: "))
                    .unwrap_or_default();
                errors.push(format!(
                    "{address}{}\n{}",
                    d["summary"].as_str().unwrap_or(""),
                    d["detail"].as_str().unwrap_or("")
                ));
            }
            _ => {}
        }
    }
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr)?;
    let status = child.wait()?;
    bar.finish_and_clear();
    if !status.success() {
        if forward == Forward::Yes && interrupt::requested() {
            return Err(anyhow::Error::new(interrupt::Interrupted))
                .with_context(|| format!("{what}: terraform stopped at a consistent point"));
        }
        let detail = if errors.is_empty() {
            stderr
        } else {
            errors.join("\n")
        };
        bail!("{what} failed:\n{}", detail.trim());
    }
    Ok(outputs)
}

/// The values of an `outputs` message of Terraform's machine-readable log (`{"name": {"value": ..,
/// "sensitive": ..}}`); None when one has no value (a sensitive output: the log leaves it out).
fn reported_outputs(outputs: &serde_json::Value) -> Option<Outputs> {
    outputs
        .as_object()?
        .iter()
        .map(|(name, output)| Some((name.clone(), output.get("value")?.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_come_from_the_apply_log_unless_one_is_sensitive() {
        // The `outputs` message of `terraform apply -json` (Terraform's machine-readable UI).
        let plain = serde_json::json!({
            "url": {"sensitive": false, "type": "string", "value": "http://x"},
            "ids": {"sensitive": false, "type": ["list", "string"], "value": ["a"]}
        });
        let outputs = reported_outputs(&plain).unwrap();
        assert_eq!(outputs["url"], "http://x");
        assert_eq!(outputs["ids"], serde_json::json!(["a"]));
        let secret = serde_json::json!({
            "url": {"sensitive": false, "type": "string", "value": "http://x"},
            "key": {"sensitive": true, "type": "string"}
        });
        assert_eq!(reported_outputs(&secret), None);
    }
}
