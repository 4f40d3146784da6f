//! Rule `vpc-link-v1-nlb-only`: a REST API VPC link (v1, `aws_api_gateway_vpc_link` /
//! `AWS::ApiGateway::VpcLink`) accepts only Network Load Balancers. AWS rejects an ALB at create time; moto
//! does not, so a pattern could deploy locally and fail on AWS.

use hcl::edit::expr::Expression;
use serde_yaml::Value;

use crate::cfn::{Template, ref_target};
use crate::validate::{
    Finding,
    tf_config::{self, TfBlock, TfModule},
};

const RULE: &str = "vpc-link-v1-nlb-only";
const FIX: &str = "a REST API VPC link (v1) targets only Network Load Balancers: put an NLB in front of the ALB \
                   (target group target_type = \"alb\") or use a VPC link v2";
const ELB: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";

/// One target of a VPC link: the `aws_lb` it names, or the expression when it names none.
pub enum TfTarget<'a> {
    Lb(String),
    Other(&'a Expression),
}

/// The VPC links of a module with their `target_arns`; `None` targets when `target_arns` is not a list literal.
pub fn terraform_links(module: &TfModule) -> Vec<(TfBlock<'_>, Option<Vec<TfTarget<'_>>>)> {
    module
        .resources("aws_api_gateway_vpc_link")
        .filter_map(|link| {
            let attr = link.attr("target_arns")?;
            let targets = tf_config::list_items(&attr.value).map(|items| {
                items
                    .into_iter()
                    .map(
                        |item| match tf_config::resource_ref(item, "aws_lb", &["arn", "id"]) {
                            Some(name) => TfTarget::Lb(name),
                            None => TfTarget::Other(item),
                        },
                    )
                    .collect()
            });
            Some((link, targets))
        })
        .collect()
}

pub fn terraform(module: &TfModule) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (link, targets) in terraform_links(module) {
        let finding = |message: String| {
            Finding::new(
                &link.file.path,
                format!("{}.target_arns", link.address()),
                RULE,
                message,
                FIX,
            )
            .at_line(link.attr_line("target_arns"))
        };
        let Some(targets) = targets else {
            findings.push(finding(format!(
                "target_arns of {} is not a list of aws_lb references, so its load balancer type cannot be \
                 checked; write it as [aws_lb.<nlb>.arn]",
                link.address()
            )));
            continue;
        };
        for target in targets {
            let problem = match target {
                TfTarget::Other(expr) => format!(
                    "{} targets `{}`, which is not an aws_lb of this configuration; write [aws_lb.<nlb>.arn] \
                     so the type can be checked",
                    link.address(),
                    tf_config::source_of(link.file, expr)
                ),
                TfTarget::Lb(name) => match module.resource("aws_lb", &name) {
                    None => format!(
                        "{} targets aws_lb.{name}, which is not declared",
                        link.address()
                    ),
                    Some(lb) => match lb_type(&lb) {
                        LbType::Network => continue,
                        kind => format!(
                            "{} targets aws_lb.{name} ({}:{}), {}",
                            link.address(),
                            lb.file
                                .path
                                .file_name()
                                .unwrap_or_default()
                                .to_string_lossy(),
                            lb.attr_line("load_balancer_type").unwrap_or(0),
                            kind.describe()
                        ),
                    },
                },
            };
            findings.push(finding(problem));
        }
    }
    findings
}

enum LbType {
    Network,
    Unset,
    Other(String),
    Unknown(String),
}

impl LbType {
    fn describe(&self) -> String {
        match self {
            LbType::Network => "a network load balancer".to_owned(),
            LbType::Unset => {
                "which has no load_balancer_type, so it is an application load balancer".to_owned()
            }
            LbType::Other(kind) => {
                format!("an {kind} load balancer (load_balancer_type = \"{kind}\")")
            }
            LbType::Unknown(src) => {
                format!("whose load_balancer_type is `{src}`, not the literal \"network\"")
            }
        }
    }
}

fn lb_type(lb: &TfBlock<'_>) -> LbType {
    match lb.attr("load_balancer_type") {
        None => LbType::Unset,
        Some(attr) => match tf_config::literal_str(&attr.value) {
            Some(kind) if kind == "network" => LbType::Network,
            Some(kind) => LbType::Other(kind),
            None => LbType::Unknown(tf_config::source_of(lb.file, &attr.value).to_owned()),
        },
    }
}

/// The logical ids a template's VPC links target (as written; may name non-load-balancers).
pub fn cfn_targets(template: &Template) -> Vec<String> {
    template
        .resources()
        .iter()
        .filter(|r| r.rtype == "AWS::ApiGateway::VpcLink")
        .filter_map(|r| r.prop("TargetArns")?.as_sequence())
        .flatten()
        .filter_map(ref_target)
        .collect()
}

pub fn cfn(template: &Template) -> Vec<Finding> {
    let mut findings = Vec::new();
    for link in template
        .resources()
        .into_iter()
        .filter(|r| r.rtype == "AWS::ApiGateway::VpcLink")
    {
        let Some(targets) = link.prop("TargetArns") else {
            continue;
        };
        let line = template.line(&["Resources", link.id, "Properties", "TargetArns"]);
        let finding = |message: String| {
            Finding::new(
                &template.path,
                link.path(&["TargetArns"]),
                RULE,
                message,
                FIX,
            )
            .at_line(line)
        };
        let Some(items) = targets.as_sequence() else {
            findings.push(finding(format!(
                "TargetArns of {} is not a list of !Ref to load balancers, so their type cannot be checked",
                link.id
            )));
            continue;
        };
        for item in items {
            let Some(id) = ref_target(item) else {
                findings.push(finding(format!(
                    "{} targets {}, which is not a !Ref to a load balancer of this template",
                    link.id,
                    serde_yaml::to_string(item).unwrap_or_default().trim()
                )));
                continue;
            };
            let problem = match template.resource(&id) {
                Some(lb) if lb.rtype == ELB => match lb.prop("Type") {
                    Some(Value::String(kind)) if kind == "network" => continue,
                    Some(Value::String(kind)) => {
                        format!("{} targets {id}, an {kind} load balancer", link.id)
                    }
                    Some(_) => format!(
                        "{} targets {id}, whose Type is not the literal `network`",
                        link.id
                    ),
                    None => format!(
                        "{} targets {id}, which has no Type, so it is an application load balancer",
                        link.id
                    ),
                },
                Some(other) => format!(
                    "{} targets {id}, a {}, not a load balancer",
                    link.id, other.rtype
                ),
                None => format!(
                    "{} targets {id}, which is not a load balancer resource of this template",
                    link.id
                ),
            };
            findings.push(finding(problem));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::rules::test_util::{line_of, module};

    const TF: &str = r#"
resource "aws_lb" "nlb" {
  name               = "n"
  load_balancer_type = "network"
}

resource "aws_lb" "alb" {
  name               = "a"
  load_balancer_type = "application"
}

resource "aws_lb" "untyped" {
  name = "u"
}

resource "aws_api_gateway_vpc_link" "link" {
  name        = "l"
  target_arns = [aws_lb.nlb.arn]
}
"#;

    #[test]
    fn link_to_an_nlb_passes() {
        assert!(terraform(&module(TF)).is_empty());
    }

    #[test]
    fn link_to_an_application_lb_is_a_finding() {
        let text = TF.replace("[aws_lb.nlb.arn]", "[aws_lb.alb.arn]");
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, RULE);
        assert_eq!(
            f.location,
            "resource.aws_api_gateway_vpc_link.link.target_arns"
        );
        assert_eq!(f.line, Some(line_of(&text, "target_arns")));
        assert!(f.message.contains("aws_lb.alb"), "{}", f.message);
        assert!(
            f.message.contains("an application load balancer"),
            "{}",
            f.message
        );
        assert!(f.fix.contains("NLB in front of the ALB"));
    }

    #[test]
    fn link_to_an_untyped_lb_or_a_variable_is_a_finding() {
        let text = TF.replace("[aws_lb.nlb.arn]", "[aws_lb.untyped.arn, var.lb_arn]");
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert!(findings[0].message.contains("no load_balancer_type"));
        assert!(findings[1].message.contains("`var.lb_arn`"));
    }

    const CFN: &str = "
Resources:
  Nlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: network
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: internal
  Link:
    Type: AWS::ApiGateway::VpcLink
    Properties:
      Name: l
      TargetArns:
        - !Ref Nlb
";

    #[test]
    fn cfn_link_to_an_nlb_passes() {
        assert!(cfn(&Template::parse(CFN)).is_empty());
    }

    #[test]
    fn cfn_link_to_an_alb_is_a_finding() {
        let text = CFN.replace(
            "- !Ref Nlb",
            "- !Ref Nlb\n        - !GetAtt Alb.LoadBalancerArn",
        );
        let findings = cfn(&Template::parse(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].location, "Resources.Link.Properties.TargetArns");
        assert_eq!(findings[0].line, Some(line_of(&text, "TargetArns")));
        assert!(
            findings[0].message.contains("Alb, which has no Type"),
            "{}",
            findings[0].message
        );
    }
}
