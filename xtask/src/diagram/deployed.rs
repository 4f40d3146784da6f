//! The deployed architecture, read from what the local cloud holds (not from the IaC's text): the resources that
//! carry the pattern's tag and the wiring their own APIs report (integrations, VPC link targets, listeners, target
//! groups, event source mappings, notifications, subscriptions, rule targets, redrive policies, the functions'
//! role policies), so a mis-wiring shows.
//!
//! Over 400 lines: one small reader per resource family, each a few API calls, kept together as one picture.

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::graph::{Graph, Kind};
use crate::aws::raw::{self, ok_json, ok_xml, percent_encode as enc, xml_texts};
use crate::deploy::sweep;

/// The graph of `pattern`'s resources in the local cloud at `edge`: those carrying its tag (Terraform's default
/// tags) and those of its CloudFormation `stack` (SAM, CDK: moto does not pass stack tags on to resources).
pub fn read(edge: &str, pattern: &str, stack: Option<&str>) -> Result<Graph> {
    let mut graph = Graph::default();
    let mut ids = sweep::list_all(edge, pattern)?;
    if let Some(stack) = stack {
        ids.extend(stack_ids(edge, stack)?);
    }
    for id in ids {
        if let Some((key, kind, name)) = classify(edge, &id)? {
            graph.add_node(&key, kind, &name);
        }
    }
    // A bus's rules, whether or not they carry the tag (the rule reader wires them).
    let buses: Vec<String> = graph
        .nodes
        .iter()
        .filter(|(_, n)| n.kind == Kind::EventBus)
        .map(|(_, n)| n.name.clone())
        .collect();
    for bus in buses {
        let rules = crate::aws::json::call(
            edge,
            "events",
            "AWSEvents.ListRules",
            &json!({ "EventBusName": bus }),
        )?;
        for rule in rules["Rules"].as_array().into_iter().flatten() {
            if let (Some(arn), Some(name)) = (rule["Arn"].as_str(), rule["Name"].as_str()) {
                graph.add_node(arn, Kind::Rule, name);
            }
        }
    }
    let nodes: Vec<(String, Kind, String)> = graph
        .nodes
        .iter()
        .map(|(k, n)| (k.clone(), n.kind, n.name.clone()))
        .collect();
    let url_domains = function_url_domains(edge, &nodes)?;
    for (key, kind, name) in nodes {
        let wiring = match kind {
            Kind::RestApi => rest_api(edge, &name),
            Kind::HttpApi => http_api(edge, &name),
            Kind::VpcLink => vpc_link(edge, &key),
            Kind::Nlb | Kind::Alb => load_balancer(edge, &key),
            Kind::TargetGroup => target_group(edge, &key),
            Kind::Function => function(edge, &key, &name),
            Kind::Queue => queue(edge, &key),
            Kind::Topic => topic(edge, &key),
            Kind::Bucket => bucket(edge, &name),
            Kind::Rule => rule(edge, &key),
            Kind::StateMachine => state_machine(edge, &key),
            Kind::Distribution => distribution(edge, &name),
            Kind::EventBus | Kind::Table | Kind::UserPool | Kind::LogGroup => Ok(Vec::new()),
        }
        .with_context(|| format!("reading the wiring of {} `{name}`", kind.title()))?;
        for Wire { from, to, label } in wiring {
            // A function URL's domain (a CloudFront origin) is its function.
            let to = url_domains
                .iter()
                .find(|(domain, _)| *domain == to)
                .map_or(to, |(_, arn)| arn.clone());
            let from = from.unwrap_or_else(|| key.clone());
            let (Some(from), Some(to)) = (resolve(&graph, &from), resolve(&graph, &to)) else {
                continue;
            };
            graph.add_edge(&from, &to, &label);
        }
    }
    Ok(graph)
}

/// The domain (`{url_id}.lambda-url.{region}.on.aws`) of each function's URL, with the function's ARN.
fn function_url_domains(
    edge: &str,
    nodes: &[(String, Kind, String)],
) -> Result<Vec<(String, String)>> {
    let mut domains = Vec::new();
    for (arn, _, name) in nodes.iter().filter(|(_, k, _)| *k == Kind::Function) {
        let (status, body) = raw::get(
            edge,
            "lambda",
            &format!("/2021-10-31/functions/{}/url", enc(name)),
        )?;
        if status == 404 {
            continue;
        }
        let config = ok_json((status, body), "GetFunctionUrlConfig")?;
        if let Some(url) = config["FunctionUrl"].as_str() {
            let domain = url.trim_start_matches("https://").trim_end_matches('/');
            domains.push((domain.to_owned(), arn.clone()));
        }
    }
    Ok(domains)
}

/// One wire a reader found: from the resource read (`from: None`) or another, to a resource reference (an ARN,
/// an ARN with a suffix such as `table/t/index/*`, a domain name, an id).
struct Wire {
    from: Option<String>,
    to: String,
    label: String,
}

fn wire(to: impl Into<String>, label: impl Into<String>) -> Wire {
    Wire {
        from: None,
        to: to.into(),
        label: label.into(),
    }
}

/// The node a reference names: its key, a key it extends (`<table arn>/index/x`, `<bucket arn>/*`,
/// `<function arn>:alias`), a domain name starting with a node's name (`<bucket>.s3...`, `<api id>.execute-api...`),
/// or a Cognito issuer URL ending with a pool id.
fn resolve(graph: &Graph, reference: &str) -> Option<String> {
    if graph.nodes.contains_key(reference) {
        return Some(reference.to_owned());
    }
    graph
        .nodes
        .iter()
        .find(|(key, node)| {
            reference.starts_with(&format!("{key}/"))
                || reference.starts_with(&format!("{key}:"))
                || reference.starts_with(&format!("{}.", node.name))
                || (node.kind == Kind::UserPool && reference.ends_with(&format!("/{}", node.name)))
        })
        .map(|(key, _)| key.clone())
}

/// The resources of a stack, as ids `classify` knows (ARNs, API Gateway paths), from their physical ids.
fn stack_ids(edge: &str, stack: &str) -> Result<Vec<String>> {
    let body = ok_xml(
        raw::query(
            edge,
            "cloudformation",
            &format!(
                "Action=ListStackResources&Version=2010-05-15&StackName={}",
                enc(stack)
            ),
        )?,
        "ListStackResources",
    )?;
    // One `<member>` per resource; one still being created (or failed) has no physical id yet.
    let members: Vec<(String, String)> = body
        .split("<member>")
        .skip(1)
        .filter_map(|member| {
            let text = |tag: &str| {
                let (_, rest) = member.split_once(&format!("<{tag}>"))?;
                let (value, _) = rest.split_once(&format!("</{tag}>"))?;
                Some(value.trim().to_owned())
            };
            Some((text("ResourceType")?, text("PhysicalResourceId")?))
        })
        .collect();
    let (region, account) = ("us-east-1", "123456789012"); // the local cloud's
    Ok(members
        .iter()
        .filter_map(|(rtype, id)| {
            let name = id.rsplit('/').next().unwrap_or(id);
            Some(match rtype.as_str() {
                "AWS::ApiGateway::RestApi" => format!("/restapis/{id}"),
                "AWS::ApiGatewayV2::Api" => format!("/v2/apis/{id}"),
                "AWS::ApiGateway::VpcLink" => format!("/vpclinks/{id}"),
                "AWS::ApiGatewayV2::VpcLink" => format!("/v2/vpclinks/{id}"),
                "AWS::Lambda::Function" => {
                    format!("arn:aws:lambda:{region}:{account}:function:{id}")
                }
                "AWS::SQS::Queue" => format!("arn:aws:sqs:{region}:{account}:{name}"),
                "AWS::S3::Bucket" => format!("arn:aws:s3:::{id}"),
                "AWS::DynamoDB::Table" => format!("arn:aws:dynamodb:{region}:{account}:table/{id}"),
                "AWS::Logs::LogGroup" => format!("arn:aws:logs:{region}:{account}:log-group:{id}"),
                "AWS::Events::EventBus" => {
                    format!("arn:aws:events:{region}:{account}:event-bus/{name}")
                }
                "AWS::Cognito::UserPool" => {
                    format!("arn:aws:cognito-idp:{region}:{account}:userpool/{id}")
                }
                "AWS::CloudFront::Distribution" => {
                    format!("arn:aws:cloudfront::{account}:distribution/{id}")
                }
                "AWS::SNS::Topic"
                | "AWS::StepFunctions::StateMachine"
                | "AWS::ElasticLoadBalancingV2::LoadBalancer"
                | "AWS::ElasticLoadBalancingV2::TargetGroup" => id.clone(),
                "AWS::Events::Rule" => return rule_arn(edge, id),
                _ => return None,
            })
        })
        .collect())
}

/// A stack's rule as its ARN (DescribeRule): its physical id is its name, `<bus>|<name>` on a custom bus (what
/// its Ref returns). moto names a custom bus's rule without its bus: not found on the default bus, it is left to
/// the ListRules of its bus, which `read` runs for every bus of the deployment.
fn rule_arn(edge: &str, id: &str) -> Option<String> {
    if id.starts_with("arn:") {
        return Some(id.to_owned());
    }
    let (bus, name) = id.split_once('|').unwrap_or(("default", id));
    let rule = crate::aws::json::call(
        edge,
        "events",
        "AWSEvents.DescribeRule",
        &json!({ "Name": name, "EventBusName": bus }),
    )
    .ok()?;
    rule["Arn"].as_str().map(str::to_owned)
}

/// The node key, kind and name of a tagged resource (sweep's ids: ARNs, `/restapis/<id>`, `/vpclinks/<id>`,
/// role names); `None` for what a diagram leaves out (roles, VPCs, subnets, security groups, mappings).
fn classify(edge: &str, id: &str) -> Result<Option<(String, Kind, String)>> {
    let last = |s: &str| s.rsplit(['/', ':']).next().unwrap_or(s).to_owned();
    if let Some(api) = id.strip_prefix("/restapis/") {
        return Ok(Some((id.to_owned(), Kind::RestApi, api.to_owned())));
    }
    if let Some(api) = id.strip_prefix("/v2/apis/") {
        return Ok(Some((
            format!("/apis/{api}"),
            Kind::HttpApi,
            api.to_owned(),
        )));
    }
    if id.starts_with("/vpclinks/") || id.starts_with("/v2/vpclinks/") {
        return Ok(Some((id.to_owned(), Kind::VpcLink, last(id))));
    }
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return Ok(None);
    }
    let (service, resource) = (parts[2], parts[5]);
    let found = match (service, resource.split(['/', ':']).next().unwrap_or("")) {
        ("apigateway", "") if resource.starts_with("/apis/") => {
            let api = last(resource);
            (format!("/apis/{api}"), Kind::HttpApi, api)
        }
        ("lambda", "function") => {
            let name = resource.split(':').nth(1).unwrap_or_default().to_owned();
            (
                format!("{}:function:{name}", parts[..5].join(":")),
                Kind::Function,
                name,
            )
        }
        ("elasticloadbalancing", "loadbalancer") => {
            let kind = if load_balancer_type(edge, id)? == "network" {
                Kind::Nlb
            } else {
                Kind::Alb
            };
            (
                id.to_owned(),
                kind,
                resource.split('/').nth(2).unwrap_or(id).to_owned(),
            )
        }
        ("elasticloadbalancing", "targetgroup") => (
            id.to_owned(),
            Kind::TargetGroup,
            resource.split('/').nth(1).unwrap_or(id).to_owned(),
        ),
        ("sqs", _) => (id.to_owned(), Kind::Queue, resource.to_owned()),
        // A topic (`arn:aws:sns:r:a:name`), not a subscription (`...:name:<uuid>`).
        ("sns", _) if !resource.contains(':') => (id.to_owned(), Kind::Topic, resource.to_owned()),
        ("s3", _) if !resource.contains('/') => (id.to_owned(), Kind::Bucket, resource.to_owned()),
        ("dynamodb", "table") if resource.matches('/').count() == 1 => {
            (id.to_owned(), Kind::Table, last(resource))
        }
        ("events", "event-bus") => (id.to_owned(), Kind::EventBus, last(resource)),
        ("events", "rule") => (id.to_owned(), Kind::Rule, last(resource)),
        ("states", "stateMachine") => (id.to_owned(), Kind::StateMachine, last(resource)),
        ("cognito-idp", "userpool") => (id.to_owned(), Kind::UserPool, last(resource)),
        ("cloudfront", "distribution") => (id.to_owned(), Kind::Distribution, last(resource)),
        ("logs", "log-group") => {
            let key = id.strip_suffix(":*").unwrap_or(id);
            let group = key.split_once(":log-group:").map_or(key, |(_, g)| g);
            (key.to_owned(), Kind::LogGroup, group.to_owned())
        }
        _ => return Ok(None),
    };
    Ok(Some(found))
}

fn load_balancer_type(edge: &str, arn: &str) -> Result<String> {
    let body = ok_xml(
        raw::query(
            edge,
            "elasticloadbalancing",
            &format!(
                "Action=DescribeLoadBalancers&Version=2015-12-01&LoadBalancerArns.member.1={}",
                enc(arn)
            ),
        )?,
        "DescribeLoadBalancers",
    )?;
    Ok(xml_texts(&body, "Type")
        .into_iter()
        .next()
        .unwrap_or_default())
}

/// The function ARN in a Lambda integration or authorizer URI (`...:lambda:path/2015-03-31/functions/<arn>/invocations`).
fn function_in_uri(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once("/functions/")?;
    Some(rest.strip_suffix("/invocations").unwrap_or(rest))
}

fn rest_api(edge: &str, id: &str) -> Result<Vec<Wire>> {
    let mut wires = Vec::new();
    let resources = ok_json(
        raw::get(edge, "apigateway", &format!("/restapis/{id}/resources"))?,
        "GetResources",
    )?;
    for resource in resources["item"].as_array().into_iter().flatten() {
        let path = resource["path"].as_str().unwrap_or_default();
        for (method, body) in resource["resourceMethods"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let integration = &body["methodIntegration"];
            let label = format!("{method} {path}");
            if let Some(link) = integration["connectionId"].as_str() {
                // A VPC link v1 (to an NLB) or v2 (to the integration's target, an ALB's listener).
                wires.push(wire(format!("/vpclinks/{link}"), &label));
                wires.push(wire(format!("/v2/vpclinks/{link}"), &label));
                if let Some(target) = integration["integrationTarget"].as_str() {
                    wires.push(Wire {
                        from: Some(format!("/v2/vpclinks/{link}")),
                        to: load_balancer_of(target),
                        label: "listener".into(),
                    });
                }
            } else if let Some(function) = integration["uri"].as_str().and_then(function_in_uri) {
                wires.push(wire(function, label));
            } else if let Some(target) = integration["uri"].as_str().and_then(service_target) {
                wires.push(wire(target, label));
            }
        }
    }
    let authorizers = ok_json(
        raw::get(edge, "apigateway", &format!("/restapis/{id}/authorizers"))?,
        "GetAuthorizers",
    )?;
    for authorizer in authorizers["item"].as_array().into_iter().flatten() {
        let label = format!(
            "authorizer {}",
            authorizer["name"].as_str().unwrap_or_default()
        );
        if let Some(function) = authorizer["authorizerUri"]
            .as_str()
            .and_then(function_in_uri)
        {
            wires.push(wire(function, &label));
        }
        for pool in authorizer["providerARNs"].as_array().into_iter().flatten() {
            wires.push(wire(pool.as_str().unwrap_or_default(), &label));
        }
    }
    Ok(wires)
}

/// The load balancer of a listener ARN (`...:listener/app/<name>/<id>/<listener>` -> `...:loadbalancer/app/<name>/<id>`).
fn load_balancer_of(arn: &str) -> String {
    match arn.split_once(":listener/") {
        Some((prefix, rest)) => {
            let lb: Vec<&str> = rest.split('/').take(3).collect();
            format!("{prefix}:loadbalancer/{}", lb.join("/"))
        }
        None => arn.to_owned(),
    }
}

/// The resource an AWS service integration calls, as far as its URI names it
/// (`arn:aws:apigateway:r:sqs:path/<account>/<queue>` -> the queue's ARN).
fn service_target(uri: &str) -> Option<String> {
    let parts: Vec<&str> = uri.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "apigateway", region, "sqs", path] => {
            let mut segments = path.strip_prefix("path/")?.split('/');
            let (account, queue) = (segments.next()?, segments.next()?);
            Some(format!("arn:{partition}:sqs:{region}:{account}:{queue}"))
        }
        _ => None,
    }
}

fn http_api(edge: &str, id: &str) -> Result<Vec<Wire>> {
    let mut wires = Vec::new();
    let integrations = ok_json(
        raw::get(edge, "apigateway", &format!("/v2/apis/{id}/integrations"))?,
        "GetIntegrations",
    )?;
    for integration in integrations["items"].as_array().into_iter().flatten() {
        if let Some(link) = integration["connectionId"].as_str() {
            wires.push(wire(format!("/v2/vpclinks/{link}"), "integration"));
        }
        if let Some(uri) = integration["integrationUri"].as_str() {
            wires.push(wire(function_in_uri(uri).unwrap_or(uri), "integration"));
        }
    }
    let authorizers = ok_json(
        raw::get(edge, "apigateway", &format!("/v2/apis/{id}/authorizers"))?,
        "GetAuthorizers",
    )?;
    for authorizer in authorizers["items"].as_array().into_iter().flatten() {
        let label = format!(
            "authorizer {}",
            authorizer["name"].as_str().unwrap_or_default()
        );
        if let Some(issuer) = authorizer["jwtConfiguration"]["issuer"].as_str() {
            wires.push(wire(issuer, &label));
        }
        if let Some(function) = authorizer["authorizerUri"]
            .as_str()
            .and_then(function_in_uri)
        {
            wires.push(wire(function, &label));
        }
    }
    Ok(wires)
}

fn vpc_link(edge: &str, path: &str) -> Result<Vec<Wire>> {
    if path.starts_with("/v2/") {
        return Ok(Vec::new()); // an HTTP API's link names subnets; its integrations name the listener
    }
    let link = ok_json(raw::get(edge, "apigateway", path)?, "GetVpcLink")?;
    Ok(link["targetArns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|arn| wire(arn, "PrivateLink"))
        .collect())
}

fn elb(edge: &str, action: &str, param: &str, arn: &str) -> Result<String> {
    ok_xml(
        raw::query(
            edge,
            "elasticloadbalancing",
            &format!("Action={action}&Version=2015-12-01&{param}={}", enc(arn)),
        )?,
        action,
    )
}

fn load_balancer(edge: &str, arn: &str) -> Result<Vec<Wire>> {
    let listeners = elb(edge, "DescribeListeners", "LoadBalancerArn", arn)?;
    let mut wires: Vec<Wire> = xml_texts(&listeners, "TargetGroupArn")
        .into_iter()
        .map(|tg| wire(tg, "listener"))
        .collect();
    for listener in xml_texts(&listeners, "ListenerArn") {
        let rules = elb(edge, "DescribeRules", "ListenerArn", &listener)?;
        wires.extend(
            xml_texts(&rules, "TargetGroupArn")
                .into_iter()
                .map(|tg| wire(tg, "rule")),
        );
    }
    Ok(wires)
}

fn target_group(edge: &str, arn: &str) -> Result<Vec<Wire>> {
    let health = elb(edge, "DescribeTargetHealth", "TargetGroupArn", arn)?;
    Ok(xml_texts(&health, "Id")
        .into_iter()
        .map(|target| wire(target, "target"))
        .collect())
}

fn function(edge: &str, arn: &str, name: &str) -> Result<Vec<Wire>> {
    let lambda = |path: String, what: &str| ok_json(raw::get(edge, "lambda", &path)?, what);
    let function = lambda(
        format!("/2015-03-31/functions/{}", enc(name)),
        "GetFunction",
    )?;
    let config = &function["Configuration"];
    let mut wires = Vec::new();
    let group = config["LoggingConfig"]["LogGroup"]
        .as_str()
        .map_or_else(|| format!("/aws/lambda/{name}"), str::to_owned);
    let region_account = arn
        .rsplitn(3, ':')
        .nth(2)
        .unwrap_or_default()
        .replace(":lambda:", ":logs:");
    wires.push(wire(format!("{region_account}:log-group:{group}"), "logs"));
    if let Some(dlq) = config["DeadLetterConfig"]["TargetArn"].as_str() {
        wires.push(wire(dlq, "dead-letter queue"));
    }
    let mappings = lambda(
        format!(
            "/2015-03-31/event-source-mappings/?FunctionName={}",
            enc(arn)
        ),
        "ListEventSourceMappings",
    )?;
    for mapping in mappings["EventSourceMappings"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(source) = mapping["EventSourceArn"].as_str() {
            wires.push(Wire {
                from: Some(source.to_owned()),
                to: arn.to_owned(),
                label: "event source mapping".into(),
            });
        }
        if let Some(dest) = mapping["DestinationConfig"]["OnFailure"]["Destination"].as_str() {
            wires.push(wire(dest, "on failure"));
        }
    }
    let (status, body) = raw::get(
        edge,
        "lambda",
        &format!("/2019-09-25/functions/{}/event-invoke-config", enc(name)),
    )?;
    if status == 200 {
        let invoke: Value =
            serde_json::from_str(&body).context("parsing GetFunctionEventInvokeConfig")?;
        for (when, dest) in [("OnFailure", "on failure"), ("OnSuccess", "on success")] {
            if let Some(arn) = invoke["DestinationConfig"][when]["Destination"].as_str() {
                wires.push(wire(arn, dest));
            }
        }
    }
    if let Some(role) = config["Role"].as_str() {
        wires.extend(role_wires(edge, role)?);
    }
    Ok(wires)
}

/// What a role's policies allow on named resources: one wire per resource, labelled with the actions (the
/// CloudWatch Logs ones left out: every function has them, and its log group is wired already).
fn role_wires(edge: &str, role_arn: &str) -> Result<Vec<Wire>> {
    let role = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let iam = |query: String, what: &str| {
        ok_xml(
            raw::query(edge, "iam", &format!("Version=2010-05-08&{query}"))?,
            what,
        )
    };
    let mut documents = Vec::new();
    let inline = iam(
        format!("Action=ListRolePolicies&RoleName={}", enc(role)),
        "ListRolePolicies",
    )?;
    for policy in xml_texts(&inline, "member") {
        let body = iam(
            format!(
                "Action=GetRolePolicy&RoleName={}&PolicyName={}",
                enc(role),
                enc(&policy)
            ),
            "GetRolePolicy",
        )?;
        documents.extend(xml_texts(&body, "PolicyDocument"));
    }
    let attached = iam(
        format!("Action=ListAttachedRolePolicies&RoleName={}", enc(role)),
        "ListAttachedRolePolicies",
    )?;
    for policy in xml_texts(&attached, "PolicyArn") {
        if policy.starts_with("arn:aws:iam::aws:") {
            continue; // AWS managed: written for any resource
        }
        let meta = iam(
            format!("Action=GetPolicy&PolicyArn={}", enc(&policy)),
            "GetPolicy",
        )?;
        let version = xml_texts(&meta, "DefaultVersionId")
            .into_iter()
            .next()
            .unwrap_or_default();
        let body = iam(
            format!(
                "Action=GetPolicyVersion&PolicyArn={}&VersionId={version}",
                enc(&policy)
            ),
            "GetPolicyVersion",
        )?;
        documents.extend(xml_texts(&body, "Document"));
    }
    let mut wires = Vec::new();
    for document in documents {
        let text = percent_encoding::percent_decode_str(&document).decode_utf8_lossy();
        let policy: Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing a policy of role `{role}`"))?;
        wires.extend(allowed(&policy));
    }
    Ok(wires)
}

/// The resources an identity policy's Allow statements name, with their actions.
fn allowed(policy: &Value) -> Vec<Wire> {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match &policy["Statement"] {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let mut wires = Vec::new();
    for statement in statements.iter().filter(|s| s["Effect"] == "Allow") {
        let actions: Vec<String> = list(&statement["Action"])
            .into_iter()
            .filter(|a| !a.starts_with("logs:"))
            .collect();
        if actions.is_empty() {
            continue;
        }
        for resource in list(&statement["Resource"]) {
            wires.push(wire(resource, actions.join(", ")));
        }
    }
    wires
}

fn queue(edge: &str, arn: &str) -> Result<Vec<Wire>> {
    let mut parts = arn.rsplitn(3, ':');
    let (name, account) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let (status, body) = raw::json(
        edge,
        "sqs",
        "AmazonSQS.GetQueueAttributes",
        "application/x-amz-json-1.0",
        &json!({ "QueueUrl": format!("{edge}/{account}/{name}"), "AttributeNames": ["RedrivePolicy"] }),
    )?;
    let answer = ok_json((status, body), "GetQueueAttributes")?;
    let Some(policy) = answer["Attributes"]["RedrivePolicy"].as_str() else {
        return Ok(Vec::new());
    };
    let policy: Value = serde_json::from_str(policy).context("parsing the redrive policy")?;
    Ok(policy["deadLetterTargetArn"]
        .as_str()
        .map(|dlq| wire(dlq, "redrive"))
        .into_iter()
        .collect())
}

fn topic(edge: &str, arn: &str) -> Result<Vec<Wire>> {
    let body = ok_xml(
        raw::query(
            edge,
            "sns",
            &format!(
                "Action=ListSubscriptionsByTopic&Version=2010-03-31&TopicArn={}",
                enc(arn)
            ),
        )?,
        "ListSubscriptionsByTopic",
    )?;
    Ok(xml_texts(&body, "Endpoint")
        .into_iter()
        .map(|endpoint| wire(endpoint, "subscription"))
        .collect())
}

fn bucket(edge: &str, name: &str) -> Result<Vec<Wire>> {
    let body = ok_xml(
        raw::get(edge, "s3", &format!("/{}?notification", enc(name)))?,
        "GetBucketNotificationConfiguration",
    )?;
    let mut wires = Vec::new();
    for element in ["CloudFunction", "Function", "Queue", "Topic"] {
        wires.extend(
            xml_texts(&body, element)
                .into_iter()
                .map(|arn| wire(arn, "event notification")),
        );
    }
    Ok(wires)
}

fn rule(edge: &str, arn: &str) -> Result<Vec<Wire>> {
    // `rule/<name>` on the default bus, `rule/<bus>/<name>` on another.
    let resource = arn.split_once(":rule/").map_or("", |(_, r)| r);
    let (bus, name) = resource.split_once('/').unwrap_or(("default", resource));
    let prefix = arn.split_once(":rule/").map_or("", |(p, _)| p);
    let answer = crate::aws::json::call(
        edge,
        "events",
        "AWSEvents.ListTargetsByRule",
        &json!({ "Rule": name, "EventBusName": bus }),
    )?;
    let mut wires = vec![Wire {
        from: Some(format!("{prefix}:event-bus/{bus}")),
        to: arn.to_owned(),
        label: "rule".into(),
    }];
    for target in answer["Targets"].as_array().into_iter().flatten() {
        if let Some(to) = target["Arn"].as_str() {
            wires.push(wire(to, "target"));
        }
        if let Some(dlq) = target["DeadLetterConfig"]["Arn"].as_str() {
            wires.push(wire(dlq, "target dead-letter queue"));
        }
    }
    Ok(wires)
}

fn state_machine(edge: &str, arn: &str) -> Result<Vec<Wire>> {
    let machine = crate::aws::json::call(
        edge,
        "states",
        "AWSStepFunctions.DescribeStateMachine",
        &json!({ "stateMachineArn": arn }),
    )?;
    match machine["roleArn"].as_str() {
        Some(role) => role_wires(edge, role),
        None => Ok(Vec::new()),
    }
}

fn distribution(edge: &str, id: &str) -> Result<Vec<Wire>> {
    let body = ok_xml(
        raw::get(
            edge,
            "cloudfront",
            &format!("/2020-05-31/distribution/{id}/config"),
        )?,
        "GetDistributionConfig",
    )?;
    Ok(xml_texts(&body, "DomainName")
        .into_iter()
        .map(|domain| wire(domain, "origin"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_names_resources_of_allow_statements_without_log_actions() {
        let policy = json!({ "Statement": [
            { "Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": "arn:aws:dynamodb:r:a:table/t" },
            { "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:r:a:log-group:g:*" },
            { "Effect": "Deny", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"] },
        ]});
        let wires = allowed(&policy);
        assert_eq!(wires.len(), 1);
        assert_eq!(wires[0].to, "arn:aws:dynamodb:r:a:table/t");
        assert_eq!(wires[0].label, "dynamodb:PutItem");
    }

    #[test]
    fn references_resolve_to_the_node_they_extend() {
        let mut g = Graph::default();
        g.add_node("arn:aws:dynamodb:r:a:table/t", Kind::Table, "t");
        g.add_node("arn:aws:s3:::b", Kind::Bucket, "b");
        g.add_node("arn:aws:lambda:r:a:function:f", Kind::Function, "f");
        g.add_node(
            "arn:aws:cognito-idp:r:a:userpool/r_X1",
            Kind::UserPool,
            "r_X1",
        );
        let r = |s: &str| resolve(&g, s);
        assert_eq!(
            r("arn:aws:dynamodb:r:a:table/t/index/*").as_deref(),
            Some("arn:aws:dynamodb:r:a:table/t")
        );
        assert_eq!(
            r("arn:aws:s3:::b/uploads/*").as_deref(),
            Some("arn:aws:s3:::b")
        );
        assert_eq!(
            r("b.s3.us-east-1.amazonaws.com").as_deref(),
            Some("arn:aws:s3:::b")
        );
        assert_eq!(
            r("arn:aws:lambda:r:a:function:f:live").as_deref(),
            Some("arn:aws:lambda:r:a:function:f")
        );
        assert_eq!(
            r("https://cognito-idp.r.amazonaws.com/r_X1").as_deref(),
            Some("arn:aws:cognito-idp:r:a:userpool/r_X1")
        );
        assert_eq!(r("arn:aws:dynamodb:r:a:table/tt"), None);
        assert_eq!(r("*"), None);
    }

    #[test]
    fn integration_uris_name_functions_and_queues() {
        assert_eq!(
            function_in_uri(
                "arn:aws:apigateway:r:lambda:path/2015-03-31/functions/arn:aws:lambda:r:a:function:f/invocations"
            ),
            Some("arn:aws:lambda:r:a:function:f")
        );
        assert_eq!(
            service_target("arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders").as_deref(),
            Some("arn:aws:sqs:us-east-1:123456789012:orders")
        );
        assert_eq!(service_target("http://example.com/"), None);
    }
}
