//! What an IAM role may do, read from moto's IAM API: whether a service may assume it (its trust policy)
//! and whether its identity policies (inline and attached managed ones) allow an action on a resource, as
//! AWS evaluates them (an explicit Deny wins, else an Allow is needed:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).

use anyhow::Context as _;
use serde_json::Value;

use super::{
    matchers::wildcard,
    policy::{self, Decision, Statement},
    xml,
};
use crate::SharedCloud;

/// A role as the data plane needs it.
#[derive(Debug, Clone, Default)]
pub struct Role {
    pub trust: Vec<Statement>,
    /// The statements of all its identity policies.
    pub statements: Vec<Statement>,
}

impl Role {
    /// Whether `service` (`apigateway.amazonaws.com`) may assume the role.
    pub fn assumable_by(&self, service: &str) -> bool {
        let principal = format!("service:{service}");
        policy::decide(&self.trust, |s| {
            s.covers_action("sts:AssumeRole")
                && s.principals.iter().any(|p| p == "*" || *p == principal)
        }) == Decision::Allow
    }

    /// The decision of the role's identity policies on `action` (`sqs:SendMessage`) on `resource`.
    pub fn decide(&self, action: &str, resource: &str) -> Decision {
        policy::decide(&self.statements, |s| {
            s.covers_action(action)
                && s.covers_resource(|pattern| wildcard(pattern, resource, false))
                && s.conditions_hold(|_| None)
        })
    }
}

/// The role `arn` with its policies (`None` when there is no such role).
pub async fn role(cloud: &SharedCloud, arn: &str) -> anyhow::Result<Option<Role>> {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    let got = query(cloud, &[("Action", "GetRole"), ("RoleName", name)]).await?;
    let Some(got) = got else { return Ok(None) };
    let trust =
        document(&got["GetRoleResponse"]["GetRoleResult"]["Role"]["AssumeRolePolicyDocument"])?;
    let mut statements = Vec::new();
    let inline = query(cloud, &[("Action", "ListRolePolicies"), ("RoleName", name)])
        .await?
        .unwrap_or_default();
    let names = &inline["ListRolePoliciesResponse"]["ListRolePoliciesResult"]["PolicyNames"];
    for policy_name in xml::members(names.get("member")) {
        let policy_name = policy_name.as_str().unwrap_or_default();
        let p = query(
            cloud,
            &[
                ("Action", "GetRolePolicy"),
                ("RoleName", name),
                ("PolicyName", policy_name),
            ],
        )
        .await?
        .unwrap_or_default();
        statements.extend(document(
            &p["GetRolePolicyResponse"]["GetRolePolicyResult"]["PolicyDocument"],
        )?);
    }
    let attached = query(
        cloud,
        &[("Action", "ListAttachedRolePolicies"), ("RoleName", name)],
    )
    .await?
    .unwrap_or_default();
    let list = &attached["ListAttachedRolePoliciesResponse"]["ListAttachedRolePoliciesResult"]["AttachedPolicies"];
    for p in xml::members(list.get("member")) {
        let policy_arn = p["PolicyArn"].as_str().unwrap_or_default();
        let got = query(cloud, &[("Action", "GetPolicy"), ("PolicyArn", policy_arn)])
            .await?
            .unwrap_or_default();
        let version = got["GetPolicyResponse"]["GetPolicyResult"]["Policy"]["DefaultVersionId"]
            .as_str()
            .unwrap_or("v1")
            .to_owned();
        let v = query(
            cloud,
            &[
                ("Action", "GetPolicyVersion"),
                ("PolicyArn", policy_arn),
                ("VersionId", &version),
            ],
        )
        .await?
        .unwrap_or_default();
        statements.extend(document(
            &v["GetPolicyVersionResponse"]["GetPolicyVersionResult"]["PolicyVersion"]["Document"],
        )?);
    }
    Ok(Some(Role { trust, statements }))
}

/// A policy document as IAM answers it (URL-encoded JSON).
fn document(v: &Value) -> anyhow::Result<Vec<Statement>> {
    let text = v.as_str().unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let decoded = if text.trim_start().starts_with('{') {
        text.to_owned()
    } else {
        crate::apigw::vtl::eval::to_text(&crate::apigw::vtl::input::util(
            "urlDecode",
            &[Value::from(text)],
        ))
    };
    policy::parse(&decoded).context("an IAM policy document")
}

/// One IAM query call to moto (`None` for NoSuchEntity).
async fn query(cloud: &SharedCloud, params: &[(&str, &str)]) -> anyhow::Result<Option<Value>> {
    let mut body = String::from("Version=2010-05-08");
    for (k, v) in params {
        body.push_str(&format!("&{k}={}", crate::apigw::vtl::input::url_encode(v)));
    }
    let resp = super::aws_call::send(cloud, "iam", "POST", "/", "", &[], body.into())
        .await
        .context("calling IAM")?;
    let text = String::from_utf8_lossy(resp.body());
    if resp.status().as_u16() == 404 || text.contains("NoSuchEntity") {
        return Ok(None);
    }
    anyhow::ensure!(
        resp.status().is_success(),
        "IAM {params:?}: {} {text}",
        resp.status()
    );
    xml::to_json(&text)
        .map(Some)
        .with_context(|| format!("IAM answered what is not XML: {text}"))
}
