//! Plain model of the deployed load balancers: what routing needs, loaded from moto in one place
//! ([`super::load`]) so that rule matching can be tested without AWS.

use std::collections::HashMap;

use crate::shared::matchers::Cidr;

/// Every load balancer and target group of the account.
#[derive(Debug, Default, Clone)]
pub struct ElbWorld {
    pub load_balancers: HashMap<String, LoadBalancer>,
    pub target_groups: HashMap<String, TargetGroup>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbKind {
    Application,
    Network,
    Gateway,
}

#[derive(Debug, Clone)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub kind: LbKind,
    pub dns_name: String,
    /// Scheme `internal`: reachable only from inside its VPC (through a VPC link), never from the host.
    pub internal: bool,
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Clone)]
pub struct Listener {
    pub arn: String,
    pub port: u16,
    /// `HTTP`, `HTTPS`, `TCP`, `TLS`, ...
    pub protocol: String,
    /// Sorted by priority, the default rule last.
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `None` for the listener's default rule.
    pub priority: Option<u32>,
    /// All must hold (AND); each condition's values are alternatives (OR).
    pub conditions: Vec<Condition>,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Case-sensitive wildcard patterns against the path.
    PathPattern(Vec<String>),
    /// Case-insensitive wildcard patterns against the Host header (without port).
    HostHeader(Vec<String>),
    /// Case-insensitive wildcard patterns against any value of header `name`.
    HttpHeader {
        name: String,
        values: Vec<String>,
    },
    /// Exact, case-sensitive method names.
    HttpRequestMethod(Vec<String>),
    /// `(key, value)` wildcard pairs, case-insensitive; a missing key matches any key.
    QueryString(Vec<(Option<String>, String)>),
    SourceIp(Vec<Cidr>),
    /// A condition we cannot evaluate (e.g. regex values): never matches, so the rule is skipped.
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Target group ARNs with weights (a single target group has weight 1).
    Forward(Vec<(String, u32)>),
    FixedResponse {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    Redirect(Redirect),
    /// An action the local data plane cannot perform (authenticate-*, jwt-validation without forward).
    Unsupported(String),
}

/// A redirect action's fields, with AWS's defaults filled in (`#{protocol}`, `#{host}`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Redirect {
    pub protocol: String,
    pub host: String,
    pub port: String,
    pub path: String,
    pub query: String,
    /// 301 or 302.
    pub status: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    Lambda,
    Ip,
    Instance,
    Alb,
}

#[derive(Debug, Clone)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub target_type: TargetType,
    pub port: Option<u16>,
    pub protocol: Option<String>,
    pub targets: Vec<Target>,
    /// Target group attribute `lambda.multi_value_headers.enabled`.
    pub multi_value_headers: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// A function ARN, an IP address, an instance id or an ALB ARN.
    pub id: String,
    pub port: Option<u16>,
}

impl ElbWorld {
    /// The load balancer whose ARN is `arn`, or (as VPC links v1 name them by DNS) whose DNS name is `arn`.
    pub fn load_balancer(&self, arn: &str) -> Option<&LoadBalancer> {
        self.load_balancers.get(arn).or_else(|| {
            self.load_balancers
                .values()
                .find(|lb| lb.dns_name.eq_ignore_ascii_case(arn))
        })
    }

    /// The load balancer and listener that `listener_arn` names.
    pub fn listener(&self, listener_arn: &str) -> Option<(&LoadBalancer, &Listener)> {
        self.load_balancers.values().find_map(|lb| {
            lb.listeners
                .iter()
                .find(|l| l.arn == listener_arn)
                .map(|l| (lb, l))
        })
    }
}

impl LoadBalancer {
    pub fn listener_on(&self, port: u16) -> Option<&Listener> {
        self.listeners.iter().find(|l| l.port == port)
    }
}
