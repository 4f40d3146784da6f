//! A SAM/CloudFormation template parsed as YAML (short-form tags such as `!Ref` kept as tagged values):
//! resources, `Globals`, references between resources, and the line of a key path for findings.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use serde_yaml::Value;

use super::Finding;

pub struct CfnTemplate {
    pub path: PathBuf,
    pub text: String,
    pub doc: Value,
}

/// One entry of `Resources`.
#[derive(Clone, Copy)]
pub struct CfnResource<'a> {
    pub id: &'a str,
    pub rtype: &'a str,
    /// `Properties`, or `Null` when absent.
    pub props: &'a Value,
}

static NULL: Value = Value::Null;

impl<'a> CfnResource<'a> {
    pub fn prop(&self, key: &str) -> Option<&'a Value> {
        self.props.get(key)
    }

    /// `Resources.<id>.Properties.<key...>`, for locations.
    pub fn path(&self, keys: &[&str]) -> String {
        let mut out = format!("Resources.{}.Properties", self.id);
        for key in keys {
            out.push('.');
            out.push_str(key);
        }
        out
    }
}

/// Loads a template. A template that is not YAML comes back as a `sam-parse` finding.
pub fn load(path: &Path) -> Result<Result<CfnTemplate, Finding>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    match serde_yaml::from_str::<Value>(&text) {
        Ok(doc) => Ok(Ok(CfnTemplate {
            path: path.to_owned(),
            text,
            doc,
        })),
        Err(err) => {
            let line = err.location().map(|l| l.line());
            Ok(Err(Finding::new(
                path,
                line.map_or_else(|| "template".to_owned(), |l| format!("line {l}")),
                "sam-parse",
                format!("not valid YAML, so the AWS rules were not checked: {err}"),
                "fix the YAML syntax (cfn-lint reports the same place)",
            )
            .at_line(line)))
        }
    }
}

impl CfnTemplate {
    #[cfg(test)]
    pub fn parse(text: &str) -> CfnTemplate {
        CfnTemplate {
            path: PathBuf::from("template.yaml"),
            text: text.to_owned(),
            doc: serde_yaml::from_str(text).unwrap(),
        }
    }

    pub fn resources(&self) -> Vec<CfnResource<'_>> {
        let Some(Value::Mapping(resources)) = self.doc.get("Resources") else {
            return Vec::new();
        };
        resources
            .iter()
            .filter_map(|(id, body)| {
                Some(CfnResource {
                    id: id.as_str()?,
                    rtype: body.get("Type").and_then(Value::as_str).unwrap_or(""),
                    props: body.get("Properties").unwrap_or(&NULL),
                })
            })
            .collect()
    }

    pub fn resource(&self, id: &str) -> Option<CfnResource<'_>> {
        self.resources().into_iter().find(|r| r.id == id)
    }

    /// `Globals.Function.<key>`.
    pub fn global_function(&self, key: &str) -> Option<&Value> {
        self.doc.get("Globals")?.get("Function")?.get(key)
    }

    /// The folder relative paths in the template are resolved against.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The first line at or after `start` (1-based) that contains `needle`.
    pub fn line_after(&self, start: usize, needle: &str) -> Option<usize> {
        self.text
            .lines()
            .enumerate()
            .skip(start.saturating_sub(1))
            .find(|(_, line)| line.contains(needle))
            .map(|(i, _)| i + 1)
    }

    /// The 1-based line of the deepest key of `keys` found by following indentation (the template's own
    /// layout); `None` when not even the first key is found.
    pub fn line(&self, keys: &[&str]) -> Option<usize> {
        let lines: Vec<&str> = self.text.lines().collect();
        let mut found = None;
        let mut from = 0;
        let mut parent_indent: Option<usize> = None;
        for key in keys {
            let mut hit = None;
            for (i, line) in lines.iter().enumerate().skip(from) {
                let trimmed = line.trim_start();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let indent = line.len() - trimmed.len();
                if parent_indent.is_some_and(|p| indent <= p) {
                    break;
                }
                let body = trimmed.trim_start_matches("- ");
                let matches = [
                    format!("{key}:"),
                    format!("\"{key}\":"),
                    format!("'{key}':"),
                ]
                .iter()
                .any(|k| body.starts_with(k.as_str()));
                if matches {
                    hit = Some((i, indent + (trimmed.len() - body.len())));
                    break;
                }
            }
            let Some((i, indent)) = hit else { break };
            found = Some(i + 1);
            from = i + 1;
            parent_indent = Some(indent);
        }
        found
    }
}

/// The logical id a value refers to: `!Ref X`, `!GetAtt X.Attr`, `!GetAtt [X, Attr]`, `{Ref: X}`, `{Fn::GetAtt: ...}`.
pub fn ref_target(value: &Value) -> Option<String> {
    let get_att = |v: &Value| match v {
        Value::String(s) => s.split('.').next().map(str::to_owned),
        Value::Sequence(items) => items.first().and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            match tag.trim_start_matches('!') {
                "Ref" => tagged.value.as_str().map(str::to_owned),
                "GetAtt" => get_att(&tagged.value),
                _ => None,
            }
        }
        Value::Mapping(map) if map.len() == 1 => {
            if let Some(id) = map.get("Ref") {
                id.as_str().map(str::to_owned)
            } else {
                map.get("Fn::GetAtt").and_then(get_att)
            }
        }
        _ => None,
    }
}

/// The strings a value holds as written: a string, a list of strings, or the template string of `!Sub`/`Fn::Sub`.
pub fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        Value::Tagged(tagged) if tagged.tag.to_string().trim_start_matches('!') == "Sub" => {
            match &tagged.value {
                Value::Sequence(items) => items.first().map(strings).unwrap_or_default(),
                other => strings(other),
            }
        }
        Value::Mapping(map) if map.len() == 1 && map.contains_key("Fn::Sub") => {
            match map.get("Fn::Sub") {
                Some(Value::Sequence(items)) => items.first().map(strings).unwrap_or_default(),
                Some(other) => strings(other),
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "\
Globals:
  Function:
    Runtime: provided.al2023
Resources:
  Link:
    Type: AWS::ApiGateway::VpcLink
    Properties:
      Name: link
      TargetArns:
        - !Ref Nlb
        - !GetAtt Alb.LoadBalancerArn
        - Ref: Other
        - Fn::GetAtt: [Fourth, LoadBalancerArn]
  Nlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: network
";

    #[test]
    fn resources_refs_and_lines() {
        let t = CfnTemplate::parse(TEMPLATE);
        let link = t.resource("Link").unwrap();
        assert_eq!(link.rtype, "AWS::ApiGateway::VpcLink");
        let targets: Vec<_> = link
            .prop("TargetArns")
            .unwrap()
            .as_sequence()
            .unwrap()
            .iter()
            .map(ref_target)
            .collect();
        assert_eq!(
            targets,
            vec![
                Some("Nlb".into()),
                Some("Alb".into()),
                Some("Other".into()),
                Some("Fourth".into())
            ]
        );
        assert_eq!(
            t.line(&["Resources", "Link", "Properties", "TargetArns"]),
            Some(9)
        );
        assert_eq!(
            t.line(&["Resources", "Nlb", "Properties", "Type"]),
            Some(17)
        );
        assert_eq!(t.line(&["Globals", "Function", "Runtime"]), Some(3));
        assert_eq!(
            t.global_function("Runtime").and_then(Value::as_str),
            Some("provided.al2023")
        );
    }

    #[test]
    fn strings_read_sub() {
        let v: Value = serde_yaml::from_str("[\"s3:GetObject\", !Sub \"${Svc}:*\"]").unwrap();
        assert_eq!(
            strings(&v),
            vec!["s3:GetObject".to_owned(), "${Svc}:*".to_owned()]
        );
    }
}
