//! Rule `vpc-link-v2-integration-target`: a REST API private integration over a VPC link v2 names its load
//! balancer in `integrationTarget` (the ARN of an ALB or NLB of the same IaC), and one over a VPC link v1 sets
//! none (the v1 link's NLB is the target). AWS refuses both mismatches; moto accepts them, so a pattern could
//! deploy locally and fail on AWS.
//! Over 400 lines: its unit tests, one per template shape, sit beside the rule.

use serde_yaml::Value;

use crate::cfn::{Resource, Template, ref_target};
use crate::validate::{
    Finding,
    tf_config::{self, TfBlock, TfModule},
};

const RULE: &str = "vpc-link-v2-integration-target";
const ELB: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
const LINK_V1: &str = "AWS::ApiGateway::VpcLink";
const LINK_V2: &str = "AWS::ApiGatewayV2::VpcLink";
const FIX_V2: &str = "set the integration target to the ARN of the ALB or NLB the VPC link v2 reaches \
                      (CloudFormation: `IntegrationTarget: !Ref <LoadBalancer>`; Terraform: `integration_target = \
                      aws_lb.<name>.arn`, which hashicorp/aws 5.100 cannot set: use a v1 VPC link to an NLB there)";
const FIX_V1: &str = "remove the integration target: a v1 VPC link reaches its own NLB; use a VPC link v2 \
                      (AWS::ApiGatewayV2::VpcLink / aws_apigatewayv2_vpc_link) to name the load balancer";

/// The `aws_lb` each Terraform integration over a VPC link v2 targets: (integration address, `aws_lb` name).
pub fn terraform_targets(module: &TfModule) -> Vec<(String, String)> {
    module
        .resources("aws_api_gateway_integration")
        .filter_map(|integration| {
            let target = integration.attr("integration_target")?;
            let lb = tf_config::resource_ref(&target.value, "aws_lb", &["arn", "id"])?;
            Some((integration.address(), lb))
        })
        .collect()
}

pub fn terraform(module: &TfModule) -> Vec<Finding> {
    let mut findings = Vec::new();
    for integration in module.resources("aws_api_gateway_integration") {
        let Some(connection) = integration.attr("connection_id") else {
            continue;
        };
        let target = integration.attr("integration_target");
        let finding = |key: &str, message: String, fix: &str| {
            Finding::new(
                &integration.file.path,
                format!("{}.{key}", integration.address()),
                RULE,
                message,
                fix,
            )
            .at_line(integration.attr_line(key))
        };
        if let Some(link) =
            tf_config::resource_ref(&connection.value, "aws_apigatewayv2_vpc_link", &["id"])
        {
            match target {
                None => findings.push(finding(
                    "connection_id",
                    format!(
                        "{} goes through the VPC link v2 aws_apigatewayv2_vpc_link.{link} but has no \
                         integration_target, so API Gateway does not know which load balancer to reach",
                        integration.address()
                    ),
                    FIX_V2,
                )),
                Some(attr) => {
                    if let Some(problem) = tf_target_problem(module, &integration, &attr.value) {
                        findings.push(finding("integration_target", problem, FIX_V2));
                    }
                }
            }
        } else if let Some(link) =
            tf_config::resource_ref(&connection.value, "aws_api_gateway_vpc_link", &["id"])
            && target.is_some()
        {
            findings.push(finding(
                "integration_target",
                format!(
                    "{} goes through the v1 VPC link aws_api_gateway_vpc_link.{link}, which does not take an \
                     integration_target",
                    integration.address()
                ),
                FIX_V1,
            ));
        }
    }
    findings
}

fn tf_target_problem(
    module: &TfModule,
    integration: &TfBlock<'_>,
    value: &hcl::edit::expr::Expression,
) -> Option<String> {
    let Some(name) = tf_config::resource_ref(value, "aws_lb", &["arn", "id"]) else {
        return Some(format!(
            "{} has integration_target `{}`, which is not the ARN of an aws_lb of this configuration",
            integration.address(),
            tf_config::source_of(integration.file, value)
        ));
    };
    let Some(lb) = module.resource("aws_lb", &name) else {
        return Some(format!(
            "{} targets aws_lb.{name}, which is not declared",
            integration.address()
        ));
    };
    (lb.literal("load_balancer_type").as_deref() == Some("gateway")).then(|| {
        format!(
            "{} targets aws_lb.{name}, a gateway load balancer; only ALBs and NLBs can be integration targets",
            integration.address()
        )
    })
}

/// Each CloudFormation method integration that names a load balancer resource: (method id, load balancer id).
pub fn cfn_targets(template: &Template) -> Vec<(String, String)> {
    template
        .resources()
        .into_iter()
        .filter(|r| r.rtype == "AWS::ApiGateway::Method")
        .filter_map(|method| {
            let target = method.prop("Integration")?.get("IntegrationTarget")?;
            let id = ref_target(target)?;
            (template.resource(&id)?.rtype == ELB).then(|| (method.id.to_owned(), id))
        })
        .collect()
}

pub fn cfn(template: &Template) -> Vec<Finding> {
    let mut findings = Vec::new();
    for method in template
        .resources()
        .into_iter()
        .filter(|r| r.rtype == "AWS::ApiGateway::Method")
    {
        let Some(integration) = method.prop("Integration") else {
            continue;
        };
        let Some(link_id) = integration.get("ConnectionId").and_then(ref_target) else {
            continue; // a literal id or a stage variable: its version cannot be told from the template
        };
        let Some(link) = template.resource(&link_id) else {
            continue;
        };
        let target = integration.get("IntegrationTarget");
        let finding = |key: &str, message: String, fix: &str| {
            Finding::new(
                &template.path,
                method.path(&["Integration", key]),
                RULE,
                message,
                fix,
            )
            .at_line(
                template
                    .line(&["Resources", method.id, "Properties", "Integration", key])
                    .or_else(|| template.line(&["Resources", method.id])),
            )
        };
        match (link.rtype, target) {
            (LINK_V2, None) => findings.push(finding(
                "ConnectionId",
                format!(
                    "{} goes through the VPC link v2 {link_id} but has no IntegrationTarget, so API Gateway \
                     does not know which load balancer to reach",
                    method.id
                ),
                FIX_V2,
            )),
            (LINK_V2, Some(target)) => {
                if let Some(problem) = cfn_target_problem(template, &method, target) {
                    findings.push(finding("IntegrationTarget", problem, FIX_V2));
                }
            }
            (LINK_V1, Some(_)) => findings.push(finding(
                "IntegrationTarget",
                format!(
                    "{} goes through the v1 VPC link {link_id}, which does not take an IntegrationTarget",
                    method.id
                ),
                FIX_V1,
            )),
            _ => {}
        }
    }
    findings
}

fn cfn_target_problem(
    template: &Template,
    method: &Resource<'_>,
    target: &Value,
) -> Option<String> {
    let Some(id) = ref_target(target) else {
        return Some(format!(
            "{} has IntegrationTarget {}, which is not a !Ref to a load balancer of this template",
            method.id,
            serde_yaml::to_string(target).unwrap_or_default().trim()
        ));
    };
    match template.resource(&id) {
        Some(lb) if lb.rtype == ELB => match lb.prop("Type").and_then(Value::as_str) {
            Some("gateway") => Some(format!(
                "{} targets {id}, a gateway load balancer; only ALBs and NLBs can be integration targets",
                method.id
            )),
            _ => None,
        },
        Some(other) if other.rtype == "AWS::ElasticLoadBalancingV2::Listener" => Some(format!(
            "{} targets the listener {id}; IntegrationTarget is the load balancer's ARN (the URI's port picks \
             the listener)",
            method.id
        )),
        Some(other) => Some(format!(
            "{} targets {id}, a {}, not a load balancer",
            method.id, other.rtype
        )),
        None => Some(format!(
            "{} targets {id}, which is not a load balancer resource of this template",
            method.id
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::rules::test_util::{line_of, module};

    const CFN: &str = "
Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: internal
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
  Nlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: network
      Scheme: internal
  LinkV2:
    Type: AWS::ApiGatewayV2::VpcLink
    Properties:
      SubnetIds: [subnet-1]
  LinkV1:
    Type: AWS::ApiGateway::VpcLink
    Properties:
      TargetArns: [!Ref Nlb]
  ToAlb:
    Type: AWS::ApiGateway::Method
    Properties:
      HttpMethod: ANY
      Integration:
        Type: HTTP_PROXY
        ConnectionType: VPC_LINK
        ConnectionId: !Ref LinkV2
        IntegrationTarget: !Ref Alb
  ToNlb:
    Type: AWS::ApiGateway::Method
    Properties:
      HttpMethod: ANY
      Integration:
        Type: HTTP_PROXY
        ConnectionType: VPC_LINK
        ConnectionId: !Ref LinkV1
";

    #[test]
    fn cfn_v2_with_a_load_balancer_target_and_v1_without_pass() {
        let t = Template::parse(CFN);
        assert!(cfn(&t).is_empty(), "{:#?}", cfn(&t));
        assert_eq!(cfn_targets(&t), [("ToAlb".to_owned(), "Alb".to_owned())]);
    }

    #[test]
    fn cfn_v2_without_a_target_is_a_finding_on_the_connection() {
        let text = CFN.replace("        IntegrationTarget: !Ref Alb\n", "");
        let findings = cfn(&Template::parse(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, RULE);
        assert_eq!(
            f.location,
            "Resources.ToAlb.Properties.Integration.ConnectionId"
        );
        assert_eq!(f.line, Some(line_of(&text, "ConnectionId: !Ref LinkV2")));
        assert!(f.message.contains("no IntegrationTarget"), "{}", f.message);
    }

    #[test]
    fn cfn_v2_targets_must_be_load_balancers_not_listeners() {
        let text = CFN.replace(
            "IntegrationTarget: !Ref Alb",
            "IntegrationTarget: !Ref Listener",
        );
        let findings = cfn(&Template::parse(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].location,
            "Resources.ToAlb.Properties.Integration.IntegrationTarget"
        );
        assert_eq!(findings[0].line, Some(line_of(&text, "!Ref Listener")));
        assert!(
            findings[0].message.contains("listener Listener"),
            "{}",
            findings[0].message
        );
        let text = CFN.replace(
            "IntegrationTarget: !Ref Alb",
            "IntegrationTarget: arn:aws:x",
        );
        let findings = cfn(&Template::parse(&text));
        assert!(
            findings[0]
                .message
                .contains("not a !Ref to a load balancer"),
            "{findings:#?}"
        );
    }

    #[test]
    fn cfn_v1_with_a_target_is_a_finding() {
        let text = CFN.replace(
            "        ConnectionId: !Ref LinkV1\n",
            "        ConnectionId: !Ref LinkV1\n        IntegrationTarget: !Ref Nlb\n",
        );
        let findings = cfn(&Template::parse(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].location,
            "Resources.ToNlb.Properties.Integration.IntegrationTarget"
        );
        assert!(findings[0].fix.contains("VPC link v2"));
    }

    const TF: &str = r#"
resource "aws_lb" "alb" {
  internal           = true
  load_balancer_type = "application"
}

resource "aws_apigatewayv2_vpc_link" "v2" {
  name       = "l"
  subnet_ids = ["subnet-1"]
}

resource "aws_api_gateway_integration" "proxy" {
  type               = "HTTP_PROXY"
  connection_type    = "VPC_LINK"
  connection_id      = aws_apigatewayv2_vpc_link.v2.id
  integration_target = aws_lb.alb.arn
}
"#;

    #[test]
    fn terraform_v2_with_a_target_passes() {
        assert!(terraform(&module(TF)).is_empty());
        assert_eq!(
            terraform_targets(&module(TF)),
            [(
                "resource.aws_api_gateway_integration.proxy".to_owned(),
                "alb".to_owned()
            )]
        );
    }

    #[test]
    fn terraform_v2_without_a_target_and_v1_with_one_are_findings() {
        let text = TF.replace("  integration_target = aws_lb.alb.arn\n", "");
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].location,
            "resource.aws_api_gateway_integration.proxy.connection_id"
        );
        assert_eq!(findings[0].line, Some(line_of(&text, "connection_id")));
        assert!(findings[0].fix.contains("hashicorp/aws 5.100 cannot set"));

        let text = format!(
            "{TF}\nresource \"aws_api_gateway_vpc_link\" \"v1\" {{\n  target_arns = []\n}}\n"
        )
        .replace(
            "aws_apigatewayv2_vpc_link.v2.id\n",
            "aws_api_gateway_vpc_link.v1.id\n",
        );
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].location,
            "resource.aws_api_gateway_integration.proxy.integration_target"
        );
        assert!(findings[0].message.contains("v1 VPC link"));
    }

    #[test]
    fn terraform_v2_target_that_is_no_declared_lb_is_a_finding() {
        let text = TF.replace("aws_lb.alb.arn", "var.alb_arn");
        let findings = terraform(&module(&text));
        assert!(
            findings[0].message.contains("`var.alb_arn`"),
            "{findings:#?}"
        );
        let text = TF.replace("aws_lb.alb.arn", "aws_lb.gone.arn");
        let findings = terraform(&module(&text));
        assert!(
            findings[0].message.contains("not declared"),
            "{findings:#?}"
        );
    }
}
