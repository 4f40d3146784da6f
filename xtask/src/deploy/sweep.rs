//! Removes from the local cloud what a pattern left that no state knows (a terraform killed mid-apply, a lost
//! state file): every resource carrying the pattern's tag, deleted in dependency order.
//!
//! moto's tagging API lists most types; IAM roles, API Gateway APIs, VPC links and EventBridge rules it does not,
//! so they are listed from their own APIs. A tagged type this module cannot delete is an error naming it.
//!
//! Over 400 lines: one lister and one deleter per resource family, in the order they must go, with their tests.

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::terraform::PATTERN_TAG;
use crate::aws::raw::{self, ok_json, ok_xml, percent_encode as enc, xml_texts};

/// One resource found by its tag: its ARN (or, for API Gateway, its path) and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Leftover {
    kind: Kind,
    id: String,
}

/// Kinds in the order they are deleted: users of a thing before the thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    // A custom domain name first (its base path mappings name APIs), then its certificate (AWS refuses to delete
    // one a domain name uses).
    DomainName,
    Certificate,
    /// Before its API: a usage plan names the API's stages.
    UsagePlan,
    RestApi,
    HttpApi,
    VpcLink,
    EventSource,
    Rule,
    StateMachine,
    LoadBalancer,
    TargetGroup,
    Function,
    Queue,
    Topic,
    Table,
    LogGroup,
    Bucket,
    EventBus,
    SecurityGroup,
    Subnet,
    RouteTable,
    InternetGateway,
    Vpc,
    Role,
    UserPool,
}

/// Deletes every resource of `pattern` in the local cloud at `edge`; returns what it deleted, one line each.
pub fn sweep(edge: &str, pattern: &str) -> Result<Vec<String>> {
    let mut found = deletable(edge, pattern)?;
    found.sort_by_key(|l| l.kind);
    let mut deleted = Vec::new();
    for leftover in found {
        delete(edge, &leftover).with_context(|| format!("deleting {}", leftover.id))?;
        deleted.push(leftover.id);
    }
    Ok(deleted)
}

/// What the local cloud holds of `pattern`, one id each (ARNs, API Gateway paths, role names).
pub fn list(edge: &str, pattern: &str) -> Result<Vec<String>> {
    Ok(deletable(edge, pattern)?
        .into_iter()
        .map(|l| l.id)
        .collect())
}

/// Everything that carries the pattern's tag, of any type (a stack, a subscription, ...), one id each: what a
/// diagram reads (`cargo xtask diagram`).
pub fn list_all(edge: &str, pattern: &str) -> Result<Vec<String>> {
    let (known, others) = tagged(edge, pattern)?;
    Ok(known.into_iter().map(|l| l.id).chain(others).collect())
}

/// What carries the pattern's tag, refusing a type this module cannot delete.
fn deletable(edge: &str, pattern: &str) -> Result<Vec<Leftover>> {
    let (found, others) = tagged(edge, pattern)?;
    if let Some(arn) = others.first() {
        bail!(
            "{arn} carries the tag `{PATTERN_TAG} = {pattern}` but xtask cannot delete its type; fix: delete it \
             with the AWS CLI (`aws --endpoint-url {edge} ...`) or restart the local cloud (`cargo xtask local \
             down`), which forgets everything"
        );
    }
    Ok(found)
}

/// Whether the answer about one listed thing says it is gone: deleted since the listing, by another deployment's
/// teardown (patterns are tested side by side in one local cloud), so it is no leftover of this one.
fn vanished((status, body): &(u16, String)) -> bool {
    *status == 404
        || (*status == 400 && (body.contains("ResourceNotFound") || body.contains("NoSuchEntity")))
}

/// What carries the pattern's tag: the resources of the kinds this module deletes, and the ARNs of other types.
fn tagged(edge: &str, pattern: &str) -> Result<(Vec<Leftover>, Vec<String>)> {
    let mut found = Vec::new();
    let mut others = Vec::new();
    for arn in crate::aws::json::tagged_resources(edge, PATTERN_TAG, pattern)? {
        match kind_of(&arn) {
            Some(kind) => found.push(Leftover { kind, id: arn }),
            None => others.push(arn),
        }
    }
    let ours = |tags: &serde_json::Value| tags[PATTERN_TAG] == pattern;
    let apis = ok_json(raw::get(edge, "apigateway", "/restapis")?, "GetRestApis")?;
    for api in apis["item"].as_array().into_iter().flatten() {
        if ours(&api["tags"]) {
            found.push(Leftover {
                kind: Kind::RestApi,
                id: format!("/restapis/{}", api["id"].as_str().unwrap_or_default()),
            });
        }
    }
    // Custom domain names (REST): the tagging API does not list them.
    let domains = ok_json(
        raw::get(edge, "apigateway", "/domainnames")?,
        "GetDomainNames",
    )?;
    for domain in domains["item"].as_array().into_iter().flatten() {
        if ours(&domain["tags"]) {
            let name = domain["domainName"].as_str().unwrap_or_default();
            found.push(Leftover {
                kind: Kind::DomainName,
                id: format!("/domainnames/{}", enc(name)),
            });
        }
    }
    let plans = ok_json(
        raw::get(edge, "apigateway", "/usageplans")?,
        "GetUsagePlans",
    )?;
    for plan in plans["item"].as_array().into_iter().flatten() {
        if ours(&plan["tags"]) {
            found.push(Leftover {
                kind: Kind::UsagePlan,
                id: format!("/usageplans/{}", plan["id"].as_str().unwrap_or_default()),
            });
        }
    }
    let http_apis = ok_json(raw::get(edge, "apigateway", "/v2/apis")?, "GetApis")?;
    for api in http_apis["items"].as_array().into_iter().flatten() {
        if ours(&api["tags"]) {
            found.push(Leftover {
                kind: Kind::HttpApi,
                id: format!("/v2/apis/{}", api["apiId"].as_str().unwrap_or_default()),
            });
        }
    }
    let pools = ok_json(
        raw::json(
            edge,
            "cognito-idp",
            "AWSCognitoIdentityProviderService.ListUserPools",
            "application/x-amz-json-1.1",
            &json!({ "MaxResults": 60 }),
        )?,
        "ListUserPools",
    )?;
    for pool in pools["UserPools"].as_array().into_iter().flatten() {
        let id = pool["Id"].as_str().unwrap_or_default();
        let answer = raw::json(
            edge,
            "cognito-idp",
            "AWSCognitoIdentityProviderService.DescribeUserPool",
            "application/x-amz-json-1.1",
            &json!({ "UserPoolId": id }),
        )?;
        if vanished(&answer) {
            continue;
        }
        let described = ok_json(answer, "DescribeUserPool")?;
        let pool = &described["UserPool"];
        if ours(&pool["UserPoolTags"]) {
            found.push(Leftover {
                kind: Kind::UserPool,
                id: pool["Arn"].as_str().unwrap_or(id).to_owned(),
            });
        }
    }
    // VPC links of REST APIs (`/vpclinks`, to an NLB) and of HTTP APIs (`/v2/vpclinks`).
    for (path, id_field) in [("/vpclinks", "id"), ("/v2/vpclinks", "vpcLinkId")] {
        let links = ok_json(raw::get(edge, "apigateway", path)?, "GetVpcLinks")?;
        let items = links.get("item").or(links.get("items"));
        for link in items.and_then(|i| i.as_array()).into_iter().flatten() {
            if ours(&link["tags"]) {
                found.push(Leftover {
                    kind: Kind::VpcLink,
                    id: format!("{path}/{}", link[id_field].as_str().unwrap_or_default()),
                });
            }
        }
    }
    found.extend(tagged_rules(edge, pattern)?);
    let roles = ok_xml(
        raw::query(
            edge,
            "iam",
            "Action=ListRoles&Version=2010-05-08&MaxItems=1000",
        )?,
        "ListRoles",
    )?;
    for role in xml_texts(&roles, "RoleName") {
        let answer = raw::query(
            edge,
            "iam",
            &format!(
                "Action=ListRoleTags&Version=2010-05-08&RoleName={}",
                enc(&role)
            ),
        )?;
        if vanished(&answer) {
            continue;
        }
        let tags = ok_xml(answer, "ListRoleTags")?;
        let keys = xml_texts(&tags, "Key");
        let values = xml_texts(&tags, "Value");
        if keys
            .iter()
            .zip(&values)
            .any(|(k, v)| k == PATTERN_TAG && v == pattern)
        {
            found.push(Leftover {
                kind: Kind::Role,
                id: role,
            });
        }
    }
    Ok((found, others))
}

/// One EventBridge JSON call (`AWSEvents.<action>`).
fn events(edge: &str, action: &str, body: &serde_json::Value) -> Result<(u16, String)> {
    raw::json(
        edge,
        "events",
        &format!("AWSEvents.{action}"),
        "application/x-amz-json-1.1",
        body,
    )
}

/// The EventBridge rules of every bus that carry the pattern's tag (ListRules, ListTagsForResource).
fn tagged_rules(edge: &str, pattern: &str) -> Result<Vec<Leftover>> {
    let mut found = Vec::new();
    let buses = ok_json(
        events(edge, "ListEventBuses", &json!({}))?,
        "ListEventBuses",
    )?;
    for bus in buses["EventBuses"].as_array().into_iter().flatten() {
        let answer = events(edge, "ListRules", &json!({ "EventBusName": bus["Name"] }))?;
        if vanished(&answer) {
            continue;
        }
        let rules = ok_json(answer, "ListRules")?;
        for arn in rules["Rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["Arn"].as_str())
        {
            let answer = events(edge, "ListTagsForResource", &json!({ "ResourceARN": arn }))?;
            if vanished(&answer) {
                continue;
            }
            let tags = ok_json(answer, "ListTagsForResource")?;
            if tags["Tags"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| t["Key"] == PATTERN_TAG && t["Value"] == pattern)
            {
                found.push(Leftover {
                    kind: Kind::Rule,
                    id: arn.to_owned(),
                });
            }
        }
    }
    Ok(found)
}

/// `(bus, rule)` of a rule's ARN: `rule/<name>` is on the default bus, `rule/<bus>/<name>` on a custom one.
fn rule_of(arn: &str) -> (&str, &str) {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    let path = resource.strip_prefix("rule/").unwrap_or(resource);
    path.rsplit_once('/').unwrap_or(("default", path))
}

/// A rule's targets first (EventBridge refuses to delete a rule that has any), then the rule.
fn delete_rule(edge: &str, arn: &str) -> Result<()> {
    let (bus, rule) = rule_of(arn);
    let targets = events(
        edge,
        "ListTargetsByRule",
        &json!({ "Rule": rule, "EventBusName": bus }),
    )?;
    if (200..300).contains(&targets.0) {
        let listed: serde_json::Value =
            serde_json::from_str(&targets.1).context("parsing the answer of ListTargetsByRule")?;
        let ids: Vec<&str> = listed["Targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["Id"].as_str())
            .collect();
        if !ids.is_empty() {
            ok_or_gone(events(
                edge,
                "RemoveTargets",
                &json!({ "Rule": rule, "EventBusName": bus, "Ids": ids }),
            )?)?;
        }
    }
    ok_or_gone(events(
        edge,
        "DeleteRule",
        &json!({ "Name": rule, "EventBusName": bus }),
    )?)
}

/// The kind of a tagged ARN that this module deletes.
fn kind_of(arn: &str) -> Option<Kind> {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2)?;
    let resource = parts.nth(2)?;
    let kind = match (service, resource.split(['/', ':']).next()?) {
        ("lambda", "function") => Kind::Function,
        ("lambda", "event-source-mapping") => Kind::EventSource,
        ("logs", "log-group") => Kind::LogGroup,
        ("elasticloadbalancing", "loadbalancer") => Kind::LoadBalancer,
        ("elasticloadbalancing", "targetgroup") => Kind::TargetGroup,
        ("ec2", "vpc") => Kind::Vpc,
        ("ec2", "subnet") => Kind::Subnet,
        ("ec2", "security-group") => Kind::SecurityGroup,
        ("ec2", "route-table") => Kind::RouteTable,
        ("ec2", "internet-gateway") => Kind::InternetGateway,
        ("dynamodb", "table") => Kind::Table,
        ("sqs", _) => Kind::Queue,
        ("sns", _) => Kind::Topic,
        ("s3", _) => Kind::Bucket,
        ("events", "event-bus") => Kind::EventBus,
        ("events", "rule") => Kind::Rule,
        ("states", "stateMachine") => Kind::StateMachine,
        ("acm", "certificate") => Kind::Certificate,
        _ => return None,
    };
    Some(kind)
}

/// The last part of an ARN's resource (`function:name` -> `name`, `vpc/vpc-1` -> `vpc-1`).
fn last_part(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

fn delete(edge: &str, l: &Leftover) -> Result<()> {
    let arn = l.id.as_str();
    let name = last_part(arn);
    let ec2 = |action: &str, param: &str, id: &str| {
        raw::query(
            edge,
            "ec2",
            &format!("Action={action}&Version=2016-11-15&{param}={}", enc(id)),
        )
    };
    let elb = |action: &str, param: &str| {
        raw::query(
            edge,
            "elasticloadbalancing",
            &format!("Action={action}&Version=2015-12-01&{param}={}", enc(arn)),
        )
    };
    let answer = match l.kind {
        Kind::Certificate => raw::json(
            edge,
            "acm",
            "CertificateManager.DeleteCertificate",
            "application/x-amz-json-1.1",
            &json!({ "CertificateArn": arn }),
        )?,
        Kind::UsagePlan | Kind::RestApi | Kind::HttpApi | Kind::VpcLink | Kind::DomainName => {
            raw::rest(edge, "DELETE", "apigateway", arn)?
        }
        Kind::UserPool => raw::json(
            edge,
            "cognito-idp",
            "AWSCognitoIdentityProviderService.DeleteUserPool",
            "application/x-amz-json-1.1",
            &json!({ "UserPoolId": name }),
        )?,
        Kind::EventSource => raw::rest(
            edge,
            "DELETE",
            "lambda",
            &format!("/2015-03-31/event-source-mappings/{}", enc(name)),
        )?,
        Kind::Function => raw::rest(
            edge,
            "DELETE",
            "lambda",
            &format!("/2015-03-31/functions/{}", enc(name)),
        )?,
        Kind::LoadBalancer => elb("DeleteLoadBalancer", "LoadBalancerArn")?,
        Kind::TargetGroup => elb("DeleteTargetGroup", "TargetGroupArn")?,
        Kind::LogGroup => {
            let group = arn
                .split_once(":log-group:")
                .map(|(_, g)| g.trim_end_matches(":*"))
                .unwrap_or(name);
            raw::json(
                edge,
                "logs",
                "Logs_20140328.DeleteLogGroup",
                "application/x-amz-json-1.1",
                &json!({ "logGroupName": group }),
            )?
        }
        Kind::Table => raw::json(
            edge,
            "dynamodb",
            "DynamoDB_20120810.DeleteTable",
            "application/x-amz-json-1.0",
            &json!({ "TableName": name }),
        )?,
        Kind::Queue => {
            let account = arn.split(':').nth(4).unwrap_or_default();
            let url = format!("{edge}/{account}/{name}");
            raw::query(
                edge,
                "sqs",
                &format!("Action=DeleteQueue&QueueUrl={}", enc(&url)),
            )?
        }
        Kind::Topic => raw::query(
            edge,
            "sns",
            &format!("Action=DeleteTopic&TopicArn={}", enc(arn)),
        )?,
        Kind::Bucket => {
            empty_bucket(edge, name)?;
            raw::rest(edge, "DELETE", "s3", &format!("/{name}"))?
        }
        Kind::EventBus => events(edge, "DeleteEventBus", &json!({ "Name": name }))?,
        Kind::Rule => return delete_rule(edge, arn),
        Kind::StateMachine => raw::json(
            edge,
            "states",
            "AWSStepFunctions.DeleteStateMachine",
            "application/x-amz-json-1.0",
            &json!({ "stateMachineArn": arn }),
        )?,
        Kind::SecurityGroup => ec2("DeleteSecurityGroup", "GroupId", name)?,
        Kind::Subnet => ec2("DeleteSubnet", "SubnetId", name)?,
        Kind::RouteTable => ec2("DeleteRouteTable", "RouteTableId", name)?,
        Kind::InternetGateway => {
            let described = ok_xml(
                ec2("DescribeInternetGateways", "InternetGatewayId.1", name)?,
                "DescribeInternetGateways",
            )?;
            for vpc in xml_texts(&described, "vpcId") {
                ok_xml(
                    raw::query(
                        edge,
                        "ec2",
                        &format!(
                            "Action=DetachInternetGateway&Version=2016-11-15&InternetGatewayId={}&VpcId={}",
                            enc(name),
                            enc(&vpc)
                        ),
                    )?,
                    "DetachInternetGateway",
                )?;
            }
            ec2("DeleteInternetGateway", "InternetGatewayId", name)?
        }
        Kind::Vpc => ec2("DeleteVpc", "VpcId", name)?,
        Kind::Role => return delete_role(edge, arn),
    };
    ok_or_gone(answer)
}

/// Inline policies and attached managed policies first: IAM refuses to delete a role that has them.
fn delete_role(edge: &str, role: &str) -> Result<()> {
    let iam = |action: &str, extra: &str| {
        raw::query(
            edge,
            "iam",
            &format!(
                "Action={action}&Version=2010-05-08&RoleName={}{extra}",
                enc(role)
            ),
        )
    };
    let inline = ok_xml(iam("ListRolePolicies", "")?, "ListRolePolicies")?;
    for policy in xml_texts(&inline, "member") {
        ok_or_gone(iam(
            "DeleteRolePolicy",
            &format!("&PolicyName={}", enc(&policy)),
        )?)?;
    }
    let attached = ok_xml(
        iam("ListAttachedRolePolicies", "")?,
        "ListAttachedRolePolicies",
    )?;
    for policy in xml_texts(&attached, "PolicyArn") {
        ok_or_gone(iam(
            "DetachRolePolicy",
            &format!("&PolicyArn={}", enc(&policy)),
        )?)?;
    }
    ok_or_gone(iam("DeleteRole", "")?)
}

/// Deletes every object of `bucket`, every version and delete marker of a versioned one included (S3 refuses to
/// delete a bucket that holds any: 409 BucketNotEmpty, which fails the sweep naming the bucket).
fn empty_bucket(edge: &str, bucket: &str) -> Result<()> {
    // One page of versions (1,000) is more than a local deployment writes; the objects left are listed below.
    let listing = ok_xml(
        raw::get(edge, "s3", &format!("/{bucket}?versions"))?,
        "ListObjectVersions",
    )?;
    for (key, version) in version_pairs(&listing) {
        if version != "null" {
            let path = key.split('/').map(enc).collect::<Vec<_>>().join("/");
            ok_or_gone(raw::rest(
                edge,
                "DELETE",
                "s3",
                &format!("/{bucket}/{path}?versionId={}", enc(&version)),
            )?)?;
        }
    }
    loop {
        let listing = ok_xml(
            raw::get(edge, "s3", &format!("/{bucket}?list-type=2"))?,
            "ListObjectsV2",
        )?;
        let keys = xml_texts(&listing, "Key");
        if keys.is_empty() {
            return Ok(());
        }
        for key in keys {
            let path = key.split('/').map(enc).collect::<Vec<_>>().join("/");
            ok_or_gone(raw::rest(
                edge,
                "DELETE",
                "s3",
                &format!("/{bucket}/{path}"),
            )?)?;
        }
    }
}

/// (key, version id) of each `<Version>` and `<DeleteMarker>` of a ListObjectVersions answer (each names one
/// key and one version id, in that order). An unversioned object's version id is `null`: it is deleted by key.
fn version_pairs(listing: &str) -> Vec<(String, String)> {
    xml_texts(listing, "Key")
        .into_iter()
        .zip(xml_texts(listing, "VersionId"))
        .collect()
}

/// A success, or an answer saying the resource is already gone.
fn ok_or_gone((status, body): (u16, String)) -> Result<()> {
    let gone = matches!(status, 400 | 404)
        && [
            "NotFound",
            "NoSuch",
            "does not exist",
            "DoesNotExist",
            "not found",
        ]
        .iter()
        .any(|m| body.contains(m));
    if (200..300).contains(&status) || gone {
        Ok(())
    } else {
        bail!(
            "the local cloud answered {status}: {}",
            body.chars().take(300).collect::<String>()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thing_deleted_since_the_listing_is_no_leftover() {
        let iam = r#"<ErrorResponse><Error><Code>NoSuchEntity</Code></Error></ErrorResponse>"#;
        assert!(vanished(&(404, iam.to_owned())));
        let events = r#"{"__type":"ResourceNotFoundException","message":"Rule r does not exist."}"#;
        assert!(vanished(&(400, events.to_owned())));
        assert!(!vanished(&(
            400,
            r#"{"__type":"ValidationException"}"#.to_owned()
        )));
        assert!(!vanished(&(500, String::new())));
        assert!(!vanished(&(200, String::new())));
    }

    #[test]
    fn tagged_arns_are_known_by_service_and_type() {
        let cases = [
            ("arn:aws:lambda:us-east-1:1:function:f", Kind::Function),
            (
                "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f",
                Kind::LogGroup,
            ),
            ("arn:aws:ec2:us-east-1:1:vpc/vpc-1", Kind::Vpc),
            (
                "arn:aws:ec2:us-east-1:1:security-group/sg-1",
                Kind::SecurityGroup,
            ),
            (
                "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/abc",
                Kind::TargetGroup,
            ),
            ("arn:aws:sqs:us-east-1:1:q", Kind::Queue),
            (
                "arn:aws:acm:us-east-1:1:certificate/4fe49953-f49b-45a2-bffc-7554ea1e7500",
                Kind::Certificate,
            ),
            ("arn:aws:s3:::bucket", Kind::Bucket),
            ("arn:aws:events:us-east-1:1:rule/orders-bus/r", Kind::Rule),
            (
                "arn:aws:states:us-east-1:1:stateMachine:approval",
                Kind::StateMachine,
            ),
        ];
        for (arn, kind) in cases {
            assert_eq!(kind_of(arn), Some(kind), "{arn}");
        }
        assert_eq!(kind_of("arn:aws:kms:us-east-1:1:key/k"), None);
        assert_eq!(last_part("arn:aws:lambda:us-east-1:1:function:f"), "f");
        assert_eq!(
            last_part("arn:aws:ec2:us-east-1:1:subnet/subnet-9"),
            "subnet-9"
        );
    }

    #[test]
    fn users_are_deleted_before_what_they_use() {
        assert!(Kind::RestApi < Kind::VpcLink && Kind::VpcLink < Kind::LoadBalancer);
        assert!(Kind::UsagePlan < Kind::RestApi);
        assert!(Kind::LoadBalancer < Kind::TargetGroup && Kind::TargetGroup < Kind::Function);
        assert!(Kind::Subnet < Kind::Vpc && Kind::InternetGateway < Kind::Vpc);
        assert!(Kind::Function < Kind::Role);
        assert!(
            Kind::Rule < Kind::Function && Kind::Rule < Kind::Queue && Kind::Rule < Kind::EventBus
        );
        // A state machine invokes functions and sends to queues with its role.
        assert!(
            Kind::StateMachine < Kind::Function
                && Kind::StateMachine < Kind::Queue
                && Kind::StateMachine < Kind::Role
        );
    }

    #[test]
    fn a_rule_arn_names_its_bus() {
        assert_eq!(
            rule_of("arn:aws:events:us-east-1:1:rule/tick"),
            ("default", "tick")
        );
        assert_eq!(
            rule_of("arn:aws:events:us-east-1:1:rule/orders-bus/orders"),
            ("orders-bus", "orders")
        );
    }

    #[test]
    fn every_version_and_delete_marker_of_a_bucket_is_listed() {
        let listing = "<ListVersionsResult><Name>b</Name><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>\
            <Version><Key>a/b.txt</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest></Version>\
            <Version><Key>a/b.txt</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest></Version>\
            <DeleteMarker><Key>gone.txt</Key><VersionId>m1</VersionId></DeleteMarker></ListVersionsResult>";
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            version_pairs(listing),
            [
                pair("a/b.txt", "v2"),
                pair("a/b.txt", "v1"),
                pair("gone.txt", "m1")
            ]
        );
        assert!(
            version_pairs("<ListVersionsResult><Name>b</Name></ListVersionsResult>").is_empty()
        );
    }

    #[test]
    fn a_resource_already_gone_is_no_error_but_a_refusal_is() {
        assert!(ok_or_gone((200, String::new())).is_ok());
        assert!(ok_or_gone((404, r#"{"__type":"ResourceNotFoundException"}"#.into())).is_ok());
        let err = ok_or_gone((400, "<Code>DependencyViolation</Code>".into())).unwrap_err();
        assert!(err.to_string().contains("DependencyViolation"), "{err}");
    }
}
