//! Rule `iam-wildcard-action`: no IAM statement grants an action with a `*` in it (`"*"`, `"s3:*"`, `"s3:Get*"`);
//! a pattern lists the exact actions its functions use. Only actions are checked: resource ARNs such as
//! `log-group:...:*` are fine. Only statements that allow (`Effect: Allow`, or no effect: Terraform's default) are
//! checked: a `Deny` of `s3:*` (AWS's recommended HTTPS-only guard) takes rights away and grants nothing.
//!
//! Terraform: `data "aws_iam_policy_document"` `actions`/`not_actions`, every `jsonencode({...})` object with an
//! `Action`/`NotAction` key, and JSON policy strings or heredocs. SAM/CloudFormation: every `Statement` in any
//! resource's properties (SAM `Policies`, `AWS::IAM::*` documents, resource policies).
//! Over 400 lines: its unit tests, one per refused policy shape, sit beside the rule.

use hcl::edit::{
    Span,
    expr::{Expression, FuncCall, Object, ObjectKey},
    structure::{Block, Body, Structure},
    visit::{Visit, visit_expr, visit_func_call, visit_object},
};
use serde_yaml::Value;

use crate::cfn::{Template, strings};
use crate::validate::{
    Finding,
    tf_config::{self, TfFile, TfModule},
};

const RULE: &str = "iam-wildcard-action";
const FIX: &str = "list the exact actions the function uses";
const ACTION_KEYS: [&str; 2] = ["Action", "NotAction"];
/// Stands in for `${...}` when a policy string is read as JSON.
const PLACEHOLDER: &str = "__xtask_interpolation__";

pub fn terraform(module: &TfModule) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in &module.files {
        let mut ctx = Ctx {
            file,
            findings: &mut findings,
        };
        for structure in file.body.iter() {
            match structure {
                Structure::Block(block) => {
                    let address = block_address(block);
                    if block.ident.value().as_str() == "data"
                        && block
                            .labels
                            .first()
                            .is_some_and(|l| l.as_str() == "aws_iam_policy_document")
                    {
                        ctx.policy_document(&block.body, &address);
                    }
                    ctx.walk_body(&block.body, &address);
                }
                Structure::Attribute(attr) => {
                    ctx.walk_expr(&attr.value, attr.key.value().as_str().to_owned());
                }
            }
        }
    }
    findings
}

/// `resource.aws_iam_role.x`, `data.aws_iam_policy_document.x`, `locals`, `module.m`, ...
fn block_address(block: &Block) -> String {
    let mut out = block.ident.value().as_str().to_owned();
    for label in &block.labels {
        out.push('.');
        out.push_str(label.as_str());
    }
    out
}

struct Ctx<'a, 'f> {
    file: &'a TfFile,
    findings: &'f mut Vec<Finding>,
}

impl Ctx<'_, '_> {
    fn walk_body(&mut self, body: &Body, path: &str) {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    self.walk_expr(&attr.value, format!("{path}.{}", attr.key.value().as_str()));
                }
                Structure::Block(block) => {
                    self.walk_body(
                        &block.body,
                        &format!("{path}.{}", block.ident.value().as_str()),
                    );
                }
            }
        }
    }

    fn walk_expr(&mut self, expr: &Expression, location: String) {
        let mut visitor = ExprVisitor {
            ctx: self,
            location,
        };
        visitor.visit_expr(expr);
    }

    /// `statement { actions = [...] }`, also inside `dynamic "statement" { content { ... } }`; a statement with
    /// `effect = "Deny"` grants nothing.
    fn policy_document(&mut self, body: &Body, path: &str) {
        if body
            .get_attribute("effect")
            .and_then(|attr| tf_config::literal_str(&attr.value))
            .is_some_and(|effect| is_deny(&effect))
        {
            return;
        }
        for key in ["actions", "not_actions"] {
            if let Some(attr) = body.get_attribute(key) {
                self.action_list(&attr.value, &format!("{path}.{key}"));
            }
        }
        let mut counts = std::collections::BTreeMap::new();
        for block in body.blocks() {
            let ident = block.ident.value().as_str();
            let index = counts.entry(ident).or_insert(0usize);
            self.policy_document(&block.body, &format!("{path}.{ident}[{index}]"));
            *index += 1;
        }
    }

    /// One finding per action with a `*` in what the author wrote (interpolated parts are not known).
    fn action_list(&mut self, expr: &Expression, location: &str) {
        let items = tf_config::list_items(expr).unwrap_or_else(|| vec![expr]);
        for item in items {
            if tf_config::literal_parts(item)
                .iter()
                .any(|part| part.contains('*'))
            {
                let action = tf_config::template_text(item, "${...}").unwrap_or_default();
                self.findings.push(wildcard(
                    &self.file.path,
                    location,
                    &action,
                    self.file.line_of(item.span()),
                ));
            }
        }
    }

    /// A string that looks like a JSON policy document: parsed and its actions checked.
    fn policy_text(&mut self, expr: &Expression, location: &str) {
        let Some(text) = tf_config::template_text(expr, PLACEHOLDER) else {
            return;
        };
        let looks_like_policy = text.contains("\"Statement\"")
            && ACTION_KEYS
                .iter()
                .any(|k| text.contains(&format!("\"{k}\"")));
        if !looks_like_policy {
            return;
        }
        // A heredoc's text starts on the line after `<<EOT`.
        let first_line = self
            .file
            .line_of(expr.span())
            .map(|l| l + usize::from(matches!(expr, Expression::HeredocTemplate(_))));
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(json) => {
                for action in json_wildcards(&json) {
                    let offset = text
                        .find(&format!("\"{action}\""))
                        .map_or(0, |at| text[..at].matches('\n').count());
                    self.findings.push(wildcard(
                        &self.file.path,
                        location,
                        &action,
                        first_line.map(|l| l + offset),
                    ));
                }
            }
            Err(err) => self.findings.push(
                Finding::new(
                    &self.file.path,
                    location,
                    "iam-policy-unparsed",
                    format!(
                        "this string looks like an IAM policy but is not JSON once `${{...}}` is replaced ({err}), \
                         so its actions cannot be checked"
                    ),
                    "build the policy with jsonencode({...}) or a data \"aws_iam_policy_document\"",
                )
                .at_line(first_line),
            ),
        }
    }
}

/// Walks one attribute's expression: `jsonencode` arguments and policy strings.
struct ExprVisitor<'c, 'a, 'f> {
    ctx: &'c mut Ctx<'a, 'f>,
    location: String,
}

impl Visit for ExprVisitor<'_, '_, '_> {
    fn visit_expr(&mut self, expr: &Expression) {
        if matches!(
            expr,
            Expression::String(_) | Expression::StringTemplate(_) | Expression::HeredocTemplate(_)
        ) {
            self.ctx.policy_text(expr, &self.location);
        }
        visit_expr(self, expr);
    }

    fn visit_func_call(&mut self, call: &FuncCall) {
        if call.name.namespace.is_empty() && call.name.name.value().as_str() == "jsonencode" {
            for arg in call.args.iter() {
                JsonencodeVisitor {
                    ctx: self.ctx,
                    location: &self.location,
                }
                .visit_expr(arg);
            }
        } else {
            visit_func_call(self, call);
        }
    }
}

/// Inside `jsonencode(...)`: every object with an `Action`/`NotAction` key.
struct JsonencodeVisitor<'c, 'a, 'f, 'l> {
    ctx: &'c mut Ctx<'a, 'f>,
    location: &'l str,
}

impl Visit for JsonencodeVisitor<'_, '_, '_, '_> {
    fn visit_object(&mut self, object: &Object) {
        let name = |key: &ObjectKey| match key {
            ObjectKey::Ident(ident) => Some(ident.value().as_str().to_owned()),
            ObjectKey::Expression(expr) => tf_config::literal_str(expr),
        };
        let deny = object.iter().any(|(key, value)| {
            name(key).as_deref() == Some("Effect")
                && tf_config::literal_str(value.expr()).is_some_and(|e| is_deny(&e))
        });
        for (key, value) in object.iter() {
            if !deny && name(key).is_some_and(|n| ACTION_KEYS.contains(&n.as_str())) {
                self.ctx.action_list(value.expr(), self.location);
            }
        }
        visit_object(self, object);
    }
}

/// A statement's `Effect` that grants nothing.
fn is_deny(effect: &str) -> bool {
    effect.eq_ignore_ascii_case("Deny")
}

/// Every action with a `*` under an `Action`/`NotAction` key of a JSON document (Deny statements apart).
fn json_wildcards(json: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    match json {
        serde_json::Value::Object(map) => {
            let deny = map
                .get("Effect")
                .and_then(serde_json::Value::as_str)
                .is_some_and(is_deny);
            for (key, value) in map {
                if !deny && ACTION_KEYS.contains(&key.as_str()) {
                    let actions: Vec<&serde_json::Value> = match value {
                        serde_json::Value::Array(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    out.extend(
                        actions
                            .iter()
                            .filter_map(|a| a.as_str())
                            .filter(|a| a.contains('*'))
                            .map(str::to_owned),
                    );
                }
                out.extend(json_wildcards(value));
            }
        }
        serde_json::Value::Array(items) => out.extend(items.iter().flat_map(json_wildcards)),
        _ => {}
    }
    out
}

fn wildcard(file: &std::path::Path, location: &str, action: &str, line: Option<usize>) -> Finding {
    Finding::new(
        file,
        location,
        RULE,
        format!("IAM action \"{action}\" has a wildcard; grant exactly what the code calls"),
        FIX,
    )
    .at_line(line)
}

pub fn cfn(template: &Template) -> Vec<Finding> {
    let mut findings = Vec::new();
    for resource in template.resources() {
        let start = template.line(&["Resources", resource.id]).unwrap_or(1);
        let mut found = Vec::new();
        cfn_walk(
            resource.props,
            &mut vec!["Properties".to_owned()],
            &mut found,
        );
        for (path, action) in found {
            let line = template.line_after(start, &action);
            findings.push(wildcard(
                &template.path,
                &format!("Resources.{}.{}", resource.id, path.join(".")),
                &action,
                line,
            ));
        }
    }
    findings
}

/// Collects (path, action) for every wildcard action of every `Statement` under `value`.
fn cfn_walk(value: &Value, path: &mut Vec<String>, found: &mut Vec<(Vec<String>, String)>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let Some(key) = key.as_str() else { continue };
                path.push(key.to_owned());
                if key == "Statement" {
                    let statements: Vec<&Value> = match child {
                        Value::Sequence(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    for (i, statement) in statements.iter().enumerate() {
                        if statement
                            .get("Effect")
                            .and_then(Value::as_str)
                            .is_some_and(is_deny)
                        {
                            continue;
                        }
                        for action_key in ACTION_KEYS {
                            let Some(actions) = statement.get(action_key) else {
                                continue;
                            };
                            for action in strings(actions).into_iter().filter(|a| a.contains('*')) {
                                let mut at = path.clone();
                                at.push(format!("{i}"));
                                at.push(action_key.to_owned());
                                found.push((at, action));
                            }
                        }
                    }
                }
                cfn_walk(child, path, found);
                path.pop();
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                cfn_walk(item, path, found);
                path.pop();
            }
        }
        Value::Tagged(tagged) => cfn_walk(&tagged.value, path, found),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::rules::test_util::{line_of, module};

    const TF: &str = r#"
data "aws_iam_policy_document" "read" {
  statement {
    actions   = ["s3:GetObject", "dynamodb:GetItem"]
    resources = ["arn:aws:s3:::bucket/*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  role = "r"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "arn:aws:logs:*:*:log-group:/aws/lambda/x:*"
    }]
  })
}

resource "aws_iam_policy" "json" {
  name   = "j"
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sqs:SendMessage",
      "Resource": "${aws_sqs_queue.q.arn}"
    }
  ]
}
EOF
}
"#;

    #[test]
    fn exact_actions_pass() {
        let findings = terraform(&module(TF));
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn star_in_jsonencode_is_a_finding() {
        let text = TF.replace("\"logs:PutLogEvents\"]", "\"*\"]");
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.rule, RULE);
        assert_eq!(f.location, "resource.aws_iam_role_policy.logs.policy");
        assert_eq!(f.line, Some(line_of(&text, "\"*\"]")));
        assert!(f.message.contains("\"*\""));
        assert_eq!(f.fix, FIX);
    }

    #[test]
    fn star_in_policy_document_is_a_finding() {
        let text = TF.replace("\"dynamodb:GetItem\"", "\"dynamodb:*\"");
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].location,
            "data.aws_iam_policy_document.read.statement[0].actions"
        );
        assert_eq!(findings[0].line, Some(line_of(&text, "dynamodb:*")));
    }

    #[test]
    fn star_in_heredoc_policy_is_a_finding_on_its_line() {
        let text = TF.replace("\"sqs:SendMessage\"", "\"sqs:Send*\"");
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].location, "resource.aws_iam_policy.json.policy");
        assert_eq!(findings[0].line, Some(line_of(&text, "sqs:Send*")));
    }

    #[test]
    fn unparseable_policy_string_is_reported() {
        let text = TF.replace(
            "\"Action\": \"sqs:SendMessage\",",
            "\"Action\": ${jsonencode(var.actions)},\n      \"Extra\": ,",
        );
        let findings = terraform(&module(&text));
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].rule, "iam-policy-unparsed");
    }

    #[test]
    fn interpolated_actions_and_resource_wildcards_are_not_findings() {
        let text = TF.replace("\"logs:PutLogEvents\"", "\"${var.service}:PutLogEvents\"");
        assert!(terraform(&module(&text)).is_empty());
    }

    const CFN: &str = "
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - AWSLambdaBasicExecutionRole
        - Statement:
            - Effect: Allow
              Action: s3:GetObject
              Resource: arn:aws:s3:::b/*
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Action: sts:AssumeRole
            Principal: { Service: lambda.amazonaws.com }
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action:
                  - sqs:SendMessage
                Resource: '*'
";

    #[test]
    fn cfn_exact_actions_pass() {
        assert!(cfn(&Template::parse(CFN)).is_empty());
    }

    #[test]
    fn cfn_wildcards_in_sam_policies_and_iam_roles_are_findings() {
        let text = CFN
            .replace("Action: s3:GetObject", "Action: s3:*")
            .replace("- sqs:SendMessage", "- !Sub '${Svc}:*'");
        let findings = cfn(&Template::parse(&text));
        let locations: Vec<&str> = findings.iter().map(|f| f.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "Resources.Fn.Properties.Policies.1.Statement.0.Action",
                "Resources.Role.Properties.Policies.0.PolicyDocument.Statement.0.Action"
            ],
            "{findings:#?}"
        );
        assert_eq!(findings[0].line, Some(line_of(&text, "s3:*")));
        assert_eq!(findings[1].line, Some(line_of(&text, "${Svc}:*")));
    }

    /// AWS's HTTPS-only guard for a bucket: a Deny of `s3:*` when `aws:SecureTransport` is false. It takes rights
    /// away, so its wildcard is not a finding; the same wildcard in an Allow still is.
    #[test]
    fn a_deny_statement_may_use_a_wildcard_action_in_every_form() {
        let cfn_text = format!(
            "{CFN}  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: '*'
            Action: 's3:*'
            Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*']
            Condition: {{ Bool: {{ 'aws:SecureTransport': 'false' }} }}
"
        );
        assert!(cfn(&Template::parse(&cfn_text)).is_empty());
        let allowed = cfn_text.replace("Effect: Deny", "Effect: Allow");
        assert_eq!(cfn(&Template::parse(&allowed)).len(), 1);

        let tf = TF
            .replace(
                "  statement {\n    actions   = [\"s3:GetObject\", \"dynamodb:GetItem\"]",
                "  statement {\n    effect    = \"Deny\"\n    actions   = [\"s3:*\"]",
            )
            .replace(
                "Effect   = \"Allow\"\n      Action   = [\"logs:CreateLogStream\", \"logs:PutLogEvents\"]",
                "Effect   = \"Deny\"\n      Action   = [\"logs:*\"]",
            )
            .replace(
                "\"Effect\": \"Allow\",\n      \"Action\": \"sqs:SendMessage\"",
                "\"Effect\": \"Deny\",\n      \"Action\": \"sqs:*\"",
            );
        for edited in ["\"s3:*\"]", "\"logs:*\"]", "\"sqs:*\""] {
            assert!(tf.contains(edited), "{edited} in {tf}");
        }
        let findings = terraform(&module(&tf));
        assert!(findings.is_empty(), "{findings:#?}");
        let allowed = tf.replace("\"Deny\"", "\"Allow\"");
        assert_eq!(terraform(&module(&allowed)).len(), 3);
    }
}
