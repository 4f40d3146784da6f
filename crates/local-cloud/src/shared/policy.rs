//! IAM resource policies as AWS evaluates them, for the services whose data plane enforces one (Lambda's
//! function policies, API Gateway's REST API policies): statements parsed from the JSON document, conditions
//! evaluated against the request's context keys, and the decision (an explicit Deny wins, else an Allow is
//! needed: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).

use std::net::IpAddr;

use anyhow::Context as _;
use serde_json::Value;

use super::matchers::{Cidr, wildcard};

/// One statement of a resource policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub allow: bool,
    /// `*` for everyone (`"Principal": "*"` or `{"AWS": "*"}`), `service:<name>` for a service principal,
    /// `aws:<arn or account>` for an AWS principal.
    pub principals: Vec<String>,
    pub actions: Vec<String>,
    /// `NotAction`: the statement applies to every action but these.
    pub not_actions: Vec<String>,
    pub resources: Vec<String>,
    /// `NotResource`: the statement applies to every resource but these.
    pub not_resources: Vec<String>,
    pub conditions: Vec<Condition>,
}

/// `"Condition": {"<operator>": {"<key>": <values>}}`, one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: String,
    /// Lowercased (`aws:sourceip`), as condition keys are case-insensitive.
    pub key: String,
    pub values: Vec<String>,
}

/// The outcome of evaluating a policy for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A Deny statement applies (it wins over any Allow).
    ExplicitDeny,
    /// No statement allows the request.
    ImplicitDeny,
}

/// Parses a policy document's statements (`Statement` as an array or a single object).
pub fn parse(document: &str) -> anyhow::Result<Vec<Statement>> {
    let doc: Value = serde_json::from_str(document).context("the resource policy is not JSON")?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    Ok(statements.iter().map(statement).collect())
}

/// A string or an array of strings (`"Action": "x"` / `["x", "y"]`), as a list.
pub fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::Bool(b)) => vec![b.to_string()],
        Some(Value::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

fn statement(s: &Value) -> Statement {
    let principals = match s.get("Principal") {
        Some(Value::String(p)) if p == "*" => vec!["*".to_owned()],
        Some(Value::Object(map)) => {
            let mut all: Vec<String> = strings(map.get("Service"))
                .into_iter()
                .map(|p| format!("service:{p}"))
                .collect();
            for p in strings(map.get("AWS")) {
                all.push(if p == "*" { p } else { format!("aws:{p}") });
            }
            all
        }
        _ => Vec::new(),
    };
    let mut conditions = Vec::new();
    if let Some(Value::Object(ops)) = s.get("Condition") {
        for (operator, keys) in ops {
            if let Value::Object(keys) = keys {
                for (key, values) in keys {
                    conditions.push(Condition {
                        operator: operator.clone(),
                        key: key.to_ascii_lowercase(),
                        values: strings(Some(values)),
                    });
                }
            }
        }
    }
    Statement {
        allow: s.get("Effect").and_then(Value::as_str) != Some("Deny"),
        principals,
        actions: strings(s.get("Action")),
        not_actions: strings(s.get("NotAction")),
        resources: strings(s.get("Resource")),
        not_resources: strings(s.get("NotResource")),
        conditions,
    }
}

impl Statement {
    /// Whether the statement names `action` (`Action`, with wildcards; or anything but its `NotAction`).
    pub fn covers_action(&self, action: &str) -> bool {
        if self.not_actions.is_empty() {
            self.actions.iter().any(|a| wildcard(a, action, true))
        } else {
            !self.not_actions.iter().any(|a| wildcard(a, action, true))
        }
    }

    /// Whether the statement names `resource`: `resource_matches(pattern)` says whether one of its
    /// `Resource` patterns matches (a service may expand shorthands such as `execute-api:/*`); with
    /// `NotResource`, every resource but those. A statement without either names every resource.
    pub fn covers_resource(&self, resource_matches: impl Fn(&str) -> bool) -> bool {
        if !self.not_resources.is_empty() {
            return !self.not_resources.iter().any(|r| resource_matches(r));
        }
        self.resources.is_empty() || self.resources.iter().any(|r| resource_matches(r))
    }

    /// Whether every condition holds; `context(key)` answers a (lowercased) condition key's value in the
    /// request, `None` when the request has no such key.
    pub fn conditions_hold(&self, context: impl Fn(&str) -> Option<String>) -> bool {
        self.conditions
            .iter()
            .all(|c| c.holds(context(&c.key).as_deref()))
    }
}

impl Condition {
    /// Whether the condition holds for the request's value of its key (`None`: the key is absent). An absent
    /// key makes a negated operator (`StringNotEquals`, `NotIpAddress`, ...) hold and any other fail, unless
    /// the operator ends in `IfExists` (then it holds):
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>.
    pub fn holds(&self, actual: Option<&str>) -> bool {
        let (operator, if_exists) = match self.operator.strip_suffix("IfExists") {
            Some(op) => (op, true),
            None => (self.operator.as_str(), false),
        };
        let negated = operator.contains("Not");
        let Some(actual) = actual else {
            return if_exists || negated;
        };
        let positive = match operator {
            "NotIpAddress" => "IpAddress",
            "StringNotEquals" => "StringEquals",
            "StringNotEqualsIgnoreCase" => "StringEqualsIgnoreCase",
            "StringNotLike" => "StringLike",
            "ArnNotEquals" => "ArnEquals",
            "ArnNotLike" => "ArnLike",
            other => other,
        };
        let any = self
            .values
            .iter()
            .any(|expected| matches(positive, expected, actual));
        // A negated operator holds when no value matches.
        if negated { !any } else { any }
    }
}

/// One (non-negated) operator comparing a policy value with the request's.
fn matches(operator: &str, expected: &str, actual: &str) -> bool {
    match operator {
        "StringEquals" | "ArnEquals" => expected == actual,
        "StringEqualsIgnoreCase" => expected.eq_ignore_ascii_case(actual),
        "StringLike" | "ArnLike" => wildcard(expected, actual, false),
        "Bool" => expected.eq_ignore_ascii_case(actual),
        "IpAddress" => match (Cidr::parse(expected), actual.parse::<IpAddr>()) {
            (Ok(block), Ok(ip)) => block.contains(ip),
            _ => false,
        },
        // An operator the local cloud does not evaluate never matches (a Deny using it does not apply, an Allow
        // does not grant): logged by the service that reads the policy.
        _ => false,
    }
}

/// The decision over `statements` that apply to the request (`applies(statement)`: principal, action, resource
/// and conditions): an explicit Deny wins, else an Allow is needed.
pub fn decide<'a>(
    statements: impl IntoIterator<Item = &'a Statement>,
    applies: impl Fn(&Statement) -> bool,
) -> Decision {
    let mut allowed = false;
    for s in statements.into_iter().filter(|s| applies(s)) {
        if !s.allow {
            return Decision::ExplicitDeny;
        }
        allowed = true;
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(operator: &str, values: &[&str]) -> Condition {
        Condition {
            operator: operator.into(),
            key: "aws:sourceip".into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn ip_conditions_match_addresses_and_blocks() {
        let inside = condition("IpAddress", &["52.36.146.106", "10.0.0.0/8"]);
        assert!(inside.holds(Some("10.1.2.3")));
        assert!(inside.holds(Some("52.36.146.106")));
        assert!(!inside.holds(Some("127.0.0.1")));
        let outside = condition("NotIpAddress", &["10.0.0.0/8"]);
        assert!(outside.holds(Some("127.0.0.1")));
        assert!(!outside.holds(Some("10.9.9.9")));
    }

    #[test]
    fn an_absent_key_fails_positive_operators_and_satisfies_negated_ones() {
        let vpce = |operator: &str| Condition {
            operator: operator.into(),
            key: "aws:sourcevpce".into(),
            values: vec!["vpce-1a2b3c4d".into()],
        };
        assert!(!vpce("StringEquals").holds(None));
        assert!(vpce("StringNotEquals").holds(None));
        assert!(vpce("StringEqualsIfExists").holds(None));
        assert!(vpce("StringEquals").holds(Some("vpce-1a2b3c4d")));
        assert!(!vpce("StringNotEquals").holds(Some("vpce-1a2b3c4d")));
        assert!(vpce("StringNotEquals").holds(Some("vpce-other")));
    }

    #[test]
    fn an_explicit_deny_wins_and_no_allow_is_an_implicit_deny() {
        let statements = parse(
            r#"{"Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
                {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "execute-api:*",
                 "Resource": "execute-api:/*/DELETE/*"}]}"#,
        )
        .unwrap();
        assert_eq!(statements[1].principals, ["*"]);
        let on = |path: &'static str| {
            decide(&statements, move |s| {
                s.covers_action("execute-api:Invoke")
                    && s.covers_resource(|r| wildcard(r, path, false))
            })
        };
        assert_eq!(on("execute-api:/prod/GET/items"), Decision::Allow);
        assert_eq!(on("execute-api:/prod/DELETE/items"), Decision::ExplicitDeny);
        assert_eq!(decide(&[], |_| true), Decision::ImplicitDeny);
    }

    #[test]
    fn not_action_and_not_resource() {
        let s = &parse(
            r#"{"Statement": {"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject",
                "NotResource": "arn:aws:s3:::public/*"}}"#,
        )
        .unwrap()[0];
        assert!(s.covers_action("s3:PutObject"));
        assert!(!s.covers_action("s3:GetObject"));
        assert!(s.covers_resource(|r| r == "arn:aws:s3:::other"));
        assert!(!s.covers_resource(|r| wildcard(r, "arn:aws:s3:::public/a", false)));
    }
}
