//! `example-pattern.json`: valid against `schemas/example-pattern.schema.json` (which accepts every file the
//! upstream collection's own schema accepts), and this repository's rules on top: `language` is Rust, its
//! `framework` agrees with `pattern.toml`, and `gitHub.template` points at this folder and at a file that exists
//! (relative to the pattern folder, or with the folder in front as upstream's files often write it).
//! Over 400 lines: its unit tests, one per rule and per shape of upstream's files, sit beside the checks.

use std::{fs, path::Path};

use anyhow::{Context, Result};
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::Finding;
use crate::{flags::Iac, pattern::Pattern};

pub const FILE: &str = "example-pattern.json";
const SCHEMA_PATH: &str = "schemas/example-pattern.schema.json";
const SCHEMA: &str = include_str!("../../../schemas/example-pattern.schema.json");

pub fn check(p: &Pattern) -> Result<Vec<Finding>> {
    let path = p.dir.join(FILE);
    if !path.is_file() {
        return Ok(vec![Finding::new(
            &path,
            FILE,
            "metadata-missing",
            "the pattern has no example-pattern.json",
            "copy template/example-pattern.json (upstream's _pattern-model) and fill it in",
        )]);
    }
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    check_text(p, &path, &text)
}

fn check_text(p: &Pattern, path: &Path, text: &str) -> Result<Vec<Finding>> {
    let json: Value = match serde_json::from_str(text) {
        Ok(json) => json,
        Err(err) => {
            return Ok(vec![
                Finding::new(
                    path,
                    format!("line {}, column {}", err.line(), err.column()),
                    "metadata-json",
                    format!("not valid JSON: {err}"),
                    "fix the JSON syntax at that place (a trailing comma or a missing quote is typical)",
                )
                .at_line(Some(err.line())),
            ]);
        }
    };
    let mut findings = schema_findings(path, &json)?;
    findings.extend(language_findings(path, &json));
    findings.extend(framework_findings(p, path, &json));
    findings.extend(template_findings(p, path, &json));
    Ok(findings)
}

fn schema_findings(path: &Path, json: &Value) -> Result<Vec<Finding>> {
    let schema: Value = serde_json::from_str(SCHEMA).context("parsing the embedded schema")?;
    let validator = jsonschema::draft202012::new(&schema)
        .map_err(|err| anyhow::anyhow!("{SCHEMA_PATH} is not a valid JSON Schema: {err}"))?;
    let findings = validator
        .iter_errors(json)
        .map(|err| {
            let at = err.instance_path().as_str().to_owned();
            let (field, fix) = describe(&at, err.kind(), err.instance());
            Finding::new(path, field, "metadata-schema", err.to_string(), fix)
        })
        .collect();
    Ok(findings)
}

/// The field a schema error is about and how to fix it.
fn describe(at: &str, kind: &ValidationErrorKind, instance: &Value) -> (String, String) {
    let field = if at.is_empty() {
        "/".to_owned()
    } else {
        at.to_owned()
    };
    let model = "see upstream's _pattern-model/example-pattern.json";
    match kind {
        ValidationErrorKind::MaxLength { limit } => {
            let has = instance.as_str().map_or(0, |s| s.chars().count());
            let what = field.trim_start_matches('/');
            (
                field.clone(),
                format!("shorten the {what} to at most {limit} characters (it has {has})"),
            )
        }
        ValidationErrorKind::MinLength { .. } => (field, "write a non-empty text".to_owned()),
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let full = format!("{}/{name}", at);
            (full.clone(), format!("add the field `{full}` ({model})"))
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let first = unexpected.first().cloned().unwrap_or_default();
            (
                format!("{at}/{first}"),
                format!(
                    "remove or rename {} ({model} for the allowed fields)",
                    quote_all(unexpected)
                ),
            )
        }
        ValidationErrorKind::Enum { options } => {
            (field, format!("use one of: {}", options_list(options)))
        }
        ValidationErrorKind::Constant { expected_value } => {
            (field, format!("set it to {expected_value}"))
        }
        ValidationErrorKind::Type { kind } => (field, format!("make it {kind:?}").to_lowercase()),
        ValidationErrorKind::MinItems { limit } => {
            (field, format!("give at least {limit} item(s)"))
        }
        ValidationErrorKind::Pattern { pattern } => (
            field,
            format!("write a value matching `{pattern}` (a full https:// URL)"),
        ),
        _ => (field, format!("make it match {SCHEMA_PATH}")),
    }
}

fn quote_all(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn options_list(options: &Value) -> String {
    match options {
        Value::Array(items) => items
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// This repository's patterns are Rust (upstream's schema allows its other languages).
fn language_findings(path: &Path, json: &Value) -> Option<Finding> {
    // A missing or non-string language is a schema finding already.
    let language = json.get("language")?.as_str()?;
    (language != "Rust").then(|| {
        Finding::new(
            path,
            "/language",
            "metadata-language",
            format!(
                "language is \"{language}\"; every pattern of this repository is written in Rust"
            ),
            "set it to \"Rust\"",
        )
    })
}

/// The `framework` values that describe an IaC flavour of `pattern.toml`.
fn frameworks_for(iac: Iac) -> &'static [&'static str] {
    match iac {
        Iac::Terraform => &["Terraform", "Terraform (with modules)"],
        Iac::Sam => &["AWS SAM", "SAM"],
        Iac::Cdk => &["AWS CDK", "CDK"],
    }
}

fn framework_findings(p: &Pattern, path: &Path, json: &Value) -> Option<Finding> {
    // A missing or non-string framework is a schema finding already.
    let framework = json.get("framework")?.as_str()?;
    let allowed: Vec<&str> = p
        .manifest
        .iac
        .iter()
        .flat_map(|&iac| frameworks_for(iac).iter().copied())
        .collect();
    if allowed.contains(&framework) {
        return None;
    }
    let iac: Vec<&str> = p.manifest.iac.iter().map(|i| i.as_str()).collect();
    Some(Finding::new(
        path,
        "/framework",
        "metadata-framework",
        format!(
            "framework is \"{framework}\", but {} declares iac = {:?}",
            p.manifest_path().display(),
            iac
        ),
        format!(
            "set \"framework\" to \"{}\"",
            frameworks_for(p.manifest.iac[0])[0]
        ),
    ))
}

fn template_findings(p: &Pattern, path: &Path, json: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    // Missing fields are schema findings already.
    let Some(template) = json.get("gitHub").and_then(|g| g.get("template")) else {
        return findings;
    };
    if let Some(folder) = template.get("projectFolder").and_then(Value::as_str)
        && folder != p.name
    {
        findings.push(Finding::new(
            path,
            "/gitHub/template/projectFolder",
            "metadata-project-folder",
            format!(
                "projectFolder is \"{folder}\", but the pattern's folder is \"{}\"",
                p.name
            ),
            format!("set \"projectFolder\" to \"{}\"", p.name),
        ));
    }
    if let Some(file) = template.get("templateFile").and_then(Value::as_str) {
        let inside = |rel: &Path| {
            rel.is_relative()
                && !rel
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
                && p.dir.join(rel).is_file()
        };
        // Upstream's files often name it with the pattern folder in front (`my-pattern/template.yaml`).
        let without_folder = Path::new(file).strip_prefix(&p.name).ok();
        if !inside(Path::new(file)) && !without_folder.is_some_and(inside) {
            findings.push(Finding::new(
                path,
                "/gitHub/template/templateFile",
                "metadata-template-file",
                format!("templateFile \"{file}\" is not a file in {}", p.dir.display()),
                "point it at the main IaC file, relative to the pattern folder (e.g. \"terraform/main.tf\" or \"template.yaml\")",
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    fn findings_for(edit: impl FnOnce(&Scratch)) -> Vec<Finding> {
        let s = Scratch::from_fixture("good", "good-pattern");
        edit(&s);
        check(&s.pattern()).unwrap()
    }

    #[test]
    fn schema_is_valid_draft_2020_12() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        assert!(jsonschema::meta::is_valid(&schema));
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }

    #[test]
    fn good_metadata_has_no_findings() {
        let findings = findings_for(|_| {});
        assert!(findings.is_empty(), "{findings:#?}");
    }

    /// What the upstream collection's own schema (aws-samples/serverless-patterns `scripts/pattern-schema.json`)
    /// accepts: only title, language, framework, introBox, gitHub and authors are required, with no length limits,
    /// and any extra field is allowed anywhere. Our schema accepts it too.
    #[test]
    fn every_file_upstreams_schema_accepts_is_accepted() {
        let minimal = serde_json::json!({
            "title": "T".repeat(120),
            "language": "Rust",
            "framework": "SAM",
            "introBox": {"headline": "How it works", "text": [], "test": ""},
            "gitHub": {"template": {"repoURL": "github.com/x", "templateURL": "", "projectFolder": "p",
                                    "templateFile": "p/template.yaml"}},
            "authors": [{"name": "A", "bio": "B", "headline": "Solutions Architect", "image": "a.jpg"}],
            "patternArch": {"icon1": {"service": "apigw"}},
            "resources": {"headline": "Additional resources",
                          "bullets": [{"text": "Docs", "link": "https://docs.aws.amazon.com/"}]},
            "testing": {"headline": "Testing", "text": ["curl"]}
        });
        let findings = schema_findings(Path::new("example-pattern.json"), &minimal).unwrap();
        assert!(findings.is_empty(), "{findings:#?}");
        for language in ["Python", ".NET", "YAML"] {
            let mut other = minimal.clone();
            other["language"] = language.into();
            let findings = schema_findings(Path::new("example-pattern.json"), &other).unwrap();
            assert!(findings.is_empty(), "{language}: {findings:#?}");
        }
    }

    #[test]
    fn fields_upstream_does_not_define_keep_our_rules_and_upstreams_required_fields_stay_required()
    {
        let findings = findings_for(|s| {
            s.edit(
                FILE,
                "\"level\": \"200\"",
                "\"level\": \"250\", \"colour\": \"red\"",
            );
            s.edit(FILE, "\"title\": \"Good pattern\",", "");
            s.edit(FILE, "\"link\": \"https://", "\"link\": \"http://");
        });
        let mut locations: Vec<&str> = findings.iter().map(|f| f.location.as_str()).collect();
        locations.sort_unstable();
        assert_eq!(
            locations,
            ["/level", "/resources/bullets/0/link", "/title"],
            "{findings:#?}"
        );
        let level = findings.iter().find(|f| f.location == "/level").unwrap();
        assert!(
            level.fix.contains("\"100\", \"200\", \"300\", \"400\""),
            "{}",
            level.fix
        );
    }

    #[test]
    fn language_must_be_rust() {
        let findings = findings_for(|s| {
            s.edit(FILE, "\"language\": \"Rust\"", "\"language\": \"Python\"");
        });
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "metadata-language");
        assert_eq!(findings[0].location, "/language");
        assert!(findings[0].fix.contains("\"Rust\""));
    }

    #[test]
    fn invalid_json_gives_line_and_column() {
        let findings = findings_for(|s| {
            s.edit(FILE, "\"level\": \"200\",", "\"level\": \"200\",,");
        });
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "metadata-json");
        assert_eq!(findings[0].line, Some(5));
        assert!(findings[0].location.starts_with("line 5, column"));
    }

    #[test]
    fn framework_must_match_pattern_toml() {
        // The fixture declares both terraform and sam: either name is accepted.
        assert!(
            findings_for(|s| {
                s.edit(
                    FILE,
                    "\"framework\": \"Terraform\"",
                    "\"framework\": \"AWS SAM\"",
                );
            })
            .is_empty()
        );
        let findings = findings_for(|s| {
            s.edit(
                FILE,
                "\"framework\": \"Terraform\"",
                "\"framework\": \"CDK\"",
            );
        });
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "metadata-framework");
        assert!(findings[0].fix.contains("\"Terraform\""));
    }

    #[test]
    fn template_file_must_exist_and_folder_must_match() {
        let findings = findings_for(|s| {
            s.edit(
                FILE,
                "\"templateFile\": \"terraform/main.tf\"",
                "\"templateFile\": \"terraform/nope.tf\"",
            );
            s.edit(
                FILE,
                "\"projectFolder\": \"good-pattern\"",
                "\"projectFolder\": \"other\"",
            );
        });
        let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            ["metadata-project-folder", "metadata-template-file"],
            "{findings:#?}"
        );
        assert_eq!(findings[1].location, "/gitHub/template/templateFile");
    }

    #[test]
    fn template_file_may_name_the_pattern_folder_in_front_as_upstream_writes_it() {
        let prefixed = |file: &str| {
            findings_for(|s| {
                s.edit(
                    FILE,
                    "\"templateFile\": \"terraform/main.tf\"",
                    &format!("\"templateFile\": \"{file}\""),
                );
            })
        };
        assert!(prefixed("good-pattern/terraform/main.tf").is_empty());
        let findings = prefixed("other-pattern/terraform/main.tf");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "metadata-template-file");
    }

    #[test]
    fn missing_file_is_a_finding() {
        let findings = findings_for(|s| {
            s.remove(FILE);
        });
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, "metadata-missing");
    }
}
