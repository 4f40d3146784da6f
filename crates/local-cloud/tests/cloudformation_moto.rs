//! What the launcher adds to moto's CloudFormation, against a real moto: a RestApi made from an OpenAPI `Body`
//! (no `Name`, routes on `/` and under path-level parameters, a VPC link integration's `connectionId`, a
//! gateway response) with its Deployment and Stage, a function keeping `LoggingConfig`; the API served by the
//! data plane (the customised 404); everything gone after DeleteStack; an unmodelled resource type failing
//! the stack with an event naming it instead of being skipped; and the event sources SAM makes (a rule on a
//! custom bus named by `Ref`, a bucket's notification configuration and public access block).

mod support;

use support::{form_encode, xml_all};

use std::{net::SocketAddr, sync::Arc};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use local_cloud::{Cloud, SharedCloud, aws::Clients, lambda::LambdaService};
use serde_json::{Value, json};

const REGION: &str = "us-east-1";

/// A CloudFormation (query API) call; returns the status and the XML answer.
async fn cfn(moto_url: &str, params: &[(&str, &str)]) -> (u16, String) {
    let body = params
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::post(format!("{moto_url}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20240101/{REGION}/cloudformation/aws4_request, SignedHeaders=host, Signature=0"
            ),
        )
        .body(Full::new(Bytes::from(format!(
            "{body}&Version=2010-05-15"
        ))))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let text = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
        .into_owned();
    (status, text)
}

async fn call(cloud: &SharedCloud, host: &str, path: &str) -> Response<Bytes> {
    let mut req = Request::get(path)
        .header("host", host)
        .body(Bytes::new())
        .unwrap();
    req.extensions_mut()
        .insert("127.0.0.1:50000".parse::<SocketAddr>().unwrap());
    local_cloud::apigw::handle(cloud, req)
        .await
        .unwrap_or_else(|req| panic!("{} was not taken as execute-api traffic", req.uri()))
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
    let (moto, config) = support::start_moto("lc-cfn-state").await;
    let state_dir = config.state_dir.clone();
    let url = moto.url();
    let aws = Clients::new(&url, REGION).await;
    let cloud: SharedCloud = Arc::new(Cloud::new(
        config.clone(),
        aws.clone(),
        LambdaService::new(&config, aws.clone()),
    ));

    let body = template().to_string();
    let (status, xml) = cfn(
        &url,
        &[
            ("Action", "CreateStack"),
            ("StackName", "body-api"),
            ("TemplateBody", &body),
        ],
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let (_, xml) = cfn(
        &url,
        &[("Action", "DescribeStacks"), ("StackName", "body-api")],
    )
    .await;
    assert_eq!(xml_all(&xml, "StackStatus"), ["CREATE_COMPLETE"], "{xml}");
    let keys = xml_all(&xml, "OutputKey");
    let values = xml_all(&xml, "OutputValue");
    let output = |k: &str| values[keys.iter().position(|x| x == k).unwrap()].clone();
    let api_id = output("ApiId");
    assert_eq!(output("StageName"), "live");
    assert_eq!(
        output("Url"),
        format!("https://{api_id}.execute-api.us-east-1.amazonaws.com/live")
    );
    let (_, xml) = cfn(
        &url,
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
        &url,
        &[("Action", "DescribeStackEvents"), ("StackName", "body-api")],
    )
    .await;
    assert!(
        xml_all(&xml, "LogicalResourceId").contains(&"Stage".to_owned()),
        "each resource has its event: {xml}"
    );

    // The API as imported from the Body.
    let api = aws
        .apigateway
        .get_rest_api()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    assert_eq!(api.name(), Some("cfn-body-api"), "named by info.title");
    let resources = aws
        .apigateway
        .get_resources()
        .rest_api_id(&api_id)
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
    let stage = aws
        .apigateway
        .get_stage()
        .rest_api_id(&api_id)
        .stage_name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stage.variables().unwrap()["color"],
        "blue",
        "the Stage's properties are kept"
    );

    // The function keeps its LoggingConfig.
    let functions = aws.lambda.list_functions().send().await.unwrap();
    let function = functions.functions().first().expect("the function exists");
    let logging = aws
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

    // The data plane serves the API as deployed: the MOCK on `/`, the customised 404 elsewhere.
    let host = format!("{api_id}.execute-api.localhost:4566");
    let r = call(&cloud, &host, "/live/").await;
    assert_eq!(r.status(), 200, "{:?}", r.body());
    assert_eq!(r.body().as_ref(), br#"{"root":true}"#);
    let r = call(&cloud, &host, "/live/nope").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.body().as_ref(), br#"{"error":"not found"}"#);

    // DeleteStack removes what moto itself would have left (the RestApi).
    let (status, xml) = cfn(
        &url,
        &[("Action", "DeleteStack"), ("StackName", "body-api")],
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let gone = aws
        .apigateway
        .get_rest_api()
        .rest_api_id(&api_id)
        .send()
        .await;
    assert!(
        gone.is_err_and(|e| e
            .as_service_error()
            .is_some_and(|s| s.is_not_found_exception())),
        "the RestApi is deleted with its stack"
    );
    assert!(
        aws.lambda
            .list_functions()
            .send()
            .await
            .unwrap()
            .functions()
            .is_empty()
    );

    // A type moto does not model fails the stack, naming the resource.
    let mut broken = template();
    broken["Resources"]["Link"] = json!({"Type": "AWS::ApiGateway::VpcLink",
        "Properties": {"Name": "l", "TargetArns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/n/1"]}});
    let body = broken.to_string();
    let (status, xml) = cfn(
        &url,
        &[
            ("Action", "CreateStack"),
            ("StackName", "broken"),
            ("TemplateBody", &body),
        ],
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let (_, xml) = cfn(
        &url,
        &[("Action", "DescribeStacks"), ("StackName", "broken")],
    )
    .await;
    assert_eq!(xml_all(&xml, "StackStatus"), ["CREATE_FAILED"], "{xml}");
    assert!(
        xml_all(&xml, "OutputKey").is_empty(),
        "a failed stack has no outputs"
    );
    let (_, xml) = cfn(
        &url,
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
    let (status, xml) = cfn(&url, &[("Action", "DeleteStack"), ("StackName", "broken")]).await;
    assert_eq!(status, 200, "{xml}");
    assert!(
        aws.apigateway
            .get_rest_apis()
            .send()
            .await
            .unwrap()
            .items()
            .is_empty(),
        "the failed stack's resources are deleted with it"
    );

    moto.stop(std::time::Duration::from_secs(5)).await;
    let _ = std::fs::remove_dir_all(&state_dir);
}

/// An S3 GET through moto's REST API (moto routes by the credential scope and does not check signatures).
async fn s3_get(moto_url: &str, path: &str) -> String {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::get(format!("{moto_url}{path}"))
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20240101/{REGION}/s3/aws4_request, SignedHeaders=host, Signature=0"
            ),
        )
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert!(
        response.status().is_success(),
        "GET {path}: {}",
        response.status()
    );
    String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_sources_keep_what_sam_makes_of_their_events() {
    let (moto, _config) = support::start_moto("lc-cfn-sources-state").await;
    let url = moto.url();
    // What SAM makes of an `EventBridgeRule` event with `EventBusName: !Ref Bus`, and of an `S3` event.
    let function = "arn:aws:lambda:us-east-1:123456789012:function:handler";
    let body = json!({
        "Resources": {
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "orders-bus"}},
            "Rule": {"Type": "AWS::Events::Rule", "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": ["orders"], "detail-type": ["ItemCreated"]}}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
                "BucketName": "sources-bucket",
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": true, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "NotificationConfiguration": {"LambdaConfigurations": [{
                    "Event": "s3:ObjectCreated:*",
                    "Function": function,
                    "Filter": {"S3Key": {"Rules": [
                        {"Name": "prefix", "Value": "incoming/"},
                        {"Name": "suffix", "Value": ".json"}]}}}]}}}
        },
        "Outputs": {"BusName": {"Value": {"Ref": "Bus"}}}
    })
    .to_string();
    let (status, xml) = cfn(
        &url,
        &[
            ("Action", "CreateStack"),
            ("StackName", "sources"),
            ("TemplateBody", &body),
        ],
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let (_, xml) = cfn(
        &url,
        &[("Action", "DescribeStacks"), ("StackName", "sources")],
    )
    .await;
    assert_eq!(xml_all(&xml, "StackStatus"), ["CREATE_COMPLETE"], "{xml}");
    assert_eq!(
        xml_all(&xml, "OutputValue"),
        ["orders-bus"],
        "Ref of a bus is its name"
    );

    let notification = s3_get(&url, "/sources-bucket?notification").await;
    assert_eq!(
        xml_all(&notification, "CloudFunction"),
        [function],
        "{notification}"
    );
    assert_eq!(xml_all(&notification, "Event"), ["s3:ObjectCreated:*"]);
    assert_eq!(xml_all(&notification, "Value"), ["incoming/", ".json"]);
    let block = s3_get(&url, "/sources-bucket?publicAccessBlock").await;
    assert_eq!(xml_all(&block, "BlockPublicAcls"), ["true"], "{block}");
    assert_eq!(
        xml_all(&block, "RestrictPublicBuckets"),
        ["true"],
        "{block}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_subnet_and_its_routing_are_deleted_with_their_stack() {
    let (moto, _config) = support::start_moto("lc-cfn-public-state").await;
    let url = moto.url();
    // The network of an internet-facing load balancer: an internet gateway, a route to it and a subnet using it.
    let body = json!({
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Gateway": {"Type": "AWS::EC2::InternetGateway"},
            "Attachment": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"}},
            "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
            "DefaultRoute": {"Type": "AWS::EC2::Route", "DependsOn": "Attachment", "Properties": {
                "RouteTableId": {"Ref": "Table"}, "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": {"Ref": "Gateway"}}},
            "Association": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
                "SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Table"}}}
        }
    })
    .to_string();
    let (status, xml) = cfn(
        &url,
        &[
            ("Action", "CreateStack"),
            ("StackName", "public"),
            ("TemplateBody", &body),
        ],
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let stack_id = xml_all(&xml, "StackId").remove(0);
    let (_, xml) = cfn(
        &url,
        &[("Action", "DescribeStacks"), ("StackName", &stack_id)],
    )
    .await;
    assert_eq!(xml_all(&xml, "StackStatus"), ["CREATE_COMPLETE"], "{xml}");

    let (status, xml) = cfn(&url, &[("Action", "DeleteStack"), ("StackName", &stack_id)]).await;
    assert_eq!(status, 200, "{xml}");
    let (_, xml) = cfn(
        &url,
        &[("Action", "DescribeStacks"), ("StackName", &stack_id)],
    )
    .await;
    assert_eq!(
        xml_all(&xml, "StackStatus"),
        ["DELETE_COMPLETE"],
        "the VPC is deleted once its gateway, routes and associations are: {xml}"
    );
}
