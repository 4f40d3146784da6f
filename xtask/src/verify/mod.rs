//! `cargo xtask verify`: runs a pattern's checks (`[[verify]]` in pattern.toml) against its deployment, local or AWS.
//!
//! A check is an HTTP request ([`http`]), an unreachable address, a Cognito user signed in ([`cognito`]), a
//! function invoked ([`invoke`]), a Step Functions execution awaited ([`execution`]), a page in
//! headless Chromium ([`browser`]), or an AWS action and/or
//! assertion ([`aws`], [`queue`]: send to SQS/S3/EventBridge/SNS, read DynamoDB, S3, CloudWatch Logs, a queue). `{resource:X}` names what the deployment holds ([`resources`]).
//! Checks run in order; `capture` makes a value of one response a placeholder of the later checks.

mod aws;
pub mod browser;
mod cognito;
mod execution;
mod invoke;
mod local_urls;
mod queue;
mod resources;

pub(crate) use pattern_checks::check;
pub use pattern_checks::placeholders;

use anyhow::{Result, anyhow, bail};

use crate::{
    deploy::{Deployment, Outputs},
    flags::{DeployArgs, Target},
    pattern::{self, Pattern},
};
pub(crate) use local_urls::{local_form, local_url};
pub use pattern_checks::{Check, answer::contains};
pub use placeholders::expand;

#[derive(Debug, serde::Serialize)]
pub struct CheckResult {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// Where the checks run: the deployment's outputs plus what earlier checks captured, and the clients.
pub struct Run {
    /// Outputs, `run_id` and captured values.
    pub values: Outputs,
    pub target: Target,
    /// The local cloud's edge URL (local target only).
    pub edge_url: Option<String>,
    aws: Option<aws::Clients>,
    /// The status of the last HTTP check's answer (a 5xx in a failed check gets the log hint).
    last_status: Option<u16>,
    /// `<pattern>-<target>-<iac>`: names what a check keeps (a browser check's screenshot).
    pub label: String,
}

impl Run {
    fn new(outputs: &Outputs, target: Target) -> Result<Run> {
        let mut values = outputs.clone();
        values.insert("run_id".into(), placeholders::run_id().into());
        let edge_url = match target {
            Target::Local => Some(crate::local::ensure_up(None)?.edge_url),
            Target::Aws => None,
        };
        Ok(Run {
            values,
            target,
            edge_url,
            aws: None,
            last_status: None,
            label: String::new(),
        })
    }

    /// The AWS clients, created on first use.
    fn aws(&mut self) -> Result<&aws::Clients> {
        if self.aws.is_none() {
            self.aws = Some(aws::Clients::connect(self.edge_url.as_deref())?);
        }
        Ok(self.aws.as_ref().expect("just set"))
    }
}

/// Where the fields of a check are documented, for the fixes.
pub const DOCS: &str = "CONTRIBUTING.md, section `Verify checks`";

/// The fix of a check with a field that is unknown, missing or of the wrong type.
pub const FIELDS_FIX: &str =
    "use only the fields a check has, spelt as listed (CONTRIBUTING.md, section `Verify checks`)";

/// Parses the `[[verify]]` tables of a pattern, checking each one's shape (see [`parse`]); an error names the
/// file, the line of the check, the field and the fix, as `validate` does.
pub fn checks(pattern: &Pattern) -> Result<Vec<Check>> {
    let file = pattern.manifest_path();
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let at = |i: usize| {
        let line = table_line(&text, i).map_or_else(String::new, |n| format!(":{n}"));
        format!("{}{line}", file.display())
    };
    pattern
        .manifest
        .verify
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            parse(raw).map_err(|e| match e {
                ShapeError::Fields(e) => {
                    anyhow!("{}: `verify[{i}]`: {e}; fix: {FIELDS_FIX}", at(i))
                }
                ShapeError::Combination(name, e) => {
                    anyhow!("{}: `verify[{i}]` ({name}): {e:#}", at(i))
                }
            })
        })
        .collect()
}

/// The 1-based line of the `i`-th `[[verify]]` header of a `pattern.toml` text.
pub fn table_line(text: &str, i: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[verify]]"))
        .nth(i)
        .map(|(n, _)| n + 1)
}

/// Why a `[[verify]]` table is not a check.
pub enum ShapeError {
    /// A field is unknown, missing or of the wrong type (serde's message).
    Fields(String),
    /// The check (named) has fields that do not go together; the message says the fix.
    Combination(String, anyhow::Error),
}

/// One `[[verify]]` table as a check: its fields, then which go together. `verify` and `validate` both use it.
pub fn parse(raw: &toml::Value) -> Result<Check, ShapeError> {
    let check: Check = raw
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| ShapeError::Fields(e.to_string().trim_end().to_owned()))?;
    match check.validate() {
        Ok(()) => Ok(check),
        Err(e) => Err(ShapeError::Combination(check.name, e)),
    }
}

/// `cargo xtask verify`: runs the checks of the pattern named `name` against the outputs its deploy saved.
pub fn run(name: &str, args: &DeployArgs, json: bool) -> Result<()> {
    let pattern = pattern::one(name)?;
    let dep = Deployment::new(&pattern, args)?;
    let outputs = dep.saved_outputs()?;
    run_checks(&dep, &outputs, json)
}

/// Runs every check of the deployment's pattern in order; prints each result; fails if any failed (naming the
/// functions' log groups when a failed check got a 5xx).
pub fn run_checks(dep: &Deployment<'_>, outputs: &Outputs, json: bool) -> Result<()> {
    let (pattern, target) = (dep.pattern, dep.target);
    let checks = checks(pattern)?;
    if checks.is_empty() {
        bail!(
            "{}: no `[[verify]]` checks; fix: declare at least one (see CONTRIBUTING.md)",
            pattern.manifest_path().display()
        );
    }
    let mut run = Run::new(outputs, target)?;
    run.label = format!("{}-{}-{}", pattern.name, target.as_str(), dep.iac.as_str());
    resources::resolve(dep, run.edge_url.as_deref(), &mut run.values)?;
    let mut results = Vec::new();
    let mut server_errors = 0;
    for check in &checks {
        run.last_status = None;
        let outcome = run_check(check, &mut run);
        if outcome.is_err() && run.last_status.is_some_and(|s| s >= 500) {
            server_errors += 1;
        }
        let result = CheckResult {
            name: check.name.clone(),
            passed: outcome.is_ok(),
            detail: match outcome {
                Ok(detail) => detail,
                Err(err) => format!("{err:#}"),
            },
        };
        if !json {
            let mark = if result.passed { "PASS" } else { "FAIL" };
            println!("{mark}  {}  ({})", result.name, result.detail);
        }
        results.push(result);
    }
    let failed = report(
        &pattern.name,
        &results,
        json,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )?;
    if failed > 0 && server_errors > 0 {
        let groups = crate::deploy::functions::log_groups(dep, run.edge_url.as_deref())
            .unwrap_or_else(|err| {
                tracing::warn!("listing the deployment's functions: {err:#}");
                Vec::new()
            });
        bail!(
            "{failed} verify check(s) of `{}` failed; {}",
            pattern.name,
            server_error_hint(
                &groups,
                &dep.command("logs"),
                target,
                run.edge_url.as_deref()
            )
        );
    }
    if failed > 0 {
        bail!("{failed} verify check(s) of `{}` failed", pattern.name);
    }
    Ok(())
}

/// Where to look when a failed check got a 5xx: the answer (API Gateway's `Internal server error`, a load
/// balancer's error page) names no cause, but a function behind it may have failed or crashed, and its output is
/// in its log group. `groups`: the deployment's function log groups.
fn server_error_hint(
    groups: &[String],
    logs_command: &str,
    target: Target,
    edge_url: Option<&str>,
) -> String {
    let named = if groups.is_empty() {
        "`/aws/lambda/<function name>`".to_owned()
    } else {
        groups
            .iter()
            .map(|g| format!("`{g}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let first = groups
        .first()
        .map_or("/aws/lambda/<function name>", String::as_str);
    let tail = match (target, edge_url) {
        (Target::Local, Some(edge)) => {
            format!("aws logs tail {first} --since 15m --endpoint-url {edge}")
        }
        _ => format!("aws logs tail {first} --since 15m"),
    };
    let local = if target == Target::Local {
        "`cargo xtask local logs` shows the local cloud's line for each failed invocation (function, error, log \
         group), "
    } else {
        ""
    };
    format!(
        "a check got a 5xx answer, which names no cause: a function of the deployment may have failed or crashed. \
         Its output is in the log group(s) {named}: `{logs_command}` prints their recent events, {local}`{tail}` \
         one group's"
    )
}

/// The end of a run: with `--json` the results as one JSON array on `out` and the summary line on `err` (so
/// `verify --json | jq` reads JSON only), else the summary on `out`. Returns how many checks failed.
fn report(
    pattern: &str,
    results: &[CheckResult],
    json: bool,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<usize> {
    let failed = results.iter().filter(|r| !r.passed).count();
    let summary = format!(
        "{pattern}: {} passed, {failed} failed",
        results.len() - failed
    );
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(results)?)?;
        writeln!(err, "{summary}")?;
    } else {
        writeln!(out, "{summary}")?;
    }
    Ok(failed)
}

fn run_check(check: &Check, run: &mut Run) -> Result<String> {
    if let Some(target) = &check.unreachable {
        return pattern_checks::http::unreachable(&expand(target, &run.values)?);
    }
    if check.request.is_some() {
        let edge = match run.target {
            Target::Local => run.edge_url.clone(),
            Target::Aws => None,
        };
        let locate = |url: &str| match &edge {
            Some(edge) => local_urls::local_url(url, edge),
            None => pattern_checks::http::as_is(url),
        };
        let mut http = pattern_checks::http::HttpRun {
            values: &mut run.values,
            locate: &locate,
            last_status: None,
        };
        let outcome = pattern_checks::http::run(check, &mut http);
        run.last_status = http.last_status;
        return outcome;
    }
    if let Some(user) = &check.cognito_user {
        return cognito::sign_in(user, run);
    }
    if let Some(invoke) = &check.invoke {
        return invoke::run(invoke, check, run);
    }
    if let Some(execution) = &check.start_execution {
        return execution::run(execution, check, run);
    }
    if let Some(browser) = &check.browser {
        return browser::run(browser, run);
    }
    aws::run(check, run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_json_only_json_goes_to_stdout() {
        let results = [
            CheckResult {
                name: "a".into(),
                passed: true,
                detail: "200".into(),
            },
            CheckResult {
                name: "b".into(),
                passed: false,
                detail: "500".into(),
            },
        ];
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(report("p", &results, true, &mut out, &mut err).unwrap(), 1);
        let parsed: serde_json::Value =
            serde_json::from_slice(&out).expect("stdout is one JSON document");
        assert_eq!(parsed[1]["name"], "b");
        assert_eq!(String::from_utf8(err).unwrap(), "p: 1 passed, 1 failed\n");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        report("p", &results, false, &mut out, &mut err).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "p: 1 passed, 1 failed\n");
        assert!(err.is_empty());
    }

    #[test]
    fn a_5xx_names_the_functions_log_groups_and_the_commands_that_show_them() {
        let groups = [
            "/aws/lambda/srp-p-Items-1".to_owned(),
            "/custom/g".to_owned(),
        ];
        let local = server_error_hint(
            &groups,
            "cargo xtask logs p",
            Target::Local,
            Some("http://127.0.0.1:4566"),
        );
        assert!(
            local.contains("a check got a 5xx answer")
                && local.contains("log group(s) `/aws/lambda/srp-p-Items-1`, `/custom/g`")
                && local.contains("`cargo xtask logs p` prints their recent events")
                && local.contains("`cargo xtask local logs` shows the local cloud's line for each failed invocation")
                && local.contains(
                    "`aws logs tail /aws/lambda/srp-p-Items-1 --since 15m --endpoint-url http://127.0.0.1:4566`"
                ),
            "{local}"
        );
        let aws = server_error_hint(
            &groups[..1],
            "cargo xtask logs p --target aws",
            Target::Aws,
            None,
        );
        assert!(
            aws.contains("`cargo xtask logs p --target aws` prints")
                && aws
                    .contains("`aws logs tail /aws/lambda/srp-p-Items-1 --since 15m` one group's")
                && !aws.contains("local logs")
                && !aws.contains("--endpoint-url"),
            "{aws}"
        );
        let unknown = server_error_hint(&[], "cargo xtask logs p", Target::Aws, None);
        assert!(
            unknown.contains("log group(s) `/aws/lambda/<function name>`"),
            "{unknown}"
        );
    }
}
