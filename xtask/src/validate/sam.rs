//! The SAM template passes `cfn-lint` (which also applies the SAM transform offline); each error is a finding
//! with its line and path in the template.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use xshell::{Shell, cmd};

use super::Finding;
use crate::{
    pattern::Pattern,
    tools::{self, Tool},
};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LintMatch {
    level: String,
    message: String,
    location: LintLocation,
    rule: LintRule,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LintLocation {
    start: LintPos,
    #[serde(default)]
    path: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LintPos {
    line_number: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LintRule {
    id: String,
    #[serde(default)]
    source: String,
}

pub fn check(p: &Pattern) -> Result<Vec<Finding>> {
    let template = p.sam_template();
    if !template.is_file() {
        // files.rs reports the missing template (`file-missing` on `sam.template`).
        return Ok(Vec::new());
    }
    let sh = Shell::new()?;
    let cfn_lint = tools::program_path(&sh, Tool::CfnLint)?;
    let out = cmd!(sh, "{cfn_lint} --format json -- {template}")
        .quiet()
        .ignore_status()
        .output()
        .context("running cfn-lint")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let matches: Vec<LintMatch> = match serde_json::from_str(&stdout) {
        Ok(matches) => matches,
        Err(err) => bail!(
            "cfn-lint on {} gave no JSON report ({err}; exit status {}): {}",
            template.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    };
    let mut findings = Vec::new();
    for m in matches {
        let line = m.location.start.line_number;
        if m.level != "Error" {
            tracing::warn!(
                "{}:{line}: cfn-lint {} {}: {}",
                template.display(),
                m.level,
                m.rule.id,
                m.message
            );
            continue;
        }
        let location = m
            .location
            .path
            .filter(|path| !path.is_empty())
            .map(|path| {
                path.iter()
                    .map(|seg| seg.as_str().map_or_else(|| seg.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .unwrap_or_else(|| format!("line {line}"));
        let docs = if m.rule.source.is_empty() {
            String::new()
        } else {
            format!(" ({})", m.rule.source)
        };
        findings.push(
            Finding::new(
                &template,
                location,
                "cfn-lint",
                format!("{}: {}", m.rule.id, m.message),
                format!("fix the template as cfn-lint rule {} says{docs}", m.rule.id),
            )
            .at_line(Some(line)),
        );
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    /// Runs the real cfn-lint on the fixture template, clean and with an invalid runtime.
    #[test]
    fn cfn_lint_on_the_fixture() {
        let s = Scratch::from_fixture("good", "good-pattern");
        let findings = check(&s.pattern()).unwrap();
        assert!(findings.is_empty(), "{findings:#?}");

        s.edit("template.yaml", "Protocol: TCP", "Protocol: TCPX");
        let findings = check(&s.pattern()).unwrap();
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, "cfn-lint");
        assert_eq!(f.location, "Resources.AlbTargetGroup.Properties.Protocol");
        let line = s
            .read("template.yaml")
            .lines()
            .position(|l| l.contains("TCPX"))
            .unwrap()
            + 1;
        assert_eq!(f.line, Some(line));
        assert!(f.message.contains("TCPX"), "{}", f.message);
    }
}
