//! Rule `lb-internal`: a load balancer meant to be private is really internal. That is one whose name says so
//! (`internal`, `private`, `pvt` in the resource name, `name`, `name_prefix` or `Name` tag), one a VPC link
//! targets (a v1 link's `target_arns`, or an integration's target over a VPC link v2), or one that is the target
//! of an `alb`-type target group. An internet-facing load balancer there
//! works on moto and on AWS alike, but exposes what the pattern claims is private.
//! Over 400 lines: its unit tests, one per template shape, sit beside the rule.

use std::collections::BTreeMap;

use hcl::edit::expr::{Expression, ObjectKey};
use serde_yaml::Value;

use super::{vpc_link, vpc_link_v2};
use crate::cfn::{Resource, Template, ref_target, strings};
use crate::validate::{
    Finding,
    tf_config::{self, TfBlock, TfModule},
};

const RULE: &str = "lb-internal";
const MARKERS: [&str; 3] = ["internal", "private", "pvt"];
const ELB: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";

/// The marker a name contains, if any.
fn marker(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    MARKERS.into_iter().find(|m| lower.contains(m))
}

pub fn terraform(module: &TfModule) -> Vec<Finding> {
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for lb in module.resources("aws_lb") {
        for (what, name) in tf_names(&lb) {
            if let Some(m) = marker(&name) {
                reasons
                    .entry(lb.name.to_owned())
                    .or_default()
                    .push(format!("its {what} \"{name}\" says {m}"));
            }
        }
    }
    for (link, targets) in vpc_link::terraform_links(module) {
        for target in targets.into_iter().flatten() {
            if let vpc_link::TfTarget::Lb(name) = target {
                reasons
                    .entry(name)
                    .or_default()
                    .push(format!("{} targets it", link.address()));
            }
        }
    }
    for (integration, name) in vpc_link_v2::terraform_targets(module) {
        reasons
            .entry(name)
            .or_default()
            .push(format!("{integration} reaches it through a VPC link v2"));
    }
    for group in module.resources("aws_lb_target_group") {
        if group.literal("target_type").as_deref() != Some("alb") {
            continue;
        }
        for attachment in module.resources("aws_lb_target_group_attachment") {
            let attached = attachment.attr("target_group_arn").and_then(|a| {
                tf_config::resource_ref(&a.value, "aws_lb_target_group", &["arn", "id"])
            });
            let target = attachment
                .attr("target_id")
                .and_then(|a| tf_config::resource_ref(&a.value, "aws_lb", &["arn", "id"]));
            if let (Some(attached), Some(target)) = (attached, target)
                && attached == group.name
            {
                reasons.entry(target).or_default().push(format!(
                    "it is the target of the alb-type target group {}",
                    group.address()
                ));
            }
        }
    }

    let mut findings = Vec::new();
    for (name, why) in reasons {
        let Some(lb) = module.resource("aws_lb", &name) else {
            continue;
        };
        let state = match lb.attr("internal") {
            None => "internal is not set (it defaults to false: internet-facing)".to_owned(),
            Some(attr) => match &attr.value {
                Expression::Bool(b) if *b.value() => continue,
                Expression::Bool(_) => "internal = false".to_owned(),
                other => format!(
                    "internal = {}, not the literal true",
                    tf_config::source_of(lb.file, other)
                ),
            },
        };
        findings.push(
            Finding::new(
                &lb.file.path,
                format!("{}.internal", lb.address()),
                RULE,
                format!("aws_lb.{name} must be internal ({}), but {state}", why.join("; ")),
                "set internal = true: an internal load balancer is reachable only inside the VPC (through the VPC link)",
            )
            .at_line(lb.attr_line("internal")),
        );
    }
    findings
}

/// The names of an `aws_lb`: resource name, `name`, `name_prefix` and the `Name` tag (literal parts).
fn tf_names(lb: &TfBlock<'_>) -> Vec<(&'static str, String)> {
    let mut names = vec![("resource name", lb.name.to_owned())];
    for key in ["name", "name_prefix"] {
        if let Some(attr) = lb.attr(key) {
            names.push((key, tf_config::literal_parts(&attr.value).concat()));
        }
    }
    if let Some(tag) = lb.attr("tags").and_then(|a| object_value(&a.value, "Name")) {
        names.push(("Name tag", tf_config::literal_parts(tag).concat()));
    }
    names
}

/// The value of `key` in an object literal, also inside function arguments such as `merge(local.tags, {...})`.
fn object_value<'e>(expr: &'e Expression, key: &str) -> Option<&'e Expression> {
    match expr {
        Expression::Object(object) => object.iter().find_map(|(k, v)| {
            let name = match k {
                ObjectKey::Ident(ident) => Some(ident.value().as_str().to_owned()),
                ObjectKey::Expression(e) => tf_config::literal_str(e),
            };
            (name.as_deref() == Some(key)).then(|| v.expr())
        }),
        Expression::FuncCall(call) => call
            .args
            .iter()
            .filter_map(|arg| object_value(arg, key))
            .last(),
        Expression::Parenthesis(p) => object_value(p.inner(), key),
        _ => None,
    }
}

pub fn cfn(template: &Template) -> Vec<Finding> {
    let resources = template.resources();
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for lb in resources.iter().filter(|r| r.rtype == ELB) {
        for (what, name) in cfn_names(lb) {
            if let Some(m) = marker(&name) {
                reasons
                    .entry(lb.id.to_owned())
                    .or_default()
                    .push(format!("its {what} \"{name}\" says {m}"));
            }
        }
    }
    for id in vpc_link::cfn_targets(template) {
        reasons
            .entry(id)
            .or_default()
            .push("a VPC link targets it".to_owned());
    }
    for (method, id) in vpc_link_v2::cfn_targets(template) {
        reasons
            .entry(id)
            .or_default()
            .push(format!("{method} reaches it through a VPC link v2"));
    }
    for group in resources
        .iter()
        .filter(|r| r.rtype == "AWS::ElasticLoadBalancingV2::TargetGroup")
    {
        if group.prop("TargetType").and_then(Value::as_str) != Some("alb") {
            continue;
        }
        let targets = group
            .prop("Targets")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten();
        for id in targets.filter_map(|t| t.get("Id")).filter_map(ref_target) {
            reasons.entry(id).or_default().push(format!(
                "it is the target of the alb-type target group {}",
                group.id
            ));
        }
    }

    let mut findings = Vec::new();
    for (id, why) in reasons {
        let Some(lb) = resources.iter().find(|r| r.id == id && r.rtype == ELB) else {
            continue;
        };
        let state = match lb.prop("Scheme") {
            Some(Value::String(scheme)) if scheme == "internal" => continue,
            Some(Value::String(scheme)) => format!("its Scheme is {scheme}"),
            Some(_) => "its Scheme is not the literal `internal`".to_owned(),
            None => "it has no Scheme (it defaults to internet-facing)".to_owned(),
        };
        let line = template
            .line(&["Resources", lb.id, "Properties", "Scheme"])
            .filter(|_| lb.prop("Scheme").is_some())
            .or_else(|| template.line(&["Resources", lb.id]));
        findings.push(
            Finding::new(
                &template.path,
                lb.path(&["Scheme"]),
                RULE,
                format!("{id} must be internal ({}), but {state}", why.join("; ")),
                "set Scheme: internal: an internal load balancer is reachable only inside the VPC (through the VPC link)",
            )
            .at_line(line),
        );
    }
    findings
}

fn cfn_names(lb: &Resource<'_>) -> Vec<(&'static str, String)> {
    let mut names = vec![("logical id", lb.id.to_owned())];
    if let Some(name) = lb.prop("Name") {
        names.extend(strings(name).into_iter().map(|n| ("Name", n)));
    }
    let tags = lb
        .prop("Tags")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten();
    for tag in tags.filter(|t| t.get("Key").and_then(Value::as_str) == Some("Name")) {
        if let Some(value) = tag.get("Value") {
            names.extend(strings(value).into_iter().map(|n| ("Name tag", n)));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::rules::test_util::{line_of, module};

    const TF: &str = r#"
resource "aws_lb" "web" {
  name               = "private-alb"
  internal           = true
  load_balancer_type = "application"
}

resource "aws_lb" "public" {
  name               = "public-alb"
  load_balancer_type = "application"
}
"#;

    #[test]
    fn internal_private_lb_passes_and_public_names_are_free() {
        assert!(terraform(&module(TF)).is_empty());
    }

    #[test]
    fn private_named_lb_without_internal_is_a_finding() {
        let text = TF.replace("  internal           = true\n", "");
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, RULE);
        assert_eq!(f.location, "resource.aws_lb.web.internal");
        assert_eq!(f.line, Some(line_of(&text, "resource \"aws_lb\" \"web\"")));
        assert!(
            f.message.contains("\"private-alb\" says private"),
            "{}",
            f.message
        );
        assert!(f.message.contains("defaults to false"), "{}", f.message);
    }

    #[test]
    fn markers_in_resource_name_and_tags_count() {
        let text = "resource \"aws_lb\" \"pvt\" {\n  internal = false\n}\nresource \"aws_lb\" \"x\" {\n  tags = merge(local.tags, { Name = \"${var.p}-internal\" })\n}\n";
        let findings = terraform(&module(text));
        let locations: Vec<&str> = findings.iter().map(|f| f.location.as_str()).collect();
        assert_eq!(
            locations,
            ["resource.aws_lb.pvt.internal", "resource.aws_lb.x.internal"]
        );
        assert_eq!(findings[0].line, Some(2));
        assert!(findings[1].message.contains("Name tag"));
    }

    #[test]
    fn vpc_link_and_alb_target_group_targets_must_be_internal() {
        let text = r#"
resource "aws_lb" "front" {
  load_balancer_type = "network"
}
resource "aws_lb" "back" {
  load_balancer_type = "application"
}
resource "aws_api_gateway_vpc_link" "link" {
  target_arns = [aws_lb.front.arn]
}
resource "aws_lb_target_group" "to_alb" {
  target_type = "alb"
}
resource "aws_lb_target_group_attachment" "a" {
  target_group_arn = aws_lb_target_group.to_alb.arn
  target_id        = aws_lb.back.arn
}
"#;
        let findings = terraform(&module(text));
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert!(messages[0].starts_with(
            "aws_lb.back must be internal (it is the target of the alb-type target group"
        ));
        assert!(messages[1].starts_with(
            "aws_lb.front must be internal (resource.aws_api_gateway_vpc_link.link targets it)"
        ));
    }

    #[test]
    fn integration_targets_over_a_vpc_link_v2_must_be_internal() {
        let text = r#"
resource "aws_lb" "web" {
  load_balancer_type = "application"
}
resource "aws_api_gateway_integration" "proxy" {
  connection_id      = aws_apigatewayv2_vpc_link.v2.id
  integration_target = aws_lb.web.arn
}
"#;
        let findings = terraform(&module(text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.starts_with(
            "aws_lb.web must be internal (resource.aws_api_gateway_integration.proxy reaches it through a VPC link v2)"
        ));
        let cfn_text = "
Resources:
  Web:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: internet-facing
  Link:
    Type: AWS::ApiGatewayV2::VpcLink
  Proxy:
    Type: AWS::ApiGateway::Method
    Properties:
      Integration:
        ConnectionId: !Ref Link
        IntegrationTarget: !Ref Web
";
        let findings = cfn(&Template::parse(cfn_text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].location, "Resources.Web.Properties.Scheme");
        assert!(
            findings[0]
                .message
                .contains("Proxy reaches it through a VPC link v2"),
            "{}",
            findings[0].message
        );
        assert!(
            cfn(&Template::parse(
                &cfn_text.replace("internet-facing", "internal")
            ))
            .is_empty()
        );
    }

    const CFN: &str = "
Resources:
  PrivateAlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Scheme: internal
  Nlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: network
      Scheme: internal
  Link:
    Type: AWS::ApiGateway::VpcLink
    Properties:
      TargetArns: [!Ref Nlb]
";

    #[test]
    fn cfn_internal_lbs_pass() {
        assert!(cfn(&Template::parse(CFN)).is_empty());
    }

    #[test]
    fn cfn_internet_facing_private_lb_and_link_target_are_findings() {
        let text = CFN
            .replace(
                "      Scheme: internal\n  Nlb",
                "      Scheme: internet-facing\n  Nlb",
            )
            .replace(
                "      Type: network\n      Scheme: internal\n",
                "      Type: network\n",
            );
        let findings = cfn(&Template::parse(&text));
        let locations: Vec<&str> = findings.iter().map(|f| f.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "Resources.Nlb.Properties.Scheme",
                "Resources.PrivateAlb.Properties.Scheme"
            ]
        );
        assert_eq!(findings[0].line, Some(line_of(&text, "  Nlb:")));
        assert_eq!(findings[1].line, Some(line_of(&text, "internet-facing")));
        assert!(findings[1].message.contains("\"PrivateAlb\" says private"));
    }
}
