//! What the launcher adds to moto's CloudFormation for a REST API reaching a private ALB through a VPC link
//! v2, against a real moto: `Fn::Cidr`, security groups' `SecurityGroupEgress`, `AWS::ApiGatewayV2::VpcLink`,
//! a Method's whole integration (`ConnectionType`, `ConnectionId`, `IntegrationTarget`, parameter mapping),
//! a load balancer's `Type` and attributes, a target group's `Targets`, health check and attributes. The data
//! plane serves the stack as deployed (API Gateway -> VPC link v2 -> ALB -> Lambda, and the ALB's fixed 404);
//! a mis-wired stack fails its requests as AWS would; DeleteStack leaves nothing behind.

use std::sync::OnceLock;

use http::Method;
use local_cloud::{SharedCloud, aws::Clients};
use serde_json::json;

use crate::support::{
    Cases,
    cloud::{LocalCloud, execute_api, json_body, state_changed},
    functions::fidelity_zip,
    moto::{apigateway_get, call, query, xml_all},
    private_alb::{BUCKET, KEY, miswired, template},
    stacks::{create_stack, delete_stack, output},
};

/// What the cases share: the stack's outputs, once the case creating it has passed.
struct Stack {
    url: String,
    aws: Clients,
    cloud: SharedCloud,
    outputs: OnceLock<Vec<(String, String)>>,
}

impl Stack {
    fn out(&self, key: &str) -> String {
        let outputs = self
            .outputs
            .get()
            .expect("the case creating the stack failed");
        output(outputs, key)
    }

    /// The egress rules of a security group, as DescribeSecurityGroups answers them (XML).
    async fn egress_of(&self, group: &str) -> String {
        let params = [("Action", "DescribeSecurityGroups"), ("GroupId.1", group)];
        let xml = query(&self.url, "ec2", &params).await;
        xml_all(&xml, "ipPermissionsEgress")
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no egress rules in {xml}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_api_reaches_a_private_alb_through_a_vpc_link_v2_made_by_cloudformation() {
    let local = LocalCloud::start("lc-cfn-alb-state").await;
    let mut cases = Cases::new(Stack {
        url: local.url.clone(),
        aws: local.aws.clone(),
        cloud: local.cloud.clone(),
        outputs: OnceLock::new(),
    });

    cases
        .case(
            "the stack completes with every resource, the function's code from S3",
            |c| async move {
                let path = format!("/{BUCKET}");
                let (status, text) = call(&c.url, "s3", Method::PUT, &path, Vec::new()).await;
                assert_eq!(status, 200, "{text}");
                let path = format!("/{BUCKET}/{KEY}");
                let (status, text) = call(&c.url, "s3", Method::PUT, &path, fidelity_zip()).await;
                assert_eq!(status, 200, "{text}");
                let outputs = create_stack(&c.url, "private-alb", &template()).await;
                // The test wrote to moto directly, not through the edge, which would have bumped the
                // generation.
                state_changed(&c.cloud);
                c.outputs.set(outputs).unwrap();
            },
        )
        .await;
    cases
        .case("Fn::Cidr: the VPC's first two /24s", |c| async move {
            let params = [
                ("Action", "DescribeSubnets"),
                ("SubnetId.1", &c.out("Subnet1")),
                ("SubnetId.2", &c.out("Subnet2")),
            ];
            let xml = query(&c.url, "ec2", &params).await;
            let mut cidrs = xml_all(&xml, "cidrBlock");
            cidrs.sort();
            assert_eq!(cidrs, ["10.20.0.0/24", "10.20.1.0/24"]);
        })
        .await;
    cases
        .case(
            "SecurityGroupEgress replaces the default allow-all rule",
            |c| async move {
                let alb_egress = c.egress_of(&c.out("AlbSg")).await;
                assert!(
                    alb_egress.contains("255.255.255.255/32") && !alb_egress.contains("0.0.0.0/0"),
                    "{alb_egress}"
                );
                let link_egress = c.egress_of(&c.out("LinkSg")).await;
                assert!(
                    link_egress.contains(&c.out("AlbSg")) && !link_egress.contains("0.0.0.0/0"),
                    "{link_egress}"
                );
            },
        )
        .await;
    cases
        .case(
            "AWS::ApiGatewayV2::VpcLink exists with its subnets and security group; Ref and GetAtt VpcLinkId agree",
            |c| async move {
                let link_id = c.out("LinkId");
                assert_eq!(c.out("LinkIdAttribute"), link_id);
                let (status, link) = apigateway_get(&c.url, &format!("/v2/vpclinks/{link_id}")).await;
                assert_eq!(status, 200, "{link}");
                assert_eq!(link["name"], "cfn-link");
                assert_eq!(link["subnetIds"], json!([c.out("Subnet1"), c.out("Subnet2")]));
                assert_eq!(link["securityGroupIds"], json!([c.out("LinkSg")]));
            },
        )
        .await;
    cases
        .case(
            "the Method's whole integration, the connection fields included",
            |c| async move {
                let api_id = c.out("ApiId");
                let resources = c
                    .aws
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
                let integration = c
                    .aws
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
                assert_eq!(integration.connection_id(), Some(c.out("LinkId").as_str()));
                assert_eq!(
                    integration.integration_target(),
                    Some(c.out("Alb").as_str())
                );
                assert_eq!(
                    integration.request_parameters().unwrap()["integration.request.path.proxy"],
                    "method.request.path.proxy"
                );
            },
        )
        .await;
    cases
        .case(
            "load balancers keep their Type and attributes",
            |c| async move {
                let lbs = c
                    .aws
                    .elb
                    .describe_load_balancers()
                    .load_balancer_arns(c.out("Alb"))
                    .load_balancer_arns(c.out("Nlb"))
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
                let attributes = c
                    .aws
                    .elb
                    .describe_load_balancer_attributes()
                    .load_balancer_arn(c.out("Alb"))
                    .send()
                    .await
                    .unwrap();
                assert!(
                    attributes.attributes().iter().any(|a| a.key()
                        == Some("routing.http.drop_invalid_header_fields.enabled")
                        && a.value() == Some("true")),
                    "{attributes:?}"
                );
            },
        )
        .await;
    cases
        .case(
            "the target group keeps its Targets, health check and attributes",
            |c| async move {
                let tg = c.out("TargetGroup");
                let elb = &c.aws.elb;
                let groups = elb
                    .describe_target_groups()
                    .target_group_arns(&tg)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    groups.target_groups()[0].health_check_enabled(),
                    Some(false)
                );
                let targets = elb
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
                assert_eq!(ids, [c.out("FunctionArn").as_str()]);
                let tg_attributes = elb
                    .describe_target_group_attributes()
                    .target_group_arn(&tg)
                    .send()
                    .await
                    .unwrap();
                assert!(
                    tg_attributes
                        .attributes()
                        .iter()
                        .any(|a| a.key() == Some("lambda.multi_value_headers.enabled")
                            && a.value() == Some("true"))
                );
            },
        )
        .await;
    cases
        .case(
            "the data plane: API Gateway -> VPC link v2 -> the ALB named by IntegrationTarget -> Lambda",
            |c| async move {
                let host = format!("{}.execute-api.localhost:4566", c.out("ApiId"));
                let r = execute_api(&c.cloud, "GET", &host, "/live/hello?q=v").await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let event = json_body(&r);
                assert_eq!(event["path"], "/hello");
                assert_eq!(
                    event["requestContext"]["elb"]["targetGroupArn"],
                    c.out("TargetGroup").as_str()
                );
                assert_eq!(
                    event["multiValueQueryStringParameters"],
                    json!({"q": ["v"]}),
                    "the target group attribute is in effect"
                );
                let r = execute_api(&c.cloud, "GET", &host, "/live/nope").await;
                assert_eq!(r.status(), 404);
                assert_eq!(json_body(&r), json!({"message": "Not Found"}));
            },
        )
        .await;
    // After the cases reading the stack.
    cases
        .case(
            "DeleteStack leaves nothing: moto alone would keep the target group, listener and rule, and has no link",
            |c| async move {
                delete_stack(&c.url, "private-alb").await;
                let link = format!("/v2/vpclinks/{}", c.out("LinkId"));
                let (status, _) = apigateway_get(&c.url, &link).await;
                assert_eq!(status, 404, "the VPC link v2 is deleted");
                let groups = c.aws.elb.describe_target_groups().send().await.unwrap();
                assert!(groups.target_groups().is_empty(), "{groups:?}");
                let lbs = c.aws.elb.describe_load_balancers().send().await.unwrap();
                assert!(lbs.load_balancers().is_empty(), "{lbs:?}");
                let apis = c.aws.apigateway.get_rest_apis().send().await.unwrap();
                assert!(apis.items().is_empty());
                let xml = query(&c.url, "ec2", &[("Action", "DescribeSecurityGroups")]).await;
                assert!(
                    !xml.contains(&c.out("AlbSg")) && !xml.contains(&c.out("LinkSg")),
                    "the security groups are deleted"
                );
            },
        )
        .await;
    // After DeleteStack above: the mis-wired stack reuses the names.
    cases
        .case(
            "mis-wired, as AWS would fail it: without the Lambda permission the ALB answers 502, and an \
             integration whose ConnectionId is no VPC link v2 fails with 500",
            |c| async move {
                let outputs = create_stack(&c.url, "miswired", &miswired()).await;
                state_changed(&c.cloud);
                let host = format!("{}.execute-api.localhost:4566", output(&outputs, "ApiId"));
                let r = execute_api(&c.cloud, "GET", &host, "/live/hello").await;
                assert_eq!(r.status(), 502, "{}", String::from_utf8_lossy(r.body()));
                let r = execute_api(&c.cloud, "GET", &host, "/live/nope").await;
                assert_eq!(r.status(), 404, "the ALB itself still answers");
                let r = execute_api(&c.cloud, "GET", &host, "/live/broken").await;
                assert_eq!(
                    (r.status().as_u16(), json_body(&r)["message"].as_str()),
                    (500, Some("Internal server error"))
                );
                delete_stack(&c.url, "miswired").await;
            },
        )
        .await;

    local.stop(cases.all_passed()).await;
    cases.finish();
}
