//! What the launcher adds to moto's CloudFormation for a REST API, against a real moto: a RestApi made from an
//! OpenAPI `Body` (no `Name`, routes on `/` and under path-level parameters, a VPC link integration's
//! `connectionId`, a gateway response) with its Deployment and Stage, a function keeping `LoggingConfig`; the
//! API served by the data plane (the customised 404); everything gone after DeleteStack; and an unmodelled
//! resource type failing the stack with an event naming it instead of being skipped.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::support::{
    Cases,
    cloud::{LocalCloud, execute_api},
    moto::xml_all,
    stacks::{cfn, outputs},
};

/// What the cases share: the stack's API, once the case creating the stack has passed.
struct Stack {
    url: String,
    aws: local_cloud::aws::Clients,
    cloud: local_cloud::SharedCloud,
    api_id: OnceLock<String>,
}

impl Stack {
    fn api_id(&self) -> &str {
        self.api_id
            .get()
            .expect("the case creating the stack failed")
    }
}

fn template() -> Value {
    json!({
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}]}}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/custom/fn-logs"}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "Code": {"ZipFile": "def handler(event, context): return {}"},
                "Handler": "index.handler", "Runtime": "python3.12",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "LoggingConfig": {"LogGroup": {"Ref": "Logs"}}}},
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": {
                "openapi": "3.0.1",
                "info": {"title": "cfn-body-api", "version": "1"},
                "paths": {
                    "/": {"get": {"x-amazon-apigateway-integration": {
                        "type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                        "responses": {"default": {"statusCode": "200",
                                                  "responseTemplates": {"application/json": "{\"root\":true}"}}}}}},
                    "/items/{id}": {
                        "parameters": [{"name": "id", "in": "path", "required": true}],
                        "get": {"x-amazon-apigateway-integration": {
                            "type": "http_proxy", "httpMethod": "GET", "uri": "http://nlb.example/items/{id}",
                            "connectionType": "VPC_LINK", "connectionId": "link123"}}}},
                "x-amazon-apigateway-gateway-responses": {"MISSING_AUTHENTICATION_TOKEN": {
                    "statusCode": "404",
                    "responseTemplates": {"application/json": "{\"error\":\"not found\"}"}}}}}},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
                "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "live",
                "Variables": {"color": "blue"}}}
        },
        "Outputs": {
            "ApiId": {"Value": {"Ref": "Api"}},
            "StageName": {"Value": {"Ref": "Stage"}},
            "Url": {"Value": {"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"}}
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stacks_create_what_our_patterns_need_and_fail_loudly_on_the_rest() {
    let local = LocalCloud::start("lc-cfn-state").await;
    let mut cases = Cases::new(Stack {
        url: local.url.clone(),
        aws: local.aws.clone(),
        cloud: local.cloud.clone(),
        api_id: OnceLock::new(),
    });

    cases
        .case("CreateStack completes, with its outputs", |c| async move {
            let body = template().to_string();
            let (status, xml) = cfn(
                &c.url,
                &[
                    ("Action", "CreateStack"),
                    ("StackName", "body-api"),
                    ("TemplateBody", &body),
                ],
            )
            .await;
            assert_eq!(status, 200, "{xml}");
            let (_, xml) = cfn(
                &c.url,
                &[("Action", "DescribeStacks"), ("StackName", "body-api")],
            )
            .await;
            assert_eq!(xml_all(&xml, "StackStatus"), ["CREATE_COMPLETE"], "{xml}");
            let outputs = outputs(&xml);
            let output = |k: &str| outputs.iter().find(|(key, _)| key == k).unwrap().1.clone();
            let api_id = output("ApiId");
            assert_eq!(output("StageName"), "live");
            assert_eq!(
                output("Url"),
                format!("https://{api_id}.execute-api.us-east-1.amazonaws.com/live")
            );
            c.api_id.set(api_id).unwrap();
        })
        .await;
    cases
        .case(
            "every resource is created, each with its event",
            |c| async move {
                let (_, xml) = cfn(
                    &c.url,
                    &[("Action", "ListStackResources"), ("StackName", "body-api")],
                )
                .await;
                let mut listed = xml_all(&xml, "LogicalResourceId");
                listed.sort();
                assert_eq!(
                    listed,
                    ["Api", "Deployment", "Fn", "Logs", "Role", "Stage"],
                    "every resource is created, the Stage included"
                );
                let (_, xml) = cfn(
                    &c.url,
                    &[("Action", "DescribeStackEvents"), ("StackName", "body-api")],
                )
                .await;
                assert!(
                    xml_all(&xml, "LogicalResourceId").contains(&"Stage".to_owned()),
                    "each resource has its event: {xml}"
                );
            },
        )
        .await;
    cases
        .case("the RestApi as imported from the Body", |c| async move {
            let gw = &c.aws.apigateway;
            let api = gw
                .get_rest_api()
                .rest_api_id(c.api_id())
                .send()
                .await
                .unwrap();
            assert_eq!(api.name(), Some("cfn-body-api"), "named by info.title");
            let resources = gw
                .get_resources()
                .rest_api_id(c.api_id())
                .embed("methods")
                .send()
                .await
                .unwrap();
            let mut paths: Vec<&str> = resources.items().iter().filter_map(|r| r.path()).collect();
            paths.sort();
            assert_eq!(paths, ["/", "/items", "/items/{id}"]);
            let item = resources
                .items()
                .iter()
                .find(|r| r.path() == Some("/items/{id}"))
                .unwrap();
            let methods = item.resource_methods().unwrap();
            assert_eq!(
                methods.keys().collect::<Vec<_>>(),
                ["GET"],
                "path-level `parameters` is not a method"
            );
            let integration = methods["GET"].method_integration().unwrap();
            assert_eq!(integration.r#type().unwrap().as_str(), "HTTP_PROXY");
            assert_eq!(integration.connection_id(), Some("link123"));
        })
        .await;
    cases
        .case("the Stage keeps its properties", |c| async move {
            let stage = c
                .aws
                .apigateway
                .get_stage()
                .rest_api_id(c.api_id())
                .stage_name("live")
                .send()
                .await
                .unwrap();
            assert_eq!(
                stage.variables().unwrap()["color"],
                "blue",
                "the Stage's properties are kept"
            );
        })
        .await;
    cases
        .case("the function keeps its LoggingConfig", |c| async move {
            let functions = c.aws.lambda.list_functions().send().await.unwrap();
            let function = functions.functions().first().expect("the function exists");
            let logging = c
                .aws
                .lambda
                .get_function_configuration()
                .function_name(function.function_name().unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(
                logging.logging_config().and_then(|l| l.log_group()),
                Some("/custom/fn-logs")
            );
        })
        .await;
    cases
        .case(
            "the data plane serves the API as deployed: the MOCK on `/`, the customised 404 elsewhere",
            |c| async move {
                let host = format!("{}.execute-api.localhost:4566", c.api_id());
                let r = execute_api(&c.cloud, "GET", &host, "/live/").await;
                assert_eq!(r.status(), 200, "{:?}", r.body());
                assert_eq!(r.body().as_ref(), br#"{"root":true}"#);
                let r = execute_api(&c.cloud, "GET", &host, "/live/nope").await;
                assert_eq!(r.status(), 404);
                assert_eq!(r.body().as_ref(), br#"{"error":"not found"}"#);
            },
        )
        .await;
    // After the cases reading the stack's resources.
    cases
        .case(
            "DeleteStack removes what moto itself would have left (the RestApi)",
            |c| async move {
                let (status, xml) = cfn(
                    &c.url,
                    &[("Action", "DeleteStack"), ("StackName", "body-api")],
                )
                .await;
                assert_eq!(status, 200, "{xml}");
                let gone = c
                    .aws
                    .apigateway
                    .get_rest_api()
                    .rest_api_id(c.api_id())
                    .send()
                    .await;
                assert!(
                    gone.is_err_and(|e| e
                        .as_service_error()
                        .is_some_and(|s| s.is_not_found_exception())),
                    "the RestApi is deleted with its stack"
                );
                assert!(
                    c.aws
                        .lambda
                        .list_functions()
                        .send()
                        .await
                        .unwrap()
                        .functions()
                        .is_empty()
                );
            },
        )
        .await;
    // After DeleteStack above: no API is left but the failed stack's.
    cases
        .case(
            "a type moto does not model fails the stack, naming the resource",
            |c| async move {
                let mut broken = template();
                broken["Resources"]["Link"] = json!({"Type": "AWS::ApiGateway::VpcLink",
                    "Properties": {"Name": "l", "TargetArns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/n/1"]}});
                let body = broken.to_string();
                let (status, xml) = cfn(
                    &c.url,
                    &[
                        ("Action", "CreateStack"),
                        ("StackName", "broken"),
                        ("TemplateBody", &body),
                    ],
                )
                .await;
                assert_eq!(status, 200, "{xml}");
                let (_, xml) = cfn(
                    &c.url,
                    &[("Action", "DescribeStacks"), ("StackName", "broken")],
                )
                .await;
                assert_eq!(xml_all(&xml, "StackStatus"), ["CREATE_FAILED"], "{xml}");
                assert!(
                    xml_all(&xml, "OutputKey").is_empty(),
                    "a failed stack has no outputs"
                );
                let (_, xml) = cfn(
                    &c.url,
                    &[("Action", "DescribeStackEvents"), ("StackName", "broken")],
                )
                .await;
                let ids = xml_all(&xml, "LogicalResourceId");
                let statuses = xml_all(&xml, "ResourceStatus");
                let reasons = xml_all(&xml, "ResourceStatusReason");
                let link = ids
                    .iter()
                    .position(|id| id == "Link")
                    .expect("an event for Link");
                assert_eq!(statuses[link], "CREATE_FAILED");
                assert!(
                    reasons
                        .iter()
                        .any(|r| r.contains("AWS::ApiGateway::VpcLink is not supported")),
                    "{xml}"
                );
                let (status, xml) =
                    cfn(&c.url, &[("Action", "DeleteStack"), ("StackName", "broken")]).await;
                assert_eq!(status, 200, "{xml}");
                assert!(
                    c.aws
                        .apigateway
                        .get_rest_apis()
                        .send()
                        .await
                        .unwrap()
                        .items()
                        .is_empty(),
                    "the failed stack's resources are deleted with it"
                );
            },
        )
        .await;

    local.stop(cases.all_passed()).await;
    cases.finish();
}
