//! The `[[verify]]` checks of `pattern.toml`, before any deploy: each has the shape `cargo xtask verify` accepts
//! (the same parser, [`verify::parse`]), and every `{placeholder}` in them is an output the IaC declares
//! (Terraform `output` blocks of the root module, the SAM/CloudFormation template's `Outputs`), `{run_id}`, or
//! a value an earlier check captures.

use std::path::Path;

use anyhow::Result;

use super::{Finding, read_template, tf_config};
use crate::{
    flags::Iac,
    pattern::Pattern,
    verify::{self, ShapeError, placeholders},
};

/// One IaC flavour's declared outputs, and the file or folder that declares them.
struct Declared {
    iac: Iac,
    source: String,
    names: Vec<String>,
    /// What `{resource:X}` may name: logical ids (SAM, CDK) or `type.name` addresses (Terraform).
    resources: Vec<String>,
}

pub fn check(p: &Pattern, iac: &[Iac]) -> Result<Vec<Finding>> {
    let file = p.manifest_path();
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let mut declared = Vec::new();
    for flavour in p.manifest.iac.iter().filter(|i| iac.contains(i)) {
        // A configuration that does not parse is reported by its own rule; its outputs are unknown here.
        if let Some(d) = outputs(p, *flavour)? {
            declared.push(d);
        }
    }
    let mut findings = Vec::new();
    let mut captured: Vec<String> = Vec::new();
    for (i, raw) in p.manifest.verify.iter().enumerate() {
        let name = raw.get("name").and_then(|n| n.as_str()).unwrap_or("");
        let location = if name.is_empty() {
            format!("verify[{i}]")
        } else {
            format!("verify[{i}] ({name})")
        };
        let line = verify::table_line(&text, i);
        if let Err(err) = verify::parse(raw) {
            let (message, fix) = match err {
                ShapeError::Fields(message) => (message, verify::FIELDS_FIX.to_owned()),
                ShapeError::Combination(_, err) => split_fix(&format!("{err:#}")),
            };
            findings
                .push(Finding::new(&file, &location, "verify-check", message, fix).at_line(line));
        }
        let mut used = Vec::new();
        if let Some(table) = raw.as_table() {
            for (key, value) in table {
                // `name` is a label and `capture` holds response paths: neither is expanded.
                if key != "name" && key != "capture" {
                    placeholders::strings(value, &mut used);
                }
            }
        }
        let mut reported = Vec::new();
        for placeholder in used.iter().flat_map(|s| placeholders::names(s)) {
            let known = placeholder == "run_id"
                || captured
                    .iter()
                    .any(|c| placeholders::same_name(c, placeholder));
            if known || reported.contains(&placeholder) {
                continue;
            }
            if let Some(resource) = placeholder.strip_prefix(placeholders::RESOURCE) {
                let missing: Vec<&Declared> = declared
                    .iter()
                    .filter(|d| !d.resources.iter().any(|r| r == resource))
                    .collect();
                if let Some(first) = missing.first() {
                    reported.push(placeholder);
                    findings.push(unknown_resource(&file, &location, line, resource, first));
                }
                continue;
            }
            let missing: Vec<&Declared> = declared
                .iter()
                .filter(|d| {
                    !d.names
                        .iter()
                        .any(|n| placeholders::same_name(n, placeholder))
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            reported.push(placeholder);
            findings.push(unknown(&file, &location, line, placeholder, &missing));
        }
        if raw.get("cognito_user").is_some() {
            // The signed-in user's tokens (`verify/cognito.rs`).
            captured.extend(["id_token".to_owned(), "access_token".to_owned()]);
        }
        if let Some(capture) = raw.get("capture").and_then(|c| c.as_table()) {
            captured.extend(capture.keys().cloned());
        }
    }
    Ok(findings)
}

fn unknown_resource(
    file: &Path,
    location: &str,
    line: Option<usize>,
    resource: &str,
    declared: &Declared,
) -> Finding {
    let form = match declared.iac {
        Iac::Terraform => "a `type.name` resource address of the root module",
        Iac::Sam | Iac::Cdk => "a logical id of its `Resources`",
    };
    Finding::new(
        file,
        location,
        "verify-placeholder",
        format!(
            "`{{{}{resource}}}` names no resource of {} ({}), so verify would fail after a whole deploy",
            placeholders::RESOURCE,
            declared.source,
            declared.iac.as_str()
        ),
        format!(
            "name {form}: {}",
            if declared.resources.is_empty() {
                "it has none".to_owned()
            } else {
                declared.resources.join(", ")
            }
        ),
    )
    .at_line(line)
}

fn unknown(
    file: &Path,
    location: &str,
    line: Option<usize>,
    placeholder: &str,
    missing: &[&Declared],
) -> Finding {
    let sources: Vec<String> = missing
        .iter()
        .map(|d| {
            let names = if d.names.is_empty() {
                "none".to_owned()
            } else {
                d.names.join(", ")
            };
            format!("{} ({}; its outputs: {names})", d.source, d.iac.as_str())
        })
        .collect();
    let add: Vec<String> = missing
        .iter()
        .map(|d| match d.iac {
            Iac::Terraform => format!("an `output \"{placeholder}\"` block to {}", d.source),
            Iac::Sam | Iac::Cdk => format!(
                "an output `{}` to the `Outputs` of {}",
                pascal(placeholder),
                d.source
            ),
        })
        .collect();
    Finding::new(
        file,
        location,
        "verify-placeholder",
        format!(
            "`{{{placeholder}}}` is not an output declared by {}, nor `{{run_id}}`, nor a value an earlier check \
             captures, so verify would fail after a whole deploy",
            sources.join(" nor ")
        ),
        format!(
            "correct the name (matched ignoring case and `_`), add {}, or `capture` it in an earlier check",
            add.join(" and ")
        ),
    )
    .at_line(line)
}

/// The outputs `iac` declares; `None` when its configuration does not parse (another rule reports that).
fn outputs(p: &Pattern, iac: Iac) -> Result<Option<Declared>> {
    let rel = |path: &Path| {
        path.strip_prefix(&p.dir)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    Ok(match iac {
        Iac::Terraform => {
            let dir = p.terraform_dir();
            let (modules, problems) = tf_config::load_tree(&dir)?;
            let root = modules.iter().find(|m| m.dir == dir);
            match root {
                Some(root) if problems.is_empty() => Some(Declared {
                    iac,
                    source: format!("{}/", rel(&dir)),
                    names: root
                        .files
                        .iter()
                        .flat_map(|f| f.body.get_blocks("output"))
                        .filter_map(|b| b.labels.first().map(|l| l.as_str().to_owned()))
                        .collect(),
                    resources: root
                        .files
                        .iter()
                        .flat_map(|f| f.body.get_blocks("resource"))
                        .filter_map(|b| match b.labels.as_slice() {
                            [rtype, name] => Some(format!("{}.{}", rtype.as_str(), name.as_str())),
                            _ => None,
                        })
                        .collect(),
                }),
                _ => None,
            }
        }
        // The CDK app is converted from the SAM template, outputs and all.
        Iac::Sam | Iac::Cdk => {
            let path = p.sam_template();
            if !path.is_file() {
                return Ok(None);
            }
            match read_template(&path)? {
                Ok(template) => Some(Declared {
                    iac,
                    source: rel(&path),
                    names: template.unconditional_outputs(),
                    resources: template
                        .resources()
                        .iter()
                        .map(|r| r.id.to_owned())
                        .collect(),
                }),
                Err(_) => None,
            }
        }
    })
}

/// `message; fix: fix` split in two (the shape errors carry their fix).
fn split_fix(text: &str) -> (String, String) {
    match text.split_once("; fix: ") {
        Some((message, fix)) => (message.to_owned(), fix.to_owned()),
        None => (text.to_owned(), format!("see {}", verify::DOCS)),
    }
}

/// `api_url` -> `ApiUrl`: a CloudFormation output name (alphanumeric) the placeholder matches.
fn pascal(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_support::Scratch;

    const CHECKS: &str = "\n[[verify]]\nname = \"link\"\nrequest = \"GET {vpc_link_id}/x\"\nstatus = 200\n\
                          capture = { item = \"id\" }\n\n[[verify]]\nname = \"again\"\n\
                          request = \"GET {VpcLinkId}/{item}?r={run_id}\"\nbody = '{\"a\":1}'\nstatus = 200\n";

    fn findings(scratch: &Scratch) -> Vec<Finding> {
        check(&scratch.pattern(), &[Iac::Terraform, Iac::Sam]).unwrap()
    }

    #[test]
    fn declared_outputs_captures_and_run_id_are_known() {
        let s = Scratch::from_fixture("good", "verify-known");
        s.write("pattern.toml", &(s.read("pattern.toml") + CHECKS));
        assert!(findings(&s).is_empty(), "{:#?}", findings(&s));
    }

    #[test]
    fn a_signed_in_cognito_user_gives_its_tokens_to_the_later_checks_only() {
        let s = Scratch::from_fixture("good", "verify-cognito");
        let user = "\n[[verify]]\nname = \"user\"\ncognito_user = { user_pool = \"{vpc_link_id}\", client = \"{vpc_link_id}\" }\n";
        let call = "\n[[verify]]\nname = \"call\"\nrequest = \"GET {VpcLinkId}/x\"\nheaders = { authorization = \"Bearer {id_token}\" }\nstatus = 200\n";
        let fixture = s.read("pattern.toml");
        s.write("pattern.toml", &format!("{fixture}{user}{call}"));
        assert!(findings(&s).is_empty(), "{:#?}", findings(&s));
        s.write("pattern.toml", &format!("{fixture}{call}{user}"));
        let found = findings(&s);
        assert!(
            found
                .iter()
                .any(|f| format!("{f}").contains("`{id_token}`")),
            "a token used before the sign-in is unknown: {found:#?}"
        );
    }

    #[test]
    fn a_misspelt_field_is_refused_with_the_fields_there_are() {
        let s = Scratch::from_fixture("good", "verify-misspelt");
        let fixture = s.read("pattern.toml");
        let line = fixture.lines().count() + 2; // the line of the misspelt field, in CHECKS appended
        let toml = fixture + &CHECKS.replacen("status", "stauts", 1);
        s.write("pattern.toml", &toml);
        let found = findings(&s);
        assert_eq!(found.len(), 1, "{found:#?}");
        let text = found[0].to_string();
        assert!(
            text.contains("error[verify-check]: ")
                && text.contains(&format!(
                    "pattern.toml:{line}: verify[0] (link): unknown field `stauts`"
                ))
                && text.contains("expected one of")
                && text.contains("fix: use only the fields"),
            "{text}"
        );
    }

    #[test]
    fn a_placeholder_no_flavour_declares_is_named_with_the_fix() {
        let s = Scratch::from_fixture("good", "verify-unknown");
        let fixture = s.read("pattern.toml");
        let line = fixture.lines().count() + 8; // the line of `{nope}`, in CHECKS appended
        let toml = fixture + &CHECKS.replacen("{item}", "{nope}", 1);
        s.write("pattern.toml", &toml);
        let found = findings(&s);
        assert_eq!(found.len(), 1, "{found:#?}");
        let text = found[0].to_string();
        assert!(
            text.contains("error[verify-placeholder]: ")
                && text.contains(&format!(
                    "pattern.toml:{line}: verify[1] (again): `{{nope}}` is not an output declared by"
                ))
                && text.contains("terraform/ (terraform; its outputs: ")
                && text.contains("template.yaml (sam; its outputs: VpcLinkId)")
                && text.contains("an `output \"nope\"` block to terraform/")
                && text.contains("an output `Nope` to the `Outputs` of template.yaml"),
            "{text}"
        );
        // Only the flavours being deployed count: one whose outputs lack it is named alone.
        let s = Scratch::from_fixture("good", "verify-one-flavour");
        s.write("pattern.toml", &(s.read("pattern.toml") + CHECKS));
        s.edit("template.yaml", "  VpcLinkId:", "  LinkId:");
        let found = check(&s.pattern(), &[Iac::Sam]).unwrap();
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0].message.contains("`{vpc_link_id}`")
                && found[1].message.contains("`{VpcLinkId}`")
                && found[1]
                    .message
                    .contains("template.yaml (sam; its outputs: LinkId)")
                && !found[1].message.contains("terraform/"),
            "{found:#?}"
        );
        assert!(check(&s.pattern(), &[Iac::Terraform]).unwrap().is_empty());
    }

    #[test]
    fn a_bad_combination_carries_its_own_fix() {
        let s = Scratch::from_fixture("good", "verify-combination");
        let toml = s.read("pattern.toml")
            + "\n[[verify]]\nname = \"x\"\nunreachable = \"h:1\"\nstatus = 200\n";
        s.write("pattern.toml", &toml);
        let found = findings(&s);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("`status` belongs to a `request` check")
                && found[0].fix == "remove it or add `request`",
            "{found:#?}"
        );
    }
}
