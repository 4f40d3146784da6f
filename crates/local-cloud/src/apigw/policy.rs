//! A REST API's resource policy (its `policy`: from an OpenAPI body's `x-amazon-apigateway-policy`, the
//! `Policy` property, PutRestApi or UpdateRestApi), enforced before the request reaches a method, as API
//! Gateway does: an applying Deny refuses it ("... with an explicit deny"), else an applying Allow is needed
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html>).
//!
//! The request's context: `aws:SourceIp` is the client's address; `aws:SourceVpce` and `aws:SourceVpc` are
//! absent, as for any request from outside a VPC (the local cloud has no VPC endpoints), so a private API's
//! usual policy ("deny unless aws:SourceVpce is ...") refuses requests from the host, as AWS refuses requests
//! from the internet. The caller is anonymous; a signed request (`AWS_IAM` methods) is taken as any AWS principal
//! the policy names, since signatures are not verified locally.

use std::net::IpAddr;

use anyhow::Context as _;

use crate::shared::{
    matchers::wildcard,
    policy::{self, Decision, Statement},
};

/// The action every statement about invoking an API names.
const INVOKE: &str = "execute-api:Invoke";

/// A REST API's resource policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourcePolicy {
    pub statements: Vec<Statement>,
}

/// One request, as the policy sees it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub api_id: &'a str,
    pub stage: &'a str,
    pub method: &'a str,
    /// The path below the stage, as sent (`/items/42`).
    pub path: &'a str,
    pub source_ip: IpAddr,
    /// Whether the request carries a SigV4 signature (not verified locally).
    pub signed: bool,
}

impl Request<'_> {
    /// The resource the request invokes: `arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path}`.
    pub fn resource_arn(&self) -> String {
        format!(
            "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
            self.region,
            self.account,
            self.api_id,
            self.stage,
            self.method,
            self.path.trim_start_matches('/')
        )
    }

    /// A statement's `Resource` pattern, with `execute-api:/...` (the shorthand policies use for "this API")
    /// expanded to this API's ARN, matched against the request's resource.
    fn matches_resource(&self, pattern: &str, arn: &str) -> bool {
        let expanded = match pattern.strip_prefix("execute-api:/") {
            Some(rest) => format!(
                "arn:aws:execute-api:{}:{}:{}/{rest}",
                self.region, self.account, self.api_id
            ),
            None => pattern.to_owned(),
        };
        wildcard(&expanded, arn, false)
    }

    fn context(&self, key: &str) -> Option<String> {
        match key {
            "aws:sourceip" => Some(self.source_ip.to_string()),
            // Only API Gateway's HTTPS endpoint exists on AWS.
            "aws:securetransport" => Some("true".to_owned()),
            // Not from a VPC (endpoint): absent, see the module docs.
            _ => None,
        }
    }

    fn principal_applies(&self, statement: &Statement) -> bool {
        statement
            .principals
            .iter()
            .any(|p| p == "*" || (self.signed && p.starts_with("aws:")))
    }
}

impl ResourcePolicy {
    /// The policy as GetRestApi answers it: a JSON document, which AWS answers with its quotes escaped
    /// (`{\"Version\":...}`); moto answers it as stored.
    pub fn parse(text: &str) -> anyhow::Result<ResourcePolicy> {
        let statements = policy::parse(text)
            .or_else(|first| policy::parse(&text.replace("\\\"", "\"")).map_err(|_| first))
            .context("the REST API's resource policy is not a JSON policy document")?;
        for s in &statements {
            for c in &s.conditions {
                if !SUPPORTED_OPERATORS.contains(&c.operator.trim_end_matches("IfExists")) {
                    tracing::warn!(
                        operator = c.operator,
                        key = c.key,
                        "a resource policy condition operator the local cloud does not evaluate: it never matches"
                    );
                }
            }
        }
        Ok(ResourcePolicy { statements })
    }

    /// The decision for `request`.
    pub fn decide(&self, request: &Request<'_>) -> Decision {
        let arn = request.resource_arn();
        policy::decide(&self.statements, |s| {
            request.principal_applies(s)
                && s.covers_action(INVOKE)
                && s.covers_resource(|pattern| request.matches_resource(pattern, &arn))
                && s.conditions_hold(|key| request.context(key))
        })
    }
}

/// The condition operators [`policy`] evaluates.
const SUPPORTED_OPERATORS: [&str; 12] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "ArnEquals",
    "ArnNotEquals",
    "ArnLike",
    "ArnNotLike",
    "IpAddress",
    "NotIpAddress",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &'static str, path: &'static str, ip: &str) -> Request<'static> {
        Request {
            region: "us-east-1",
            account: "123456789012",
            api_id: "abc123",
            stage: "prod",
            method,
            path,
            source_ip: ip.parse().unwrap(),
            signed: false,
        }
    }

    /// AWS's example: allow everyone, deny every address outside the list
    /// (<https://repost.aws/knowledge-center/api-gateway-access-denied>).
    const IP_ALLOW_LIST: &str = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["52.36.146.106", "10.0.0.0/8"]}}}]}"#;

    #[test]
    fn source_ip_conditions_decide() {
        let p = ResourcePolicy::parse(IP_ALLOW_LIST).unwrap();
        assert_eq!(
            p.decide(&request("GET", "/items", "10.9.8.7")),
            Decision::Allow
        );
        assert_eq!(
            p.decide(&request("GET", "/items", "127.0.0.1")),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn a_private_apis_policy_refuses_requests_from_outside_a_vpc() {
        let private = ResourcePolicy::parse(
            r#"{"Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                 "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}},
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}"#,
        )
        .unwrap();
        assert_eq!(
            private.decide(&request("GET", "/", "127.0.0.1")),
            Decision::ExplicitDeny
        );
        let only_vpc = ResourcePolicy::parse(
            r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*", "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}}}"#,
        )
        .unwrap();
        assert_eq!(
            only_vpc.decide(&request("GET", "/", "127.0.0.1")),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn resources_are_matched_by_stage_method_and_path() {
        let p = ResourcePolicy::parse(
            r#"{"Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "execute-api:*",
                 "Resource": "execute-api:/prod/GET/items/*"},
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/admin"},
                 "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}"#,
        )
        .unwrap();
        assert_eq!(
            p.decide(&request("GET", "/items/42", "127.0.0.1")),
            Decision::Allow
        );
        assert_eq!(
            p.decide(&request("POST", "/items/42", "127.0.0.1")),
            Decision::ImplicitDeny
        );
        let signed = Request {
            signed: true,
            ..request("POST", "/items/42", "127.0.0.1")
        };
        assert_eq!(p.decide(&signed), Decision::Allow, "a role's statement");
        assert_eq!(
            request("GET", "/", "127.0.0.1").resource_arn(),
            "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/"
        );
    }

    #[test]
    fn the_escaped_form_aws_answers_is_read() {
        let escaped = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:us-east-1:123456789012:abc123/*\"}]}"#;
        let p = ResourcePolicy::parse(escaped).unwrap();
        assert_eq!(p.statements.len(), 1);
        assert!(ResourcePolicy::parse("not json").is_err());
    }
}
