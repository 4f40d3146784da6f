//! CloudFormation and SAM templates, for `validate` and `deploy`: one [`Template`] type, read from a pattern's YAML
//! (short-form tags such as `!Ref` kept as tagged values) or from the JSON the SAM transform writes. Resources,
//! `Globals`, references between resources, the line of a key path for findings, and what a deployed stack must
//! hold (its unconditional resources and outputs).

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use serde_yaml::Value;

/// A template: its file, its text, and the parsed document.
pub struct Template {
    pub path: PathBuf,
    pub text: String,
    pub doc: Value,
}

/// One entry of `Resources`.
#[derive(Clone, Copy)]
pub struct Resource<'a> {
    pub id: &'a str,
    pub rtype: &'a str,
    /// `Properties`, or `Null` when absent.
    pub props: &'a Value,
}

static NULL: Value = Value::Null;

impl<'a> Resource<'a> {
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

impl Template {
    /// Reads a YAML (or JSON) template written by hand; `Ok(Err(..))` when the file is not YAML.
    pub fn read(path: &Path) -> Result<Result<Template, serde_yaml::Error>> {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Template::from_yaml(path, text))
    }

    /// A template from its YAML text (`path`: where it was read, for messages and relative paths).
    pub fn from_yaml(path: &Path, text: String) -> Result<Template, serde_yaml::Error> {
        let doc = serde_yaml::from_str::<Value>(&text)?;
        Ok(Template {
            path: path.to_owned(),
            text,
            doc,
        })
    }

    /// A transformed (CloudFormation, JSON) template, as `sam_transform.py` writes it.
    pub fn from_json(path: &Path, text: String) -> Result<Template> {
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not the JSON the transform writes", path.display()))?;
        // JSON holds no tags, so the conversion keeps every key (in order), string, number and literal.
        let doc = serde_yaml::to_value(json)
            .with_context(|| format!("reading the JSON of {}", path.display()))?;
        Ok(Template {
            path: path.to_owned(),
            text,
            doc,
        })
    }

    /// A YAML template from `text`, for tests.
    #[cfg(test)]
    pub fn parse(text: &str) -> Template {
        Template::from_yaml(Path::new("template.yaml"), text.to_owned()).unwrap()
    }

    /// The entries of `Resources`, in the template's order.
    pub fn resources(&self) -> Vec<Resource<'_>> {
        let Some(Value::Mapping(resources)) = self.doc.get("Resources") else {
            return Vec::new();
        };
        resources
            .iter()
            .filter_map(|(id, body)| {
                Some(Resource {
                    id: id.as_str()?,
                    rtype: body.get("Type").and_then(Value::as_str).unwrap_or(""),
                    props: body.get("Properties").unwrap_or(&NULL),
                })
            })
            .collect()
    }

    pub fn resource(&self, id: &str) -> Option<Resource<'_>> {
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

    /// Logical id -> type of every resource that is always created (resources with a `Condition` may
    /// legitimately be absent, so they are left out).
    pub fn unconditional_resources(&self) -> BTreeMap<String, String> {
        self.doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter(|(_, r)| r.get("Condition").is_none())
            .filter_map(|(id, r)| {
                let rtype = r.get("Type").and_then(Value::as_str).unwrap_or("?");
                Some((id.as_str()?.to_owned(), rtype.to_owned()))
            })
            .collect()
    }

    /// How many logical resources the template declares.
    pub fn resource_count(&self) -> usize {
        self.doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .map_or(0, |r| r.len())
    }

    /// Names of the outputs that must have a value (those without a `Condition`).
    pub fn unconditional_outputs(&self) -> Vec<String> {
        self.doc
            .get("Outputs")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter(|(_, o)| o.get("Condition").is_none())
            .filter_map(|(name, _)| name.as_str().map(str::to_owned))
            .collect()
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

/// The template's resources that the stack does not list (`listed`: logical ids from ListStackResources),
/// as `Id (Type)`. A CloudFormation that skips a type it does not model (moto) shows up here.
pub fn missing_resources(template: &Template, listed: &[String]) -> Vec<String> {
    template
        .unconditional_resources()
        .into_iter()
        .filter(|(id, _)| !listed.iter().any(|l| l == id))
        .map(|(id, rtype)| format!("{id} ({rtype})"))
        .collect()
}

/// The declared outputs missing from the stack's outputs (`got`: output name -> value).
pub fn missing_outputs(
    template: &Template,
    got: &BTreeMap<String, serde_json::Value>,
) -> Vec<String> {
    template
        .unconditional_outputs()
        .into_iter()
        .filter(|name| !got.contains_key(name))
        .collect()
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
        let t = Template::parse(TEMPLATE);
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

    const CFN: &str = r#"{
      "Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi"},
        "Link": {"Type": "AWS::ApiGateway::VpcLink"},
        "Maybe": {"Type": "AWS::SQS::Queue", "Condition": "IsProd"}
      },
      "Outputs": {
        "ApiUrl": {"Value": "x"},
        "LinkId": {"Value": {"Ref": "Link"}},
        "QueueUrl": {"Value": "y", "Condition": "IsProd"}
      }
    }"#;

    #[test]
    fn resources_the_stack_does_not_list_are_named_with_their_type() {
        let t = Template::from_json(Path::new("t.json"), CFN.to_owned()).unwrap();
        assert_eq!(t.resource_count(), 3);
        // A CloudFormation that silently skips the VPC link (moto) lists only the API.
        let missing = missing_resources(&t, &["Api".to_owned()]);
        assert_eq!(missing, vec!["Link (AWS::ApiGateway::VpcLink)".to_owned()]);
        assert!(missing_resources(&t, &["Api".to_owned(), "Link".to_owned()]).is_empty());
    }

    #[test]
    fn declared_outputs_without_a_value_are_reported() {
        let t = Template::from_json(Path::new("t.json"), CFN.to_owned()).unwrap();
        let got = BTreeMap::from([("ApiUrl".to_owned(), serde_json::json!("https://x"))]);
        assert_eq!(missing_outputs(&t, &got), vec!["LinkId".to_owned()]);
    }

    #[test]
    fn the_stack_body_is_the_json_the_transform_wrote() {
        let text = r#"{"Resources": {"B": {"Type": "T", "Properties": {"Size": 1.5, "N": -3, "Big": 18446744073709551615,
            "On": true, "Off": null, "List": [1, "two", {"x": "\u00e9\n\"q\""}], "Zero": 0.0, "Exp": 1e300}},
            "A": {"Type": "U"}}, "Outputs": {}}"#;
        let t = Template::from_json(Path::new("t.json"), text.to_owned()).unwrap();
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&t.doc).unwrap(),
            serde_json::to_string(&json).unwrap()
        );
        let err = Template::from_json(Path::new("t.json"), "Resources: {}".to_owned())
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "t.json is not the JSON the transform writes"
        );
    }
}
