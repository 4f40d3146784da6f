//! The offline SAM transform: `sam_transform.py` (aws-sam-translator, pinned in requirements.txt) run with the
//! project's Python on the pattern's template, with the `CodeUri` replacements xtask worked out; no AWS
//! credentials or calls.

use std::{fs, path::Path};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use super::code_uris::CodeUris;

/// The script, compiled in and written into the work directory, so it never runs from a stale copy.
const SCRIPT: &str = include_str!("../sam_transform.py");
/// The script's exit code for a template the translator rejects.
const REJECTED: i32 = 10;

/// Files the transform writes into the work directory.
pub const REWRITTEN: &str = "template.sam.json";
pub const TRANSFORMED: &str = "template.cfn.json";

/// Transforms the SAM template `source` into `<work_dir>/template.cfn.json` for `region`, after replacing the
/// `CodeUri`s in `code_uris` (the rewritten SAM template is kept as `<work_dir>/template.sam.json`).
pub fn run(source: &Path, code_uris: &CodeUris, work_dir: &Path, region: &str) -> Result<()> {
    let script = work_dir.join("sam_transform.py");
    fs::write(&script, SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    let uris = work_dir.join("code-uris.json");
    fs::write(&uris, serde_json::to_vec_pretty(code_uris)?)
        .with_context(|| format!("writing {}", uris.display()))?;
    let rewritten = work_dir.join(REWRITTEN);
    let output = work_dir.join(TRANSFORMED);
    let python = crate::setup::python();
    let sh = Shell::new()?;
    let out = cmd!(
        sh,
        "{python} {script} --region {region} --code-uris {uris} --rewritten {rewritten} {source} {output}"
    )
    .quiet()
    .ignore_status()
    .output()
    .with_context(|| {
        format!(
            "running {}: install Python 3 and run `cargo xtask setup`",
            python.display()
        )
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Ok(()),
        Some(REJECTED) => bail!(
            "the SAM transform rejects {}:\n{}",
            source.display(),
            stderr.trim()
        ),
        _ => bail!(
            "the SAM transform of {} failed ({}):\n{}",
            source.display(),
            out.status,
            stderr.trim()
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::deploy::sam::code_uris::S3Location;

    /// Runs the real script (needs the project's Python with aws-sam-translator: `cargo xtask setup`).
    #[test]
    fn replaces_code_uris_and_transforms_or_names_the_rejected_resource() {
        let dir = std::env::temp_dir().join(format!("xtask-sam-transform-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let source = dir.join("template.yaml");
        fs::write(
            &source,
            "AWSTemplateFormatVersion: 2010-09-09\nTransform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    \
             Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: rust-cargolambda\n    Properties:\n      \
             CodeUri: functions/items/\n      Handler: bootstrap\n      Runtime: provided.al2023\n      \
             Environment:\n        Variables:\n          REGION: !Ref AWS::Region\n  Flow:\n    \
             Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: statemachine/flow.asl.json\n      \
             DefinitionSubstitutions:\n        Queue: q\n      Role: arn:aws:iam::123456789012:role/r\n",
        )
        .unwrap();
        let uris = CodeUris {
            globals: None,
            functions: BTreeMap::from([(
                "Fn".to_owned(),
                S3Location {
                    bucket: "b".into(),
                    key: "p/items/abc.zip".into(),
                },
            )]),
            definitions: BTreeMap::from([(
                "Flow".to_owned(),
                S3Location {
                    bucket: "b".into(),
                    key: "p/definitions/def.json".into(),
                },
            )]),
        };
        run(&source, &uris, &dir, "eu-west-1").expect("transform");
        let cfn: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join(TRANSFORMED)).unwrap()).unwrap();
        let function = &cfn["Resources"]["Fn"];
        assert_eq!(function["Type"], "AWS::Lambda::Function");
        assert_eq!(
            function["Properties"]["Code"],
            serde_json::json!({"S3Bucket": "b", "S3Key": "p/items/abc.zip"})
        );
        assert_eq!(function["Metadata"]["BuildMethod"], "rust-cargolambda");
        // The uploaded definition: what `sam package` makes of a local DefinitionUri.
        let flow = &cfn["Resources"]["Flow"];
        assert_eq!(flow["Type"], "AWS::StepFunctions::StateMachine");
        assert_eq!(
            flow["Properties"]["DefinitionS3Location"],
            serde_json::json!({"Bucket": "b", "Key": "p/definitions/def.json"})
        );
        assert_eq!(
            flow["Properties"]["DefinitionSubstitutions"],
            serde_json::json!({"Queue": "q"})
        );
        assert_eq!(cfn["AWSTemplateFormatVersion"], "2010-09-09");
        let sam: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join(REWRITTEN)).unwrap()).unwrap();
        assert_eq!(
            sam["Resources"]["Fn"]["Properties"]["CodeUri"]["Key"],
            "p/items/abc.zip"
        );

        // Without the replacement, the translator rejects the local CodeUri and names the resource.
        let err = run(&source, &CodeUris::default(), &dir, "us-east-1")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rejects") && err.contains("[Fn]") && err.contains("CodeUri"),
            "{err}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
