//! Rule `lambda-runtime`: every Rust Lambda runs on the OS-only runtime `provided.al2023`. A misspelt runtime
//! deploys on moto and fails on AWS (`InvalidParameterValueException`).

use serde_yaml::Value;

use crate::cfn::{Resource, Template};
use crate::validate::{
    Finding,
    tf_config::{self, TfModule},
};

const RULE: &str = "lambda-runtime";
pub const RUNTIME: &str = "provided.al2023";

pub fn terraform(module: &TfModule) -> Vec<Finding> {
    let mut findings = Vec::new();
    for function in module.resources("aws_lambda_function") {
        if function.literal("package_type").as_deref() == Some("Image") {
            continue;
        }
        let problem = match function.attr("runtime") {
            None => format!("{} has no runtime", function.address()),
            Some(attr) => match tf_config::literal_str(&attr.value) {
                Some(runtime) if runtime == RUNTIME => continue,
                Some(runtime) => format!("{} has runtime \"{runtime}\"", function.address()),
                None => format!(
                    "{} has runtime `{}`, which is not the literal \"{RUNTIME}\"",
                    function.address(),
                    tf_config::source_of(function.file, &attr.value)
                ),
            },
        };
        findings.push(
            Finding::new(
                &function.file.path,
                format!("{}.runtime", function.address()),
                RULE,
                format!("{problem}; Rust Lambdas run on the OS-only runtime {RUNTIME}"),
                format!("use runtime = \"{RUNTIME}\""),
            )
            .at_line(function.attr_line("runtime")),
        );
    }
    findings
}

pub fn cfn(template: &Template) -> Vec<Finding> {
    let mut findings = Vec::new();
    let global = template.global_function("Runtime");
    if let Some(value) = global
        && let Some(problem) = runtime_problem("Globals.Function.Runtime", value)
    {
        findings.push(finding(
            template,
            "Globals.Function.Runtime".to_owned(),
            &["Globals", "Function", "Runtime"],
            problem,
        ));
    }
    for function in template.resources() {
        let serverless = function.rtype == "AWS::Serverless::Function";
        if (!serverless && function.rtype != "AWS::Lambda::Function") || is_image(&function) {
            continue;
        }
        let keys = ["Resources", function.id, "Properties", "Runtime"];
        match function.prop("Runtime") {
            Some(value) => {
                if let Some(problem) = runtime_problem(function.id, value) {
                    findings.push(finding(
                        template,
                        function.path(&["Runtime"]),
                        &keys,
                        problem,
                    ));
                }
            }
            // A SAM function inherits Globals.Function.Runtime (checked above).
            None if serverless && global.is_some() => {}
            None => findings.push(finding(
                template,
                function.path(&["Runtime"]),
                &keys[..2],
                format!("{} has no Runtime", function.id),
            )),
        }
    }
    findings
}

fn is_image(function: &Resource<'_>) -> bool {
    function.prop("PackageType").and_then(Value::as_str) == Some("Image")
}

fn runtime_problem(owner: &str, value: &Value) -> Option<String> {
    match value {
        Value::String(runtime) if runtime == RUNTIME => None,
        Value::String(runtime) => Some(format!("{owner} has Runtime \"{runtime}\"")),
        other => Some(format!(
            "{owner} has Runtime `{}`, which is not the literal \"{RUNTIME}\"",
            serde_yaml::to_string(other).unwrap_or_default().trim()
        )),
    }
}

fn finding(template: &Template, location: String, keys: &[&str], problem: String) -> Finding {
    Finding::new(
        &template.path,
        location,
        RULE,
        format!("{problem}; Rust Lambdas run on the OS-only runtime {RUNTIME}"),
        format!("use Runtime: {RUNTIME}"),
    )
    .at_line(template.line(keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::rules::test_util::{line_of, module};

    const TF: &str = r#"
resource "aws_lambda_function" "hello" {
  function_name = "hello"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
}

resource "aws_lambda_function" "image" {
  function_name = "image"
  package_type  = "Image"
}
"#;

    #[test]
    fn provided_al2023_passes() {
        assert!(terraform(&module(TF)).is_empty());
    }

    #[test]
    fn misspelt_runtime_is_a_finding() {
        let text = TF.replace("\"provided.al2023\"", "\"provided.al2023023\"");
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, RULE);
        assert_eq!(f.location, "resource.aws_lambda_function.hello.runtime");
        assert_eq!(f.line, Some(line_of(&text, "provided.al2023023")));
        assert!(f.message.contains("\"provided.al2023023\""));
        assert_eq!(f.fix, "use runtime = \"provided.al2023\"");
    }

    #[test]
    fn missing_or_computed_runtime_is_a_finding() {
        let text = TF.replace("  runtime       = \"provided.al2023\"\n", "");
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("has no runtime"));
        let text = TF.replace("\"provided.al2023\"", "var.runtime");
        assert!(
            terraform(&module(&text))[0]
                .message
                .contains("`var.runtime`")
        );
    }

    const CFN: &str = "
Globals:
  Function:
    Runtime: provided.al2023
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Handler: bootstrap
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: provided.al2023
";

    #[test]
    fn cfn_runtimes_pass() {
        assert!(cfn(&Template::parse(CFN)).is_empty());
    }

    #[test]
    fn cfn_wrong_global_and_missing_plain_runtime_are_findings() {
        let text = CFN
            .replacen("Runtime: provided.al2023", "Runtime: provided.al2023023", 1)
            .replace(
                "      Runtime: provided.al2023\n",
                "      Handler: bootstrap\n",
            );
        let findings = cfn(&Template::parse(&text));
        let locations: Vec<&str> = findings.iter().map(|f| f.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "Globals.Function.Runtime",
                "Resources.Plain.Properties.Runtime"
            ]
        );
        assert_eq!(findings[0].line, Some(line_of(&text, "al2023023")));
        assert_eq!(findings[1].line, Some(line_of(&text, "Plain:")));
    }

    #[test]
    fn cfn_function_runtime_overrides_globals() {
        let text = CFN.replace(
            "Handler: bootstrap\n  Plain",
            "Handler: bootstrap\n      Runtime: !Ref Rt\n  Plain",
        );
        let findings = cfn(&Template::parse(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].location, "Resources.Hello.Properties.Runtime");
        assert!(findings[0].message.contains("not the literal"));
    }
}
