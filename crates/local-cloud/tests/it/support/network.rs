//! Networks and load balancers made through AWS APIs on moto: a VPC with two subnets (EC2's query API), load
//! balancers, listeners and rules (the ELBv2 SDK), and the actions and conditions the tests give them.

use aws_sdk_elasticloadbalancingv2::{
    Client,
    types::{
        Action, ActionTypeEnum, FixedResponseActionConfig, HostHeaderConditionConfig,
        LoadBalancerSchemeEnum, LoadBalancerTypeEnum, PathPatternConditionConfig, ProtocolEnum,
        RuleCondition,
    },
};

use super::moto::{query, xml_field};

/// A VPC (10.0.0.0/16) with two subnets in two availability zones: the VPC's id and the subnets'.
pub async fn vpc_with_two_subnets(moto_url: &str) -> (String, Vec<String>) {
    let vpc = xml_field(
        &query(
            moto_url,
            "ec2",
            &[("Action", "CreateVpc"), ("CidrBlock", "10.0.0.0/16")],
        )
        .await,
        "vpcId",
    );
    let mut subnets = Vec::new();
    for (cidr, az) in [("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")] {
        let params = [
            ("Action", "CreateSubnet"),
            ("VpcId", vpc.as_str()),
            ("CidrBlock", cidr),
            ("AvailabilityZone", az),
        ];
        subnets.push(xml_field(
            &query(moto_url, "ec2", &params).await,
            "subnetId",
        ));
    }
    (vpc, subnets)
}

/// A load balancer as created: its ARN and DNS name.
pub struct LoadBalancer {
    pub arn: String,
    pub dns: String,
}

/// CreateLoadBalancer; `scheme: None` sends no `Scheme`, as Terraform does for `internal = false`.
pub async fn load_balancer(
    elb: &Client,
    name: &str,
    kind: LoadBalancerTypeEnum,
    scheme: Option<LoadBalancerSchemeEnum>,
    subnets: &[String],
) -> LoadBalancer {
    let out = elb
        .create_load_balancer()
        .name(name)
        .r#type(kind)
        .set_scheme(scheme)
        .set_subnets(Some(subnets.to_vec()))
        .send()
        .await
        .unwrap();
    let lb = &out.load_balancers()[0];
    LoadBalancer {
        arn: lb.load_balancer_arn().unwrap().to_owned(),
        dns: lb.dns_name().unwrap().to_owned(),
    }
}

/// CreateListener with `default` as its default action: the listener's ARN.
pub async fn listener(
    elb: &Client,
    load_balancer: &str,
    protocol: ProtocolEnum,
    port: i32,
    default: Action,
) -> String {
    elb.create_listener()
        .load_balancer_arn(load_balancer)
        .protocol(protocol)
        .port(port)
        .default_actions(default)
        .send()
        .await
        .unwrap()
        .listeners()[0]
        .listener_arn()
        .unwrap()
        .to_owned()
}

/// CreateRule: `action` for requests meeting `condition`.
pub async fn rule(
    elb: &Client,
    listener: &str,
    priority: i32,
    condition: RuleCondition,
    action: Action,
) {
    elb.create_rule()
        .listener_arn(listener)
        .priority(priority)
        .conditions(condition)
        .actions(action)
        .send()
        .await
        .unwrap();
}

/// A fixed-response action answering `status` with `body` as text/plain.
pub fn fixed_response(status: &str, body: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(
            FixedResponseActionConfig::builder()
                .status_code(status)
                .content_type("text/plain")
                .message_body(body)
                .build(),
        )
        .build()
}

/// A forward action to target group `tg`.
pub fn forward(tg: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(tg)
        .build()
}

/// A path-pattern condition.
pub fn path_is(pattern: &str) -> RuleCondition {
    RuleCondition::builder()
        .field("path-pattern")
        .path_pattern_config(
            PathPatternConditionConfig::builder()
                .values(pattern)
                .build(),
        )
        .build()
}

/// A host-header condition.
pub fn host_is(pattern: &str) -> RuleCondition {
    RuleCondition::builder()
        .field("host-header")
        .host_header_config(HostHeaderConditionConfig::builder().values(pattern).build())
        .build()
}
