//! Fidelity: a REST API's resource policy is enforced as AWS enforces it, whichever way it was set (an OpenAPI
//! body's `x-amazon-apigateway-policy`, the `Policy` property, UpdateRestApi): an applying Deny answers 403
//! `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: <arn> with an
//! explicit deny"}`, no applying Allow answers the same without " with an explicit deny"
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html>,
//! <https://aws.amazon.com/premiumsupport/knowledge-center/api-gateway-403-error-lambda-authorizer/>), with
//! `aws:SourceIp` conditions on the client's address and `aws:SourceVpce`/`aws:SourceVpc` absent (the host is
//! outside any VPC, as the internet is for a private API). Requests come from 10.9.8.7 ([`execute_api`]).

use serde_json::{Value, json};

use crate::support::{
    ACCOUNT, Cases, REGION,
    cloud::{LocalCloud, execute_api, json_body, state_changed},
    stacks::{create_stack, output},
};

/// An API answering `GET /` with a MOCK `{"ok":true}`, its policy in the body and/or the `Policy` property.
fn template(body_policy: Option<Value>, policy_property: Option<Value>) -> Value {
    let mut body = json!({
        "openapi": "3.0.1",
        "info": {"title": "policy-api", "version": "1"},
        "paths": {"/": {"get": {"x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "responses": {"default": {"statusCode": "200",
                                      "responseTemplates": {"application/json": "{\"ok\":true}"}}}}}}}
    });
    if let Some(policy) = body_policy {
        body["x-amazon-apigateway-policy"] = policy;
    }
    let mut api = json!({"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}});
    if let Some(policy) = policy_property {
        api["Properties"]["Policy"] = policy;
    }
    json!({
        "Resources": {
            "Api": api,
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
                "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "live"}}
        },
        "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}}
    })
}

fn statement(effect: &str, condition: Option<Value>) -> Value {
    let mut s = json!({"Effect": effect, "Principal": "*", "Action": "execute-api:Invoke",
                       "Resource": "execute-api:/*"});
    if let Some(c) = condition {
        s["Condition"] = c;
    }
    s
}

fn policy(statements: &[Value]) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// AWS's answer to a request the policy refuses.
fn refused(api_id: &str, explicit: bool) -> Value {
    let arn = format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/live/GET/");
    let tail = if explicit {
        " with an explicit deny"
    } else {
        ""
    };
    json!({"Message": format!(
        "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {arn}{tail}")})
}

/// What the cases share: moto's URL, clients and the data plane.
struct Ctx {
    url: String,
    aws: local_cloud::aws::Clients,
    cloud: local_cloud::SharedCloud,
}

impl Ctx {
    async fn deploy(&self, name: &str, template: &Value) -> String {
        let outputs = create_stack(&self.url, name, template).await;
        output(&outputs, "ApiId")
    }

    async fn get(&self, api_id: &str) -> (u16, Value) {
        let host = format!("{api_id}.execute-api.localhost:4566");
        let r = execute_api(&self.cloud, "GET", &host, "/live/").await;
        let status = r.status().as_u16();
        if status == 403 {
            assert_eq!(
                r.headers()
                    .get("x-amzn-errortype")
                    .and_then(|v| v.to_str().ok()),
                Some("AccessDeniedException")
            );
        }
        (status, json_body(&r))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_policies_are_enforced_as_aws_enforces_them() {
    let local = LocalCloud::start("lc-apigw-policy").await;
    let mut cases = Cases::new(Ctx {
        url: local.url.clone(),
        aws: local.aws.clone(),
        cloud: local.cloud.clone(),
    });
    let inside = || json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}});
    let outside = |block: &str| json!({"NotIpAddress": {"aws:SourceIp": [block]}});

    cases
        .case("an allowed source address is served", move |c| async move {
            let p = policy(&[
                statement("Allow", None),
                statement("Deny", Some(outside("10.0.0.0/8"))),
            ]);
            let api = c.deploy("ip-allowed", &template(Some(p), None)).await;
            assert_eq!(c.get(&api).await, (200, json!({"ok": true})));
        })
        .await;
    cases
        .case(
            "a Deny on the source address (NotIpAddress) -> 403 with an explicit deny",
            move |c| async move {
                let p = policy(&[
                    statement("Allow", None),
                    statement("Deny", Some(outside("192.0.2.0/24"))),
                ]);
                let api = c.deploy("ip-denied", &template(Some(p), None)).await;
                assert_eq!(c.get(&api).await, (403, refused(&api, true)));
            },
        )
        .await;
    cases
        .case(
            "a private API's policy (allow only from a VPC endpoint) -> 403 without an explicit deny",
            |c| async move {
                let p = policy(&[statement(
                    "Allow",
                    Some(json!({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})),
                )]);
                let api = c.deploy("private", &template(Some(p), None)).await;
                assert_eq!(c.get(&api).await, (403, refused(&api, false)));
            },
        )
        .await;
    cases
        .case(
            "a Deny unless from a VPC (StringNotEquals aws:SourceVpc) -> 403 with an explicit deny",
            |c| async move {
                let p = policy(&[
                    statement("Allow", None),
                    statement(
                        "Deny",
                        Some(json!({"StringNotEquals": {"aws:SourceVpc": "vpc-0abc"}})),
                    ),
                ]);
                let api = c.deploy("vpc-only", &template(Some(p), None)).await;
                assert_eq!(c.get(&api).await, (403, refused(&api, true)));
            },
        )
        .await;
    cases
        .case(
            "a policy set with the `Policy` property is enforced too",
            move |c| async move {
                let p = policy(&[statement("Allow", None), statement("Deny", Some(inside()))]);
                let api = c.deploy("property", &template(None, Some(p))).await;
                assert_eq!(c.get(&api).await, (403, refused(&api, true)));
            },
        )
        .await;
    cases
        .case(
            "UpdateRestApi's new policy is enforced at the next request",
            |c| async move {
                let api = c.deploy("updated", &template(None, None)).await;
                assert_eq!(
                    c.get(&api).await,
                    (200, json!({"ok": true})),
                    "no policy: open"
                );
                let deny_all = policy(&[statement("Deny", None)]).to_string();
                c.aws
                    .apigateway
                    .update_rest_api()
                    .rest_api_id(&api)
                    .patch_operations(
                        aws_sdk_apigateway::types::PatchOperation::builder()
                            .op(aws_sdk_apigateway::types::Op::Replace)
                            .path("/policy")
                            .value(deny_all)
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
                state_changed(&c.cloud);
                assert_eq!(c.get(&api).await, (403, refused(&api, true)));
            },
        )
        .await;

    local.stop(cases.all_passed()).await;
    cases.finish();
}
