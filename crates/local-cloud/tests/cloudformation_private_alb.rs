//! What the launcher adds to moto's CloudFormation for a REST API reaching a private ALB through a VPC link
//! v2, against a real moto: `Fn::Cidr`, security groups' `SecurityGroupEgress`, `AWS::ApiGatewayV2::VpcLink`,
//! a Method's whole integration (`ConnectionType`, `ConnectionId`, `IntegrationTarget`, parameter mapping),
//! a load balancer's `Type` and attributes, a target group's `Targets`, health check and attributes. The data
//! plane serves the stack as deployed (API Gateway -> VPC link v2 -> ALB -> Lambda, and the ALB's fixed 404);
//! a mis-wired stack fails its requests as AWS would; DeleteStack leaves nothing behind.

mod support;

use support::{form_encode, xml_all};

use std::{net::SocketAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use local_cloud::{Cloud, SharedCloud, aws::Clients, lambda::LambdaService};
use serde_json::{Value, json};

const REGION: &str = "us-east-1";
const BUCKET: &str = "cfn-code";
const KEY: &str = "fidelity/bootstrap.zip";

/// One call to moto, routed by the `service` of the credential scope (moto does not check signatures).
async fn moto_call(
    moto_url: &str,
    service: &str,
    method: Method,
    path: &str,
    body: Vec<u8>,
) -> (u16, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{moto_url}{path}"))
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20240101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
            ),
        );
    if service != "s3" {
        request = request.header("content-type", "application/x-www-form-urlencoded");
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
        .into_owned();
    (status, text)
}

/// A query-API call (CloudFormation, EC2); the answer must be a success.
async fn query(moto_url: &str, service: &str, params: &[(&str, &str)]) -> String {
    let version = match service {
        "cloudformation" => "2010-05-15",
        "ec2" => "2016-11-15",
        other => panic!("no query API version for {other}"),
    };
    let mut body: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect();
    body.push(format!("Version={version}"));
    let (status, xml) = moto_call(
        moto_url,
        service,
        Method::POST,
        "/",
        body.join("&").into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{service} {params:?}: {xml}");
    xml
}

/// Creates `name` from `template`; returns its outputs after checking it completed with every resource.
async fn create_stack(moto_url: &str, name: &str, template: &Value) -> Vec<(String, String)> {
    let body = template.to_string();
    query(
        moto_url,
        "cloudformation",
        &[
            ("Action", "CreateStack"),
            ("StackName", name),
            ("TemplateBody", &body),
        ],
    )
    .await;
    let xml = query(
        moto_url,
        "cloudformation",
        &[("Action", "DescribeStacks"), ("StackName", name)],
    )
    .await;
    if xml_all(&xml, "StackStatus") != ["CREATE_COMPLETE"] {
        let events = query(
            moto_url,
            "cloudformation",
            &[("Action", "DescribeStackEvents"), ("StackName", name)],
        )
        .await;
        panic!(
            "stack {name} did not complete: {:?}",
            xml_all(&events, "ResourceStatusReason")
        );
    }
    let listed = query(
        moto_url,
        "cloudformation",
        &[("Action", "ListStackResources"), ("StackName", name)],
    )
    .await;
    let mut listed = xml_all(&listed, "LogicalResourceId");
    listed.sort();
    let mut declared: Vec<String> = template["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    declared.sort();
    assert_eq!(listed, declared, "every resource of {name} is created");
    xml_all(&xml, "OutputKey")
        .into_iter()
        .zip(xml_all(&xml, "OutputValue"))
        .collect()
}

fn output(outputs: &[(String, String)], key: &str) -> String {
    outputs
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no output {key} in {outputs:?}"))
        .1
        .clone()
}

async fn delete_stack(moto_url: &str, name: &str) {
    query(
        moto_url,
        "cloudformation",
        &[("Action", "DeleteStack"), ("StackName", name)],
    )
    .await;
}

async fn call(cloud: &SharedCloud, host: &str, path: &str) -> Response<Bytes> {
    let mut req = Request::get(path)
        .header("host", host)
        .body(Bytes::new())
        .unwrap();
    req.extensions_mut()
        .insert("10.9.8.7:50000".parse::<SocketAddr>().unwrap());
    local_cloud::apigw::handle(cloud, req)
        .await
        .unwrap_or_else(|req| panic!("{} was not taken as execute-api traffic", req.uri()))
}

fn json_body(resp: &Response<Bytes>) -> Value {
    serde_json::from_slice(resp.body())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(resp.body())))
}

/// A private integration through the VPC link v2 to the ALB, as the pattern's SAM template writes it.
fn private_integration(uri_path: &str, connection: Value) -> Value {
    json!({
        "Type": "HTTP_PROXY", "IntegrationHttpMethod": "ANY",
        "Uri": {"Fn::Sub": format!("http://${{Alb.DNSName}}{uri_path}")},
        "ConnectionType": "VPC_LINK", "ConnectionId": connection,
        "IntegrationTarget": {"Ref": "Alb"},
        "RequestParameters": {"integration.request.path.proxy": "method.request.path.proxy"}
    })
}

/// The pattern's architecture in plain CloudFormation: VPC, subnets, security groups, internal ALB with a
/// fixed 404 and a rule forwarding to a Lambda target group, VPC link v2, REST API `/{proxy+}`. An NLB is
/// added only to check that a load balancer's `Type` is kept.
fn template() -> Value {
    json!({
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.20.0.0/16"}},
            "Subnet1": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
                "CidrBlock": {"Fn::Select": [0, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 8]}]}}},
            "Subnet2": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "Vpc"}, "AvailabilityZone": {"Fn::Select": [1, {"Fn::GetAZs": ""}]},
                "CidrBlock": {"Fn::Select": [1, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 8]}]}}},
            "LinkSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": "link", "VpcId": {"Ref": "Vpc"},
                "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                                         "DestinationSecurityGroupId": {"Ref": "AlbSg"}}]}},
            "AlbSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": "alb", "VpcId": {"Ref": "Vpc"},
                "SecurityGroupEgress": [{"IpProtocol": "icmp", "FromPort": 252, "ToPort": 86,
                                         "CidrIp": "255.255.255.255/32"}]}},
            "AlbIngress": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
                "GroupId": {"Ref": "AlbSg"}, "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                "SourceSecurityGroupId": {"Ref": "LinkSg"}}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}]}}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "Code": {"S3Bucket": BUCKET, "S3Key": KEY},
                "Handler": "bootstrap", "Runtime": "provided.al2023", "Timeout": 5,
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Environment": {"Variables": {"FIDELITY_MODE": "alb"}}}},
            "Permission": {"Type": "AWS::Lambda::Permission", "Properties": {
                "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]}, "Action": "lambda:InvokeFunction",
                "Principal": "elasticloadbalancing.amazonaws.com",
                "SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:targetgroup/cfn-fn-tg/*"}}},
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
                "Type": "application", "Scheme": "internal",
                "Subnets": [{"Ref": "Subnet1"}, {"Ref": "Subnet2"}], "SecurityGroups": [{"Ref": "AlbSg"}],
                "LoadBalancerAttributes": [{"Key": "routing.http.drop_invalid_header_fields.enabled",
                                            "Value": "true"}]}},
            "Nlb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
                "Type": "network", "Scheme": "internal", "Subnets": [{"Ref": "Subnet1"}]}},
            "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
                "LoadBalancerArn": {"Ref": "Alb"}, "Port": 80, "Protocol": "HTTP",
                "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {
                    "ContentType": "application/json", "MessageBody": "{\"message\":\"Not Found\"}",
                    "StatusCode": "404"}}]}},
            "Rule": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {
                "ListenerArn": {"Ref": "Listener"}, "Priority": 10,
                "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/hello"]}}],
                "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "FnTargetGroup"}}]}},
            "FnTargetGroup": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "DependsOn": "Permission",
                "Properties": {
                    "Name": "cfn-fn-tg", "TargetType": "lambda", "HealthCheckEnabled": false,
                    "TargetGroupAttributes": [{"Key": "lambda.multi_value_headers.enabled", "Value": "true"}],
                    "Targets": [{"Id": {"Fn::GetAtt": ["Fn", "Arn"]}}]}},
            "Link": {"Type": "AWS::ApiGatewayV2::VpcLink", "Properties": {
                "Name": "cfn-link", "SubnetIds": [{"Ref": "Subnet1"}, {"Ref": "Subnet2"}],
                "SecurityGroupIds": [{"Ref": "LinkSg"}]}},
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "cfn-private-alb"}},
            "Proxy": {"Type": "AWS::ApiGateway::Resource", "Properties": {
                "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                "PathPart": "{proxy+}"}},
            "ProxyMethod": {"Type": "AWS::ApiGateway::Method", "Properties": {
                "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Proxy"}, "HttpMethod": "ANY",
                "AuthorizationType": "NONE", "RequestParameters": {"method.request.path.proxy": true},
                "Integration": private_integration("/{proxy}", json!({"Ref": "Link"}))}},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": "ProxyMethod",
                "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
                "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "live"}}
        },
        "Outputs": {
            "ApiId": {"Value": {"Ref": "Api"}},
            "LinkId": {"Value": {"Ref": "Link"}},
            "LinkIdAttribute": {"Value": {"Fn::GetAtt": ["Link", "VpcLinkId"]}},
            "Subnet1": {"Value": {"Ref": "Subnet1"}},
            "Subnet2": {"Value": {"Ref": "Subnet2"}},
            "LinkSg": {"Value": {"Ref": "LinkSg"}},
            "AlbSg": {"Value": {"Ref": "AlbSg"}},
            "Alb": {"Value": {"Ref": "Alb"}},
            "Nlb": {"Value": {"Ref": "Nlb"}},
            "TargetGroup": {"Value": {"Ref": "FnTargetGroup"}},
            "FunctionArn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}
        }
    })
}

/// `GET /v2/vpclinks/{id}`: the status and the JSON answer.
async fn vpc_link_v2(moto_url: &str, id: &str) -> (u16, Value) {
    let (status, body) = moto_call(
        moto_url,
        "apigateway",
        Method::GET,
        &format!("/v2/vpclinks/{id}"),
        Vec::new(),
    )
    .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The egress rules of a security group, as DescribeSecurityGroups answers them (XML).
async fn egress_of(moto_url: &str, group: &str) -> String {
    let xml = query(
        moto_url,
        "ec2",
        &[("Action", "DescribeSecurityGroups"), ("GroupId.1", group)],
    )
    .await;
    xml.split("<ipPermissionsEgress>")
        .nth(1)
        .and_then(|rest| rest.split("</ipPermissionsEgress>").next())
        .unwrap_or_else(|| panic!("no egress rules in {xml}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_api_reaches_a_private_alb_through_a_vpc_link_v2_made_by_cloudformation() {
    let zip = support::fidelity_zip();
    let (moto, config) = support::start_moto("lc-cfn-alb-state").await;
    let state_dir = config.state_dir.clone();
    let url = moto.url();
    let aws = Clients::new(&url, REGION).await;
    let cloud: SharedCloud = Arc::new(Cloud::new(
        config.clone(),
        aws.clone(),
        LambdaService::new(&config, aws.clone()),
    ));
    let (status, text) =
        moto_call(&url, "s3", Method::PUT, &format!("/{BUCKET}"), Vec::new()).await;
    assert_eq!(status, 200, "{text}");
    let (status, text) = moto_call(&url, "s3", Method::PUT, &format!("/{BUCKET}/{KEY}"), zip).await;
    assert_eq!(status, 200, "{text}");

    let outputs = create_stack(&url, "private-alb", &template()).await;
    // The test wrote to moto directly, not through the edge, which would have bumped the generation.
    support::state_changed(&cloud);
    let out = |key: &str| output(&outputs, key);

    // Fn::Cidr: the VPC's first two /24s.
    let xml = query(
        &url,
        "ec2",
        &[
            ("Action", "DescribeSubnets"),
            ("SubnetId.1", &out("Subnet1")),
            ("SubnetId.2", &out("Subnet2")),
        ],
    )
    .await;
    let mut cidrs = xml_all(&xml, "cidrBlock");
    cidrs.sort();
    assert_eq!(cidrs, ["10.20.0.0/24", "10.20.1.0/24"]);

    // SecurityGroupEgress replaces the default allow-all rule.
    let alb_egress = egress_of(&url, &out("AlbSg")).await;
    assert!(
        alb_egress.contains("255.255.255.255/32") && !alb_egress.contains("0.0.0.0/0"),
        "{alb_egress}"
    );
    let link_egress = egress_of(&url, &out("LinkSg")).await;
    assert!(
        link_egress.contains(&out("AlbSg")) && !link_egress.contains("0.0.0.0/0"),
        "{link_egress}"
    );

    // AWS::ApiGatewayV2::VpcLink exists with its subnets and security group; Ref and GetAtt VpcLinkId agree.
    let link_id = out("LinkId");
    assert_eq!(out("LinkIdAttribute"), link_id);
    let (status, link) = vpc_link_v2(&url, &link_id).await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(link["name"], "cfn-link");
    assert_eq!(link["subnetIds"], json!([out("Subnet1"), out("Subnet2")]));
    assert_eq!(link["securityGroupIds"], json!([out("LinkSg")]));

    // The Method's whole integration, the connection fields included.
    let api_id = out("ApiId");
    let resources = aws
        .apigateway
        .get_resources()
        .rest_api_id(&api_id)
        .embed("methods")
        .send()
        .await
        .unwrap();
    let proxy = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/{proxy+}"))
        .expect("the proxy resource");
    let method = &proxy.resource_methods().unwrap()["ANY"];
    assert!(
        method.request_parameters().unwrap()["method.request.path.proxy"],
        "the method keeps its request parameters"
    );
    let integration = aws
        .apigateway
        .get_integration()
        .rest_api_id(&api_id)
        .resource_id(proxy.id().unwrap())
        .http_method("ANY")
        .send()
        .await
        .unwrap();
    assert_eq!(integration.r#type().unwrap().as_str(), "HTTP_PROXY");
    assert_eq!(integration.connection_type().unwrap().as_str(), "VPC_LINK");
    assert_eq!(integration.connection_id(), Some(link_id.as_str()));
    assert_eq!(integration.integration_target(), Some(out("Alb").as_str()));
    assert_eq!(
        integration.request_parameters().unwrap()["integration.request.path.proxy"],
        "method.request.path.proxy"
    );

    // Load balancers keep their Type and attributes; the target group its Targets, health check and attributes.
    let lbs = aws
        .elb
        .describe_load_balancers()
        .load_balancer_arns(out("Alb"))
        .load_balancer_arns(out("Nlb"))
        .send()
        .await
        .unwrap();
    let kinds: Vec<(&str, &str)> = lbs
        .load_balancers()
        .iter()
        .map(|lb| (lb.r#type().unwrap().as_str(), lb.scheme().unwrap().as_str()))
        .collect();
    assert_eq!(
        kinds,
        [("application", "internal"), ("network", "internal")]
    );
    let attributes = aws
        .elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(out("Alb"))
        .send()
        .await
        .unwrap();
    assert!(
        attributes.attributes().iter().any(|a| a.key()
            == Some("routing.http.drop_invalid_header_fields.enabled")
            && a.value() == Some("true")),
        "{attributes:?}"
    );
    let tg = out("TargetGroup");
    let groups = aws
        .elb
        .describe_target_groups()
        .target_group_arns(&tg)
        .send()
        .await
        .unwrap();
    assert_eq!(
        groups.target_groups()[0].health_check_enabled(),
        Some(false)
    );
    let targets = aws
        .elb
        .describe_target_health()
        .target_group_arn(&tg)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = targets
        .target_health_descriptions()
        .iter()
        .filter_map(|t| t.target()?.id())
        .collect();
    assert_eq!(ids, [out("FunctionArn").as_str()]);
    let tg_attributes = aws
        .elb
        .describe_target_group_attributes()
        .target_group_arn(&tg)
        .send()
        .await
        .unwrap();
    assert!(tg_attributes.attributes().iter().any(|a| a.key()
        == Some("lambda.multi_value_headers.enabled")
        && a.value() == Some("true")));

    // The data plane: API Gateway -> VPC link v2 -> the ALB named by IntegrationTarget -> Lambda.
    let host = format!("{api_id}.execute-api.localhost:4566");
    let r = call(&cloud, &host, "/live/hello?q=v").await;
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    let event = json_body(&r);
    assert_eq!(event["path"], "/hello");
    assert_eq!(
        event["requestContext"]["elb"]["targetGroupArn"],
        tg.as_str()
    );
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"q": ["v"]}),
        "the target group attribute is in effect"
    );
    let r = call(&cloud, &host, "/live/nope").await;
    assert_eq!(r.status(), 404);
    assert_eq!(json_body(&r), json!({"message": "Not Found"}));

    // DeleteStack leaves nothing: moto alone would keep the target group, listener and rule, and has no link.
    delete_stack(&url, "private-alb").await;
    let (status, _) = vpc_link_v2(&url, &link_id).await;
    assert_eq!(status, 404, "the VPC link v2 is deleted");
    let groups = aws.elb.describe_target_groups().send().await.unwrap();
    assert!(groups.target_groups().is_empty(), "{groups:?}");
    let lbs = aws.elb.describe_load_balancers().send().await.unwrap();
    assert!(lbs.load_balancers().is_empty(), "{lbs:?}");
    let apis = aws.apigateway.get_rest_apis().send().await.unwrap();
    assert!(apis.items().is_empty());
    let xml = query(&url, "ec2", &[("Action", "DescribeSecurityGroups")]).await;
    assert!(
        !xml.contains(&out("AlbSg")) && !xml.contains(&out("LinkSg")),
        "the security groups are deleted"
    );

    // Mis-wired, as AWS would fail it: without the Lambda permission the ALB answers 502, and an integration
    // whose ConnectionId is no VPC link v2 fails with 500 (it would otherwise reach the ALB's 404).
    let mut miswired = template();
    let resources = miswired["Resources"].as_object_mut().unwrap();
    resources.remove("Permission");
    resources["FnTargetGroup"]
        .as_object_mut()
        .unwrap()
        .remove("DependsOn");
    resources.insert(
        "Broken".into(),
        json!({"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
            "PathPart": "broken"}}),
    );
    resources.insert(
        "BrokenMethod".into(),
        json!({"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Broken"}, "HttpMethod": "GET",
            "AuthorizationType": "NONE",
            "Integration": private_integration("/nope", json!("nolink1"))}}),
    );
    resources["Deployment"]["DependsOn"] = json!(["ProxyMethod", "BrokenMethod"]);
    let outputs = create_stack(&url, "miswired", &miswired).await;
    support::state_changed(&cloud);
    let host = format!("{}.execute-api.localhost:4566", output(&outputs, "ApiId"));
    let r = call(&cloud, &host, "/live/hello").await;
    assert_eq!(r.status(), 502, "{}", String::from_utf8_lossy(r.body()));
    let r = call(&cloud, &host, "/live/nope").await;
    assert_eq!(r.status(), 404, "the ALB itself still answers");
    let r = call(&cloud, &host, "/live/broken").await;
    assert_eq!(
        (r.status().as_u16(), json_body(&r)["message"].as_str()),
        (500, Some("Internal server error"))
    );
    delete_stack(&url, "miswired").await;

    cloud.lambda.shutdown().await;
    moto.stop(Duration::from_secs(5)).await;
    let _ = std::fs::remove_dir_all(&state_dir);
}
