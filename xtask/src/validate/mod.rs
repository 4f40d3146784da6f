//! `cargo xtask validate`: every static check a pattern must pass before it is deployed.
//!
//! Each check module returns [`Finding`]s; a finding names the file, the field or line, the rule and the fix.

mod files;
mod metadata;
mod readme;
mod rules;
mod sam;
mod terraform;
#[cfg(test)]
mod test_support;
mod tf_config;

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
    }
    Ok(findings)
}

/// The checks that need no external tool (no terraform, no cfn-lint): metadata, README, references and the
/// rules AWS enforces. The template's tests run them on every combination it generates.
#[cfg(test)]
pub fn check_without_tools(pattern: &Pattern) -> Result<Vec<Finding>> {
    checks(pattern, &pattern.manifest.iac, false)
}

/// `cargo xtask validate`: checks the selected patterns, prints findings, fails if any.
pub fn run(selection: &Selection, json: bool) -> Result<()> {
    let patterns = pattern::select(selection)?;
    let mut all = Vec::new();
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
