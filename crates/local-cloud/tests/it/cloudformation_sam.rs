//! Fidelity: a SAM template deployed as the SAM CLI deploys it, on the `local-cloud serve` daemon: the template
//! itself (`Transform: AWS::Serverless-2016-10-31`) in a CREATE change set, which CloudFormation expands
//! server-side (the change set lists the generated `AWS::Lambda::Function`, `AWS::IAM::Role` and HTTP API), then
//! ExecuteChangeSet, after which the stack has its outputs and the implicit HTTP API serves the function; GetTemplate
//! answers the template as sent (`Original`) or expanded (`Processed`)
//! (<https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html>), and deleting the
//! stack deletes the function. The function is `fidelity-fn` in `proxy` mode (its answer's body is the event it
//! got). Needs python3 with moto 5.2.1 and aws-sam-translator, and the AWS CLI.

use serde_json::Value;

use crate::support::{daemon::Daemon, functions::fidelity_zip, http::send};

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Greeter:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: sam-greeter
      CodeUri: s3://sam-artifacts/fidelity.zip
      Handler: bootstrap
      Runtime: provided.al2023
      Environment:
        Variables:
          FIDELITY_MODE: proxy
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Method: GET
            Path: /hello/{name}
Outputs:
  ApiUrl:
    Value: !Sub "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
"#;

#[test]
fn a_sam_template_in_a_change_set_is_transformed_and_deployed() {
    let d = Daemon::start();
    let zip = d.dir.join("fidelity.zip");
    std::fs::write(&zip, fidelity_zip()).unwrap();
    d.aws_ok(&["s3api", "create-bucket", "--bucket", "sam-artifacts"]);
    let zip_arg = zip.display().to_string();
    d.aws_ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "sam-artifacts",
        "--key",
        "fidelity.zip",
        "--body",
        &zip_arg,
    ]);
    let file = d.dir.join("template.yaml");
    std::fs::write(&file, TEMPLATE).unwrap();
    let body = format!("file://{}", file.display());
    let created = d.aws_ok(&[
        "cloudformation",
        "create-change-set",
        "--stack-name",
        "sam-fidelity",
        "--change-set-name",
        "first",
        "--change-set-type",
        "CREATE",
        "--capabilities",
        "CAPABILITY_IAM",
        "--template-body",
        &body,
    ]);
    let id = created["Id"].as_str().unwrap();
    let change_set = d.aws_ok(&[
        "cloudformation",
        "describe-change-set",
        "--change-set-name",
        id,
    ]);
    assert_eq!(change_set["Status"], "CREATE_COMPLETE", "{change_set}");
    let mut types: Vec<&str> = change_set["Changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["ResourceChange"]["ResourceType"].as_str())
        .collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "AWS::ApiGatewayV2::Api",
            "AWS::ApiGatewayV2::Stage",
            "AWS::IAM::Role",
            "AWS::Lambda::Function",
            "AWS::Lambda::Permission"
        ],
        "{change_set}"
    );
    d.aws_ok(&[
        "cloudformation",
        "execute-change-set",
        "--change-set-name",
        id,
    ]);

    let stack = d.aws_ok(&[
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        "sam-fidelity",
    ]);
    let stack = &stack["Stacks"][0];
    assert_eq!(stack["StackStatus"], "CREATE_COMPLETE", "{stack}");
    let url = stack["Outputs"][0]["OutputValue"]
        .as_str()
        .unwrap_or_default();
    let api = url
        .strip_prefix("https://")
        .and_then(|rest| rest.strip_suffix(".execute-api.us-east-1.amazonaws.com"))
        .unwrap_or_else(|| panic!("ApiUrl is AWS's form: {stack}"));

    // The implicit HTTP API's $default stage serves the route, payload 2.0 with the path parameter.
    let host = format!("{api}.execute-api.localhost:{}", d.port);
    let answer = send(d.port, "GET", &host, "/hello/sam", &[]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let event = answer.json();
    assert_eq!(event["routeKey"], "GET /hello/{name}", "{event}");
    assert_eq!(event["pathParameters"]["name"], "sam", "{event}");

    let stage = |stage: &str| -> Value {
        d.aws_ok(&[
            "cloudformation",
            "get-template",
            "--stack-name",
            "sam-fidelity",
            "--template-stage",
            stage,
        ])
    };
    let original = stage("Original");
    assert_eq!(original["TemplateBody"], TEMPLATE, "{original}");
    assert_eq!(
        original["StagesAvailable"],
        serde_json::json!(["Original", "Processed"])
    );
    let processed = &stage("Processed")["TemplateBody"];
    assert_eq!(
        processed["Resources"]["Greeter"]["Type"], "AWS::Lambda::Function",
        "{processed}"
    );
    assert!(processed.get("Transform").is_none(), "{processed}");

    d.aws_ok(&[
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "sam-fidelity",
    ]);
    let gone = d.aws(&["lambda", "get-function", "--function-name", "sam-greeter"]);
    assert!(
        !gone.status.success(),
        "the stack's function is deleted with it"
    );
}
