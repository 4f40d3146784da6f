//! Fidelity: CloudFront origin groups on the `local-cloud serve` daemon
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html>):
//! CloudFront sends a request to the group's primary origin, and sends the same request to the secondary only when
//! the primary answers one of the group's failover status codes or cannot be reached; any other answer (a success,
//! a 403) is the viewer's. The origins are one REST API of MOCK integrations under two origin paths (the primary's
//! `/live`, the secondary's `/live/backup`), so each answer names its origin. Needs python3 with moto 5.2.1 and the
//! AWS CLI.

use serde_json::{Value, json};

use crate::support::{Cases, daemon::Daemon, http::send};

/// Managed-CachingDisabled: every request reaches the origin group.
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

/// A GET answered by a MOCK integration with `status` and `body`.
fn mock(status: u16, body: Value) -> Value {
    json!({"get": {
        "responses": {status.to_string(): {"description": "mock"}},
        "x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": format!("{{\"statusCode\": {status}}}")},
            "responses": {"default": {"statusCode": status.to_string(),
                                      "responseTemplates": {"application/json": body.to_string()}}}}}})
}

fn template() -> Value {
    let origin = |id: &str, api: &str, path: &str| {
        json!({"Id": id, "DomainName": {"Fn::Sub": format!("{api}.execute-api.${{AWS::Region}}.amazonaws.com")},
               "OriginPath": path, "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}})
    };
    let distribution = |primary: Value| {
        json!({"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Enabled": true,
            "Origins": [primary, origin("secondary", "${Api}", "/live/backup")],
            "OriginGroups": {"Quantity": 1, "Items": [{
                "Id": "group",
                "FailoverCriteria": {"StatusCodes": {"Quantity": 4, "Items": [500, 502, 503, 504]}},
                "Members": {"Quantity": 2, "Items": [{"OriginId": "primary"}, {"OriginId": "secondary"}]}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "group", "ViewerProtocolPolicy": "allow-all",
                                     "AllowedMethods": ["GET", "HEAD", "OPTIONS"],
                                     "CachePolicyId": CACHING_DISABLED}}}})
    };
    let primary = || json!({"from": "primary"});
    let secondary = || json!({"from": "secondary"});
    json!({
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": {
                "openapi": "3.0.1", "info": {"title": "cf-failover-fidelity", "version": "1"},
                "paths": {
                    "/hello": mock(200, primary()),
                    "/down": mock(503, json!({"message": "down"})),
                    "/backup/hello": mock(200, secondary()),
                    "/backup/down": mock(200, secondary()),
                    // Never reached: the primary's 403 for a route it lacks is no failover status code.
                    "/backup/missing": mock(200, secondary()),
                }}}},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
                "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "live"}},
            "Distribution": distribution(origin("primary", "${Api}", "/live")),
            // The primary names an API that does not exist: its name does not resolve.
            "GoneDistribution": distribution(origin("primary", "nosuchapi", "/live")),
        },
        "Outputs": {
            "Domain": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "GoneDomain": {"Value": {"Fn::GetAtt": ["GoneDistribution", "DomainName"]}},
        }
    })
}

struct Ctx {
    d: Daemon,
    site: String,
    gone: String,
}

impl Ctx {
    fn get(&self, host: &str, path: &str) -> (u16, Value) {
        let a = send(self.d.port, "GET", host, path, &[]);
        let body = serde_json::from_str(&a.body).unwrap_or(Value::String(a.body.clone()));
        (a.status, body)
    }
}

#[test]
fn origin_groups_fail_over_on_their_status_codes_only() {
    let d = Daemon::start();
    let file = d.dir.join("template.json");
    std::fs::write(&file, template().to_string()).unwrap();
    let body = format!("file://{}", file.display());
    d.aws_ok(&[
        "cloudformation",
        "create-stack",
        "--stack-name",
        "cf-failover",
        "--template-body",
        &body,
    ]);
    let stack = d.aws_ok(&[
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        "cf-failover",
    ]);
    let stack = &stack["Stacks"][0];
    assert_eq!(stack["StackStatus"], "CREATE_COMPLETE", "{stack}");
    let host = |key: &str| {
        let domain = stack["Outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["OutputKey"] == key)
            .and_then(|o| o["OutputValue"].as_str())
            .unwrap_or_else(|| panic!("no output {key}: {stack}"));
        local_cloud::contract::urls::cloudfront(domain, d.port, "")
            .unwrap()
            .trim_start_matches("http://")
            .to_owned()
    };
    let (site, gone) = (host("Domain"), host("GoneDomain"));
    let mut cases = Cases::new(Ctx { d, site, gone });

    cases.blocking("a primary that answers 200 serves the request", |c| {
        assert_eq!(c.get(&c.site, "/hello"), (200, json!({"from": "primary"})));
    });
    cases.blocking(
        "a primary answering 503 (a failover code): the same request from the secondary",
        |c| {
            assert_eq!(c.get(&c.site, "/down"), (200, json!({"from": "secondary"})));
        },
    );
    cases.blocking(
        "a primary answering 403 (no failover code): its answer reaches the viewer",
        |c| {
            let (status, body) = c.get(&c.site, "/missing");
            assert_eq!(status, 403, "{body}");
            assert_eq!(body["message"], "Missing Authentication Token", "{body}");
        },
    );
    cases.blocking(
        "a primary that cannot be reached: the secondary serves",
        |c| {
            assert_eq!(
                c.get(&c.gone, "/hello"),
                (200, json!({"from": "secondary"}))
            );
        },
    );
    cases.finish();
}
