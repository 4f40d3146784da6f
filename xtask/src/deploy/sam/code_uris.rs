//! Which local `CodeUri`s of the SAM template become which uploaded zips, and which local state machine
//! `DefinitionUri`s are uploaded like them (the pattern's file is never edited: `sam_transform.py` writes the
//! rewritten copy into the work directory).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::{Result, bail};
use serde_yaml::Value;

use crate::cfn::Template;
use crate::pattern::normalize;

/// Where a crate's zip was uploaded (a SAM `CodeUri` object).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct S3Location {
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Key")]
    pub key: String,
}

/// The SAM resource type whose local `DefinitionUri` (an ASL file) xtask uploads, as `sam package` does.
const STATE_MACHINE: &str = "AWS::Serverless::StateMachine";

/// SAM resource properties that name a local artifact `sam package` would upload. Only function code and state
/// machine definitions are uploaded by xtask; these must already be S3 URIs or inline.
const OTHER_ARTIFACTS: [(&str, &str); 4] = [
    ("AWS::Serverless::Api", "DefinitionUri"),
    ("AWS::Serverless::HttpApi", "DefinitionUri"),
    ("AWS::Serverless::LayerVersion", "ContentUri"),
    ("AWS::Serverless::Application", "Location"),
];

/// Which `CodeUri`s to replace: the S3 location for `Globals.Function.CodeUri` and per function logical id; and
/// the uploaded definition per state machine logical id (its `DefinitionUri`). Serialised as the JSON
/// `sam_transform.py --code-uris` reads.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CodeUris {
    #[serde(rename = "Globals")]
    pub globals: Option<S3Location>,
    #[serde(rename = "Resources")]
    pub functions: BTreeMap<String, S3Location>,
    #[serde(rename = "Definitions")]
    pub definitions: BTreeMap<String, S3Location>,
}

/// The local definition files of the template's state machines: logical id -> the file its `DefinitionUri` names
/// (relative to the template's folder). An `s3://` URI or an `{Bucket, Key}` object is left alone; a file that does
/// not exist is an error naming the field.
pub fn local_definitions(template: &Template) -> Result<BTreeMap<String, PathBuf>> {
    let base = template.dir();
    let mut out = BTreeMap::new();
    let Some(Value::Mapping(resources)) = template.doc.get("Resources") else {
        return Ok(out);
    };
    for (id, resource) in resources {
        let id = id.as_str().unwrap_or("?");
        if resource.get("Type").and_then(Value::as_str) != Some(STATE_MACHINE) {
            continue;
        }
        let Some(Value::String(uri)) = resource
            .get("Properties")
            .and_then(|props| props.get("DefinitionUri"))
        else {
            continue;
        };
        if uri.starts_with("s3://") {
            continue;
        }
        let file = normalize(&base.join(uri.as_str()));
        if !file.is_file() {
            bail!(
                "{}: `Resources.{id}.Properties.DefinitionUri` is `{uri}` ({}), which is not a file; fix: point it \
                 at the state machine's ASL file, relative to the template",
                template.path.display(),
                file.display()
            );
        }
        out.insert(id.to_owned(), file);
    }
    Ok(out)
}

/// Finds the local `CodeUri`s of the SAM `template`: every function `CodeUri` and `Globals.Function.CodeUri`
/// that is a local folder must be one of `crates` (crate folder -> where its zip is). The template is only read
/// here: `sam_transform.py` applies the replacements on the template as SAM itself parses it (YAML 1.1,
/// short-form tags).
pub fn code_uris(
    template: &Template,
    crates: &BTreeMap<PathBuf, S3Location>,
    manifest: &Path,
) -> Result<CodeUris> {
    let (doc, template_path) = (&template.doc, &template.path);
    let base = template.dir();
    let locate = |value: Option<&Value>, location: &str| -> Result<Option<S3Location>> {
        let Some(Value::String(uri)) = value else {
            return Ok(None); // absent, already {Bucket, Key}, or an intrinsic function
        };
        if uri.starts_with("s3://") {
            return Ok(None);
        }
        let folder = normalize(&base.join(uri.as_str()));
        match crates.get(&folder) {
            Some(at) => Ok(Some(at.clone())),
            None => bail!(
                "{}: `{location}` is `{uri}` ({}), which is not a Lambda crate of this pattern; fix: point it at a \
                 crate folder and list that folder in `lambdas` of {} (crates: {})",
                template_path.display(),
                folder.display(),
                manifest.display(),
                crates
                    .keys()
                    .map(|k| k.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    let mut out = CodeUris {
        globals: locate(
            template.global_function("CodeUri"),
            "Globals.Function.CodeUri",
        )?,
        ..CodeUris::default()
    };
    let Some(Value::Mapping(resources)) = doc.get("Resources") else {
        bail!(
            "{}: no `Resources` mapping; fix: declare the template's resources",
            template_path.display()
        );
    };
    for (id, resource) in resources {
        let id = id.as_str().unwrap_or("?");
        let rtype = resource
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(props) = resource.get("Properties") else {
            continue;
        };
        if rtype == "AWS::Serverless::Function" {
            let location = format!("Resources.{id}.Properties.CodeUri");
            if let Some(at) = locate(props.get("CodeUri"), &location)? {
                out.functions.insert(id.to_owned(), at);
            }
            continue;
        }
        for (other, key) in OTHER_ARTIFACTS {
            if rtype == other
                && let Some(Value::String(uri)) = props.get(key)
                && !uri.starts_with("s3://")
            {
                bail!(
                    "{}: `Resources.{id}.Properties.{key}` is the local path `{uri}`; cargo xtask uploads only \
                     function code and state machine definitions; fix: inline it (e.g. `DefinitionBody`) or give \
                     an s3:// URI",
                    template_path.display()
                );
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAM: &str = r#"Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 5
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
    Properties:
      CodeUri: functions/items/
      Handler: bootstrap
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          TABLE: !Ref Table
  Remote:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/key.zip
      Handler: bootstrap
  Table:
    Type: AWS::DynamoDB::Table
Outputs:
  Url:
    Value: !Sub "https://${Api}.execute-api.${AWS::Region}.amazonaws.com/Prod"
"#;

    fn crates() -> BTreeMap<PathBuf, S3Location> {
        BTreeMap::from([(
            PathBuf::from("/p/pat/functions/items"),
            at("pat/items-api/abc.zip"),
        )])
    }

    fn at(key: &str) -> S3Location {
        S3Location {
            bucket: "srp-artifacts-local".into(),
            key: key.into(),
        }
    }

    fn find(text: &str) -> Result<CodeUris> {
        let template = Template::from_yaml(Path::new("/p/pat/template.yaml"), text.to_owned())?;
        code_uris(&template, &crates(), Path::new("/p/pat/pattern.toml"))
    }

    #[test]
    fn local_code_uris_of_listed_crates_become_their_uploaded_zip() {
        let found = find(SAM).unwrap();
        assert_eq!(
            found,
            CodeUris {
                globals: None,
                functions: BTreeMap::from([("Fn".to_owned(), at("pat/items-api/abc.zip"))]),
                definitions: BTreeMap::new(),
            },
            "the s3:// CodeUri is left alone"
        );
        assert_eq!(
            serde_json::to_value(&found).unwrap(),
            serde_json::json!({
                "Globals": null,
                "Resources": {"Fn": {"Bucket": "srp-artifacts-local", "Key": "pat/items-api/abc.zip"}},
                "Definitions": {}
            })
        );
    }

    #[test]
    fn a_code_uri_that_is_not_a_listed_crate_names_the_field_and_the_fix() {
        let err = find(&SAM.replace("functions/items/", "functions/other"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Resources.Fn.Properties.CodeUri")
                && err.contains("functions/other")
                && err.contains("lambdas")
                && err.contains("pattern.toml"),
            "{err}"
        );
    }

    #[test]
    fn globals_code_uri_and_dot_paths_are_matched_by_folder() {
        let text = "Globals:\n  Function:\n    CodeUri: ./functions/x/../items\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: bootstrap\n";
        let found = find(text).unwrap();
        assert_eq!(found.globals, Some(at("pat/items-api/abc.zip")));
        assert!(found.functions.is_empty());
    }

    #[test]
    fn a_local_definition_uri_is_refused() {
        let text = "Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      DefinitionUri: api.yaml\n";
        let err = find(text).unwrap_err().to_string();
        assert!(
            err.contains("Resources.Api.Properties.DefinitionUri"),
            "{err}"
        );
    }

    #[test]
    fn a_local_state_machine_definition_is_found_to_be_uploaded_not_refused() {
        let dir = std::env::temp_dir().join(format!("xtask-definitions-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("statemachine")).unwrap();
        std::fs::write(dir.join("statemachine/flow.asl.json"), "{}").unwrap();
        let text = "Resources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      \
                    DefinitionUri: ./statemachine/flow.asl.json\n  Remote:\n    Type: AWS::Serverless::StateMachine\n    \
                    Properties:\n      DefinitionUri: s3://bucket/flow.json\n";
        let template = Template::from_yaml(&dir.join("template.yaml"), text.to_owned()).unwrap();
        code_uris(&template, &crates(), Path::new("/p/pat/pattern.toml"))
            .expect("a local DefinitionUri of a state machine is not refused");
        assert_eq!(
            local_definitions(&template).unwrap(),
            BTreeMap::from([("Flow".to_owned(), dir.join("statemachine/flow.asl.json"))]),
            "the s3:// one is left alone"
        );

        let missing = text.replace("flow.asl.json", "gone.asl.json");
        let template = Template::from_yaml(&dir.join("template.yaml"), missing).unwrap();
        let err = local_definitions(&template).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            err.contains("Resources.Flow.Properties.DefinitionUri") && err.contains("not a file"),
            "{err}"
        );
    }
}
