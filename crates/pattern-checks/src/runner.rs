//! The standalone runner: a pattern's checks (its `[[verify]]` tables) run in order against a deployment through
//! the AWS CLI, each reported as it ends; `capture` and Cognito sign-ins feed the later checks' placeholders.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::{
    Check, Values, aws_actions, aws_checks,
    cli::Cli,
    deployment::{self, Source},
    http::{self, HttpRun},
    placeholders,
};

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    /// The check needs what this runner does not have (a browser); the detail says what was not checked.
    NotChecked,
}

#[derive(Debug, Serialize)]
pub struct CheckResult {
    pub name: String,
    pub outcome: Outcome,
    pub detail: String,
}

/// The `[[verify]]` tables of a file (`checks.toml`, or a `pattern.toml`), each checked for its shape.
pub fn load(path: &Path) -> Result<(Vec<Check>, Vec<toml::Value>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let raw = doc
        .get("verify")
        .and_then(|v| v.as_array())
        .cloned()
        .with_context(|| {
            format!(
                "{}: no `[[verify]]` tables; fix: export the pattern again",
                path.display()
            )
        })?;
    let checks = raw
        .iter()
        .enumerate()
        .map(|(i, table)| {
            let check: Check = table
                .clone()
                .try_into()
                .with_context(|| format!("{}: `verify[{i}]`", path.display()))?;
            check
                .validate()
                .with_context(|| format!("{}: `verify[{i}]` ({})", path.display(), check.name))?;
            Ok(check)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((checks, raw))
}

/// Runs the checks of `checks_file` against the deployment `source`; `report` sees each result as it ends.
pub fn run(
    checks_file: &Path,
    source: &Source,
    mut report: impl FnMut(&CheckResult),
) -> Result<Vec<CheckResult>> {
    let (checks, raw) = load(checks_file)?;
    let cli = Cli::new()?;
    let mut values = deployment::outputs(source, &cli)?;
    values.insert("run_id".into(), placeholders::run_id().into());
    deployment::resources(
        source,
        &placeholders::resources_named(&raw),
        &cli,
        &mut values,
    )?;
    let edge = cli.endpoint().map(str::to_owned);
    let mut results = Vec::new();
    for check in &checks {
        let (outcome, detail) = match run_one(check, &mut values, &cli, edge.as_deref()) {
            Ok(Some(detail)) => (Outcome::Passed, detail),
            Ok(None) => (Outcome::NotChecked, not_checked(check)),
            Err(err) => (Outcome::Failed, format!("{err:#}")),
        };
        let result = CheckResult {
            name: check.name.clone(),
            outcome,
            detail,
        };
        report(&result);
        results.push(result);
    }
    Ok(results)
}

/// One check: `Ok(None)` when it needs a browser.
fn run_one(
    check: &Check,
    values: &mut Values,
    cli: &Cli,
    edge: Option<&str>,
) -> Result<Option<String>> {
    let locate = |url: &str| match edge {
        Some(edge) => crate::local::locate(url, edge),
        None => http::as_is(url),
    };
    if let Some(target) = &check.unreachable {
        return http::unreachable(&placeholders::expand(target, values)?).map(Some);
    }
    if check.request.is_some() {
        let mut run = HttpRun {
            values,
            locate: &locate,
            last_status: None,
        };
        return http::run(check, &mut run).map(Some);
    }
    if let Some(user) = &check.cognito_user {
        return aws_actions::sign_in(user, values, cli).map(Some);
    }
    if let Some(invoke) = &check.invoke {
        return aws_actions::invoke(invoke, check, values, cli).map(Some);
    }
    if let Some(execution) = &check.start_execution {
        return aws_actions::start_execution(execution, check, values, cli).map(Some);
    }
    if check.browser.is_some() {
        return Ok(None);
    }
    aws_checks::run(check, values, cli).map(Some)
}

fn not_checked(check: &Check) -> String {
    let url = check.browser.as_ref().map_or("", |b| b.url.as_str());
    format!(
        "needs a browser: open {url} and look for what pattern.toml's check `{}` lists (the collection's \
         `cargo xtask verify` runs it in headless Chromium)",
        check.name
    )
}

/// The summary line; an error when a check failed.
pub fn summary(results: &[CheckResult]) -> Result<String> {
    let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count();
    let (failed, not_checked) = (count(Outcome::Failed), count(Outcome::NotChecked));
    let mut line = format!("{} passed, {failed} failed", count(Outcome::Passed));
    if not_checked > 0 {
        line.push_str(&format!(", {not_checked} need a browser"));
    }
    if failed > 0 {
        bail!("{line}");
    }
    Ok(line)
}
