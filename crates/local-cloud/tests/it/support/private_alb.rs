//! The pattern's private-ALB architecture in plain CloudFormation, as the SAM template writes it: VPC, subnets,
//! security groups, an internal ALB with a fixed 404 and a rule forwarding to a Lambda target group, a VPC link
//! v2, a REST API `/{proxy+}`; and the same stack mis-wired. The function's code is read from S3
//! ([`BUCKET`]/[`KEY`]).

use serde_json::{Value, json};

pub const BUCKET: &str = "cfn-code";
pub const KEY: &str = "fidelity/bootstrap.zip";

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
pub fn template() -> Value {
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

/// The stack mis-wired, as AWS would fail it: no Lambda permission for the ALB, and `/broken`, whose private
/// integration's ConnectionId is no VPC link v2 (it would otherwise reach the ALB's 404).
pub fn miswired() -> Value {
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
    miswired
}
