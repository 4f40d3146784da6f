//! From a pattern's SAM template to the CDK stack's source: the SAM transform first (offline, as `deploy` runs it:
//! `Globals` applied, every `AWS::Serverless::*` resource expanded), with each function's local `CodeUri` set to a
//! placeholder the app entry replaces by the asset of the crate's zip; then what the converter cannot take is
//! refused or resolved ([`super::resolve`]); then cdk-from-cfn writes the stack ([`super::converter`]).

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{
    cfn,
    deploy::sam::{
        code_uris::{self, S3Location},
        transform,
    },
    flags::CdkLang,
    pattern::{self, Pattern},
};

/// The bucket of the placeholder code locations (never deployed: the app entry sets each function's code).
pub const PLACEHOLDER_BUCKET: &str = "set-by-the-app-entry";

/// The template the app is converted from.
pub struct Source {
    /// The transformed, resolved template: what the app must deploy.
    pub template: Value,
    /// Function logical id -> the Cargo package whose zip is its code.
    pub functions: BTreeMap<String, String>,
}

/// The pattern's SAM template, transformed offline in `work_dir` (for `region`'s partition) and resolved.
pub fn source(pattern: &Pattern, work_dir: &Path, region: &str) -> Result<Source> {
    if !pattern.has(crate::flags::Iac::Sam) {
        bail!(
            "pattern `{}` has no SAM template, and its CDK app is converted from one; fix: add a `template.yaml` and \
             \"sam\" to `iac` in {}",
            pattern.name,
            pattern.manifest_path().display()
        );
    }
    fs::create_dir_all(work_dir).with_context(|| format!("creating {}", work_dir.display()))?;
    let crates: BTreeMap<PathBuf, S3Location> = pattern
        .lambdas
        .iter()
        .map(|lambda| {
            (
                pattern::normalize(&lambda.dir),
                S3Location {
                    bucket: PLACEHOLDER_BUCKET.to_owned(),
                    key: format!("{}/bootstrap.zip", lambda.package),
                },
            )
        })
        .collect();
    let path = pattern.sam_template();
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let sam = cfn::Template::from_yaml(&pattern::normalize(&path), text)
        .with_context(|| format!("{} is not valid YAML", path.display()))?;
    let uris = code_uris::code_uris(&sam, &crates, &pattern.manifest_path())?;
    if let Some((id, file)) = code_uris::local_definitions(&sam)?.into_iter().next() {
        bail!(
            "{}: `Resources.{id}.Properties.DefinitionUri` is the local file {}; the CDK app carries only the \
             functions' code as assets, so no app was written; fix: inline the definition (`Definition`), or deploy \
             the SAM flavour (`--iac sam`), which uploads the file",
            path.display(),
            file.display()
        );
    }
    transform::run(&path, &uris, work_dir, region)?;
    let out = work_dir.join(transform::TRANSFORMED);
    let text = fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
    let mut template: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", out.display()))?;
    let problems = super::resolve::resolve(&mut template);
    if !problems.is_empty() {
        bail!(
            "{} (after the SAM transform) has what cdk-from-cfn 0.162.0 cannot convert faithfully, so no app was \
             written:\n  {}",
            path.display(),
            problems.join("\n  ")
        );
    }
    let functions = placeholder_functions(&template);
    Ok(Source {
        template,
        functions,
    })
}

/// The functions whose code is a placeholder, with the package the key names.
fn placeholder_functions(template: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (id, resource) in template["Resources"].as_object().into_iter().flatten() {
        let code = &resource["Properties"]["Code"];
        if resource["Type"] == "AWS::Lambda::Function" && code["S3Bucket"] == PLACEHOLDER_BUCKET {
            let key = code["S3Key"].as_str().unwrap_or_default();
            let package = key.trim_end_matches("/bootstrap.zip").to_owned();
            out.insert(id.clone(), package);
        }
    }
    out
}

/// The stack class's name: the pattern's name in PascalCase with `Stack` (`ApigwRestLambdaDynamodbStack`).
pub fn class_name(pattern: &str) -> String {
    let mut out: String = pattern
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'P');
    }
    out.push_str("Stack");
    out
}

/// The stack's source in `lang`.
pub fn stack_source(source: &Source, lang: CdkLang, class: &str, what: &str) -> Result<String> {
    let text = serde_json::to_string_pretty(&source.template)?;
    super::converter::convert(&text, lang, class, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_state_machine_definition_is_refused_naming_the_field_and_the_fix() {
        let pattern =
            Pattern::load(&pattern::project_root().join("patterns/sfn-callback-lambda")).unwrap();
        let dir = std::env::temp_dir().join(format!("xtask-cdk-definition-{}", std::process::id()));
        let err = match source(&pattern, &dir, "us-east-1") {
            Ok(_) => panic!("the CDK app of a local DefinitionUri was written"),
            Err(err) => err.to_string(),
        };
        fs::remove_dir_all(&dir).ok();
        assert!(
            err.contains("Resources.ApprovalStateMachine.Properties.DefinitionUri")
                && err.contains("--iac sam"),
            "{err}"
        );
    }

    #[test]
    fn class_names_are_pascal_case() {
        assert_eq!(
            class_name("apigw-rest-lambda-dynamodb"),
            "ApigwRestLambdaDynamodbStack"
        );
        assert_eq!(class_name("s3-to-sqs"), "S3ToSqsStack");
        assert_eq!(class_name("3d-thing"), "P3dThingStack");
    }

    #[test]
    fn functions_with_the_placeholder_code_are_found_with_their_package() {
        let template = serde_json::json!({"Resources": {
            "A": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {
                "S3Bucket": PLACEHOLDER_BUCKET, "S3Key": "items-api/bootstrap.zip"}}},
            "B": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Bucket": "x", "S3Key": "y.zip"}}},
            "C": {"Type": "AWS::SQS::Queue"}
        }});
        assert_eq!(
            placeholder_functions(&template),
            BTreeMap::from([("A".to_owned(), "items-api".to_owned())])
        );
    }
}
