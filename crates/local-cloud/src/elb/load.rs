//! Reads the deployed load balancers from moto's ELBv2 API into the plain [`model`](super::model), once per
//! generation of deployed state.
//! Over 400 lines: its unit tests sit beside the loader they check.

use std::sync::Arc;

use anyhow::{Context as _, bail};
use aws_sdk_elasticloadbalancingv2 as elbv2;
use elbv2::types::{
    ActionTypeEnum, LoadBalancerTypeEnum, RedirectActionStatusCodeEnum, TargetTypeEnum,
};

use super::model::{
    Action, Condition, ElbWorld, LbKind, Listener, LoadBalancer, Redirect, Rule, Target,
    TargetGroup, TargetType,
};
use crate::{
    SharedCloud,
    shared::{
        cache::{GenCache, Generation},
        matchers::Cidr,
    },
};

/// The load balancers' view of deployed state, held on the [`Cloud`](crate::Cloud): the ELB world as last
/// read, valid for one generation (bumped by ELBv2 and CloudFormation writes).
#[derive(Default)]
pub struct Snapshots {
    pub generation: Generation,
    world: GenCache<(), Arc<ElbWorld>>,
}

/// The load balancers as currently deployed; reloaded only when deployed state changed.
pub async fn world(cloud: &SharedCloud) -> anyhow::Result<Arc<ElbWorld>> {
    let cache = &cloud.elb;
    let generation = cache.generation.get();
    if let Some(world) = cache.world.get(generation, &()) {
        return Ok(world);
    }
    let started = std::time::Instant::now();
    let world = Arc::new(
        load(&cloud.aws.elb)
            .await
            .context("reading load balancers from the ELBv2 API")?,
    );
    tracing::debug!(
        generation,
        load_balancers = world.load_balancers.len(),
        target_groups = world.target_groups.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "loaded ELB snapshot"
    );
    cache.world.insert(generation, (), world.clone());
    Ok(world)
}

async fn load(elb: &elbv2::Client) -> anyhow::Result<ElbWorld> {
    let mut world = ElbWorld::default();
    let (mut marker, mut previous): (Option<String>, Option<String>) = (None, None);
    loop {
        let out = elb
            .describe_load_balancers()
            .set_marker(marker.take())
            .send()
            .await?;
        for lb in out.load_balancers() {
            let lb = load_balancer(elb, lb).await?;
            world.load_balancers.insert(lb.arn.clone(), lb);
        }
        match out.next_marker() {
            Some(m) if !m.is_empty() && Some(m) != previous.as_deref() => {
                previous = Some(m.to_owned());
                marker = previous.clone();
            }
            _ => break,
        }
    }
    let (mut marker, mut previous): (Option<String>, Option<String>) = (None, None);
    loop {
        let out = elb
            .describe_target_groups()
            .set_marker(marker.take())
            .send()
            .await?;
        for tg in out.target_groups() {
            let tg = target_group(elb, tg).await?;
            world.target_groups.insert(tg.arn.clone(), tg);
        }
        match out.next_marker() {
            Some(m) if !m.is_empty() && Some(m) != previous.as_deref() => {
                previous = Some(m.to_owned());
                marker = previous.clone();
            }
            _ => break,
        }
    }
    Ok(world)
}

async fn load_balancer(
    elb: &elbv2::Client,
    lb: &elbv2::types::LoadBalancer,
) -> anyhow::Result<LoadBalancer> {
    let arn = lb
        .load_balancer_arn()
        .context("a load balancer without LoadBalancerArn")?
        .to_owned();
    let kind = match lb.r#type() {
        Some(LoadBalancerTypeEnum::Network) => LbKind::Network,
        Some(LoadBalancerTypeEnum::Gateway) => LbKind::Gateway,
        _ => LbKind::Application,
    };
    let mut listeners = Vec::new();
    let out = elb
        .describe_listeners()
        .load_balancer_arn(&arn)
        .send()
        .await?;
    for l in out.listeners() {
        let listener_arn = l
            .listener_arn()
            .context("a listener without ListenerArn")?
            .to_owned();
        let mut rules = Vec::new();
        if kind == LbKind::Application {
            let out = elb
                .describe_rules()
                .listener_arn(&listener_arn)
                .send()
                .await?;
            for r in out.rules().iter().filter(|r| r.is_default() != Some(true)) {
                rules.push(
                    rule(r)
                        .with_context(|| format!("rule {:?} of {listener_arn}", r.rule_arn()))?,
                );
            }
        }
        rules.sort_by_key(|r| r.priority);
        rules.push(Rule {
            priority: None,
            conditions: Vec::new(),
            action: action(l.default_actions())
                .with_context(|| format!("default actions of {listener_arn}"))?,
        });
        listeners.push(Listener {
            arn: listener_arn,
            port: port(l.port()).context("a listener without Port")?,
            protocol: l
                .protocol()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "HTTP".into()),
            rules,
        });
    }
    Ok(LoadBalancer {
        name: lb.load_balancer_name().unwrap_or_default().to_owned(),
        dns_name: lb.dns_name().unwrap_or_default().to_owned(),
        internal: lb.scheme() != Some(&elbv2::types::LoadBalancerSchemeEnum::InternetFacing),
        arn,
        kind,
        listeners,
    })
}

fn port(p: Option<i32>) -> Option<u16> {
    p.and_then(|p| u16::try_from(p).ok())
}

async fn target_group(
    elb: &elbv2::Client,
    tg: &elbv2::types::TargetGroup,
) -> anyhow::Result<TargetGroup> {
    let arn = tg
        .target_group_arn()
        .context("a target group without TargetGroupArn")?
        .to_owned();
    let target_type = match tg.target_type() {
        Some(TargetTypeEnum::Lambda) => TargetType::Lambda,
        Some(TargetTypeEnum::Ip) => TargetType::Ip,
        Some(TargetTypeEnum::Alb) => TargetType::Alb,
        _ => TargetType::Instance,
    };
    let health = elb
        .describe_target_health()
        .target_group_arn(&arn)
        .send()
        .await?;
    let targets = health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target())
        .filter_map(|t| {
            Some(Target {
                id: t.id()?.to_owned(),
                port: port(t.port()),
            })
        })
        .collect();
    let mut multi_value_headers = false;
    if target_type == TargetType::Lambda {
        let attrs = elb
            .describe_target_group_attributes()
            .target_group_arn(&arn)
            .send()
            .await?;
        multi_value_headers = attrs.attributes().iter().any(|a| {
            a.key() == Some("lambda.multi_value_headers.enabled") && a.value() == Some("true")
        });
    }
    Ok(TargetGroup {
        name: tg.target_group_name().unwrap_or_default().to_owned(),
        arn,
        target_type,
        port: port(tg.port()),
        protocol: tg.protocol().map(|p| p.as_str().to_owned()),
        targets,
        multi_value_headers,
    })
}

/// A listener rule as the model holds it.
pub fn rule(r: &elbv2::types::Rule) -> anyhow::Result<Rule> {
    let priority = match r.priority() {
        Some(p) => Some(
            p.parse::<u32>()
                .with_context(|| format!("Priority {p:?} is not a number"))?,
        ),
        None => bail!("a rule without Priority"),
    };
    let conditions = r
        .conditions()
        .iter()
        .map(condition)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Rule {
        priority,
        conditions,
        action: action(r.actions())?,
    })
}

fn condition(c: &elbv2::types::RuleCondition) -> anyhow::Result<Condition> {
    let field = c.field().unwrap_or_default();
    let legacy = c.values().to_vec();
    let pick = |config: Option<&[String]>| match config {
        Some(values) if !values.is_empty() => values.to_vec(),
        _ => legacy.clone(),
    };
    let has_regex = |regex: &[String]| !regex.is_empty();
    Ok(match field {
        "path-pattern" => {
            let cfg = c.path_pattern_config();
            if cfg.is_some_and(|cfg| has_regex(cfg.regex_values())) {
                return Ok(Condition::Unsupported("path-pattern regex values".into()));
            }
            Condition::PathPattern(pick(cfg.map(|cfg| cfg.values())))
        }
        "host-header" => {
            let cfg = c.host_header_config();
            if cfg.is_some_and(|cfg| has_regex(cfg.regex_values())) {
                return Ok(Condition::Unsupported("host-header regex values".into()));
            }
            Condition::HostHeader(pick(cfg.map(|cfg| cfg.values())))
        }
        "http-header" => {
            let cfg = c
                .http_header_config()
                .context("an http-header condition without HttpHeaderConfig")?;
            if has_regex(cfg.regex_values()) {
                return Ok(Condition::Unsupported("http-header regex values".into()));
            }
            Condition::HttpHeader {
                name: cfg
                    .http_header_name()
                    .context("HttpHeaderConfig without HttpHeaderName")?
                    .to_owned(),
                values: cfg.values().to_vec(),
            }
        }
        "http-request-method" => Condition::HttpRequestMethod(pick(
            c.http_request_method_config().map(|cfg| cfg.values()),
        )),
        "query-string" => Condition::QueryString(
            c.query_string_config()
                .map(|cfg| cfg.values())
                .unwrap_or_default()
                .iter()
                .map(|kv| {
                    (
                        kv.key().map(str::to_owned),
                        kv.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
        ),
        "source-ip" => Condition::SourceIp(
            pick(c.source_ip_config().map(|cfg| cfg.values()))
                .iter()
                .map(|v| Cidr::parse(v))
                .collect::<anyhow::Result<Vec<_>>>()?,
        ),
        other => Condition::Unsupported(format!("condition field {other:?}")),
    })
}

/// The action a rule performs: its last action by `Order` (authenticate actions come first).
pub fn action(actions: &[elbv2::types::Action]) -> anyhow::Result<Action> {
    let mut sorted: Vec<&elbv2::types::Action> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    if let Some(auth) = sorted.iter().find(|a| {
        matches!(
            a.r#type(),
            Some(ActionTypeEnum::AuthenticateCognito | ActionTypeEnum::AuthenticateOidc)
        )
    }) {
        let kind = auth
            .r#type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default();
        return Ok(Action::Unsupported(kind));
    }
    let Some(last) = sorted.last() else {
        bail!("a rule without actions")
    };
    Ok(match last.r#type() {
        Some(ActionTypeEnum::Forward) => {
            let weighted: Vec<(String, u32)> = last
                .forward_config()
                .map(|f| f.target_groups())
                .unwrap_or_default()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.target_group_arn()?.to_owned(),
                        t.weight().map_or(1, |w| w.max(0) as u32),
                    ))
                })
                .collect();
            if weighted.is_empty() {
                let tg = last
                    .target_group_arn()
                    .context("a forward action without TargetGroupArn")?;
                Action::Forward(vec![(tg.to_owned(), 1)])
            } else {
                Action::Forward(weighted)
            }
        }
        Some(ActionTypeEnum::FixedResponse) => {
            let cfg = last
                .fixed_response_config()
                .context("fixed-response without FixedResponseConfig")?;
            let status = cfg.status_code().unwrap_or("200");
            Action::FixedResponse {
                status: status
                    .parse()
                    .with_context(|| format!("fixed-response StatusCode {status:?}"))?,
                content_type: cfg.content_type().map(str::to_owned),
                body: cfg.message_body().unwrap_or_default().to_owned(),
            }
        }
        Some(ActionTypeEnum::Redirect) => {
            let cfg = last
                .redirect_config()
                .context("redirect without RedirectConfig")?;
            Action::Redirect(Redirect {
                protocol: cfg.protocol().unwrap_or("#{protocol}").to_owned(),
                host: cfg.host().unwrap_or("#{host}").to_owned(),
                port: cfg.port().unwrap_or("#{port}").to_owned(),
                path: cfg.path().unwrap_or("/#{path}").to_owned(),
                query: cfg.query().unwrap_or("#{query}").to_owned(),
                status: match cfg.status_code() {
                    Some(RedirectActionStatusCodeEnum::Http301) => 301,
                    _ => 302,
                },
            })
        }
        other => Action::Unsupported(other.map(|t| t.as_str().to_owned()).unwrap_or_default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use elbv2::types as t;

    #[test]
    fn sdk_rules_become_model_rules() {
        let r = t::Rule::builder()
            .priority("10")
            .conditions(
                t::RuleCondition::builder()
                    .field("path-pattern")
                    .path_pattern_config(
                        t::PathPatternConditionConfig::builder()
                            .values("/a*")
                            .build(),
                    )
                    .build(),
            )
            .conditions(
                t::RuleCondition::builder()
                    .field("host-header")
                    .values("*.example.com")
                    .build(),
            )
            .conditions(
                t::RuleCondition::builder()
                    .field("source-ip")
                    .source_ip_config(
                        t::SourceIpConditionConfig::builder()
                            .values("10.0.0.0/8")
                            .build(),
                    )
                    .build(),
            )
            .actions(
                t::Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .forward_config(
                        t::ForwardActionConfig::builder()
                            .target_groups(
                                t::TargetGroupTuple::builder()
                                    .target_group_arn("a")
                                    .weight(3)
                                    .build(),
                            )
                            .target_groups(
                                t::TargetGroupTuple::builder()
                                    .target_group_arn("b")
                                    .weight(0)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build();
        let r = rule(&r).unwrap();
        assert_eq!(r.priority, Some(10));
        assert_eq!(r.conditions[0], Condition::PathPattern(vec!["/a*".into()]));
        assert_eq!(
            r.conditions[1],
            Condition::HostHeader(vec!["*.example.com".into()])
        );
        assert_eq!(
            r.conditions[2],
            Condition::SourceIp(vec![Cidr::parse("10.0.0.0/8").unwrap()])
        );
        assert_eq!(
            r.action,
            Action::Forward(vec![("a".into(), 3), ("b".into(), 0)])
        );
    }

    #[test]
    fn redirect_defaults_and_auth_actions() {
        let redirect = t::Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                t::RedirectActionConfig::builder()
                    .protocol("HTTPS")
                    .status_code(RedirectActionStatusCodeEnum::Http301)
                    .build(),
            )
            .build();
        let Action::Redirect(r) = action(&[redirect]).unwrap() else {
            panic!("not a redirect")
        };
        assert_eq!(
            (
                r.protocol.as_str(),
                r.host.as_str(),
                r.port.as_str(),
                r.path.as_str(),
                r.query.as_str(),
                r.status
            ),
            ("HTTPS", "#{host}", "#{port}", "/#{path}", "#{query}", 301)
        );
        let auth = t::Action::builder()
            .r#type(ActionTypeEnum::AuthenticateOidc)
            .order(1)
            .build();
        let forward = t::Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn("tg")
            .order(2)
            .build();
        assert_eq!(
            action(&[forward.clone(), auth]).unwrap(),
            Action::Unsupported("authenticate-oidc".into())
        );
        assert_eq!(
            action(&[forward]).unwrap(),
            Action::Forward(vec![("tg".into(), 1)])
        );
        let bad = t::Rule::builder().priority("x").build();
        assert!(rule(&bad).is_err());
    }
}
