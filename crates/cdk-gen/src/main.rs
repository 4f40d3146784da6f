//! `cdk-gen`: a CloudFormation template (JSON or YAML) on stdin, the AWS CDK stack that declares it on stdout, in
//! one language, through the cdk-from-cfn crate (0.162.0).
//!
//! Usage: `cdk-gen --language typescript|python|java|go|csharp --stack-name ClassName < template.json`.
//! Exit codes: 0 written; 1 the converter refused the template (its message on stderr); 2 bad usage or input;
//! 3 the converter stopped on a construct it has no code for (cdk-from-cfn ends some with a panic).
//! `cargo xtask cdk` resolves what the converter cannot take before it runs this (xtask/src/cdk/convert.rs).

use std::{
    io::{Read, Write},
    process::ExitCode,
};

use cdk_from_cfn::{
    CloudformationParseTree,
    cdk::Schema,
    ir::CloudformationProgramIr,
    synthesizer::{CSharp, Golang, Java, Python, Synthesizer, Typescript},
};

const USAGE: &str =
    "usage: cdk-gen --language typescript|python|java|go|csharp --stack-name ClassName < template";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (language, stack_name) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut template = String::new();
    if let Err(err) = std::io::stdin().read_to_string(&mut template) {
        eprintln!("reading the template from stdin: {err}");
        return ExitCode::from(2);
    }
    // The converter's `unimplemented!()` arms are reported as a refusal, not as a crash with a backtrace.
    std::panic::set_hook(Box::new(|_| {}));
    match std::panic::catch_unwind(|| convert(&template, &language, &stack_name)) {
        Ok(Ok(code)) => match std::io::stdout().write_all(&code) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("writing the stack source: {err}");
                ExitCode::from(2)
            }
        },
        Ok(Err(Refusal::Input(message))) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
        Ok(Err(Refusal::Converter(message))) => {
            eprintln!("{message}");
            ExitCode::from(1)
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "no message".to_owned());
            eprintln!("cdk-from-cfn stopped on a construct it has no code for: {what}");
            ExitCode::from(3)
        }
    }
}

enum Refusal {
    Input(String),
    Converter(String),
}

fn parse_args(args: &[String]) -> Result<(String, String), String> {
    let (mut language, mut stack_name) = (None, None);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let slot = match arg.as_str() {
            "--language" => &mut language,
            "--stack-name" => &mut stack_name,
            other => return Err(format!("unexpected argument `{other}`")),
        };
        *slot = Some(rest.next().ok_or(format!("{arg} needs a value"))?.clone());
    }
    Ok((
        language.ok_or("--language is missing")?,
        stack_name.ok_or("--stack-name is missing")?,
    ))
}

fn convert(template: &str, language: &str, stack_name: &str) -> Result<Vec<u8>, Refusal> {
    let synthesizer: Box<dyn Synthesizer> = match language {
        "typescript" => Box::new(Typescript {}),
        "python" => Box::new(Python {}),
        "java" => Box::<Java>::default(),
        "go" => Box::<Golang>::default(),
        "csharp" => Box::<CSharp>::default(),
        other => {
            return Err(Refusal::Input(format!(
                "`{other}` is not a language of cdk-gen"
            )));
        }
    };
    let tree: CloudformationParseTree = serde_yaml::from_str(template)
        .map_err(|err| Refusal::Input(format!("the template does not parse: {err}")))?;
    let ir = CloudformationProgramIr::from(tree, Schema::builtin())
        .map_err(|err| Refusal::Converter(err.to_string()))?;
    let mut code = Vec::new();
    ir.synthesize(synthesizer.as_ref(), &mut code, stack_name)
        .map_err(|err| Refusal::Converter(err.to_string()))?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn arguments_are_both_required() {
        assert_eq!(
            parse_args(&args(&["--language", "python", "--stack-name", "S"])).ok(),
            Some(("python".to_owned(), "S".to_owned()))
        );
        assert!(parse_args(&args(&["--language", "python"])).is_err());
        assert!(parse_args(&args(&["--stack-name"])).is_err());
        assert!(parse_args(&args(&["-x"])).is_err());
    }

    #[test]
    fn a_queue_becomes_a_typescript_stack_with_its_logical_id() {
        let template = r#"{"Resources": {"Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}},
            "Outputs": {"QueueUrl": {"Value": {"Ref": "Jobs"}}}}"#;
        let Ok(code) = convert(template, "typescript", "JobsStack") else {
            panic!("not converted");
        };
        let code = String::from_utf8(code).unwrap();
        assert!(
            code.contains("export class JobsStack extends cdk.Stack"),
            "{code}"
        );
        assert!(code.contains("new sqs.CfnQueue(this, 'Jobs'"), "{code}");
        assert!(code.contains("visibilityTimeout: 30"), "{code}");
    }

    #[test]
    fn an_unknown_property_is_refused_naming_the_resource() {
        let template =
            r#"{"Resources": {"Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"Nope": 1}}}}"#;
        match convert(template, "typescript", "S") {
            Err(Refusal::Converter(message)) => {
                assert!(
                    message.contains("Nope") && message.contains("Jobs"),
                    "{message}"
                )
            }
            _ => panic!("not refused"),
        }
    }
}
