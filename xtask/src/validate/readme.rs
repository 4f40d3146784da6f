//! README.md has the sections every pattern documents (the upstream serverless-patterns layout), as headings of
//! any level: upstream READMEs write `## Testing`, `### Testing` or `# Cleanup` alike.

use std::fs;

use anyhow::{Context, Result};

use super::Finding;
use crate::pattern::Pattern;

/// The sections a README must have (suggested as `## ` headings), in the order they are suggested.
pub const SECTIONS: [&str; 5] = [
    "Requirements",
    "Deployment Instructions",
    "How it works",
    "Testing",
    "Cleanup",
];

pub fn check(p: &Pattern) -> Result<Vec<Finding>> {
    let path = p.dir.join("README.md");
    if !path.is_file() {
        return Ok(vec![Finding::new(
            &path,
            "README.md",
            "readme-missing",
            "the pattern has no README.md",
            format!(
                "write a README.md with the sections {}",
                SECTIONS.map(|s| format!("`## {s}`")).join(", ")
            ),
        )]);
    }
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let headings = headings(&text);
    let missing: Vec<&str> = SECTIONS
        .iter()
        .copied()
        .filter(|wanted| !headings.iter().any(|h| h.eq_ignore_ascii_case(wanted)))
        .collect();
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let list = missing
        .iter()
        .map(|s| format!("`## {s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let noun = if missing.len() == 1 {
        "section"
    } else {
        "sections"
    };
    Ok(vec![Finding::new(
        &path,
        "headings",
        "readme-sections",
        format!("missing {noun}: {}", missing.join(", ")),
        format!(
            "add {list} {noun} (see upstream serverless-patterns READMEs for what goes in each)"
        ),
    )])
}

/// The text of every ATX heading (`#` to `######`, then a space) outside fenced code blocks, trimmed (closing
/// `#`s dropped).
fn headings(text: &str) -> Vec<String> {
    let mut headings = Vec::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        for marker in ["```", "~~~"] {
            if trimmed.starts_with(marker) {
                fence = match fence {
                    None => Some(marker),
                    Some(open) if open == marker => None,
                    other => other,
                };
            }
        }
        if fence.is_some() {
            continue;
        }
        let hashes = line.len() - line.trim_start_matches('#').len();
        if (1..=6).contains(&hashes)
            && let Some(rest) = line[hashes..].strip_prefix(' ')
        {
            headings.push(rest.trim().trim_end_matches('#').trim().to_owned());
        }
    }
    headings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    #[test]
    fn complete_readme_passes() {
        let s = Scratch::from_fixture("good", "good-pattern");
        assert!(check(&s.pattern()).unwrap().is_empty());
    }

    #[test]
    fn missing_cleanup_is_named() {
        let s = Scratch::from_fixture("good", "good-pattern");
        s.edit("README.md", "## Cleanup", "## Tidying up");
        let findings = check(&s.pattern()).unwrap();
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "readme-sections");
        assert_eq!(findings[0].message, "missing section: Cleanup");
        assert!(
            findings[0].fix.contains("add `## Cleanup` section"),
            "{}",
            findings[0].fix
        );
    }

    #[test]
    fn headings_match_case_insensitively_at_any_level_and_ignore_code_blocks() {
        let text = "## requirements\n# DEPLOYMENT INSTRUCTIONS ##\n```\n## How it works\n```\n####### Testing\n#Testing\n### Cleanup\n";
        assert_eq!(
            headings(text),
            ["requirements", "DEPLOYMENT INSTRUCTIONS", "Cleanup"]
        );
        let s = Scratch::from_fixture("good", "good-pattern");
        s.write("README.md", text);
        let findings = check(&s.pattern()).unwrap();
        assert_eq!(
            findings[0].message,
            "missing sections: How it works, Testing"
        );
    }

    #[test]
    fn missing_readme_is_a_finding() {
        let s = Scratch::from_fixture("good", "good-pattern");
        s.remove("README.md");
        let findings = check(&s.pattern()).unwrap();
        assert_eq!(findings[0].rule, "readme-missing");
    }
}
