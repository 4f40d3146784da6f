//! Lambda resource policies (`lambda get_policy`): whether a service principal may invoke a function for
//! a given source ARN, as Lambda decides before API Gateway or a load balancer can invoke it (a function URL's
//! caller: `super::urls::auth`). Conditions are evaluated as every resource policy's are ([`crate::shared::policy`]).

use std::sync::Arc;

use anyhow::Context as _;
use serde_json::Value;

use crate::{
    SharedCloud,
    shared::{
        cache::{GenCache, Generation},
        matchers::wildcard,
        policy::strings,
    },
};

pub use crate::shared::policy::Condition;

/// The principal API Gateway invokes as.
pub const APIGATEWAY: &str = "apigateway.amazonaws.com";
/// The principal an Application Load Balancer invokes a `lambda` target as.
pub const ELB: &str = "elasticloadbalancing.amazonaws.com";

/// One statement of a resource policy, reduced to what an invoke decision needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub allow: bool,
    /// Service principals; `*` for everyone.
    pub principals: Vec<String>,
    /// AWS principals other than `*`: account ids and IAM ARNs (`arn:aws:iam::{account}:root`, users, roles).
    pub aws_principals: Vec<String>,
    pub actions: Vec<String>,
    pub conditions: Vec<Condition>,
}

/// Who asks to invoke, and on behalf of what.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub principal: &'a str,
    pub source_arn: Option<&'a str>,
    pub source_account: Option<&'a str>,
}

/// Parses the `Policy` document returned by GetPolicy.
pub fn parse(document: &str) -> anyhow::Result<Vec<Statement>> {
    let doc: Value =
        serde_json::from_str(document).context("the function's resource policy is not JSON")?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    Ok(statements.iter().map(statement).collect())
}

fn statement(s: &Value) -> Statement {
    let aws_principals = match s.get("Principal") {
        Some(Value::Object(map)) => strings(map.get("AWS"))
            .into_iter()
            .filter(|p| p != "*")
            .collect(),
        _ => Vec::new(),
    };
    let principals = match s.get("Principal") {
        Some(Value::String(p)) => vec![p.clone()],
        Some(Value::Object(map)) => {
            let mut all = strings(map.get("Service"));
            // An account principal (`{"AWS": "*"}`) also lets every service in.
            all.extend(strings(map.get("AWS")).into_iter().filter(|p| p == "*"));
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
        aws_principals,
        actions: strings(s.get("Action")),
        conditions,
    }
}

impl Statement {
    fn applies_to(&self, caller: &Caller<'_>) -> bool {
        self.principals
            .iter()
            .any(|p| p == "*" || p == caller.principal)
            && self.covers("lambda:InvokeFunction")
            && self
                .conditions
                .iter()
                .all(|c| c.holds(context_value(caller, &c.key)))
    }

    pub(crate) fn covers(&self, action: &str) -> bool {
        self.actions.iter().any(|a| wildcard(a, action, true))
    }
}

/// The request's value of a (lowercased) condition key; a key we do not know about (e.g.
/// `lambda:FunctionUrlAuthType`) is not present in the request.
fn context_value<'a>(caller: &Caller<'a>, key: &str) -> Option<&'a str> {
    match key {
        "aws:sourcearn" => caller.source_arn,
        "aws:sourceaccount" => caller.source_account,
        _ => None,
    }
}

/// The policy decision: an explicit Deny wins, otherwise an Allow is needed.
pub fn allows(statements: &[Statement], caller: &Caller<'_>) -> bool {
    let applicable: Vec<&Statement> = statements.iter().filter(|s| s.applies_to(caller)).collect();
    !applicable.iter().any(|s| !s.allow) && applicable.iter().any(|s| s.allow)
}

/// The resource policies as last read, held by the [`LambdaService`](super::LambdaService): valid for one
/// generation (bumped by Lambda and CloudFormation writes).
#[derive(Default)]
pub struct Policies {
    pub generation: Generation,
    statements: GenCache<String, Arc<Vec<Statement>>>,
}

/// The statements of `function`'s resource policy (empty if it has none), cached per generation.
pub async fn statements(
    cloud: &SharedCloud,
    function: &str,
) -> anyhow::Result<Arc<Vec<Statement>>> {
    let cache = &cloud.lambda.policies;
    let generation = cache.generation.get();
    if let Some(hit) = cache.statements.get(generation, &function.to_owned()) {
        return Ok(hit);
    }
    let out = cloud
        .aws
        .lambda
        .get_policy()
        .function_name(function)
        .send()
        .await;
    let statements = match out {
        Ok(out) => parse(out.policy().unwrap_or("{}"))
            .with_context(|| format!("reading the resource policy of {function}"))?,
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Vec::new()
        }
        Err(err) => {
            return Err(anyhow::Error::new(err).context(format!("lambda GetPolicy for {function}")));
        }
    };
    let statements = Arc::new(statements);
    cache
        .statements
        .insert(generation, function.to_owned(), statements.clone());
    Ok(statements)
}

/// Whether `caller` may invoke `function` according to its resource policy.
pub async fn may_invoke(
    cloud: &SharedCloud,
    function: &str,
    caller: &Caller<'_>,
) -> anyhow::Result<bool> {
    Ok(allows(&statements(cloud, function).await?, caller))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{"Version": "2012-10-17", "Id": "default", "Statement": [
        {"Action": "lambda:InvokeFunction", "Principal": {"Service": "elasticloadbalancing.amazonaws.com"},
         "Effect": "Allow", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:hello", "Sid": "alb",
         "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tgl/326a"}}},
        {"Action": "lambda:InvokeFunction", "Principal": {"Service": "apigateway.amazonaws.com"},
         "Effect": "Allow", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:hello", "Sid": "apigw",
         "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/items/*"}}}]}"#;

    fn caller<'a>(principal: &'a str, source_arn: &'a str) -> Caller<'a> {
        Caller {
            principal,
            source_arn: Some(source_arn),
            source_account: Some("123456789012"),
        }
    }

    #[test]
    fn source_arn_wildcards_decide() {
        let s = parse(POLICY).unwrap();
        assert_eq!(s.len(), 2);
        let ok = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/items/{id}";
        assert!(allows(&s, &caller(APIGATEWAY, ok)));
        let other_method = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/POST/items/{id}";
        assert!(!allows(&s, &caller(APIGATEWAY, other_method)));
        let other_api = "arn:aws:execute-api:us-east-1:123456789012:xyz/prod/GET/items/{id}";
        assert!(!allows(&s, &caller(APIGATEWAY, other_api)));
        let tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tgl/326a";
        assert!(allows(&s, &caller(ELB, tg)));
        // The ELB statement does not let API Gateway in, nor another target group.
        assert!(!allows(&s, &caller(APIGATEWAY, tg)));
        assert!(!allows(
            &s,
            &caller(
                ELB,
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1"
            )
        ));
    }

    #[test]
    fn no_condition_means_any_source_and_deny_wins() {
        let open = parse(
            r#"{"Statement": {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": ["lambda:*"]}}"#,
        )
        .unwrap();
        assert!(allows(
            &open,
            &caller(APIGATEWAY, "arn:aws:execute-api:us-east-1:1:a/s/GET/")
        ));
        assert!(!allows(&open, &caller(ELB, "arn:x")));
        let mut denied = open.clone();
        denied.push(Statement {
            allow: false,
            ..open[0].clone()
        });
        assert!(!allows(
            &denied,
            &caller(APIGATEWAY, "arn:aws:execute-api:us-east-1:1:a/s/GET/")
        ));
        assert!(!allows(&[], &caller(APIGATEWAY, "arn:x")));
    }

    #[test]
    fn source_account_and_unknown_keys() {
        let s = parse(
            r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Condition": {"StringEquals": {"AWS:SourceAccount": "123456789012"}}}]}"#,
        )
        .unwrap();
        assert!(allows(&s, &caller(APIGATEWAY, "arn:x")));
        let other = Caller {
            source_account: Some("999999999999"),
            ..caller(APIGATEWAY, "arn:x")
        };
        assert!(!allows(&s, &other));
        let unknown = parse(
            r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}]}"#,
        )
        .unwrap();
        assert!(!allows(&unknown, &caller(APIGATEWAY, "arn:x")));
    }
}
