//! `cargo xtask validate`: every static check a pattern must pass before it is deployed.
//!
//! Each check module returns [`Finding`]s; a finding names the file, the field or line, the rule and the fix.

mod files;
mod metadata;
mod readme;
mod rules;
mod sam;
mod sam_parameters;
mod terraform;
#[cfg(test)]
pub mod test_support;
mod tf_config;
mod verify_checks;

use std::{
    fmt,
    path::{Path, PathBuf},
};

use anyhow::{Result, bail};

use crate::{
    cfn,
    flags::{Iac, Selection},
    pattern::{self, Pattern},
};

/// One problem found in a pattern.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub file: PathBuf,
    /// 1-based line in `file`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The field (`title`, `resource.aws_lb.alb.internal`) or `line N`.
    pub location: String,
    /// Short rule id, e.g. `metadata-schema`, `iam-wildcard-action`.
    pub rule: &'static str,
    pub message: String,
    pub fix: String,
}

impl Finding {
    pub fn new(
        file: impl Into<PathBuf>,
        location: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            file: file.into(),
            line: None,
            location: location.into(),
            rule,
            message: message.into(),
            fix: fix.into(),
        }
    }

    /// Sets the line, when one is known.
    pub fn at_line(mut self, line: Option<usize>) -> Finding {
        self.line = line;
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self
            .file
            .strip_prefix(pattern::project_root())
            .unwrap_or(&self.file);
        write!(f, "error[{}]: {}", self.rule, file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(
            f,
            ": {}: {}\n    fix: {}",
            self.location, self.message, self.fix
        )
    }
}

/// A pattern whose `pattern.toml` does not load, as a finding (its error names the line, the field and the fix).
fn broken_finding(broken: &pattern::discover::Broken) -> Finding {
    let file = broken.dir.join("pattern.toml");
    let error = broken.error.as_str();
    // The error starts with the file's path (and line), which the finding prints itself.
    let error = error
        .strip_prefix(&file.display().to_string())
        .map_or(error, |rest| rest.trim_start_matches(':'));
    let (line, error) = match error.split_once(": ") {
        Some((n, rest)) if n.parse::<usize>().is_ok() => (n.parse().ok(), rest),
        _ => (None, error.trim_start()),
    };
    let (field, error) = match error
        .strip_prefix("field `")
        .and_then(|rest| rest.split_once("`: "))
    {
        Some((field, rest)) => (field, rest),
        None => ("pattern.toml", error),
    };
    let (message, fix) = error
        .split_once("; fix: ")
        .unwrap_or((error, "see CONTRIBUTING.md"));
    Finding::new(&file, field, "pattern-toml", message, fix).at_line(line)
}

/// Reads a SAM/CloudFormation template. A template that is not YAML comes back as a `sam-parse` finding.
fn read_template(path: &Path) -> Result<Result<cfn::Template, Finding>> {
    Ok(cfn::Template::read(path)?.map_err(|err| {
        let line = err.location().map(|l| l.line());
        Finding::new(
            path,
            line.map_or_else(|| "template".to_owned(), |l| format!("line {l}")),
            "sam-parse",
            format!("not valid YAML, so the AWS rules were not checked: {err}"),
            "fix the YAML syntax (cfn-lint reports the same place)",
        )
        .at_line(line)
    }))
}

/// Runs every check on one pattern.
pub fn check(pattern: &Pattern) -> Result<Vec<Finding>> {
    check_flavours(pattern, &pattern.manifest.iac)
}

/// Runs the pattern-wide checks and those of the IaC flavours `iac` (what one deploy needs).
pub fn check_flavours(pattern: &Pattern, iac: &[Iac]) -> Result<Vec<Finding>> {
    checks(pattern, iac, true)
}

/// The pattern-wide checks and those of the flavours in `iac`; `with_tools: false` leaves out the ones that run
/// an external tool (terraform, cfn-lint).
fn checks(pattern: &Pattern, iac: &[Iac], with_tools: bool) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    findings.extend(metadata::check(pattern)?);
    findings.extend(readme::check(pattern)?);
    findings.extend(files::check(pattern)?);
    findings.extend(verify_checks::check(pattern, iac)?);
    if pattern.has(Iac::Terraform) && iac.contains(&Iac::Terraform) {
        if with_tools {
            findings.extend(terraform::check(pattern)?);
        }
        findings.extend(rules::terraform(pattern)?);
    }
    if pattern.has(Iac::Sam) && iac.contains(&Iac::Sam) {
        if with_tools {
            findings.extend(sam::check(pattern)?);
        }
        findings.extend(rules::sam(pattern)?);
        findings.extend(sam_parameters::check(pattern)?);
    }
    Ok(findings)
}

/// The checks that need no external tool (no terraform, no cfn-lint): metadata, README, references and the
/// rules AWS enforces. The template's tests run them on every combination it generates.
#[cfg(test)]
pub fn check_without_tools(pattern: &Pattern) -> Result<Vec<Finding>> {
    checks(pattern, &pattern.manifest.iac, false)
}

/// `cargo xtask validate`: checks the selected patterns, prints findings, fails if any. With `--all`, a pattern
/// whose `pattern.toml` does not load is a finding and the others are still checked.
pub fn run(selection: &Selection, json: bool) -> Result<()> {
    let found = pattern::discover()?;
    let mut all = Vec::new();
    let patterns = if selection.all && selection.patterns.is_empty() {
        for broken in &found.broken {
            let finding = broken_finding(broken);
            if !json {
                eprintln!("{finding}");
            }
            all.push(finding);
        }
        found.patterns
    } else {
        found.select(selection)?
    };
    for pattern in &patterns {
        let findings = check(pattern)?;
        if !json {
            if findings.is_empty() {
                println!("ok: {}", pattern.name);
            } else {
                for finding in &findings {
                    eprintln!("{finding}");
                }
            }
        }
        all.extend(findings);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    if !all.is_empty() {
        bail!("validation failed: {} finding(s)", all.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pattern_toml_is_a_finding_naming_line_field_and_fix() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/discover/patterns");
        let found = pattern::discover::discover_in(&dir).unwrap();
        let finding = broken_finding(&found.broken[0]);
        assert_eq!(
            (finding.line, finding.location.as_str(), finding.rule),
            (Some(3), "lambdaz", "pattern-toml")
        );
        assert!(
            finding.message.starts_with("unknown field `lambdaz`")
                && finding.fix.starts_with("correct it (CONTRIBUTING.md"),
            "{finding:#?}"
        );
    }
}
