//! REST API Lambda authorizers (TOKEN and REQUEST) against a real moto, configured only through AWS APIs, with
//! `fidelity-fn` as the authorizer (mode `authorizer`: the token picks its answer) and as the backend (`proxy`:
//! it returns its event). Over 400 lines: its cases share one deployment (four authorizers and their functions),
//! set up once here. Each case asserts what AWS answers:
//! - a missing identity source, or a token failing `identityValidationExpression`: 401 `{"message":"Unauthorized"}`
//!   without invoking the authorizer (<https://repost.aws/knowledge-center/api-gateway-401-error-lambda-authorizer>);
//! - the function's `Unauthorized` error: 401; an explicit Deny: 403 `{"Message":"User is not authorized to access
//!   this resource with an explicit deny"}`; no Allow for the method ARN: 403 without " with an explicit deny"
//!   (<https://repost.aws/knowledge-center/api-gateway-403-error-lambda-authorizer>; the capital `Message` is what
//!   the service sends, as curl transcripts of real APIs show);
//! - another error, a policy-less answer, an object in the context, or no permission for the authorizer's ARN
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html>):
//!   500 `{"message":null}` (<https://loige.co/debugging-custom-apigateway-authorizers/>);
//! - an allowed request: `principalId` and the context (values as strings) in the backend's
//!   `requestContext.authorizer`; within the TTL one invocation per token; TTL 0: one per request; the cache is
//!   the stage's, flushed by its redeployment and by nothing another API does
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html>).

use std::net::SocketAddr;

use aws_sdk_apigateway::types::{AuthorizerType, IntegrationType};
use bytes::Bytes;
use http::{Request, Response};
use local_cloud::SharedCloud;
use serde_json::json;

use crate::support::{
    ACCOUNT, Cases, REGION,
    cloud::{LocalCloud, json_body, state_changed},
    functions::{create_function, create_role, fidelity_zip},
};

struct Deployed {
    cloud: SharedCloud,
    gw: aws_sdk_apigateway::Client,
    host: String,
    api_id: String,
}

/// A GET of `path` with `headers`, from 10.9.8.7.
async fn get(c: &Deployed, path: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    let mut req = Request::get(path).header("host", &c.host);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let mut req = req.body(Bytes::new()).unwrap();
    req.extensions_mut()
        .insert("10.9.8.7:50000".parse::<SocketAddr>().unwrap());
    local_cloud::apigw::handle(&c.cloud, req)
        .await
        .unwrap_or_else(|_| panic!("{path} was not taken as execute-api traffic"))
}

/// How many times the authorizer function has run (its `fidelity-fn authorizer <id>` lines).
fn invocations(c: &Deployed) -> usize {
    c.cloud
        .lambda
        .recent_logs("fidelity-authorizer")
        .iter()
        .filter(|l| l.starts_with("fidelity-fn authorizer "))
        .count()
}

/// [`invocations`] once the function's output of the last request has been captured.
async fn settled_invocations(c: &Deployed) -> usize {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    invocations(c)
}

/// Which invocation of the authorizer answered a request (`fidelity-fn`'s `invocation` in the backend's context).
fn invocation(r: &Response<Bytes>) -> serde_json::Value {
    json_body(r)["requestContext"]["authorizer"]["invocation"].clone()
}

fn status_and_body(r: &Response<Bytes>) -> (u16, String) {
    (
        r.status().as_u16(),
        String::from_utf8_lossy(r.body()).into_owned(),
    )
}

async fn deploy(local: &LocalCloud) -> Deployed {
    let zip = fidelity_zip();
    let (url, aws) = (local.url.as_str(), &local.aws);
    create_role(url).await;
    let authorizer_fn = create_function(aws, "fidelity-authorizer", "authorizer", &zip).await;
    let locked_fn = create_function(aws, "fidelity-authorizer-locked", "authorizer", &zip).await;
    let backend_fn = create_function(aws, "fidelity-backend", "proxy", &zip).await;
    let gw = &aws.apigateway;
    let api_id = gw
        .create_rest_api()
        .name("authorizers")
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let root = gw
        .get_resources()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap()
        .items()[0]
        .id()
        .unwrap()
        .to_owned();
    let uri = |function: &str| {
        format!(
            "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
        )
    };
    let authorizer = |name: &str, kind: AuthorizerType, function: &str, source: &str, ttl: i32| {
        gw.create_authorizer()
            .rest_api_id(&api_id)
            .name(name)
            .r#type(kind)
            .authorizer_uri(uri(function))
            .identity_source(source)
            .authorizer_result_ttl_in_seconds(ttl)
    };
    let header = "method.request.header.Authorization";
    let token = authorizer("token", AuthorizerType::Token, &authorizer_fn, header, 300)
        .identity_validation_expression("[a-z]+")
        .send()
        .await
        .unwrap();
    let nocache = authorizer("nocache", AuthorizerType::Token, &authorizer_fn, header, 0)
        .send()
        .await
        .unwrap();
    let request = authorizer(
        "request",
        AuthorizerType::Request,
        &authorizer_fn,
        "method.request.header.X-Token, method.request.querystring.tenant",
        300,
    )
    .send()
    .await
    .unwrap();
    let locked = authorizer("locked", AuthorizerType::Token, &locked_fn, header, 300)
        .send()
        .await
        .unwrap();
    for (part, authorizer_id) in [
        ("token", token.id().unwrap()),
        ("nocache", nocache.id().unwrap()),
        ("request", request.id().unwrap()),
        ("locked", locked.id().unwrap()),
    ] {
        let id = gw
            .create_resource()
            .rest_api_id(&api_id)
            .parent_id(&root)
            .path_part(part)
            .send()
            .await
            .unwrap()
            .id()
            .unwrap()
            .to_owned();
        gw.put_method()
            .rest_api_id(&api_id)
            .resource_id(&id)
            .http_method("GET")
            .authorization_type("CUSTOM")
            .authorizer_id(authorizer_id)
            .send()
            .await
            .unwrap();
        gw.put_integration()
            .rest_api_id(&api_id)
            .resource_id(&id)
            .http_method("GET")
            .r#type(IntegrationType::AwsProxy)
            .integration_http_method("POST")
            .uri(uri(&backend_fn))
            .send()
            .await
            .unwrap();
    }
    let execute_api = format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}");
    let permit = |function: &str, sid: &str, source_arn: String| {
        aws.lambda
            .add_permission()
            .function_name(function)
            .statement_id(sid)
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(source_arn)
            .send()
    };
    permit(&backend_fn, "api", format!("{execute_api}/*/GET/*"))
        .await
        .unwrap();
    // The authorizer function may be invoked for this API's authorizers; the locked one only for another
    // authorizer's ARN, which does not let API Gateway invoke it as `locked`.
    permit(
        &authorizer_fn,
        "authorizers",
        format!("{execute_api}/authorizers/*"),
    )
    .await
    .unwrap();
    permit(
        &locked_fn,
        "another",
        format!("{execute_api}/authorizers/nope123"),
    )
    .await
    .unwrap();
    gw.create_deployment()
        .rest_api_id(&api_id)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    state_changed(&local.cloud);
    Deployed {
        cloud: local.cloud.clone(),
        gw: gw.clone(),
        host: format!("{api_id}.execute-api.localhost:4566"),
        api_id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_lambda_authorizers_answer_as_aws() {
    let local = LocalCloud::start("lc-apigw-authorizer").await;
    let mut cases = Cases::new(deploy(&local).await);
    let unauthorized = (401, r#"{"message":"Unauthorized"}"#.to_owned());
    let config_error = (500, r#"{"message":null}"#.to_owned());

    let expected = unauthorized.clone();
    cases
        .case(
            "a missing or invalid token: 401 without invoking the authorizer",
            |c| async move {
                let before = invocations(&c);
                let r = get(&c, "/dev/token", &[]).await;
                assert_eq!(status_and_body(&r), expected);
                assert_eq!(r.headers()["x-amzn-errortype"], "UnauthorizedException");
                let r = get(&c, "/dev/token", &[("authorization", "")]).await;
                assert_eq!(status_and_body(&r), expected, "an empty header is missing");
                let r = get(&c, "/dev/token", &[("authorization", "Not-A-Match 1")]).await;
                assert_eq!(
                    status_and_body(&r),
                    expected,
                    "identityValidationExpression"
                );
                assert_eq!(
                    settled_invocations(&c).await,
                    before,
                    "the authorizer was not invoked"
                );
            },
        )
        .await;
    cases
        .case(
            "an allowed token: the principal and context reach the backend",
            |c| async move {
                let r = get(&c, "/dev/token", &[("authorization", "allow")]).await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let authorizer = json_body(&r)["requestContext"]["authorizer"].clone();
                assert_eq!(authorizer["principalId"], "fidelity-user");
                assert_eq!(
                    (authorizer["tier"].clone(), authorizer["admin"].clone()),
                    (json!("1"), json!("true"))
                );
                assert_eq!(authorizer["type"], "TOKEN");
                assert_eq!(
                    authorizer["methodArn"],
                    format!(
                        "arn:aws:execute-api:{REGION}:{ACCOUNT}:{}/dev/GET/token",
                        c.api_id
                    )
                );
                assert!(authorizer["integrationLatency"].is_u64());
            },
        )
        .await;
    cases
        .case(
            "within the TTL the authorizer runs once per token; TTL 0: every time",
            |c| async move {
                let first = get(&c, "/dev/token", &[("authorization", "allow")]).await;
                let again = get(&c, "/dev/token", &[("authorization", "allow")]).await;
                assert_eq!(
                    invocation(&first),
                    invocation(&again),
                    "one result per token within the TTL"
                );
                assert_eq!(
                    json_body(&again)["requestContext"]["authorizer"]["integrationLatency"],
                    0
                );
                let one = get(&c, "/dev/nocache", &[("authorization", "allow")]).await;
                let two = get(&c, "/dev/nocache", &[("authorization", "allow")]).await;
                assert_ne!(invocation(&one), invocation(&two), "TTL 0 caches nothing");
            },
        )
        .await;
    cases
        .case(
            "another API's deployment keeps the cached result; the stage's redeployment flushes it",
            |c| async move {
                let first = get(&c, "/dev/token", &[("authorization", "allow")]).await;
                let other = c.gw.create_rest_api().name("another").send().await.unwrap();
                let other_id = other.id().unwrap();
                c.gw.put_method()
                    .rest_api_id(other_id)
                    .resource_id(other.root_resource_id().unwrap())
                    .http_method("GET")
                    .authorization_type("NONE")
                    .send()
                    .await
                    .unwrap();
                c.gw.put_integration()
                    .rest_api_id(other_id)
                    .resource_id(other.root_resource_id().unwrap())
                    .http_method("GET")
                    .r#type(IntegrationType::Mock)
                    .send()
                    .await
                    .unwrap();
                c.gw.create_deployment()
                    .rest_api_id(other_id)
                    .stage_name("dev")
                    .send()
                    .await
                    .unwrap();
                state_changed(&c.cloud);
                let again = get(&c, "/dev/token", &[("authorization", "allow")]).await;
                assert_eq!(
                    invocation(&again),
                    invocation(&first),
                    "another API's deployment leaves this stage's cache alone"
                );
                c.gw.create_deployment()
                    .rest_api_id(&c.api_id)
                    .stage_name("dev")
                    .send()
                    .await
                    .unwrap();
                state_changed(&c.cloud);
                let redeployed = get(&c, "/dev/token", &[("authorization", "allow")]).await;
                assert_eq!(redeployed.status(), 200);
                assert_ne!(
                    invocation(&redeployed),
                    invocation(&first),
                    "the stage's redeployment starts afresh"
                );
            },
        )
        .await;
    cases
        .case("a Deny: 403 explicit deny; no Allow for the method: 403", |c| async move {
            let r = get(&c, "/dev/token", &[("authorization", "deny")]).await;
            assert_eq!(
                status_and_body(&r),
                (403, r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#.to_owned())
            );
            assert_eq!(r.headers()["x-amzn-errortype"], "AccessDeniedException");
            let r = get(&c, "/dev/token", &[("authorization", "elsewhere")]).await;
            assert_eq!(
                status_and_body(&r),
                (403, r#"{"Message":"User is not authorized to access this resource"}"#.to_owned())
            );
        })
        .await;
    let (expected_401, expected_500) = (unauthorized.clone(), config_error.clone());
    cases
        .case(
            "the authorizer's Unauthorized: 401; other failures: 500 {\"message\":null}",
            |c| async move {
                let r = get(&c, "/dev/token", &[("authorization", "unauthorized")]).await;
                assert_eq!(status_and_body(&r), expected_401);
                for token in ["malformed", "nested", "broken"] {
                    let r = get(&c, "/dev/token", &[("authorization", token)]).await;
                    assert_eq!(status_and_body(&r), expected_500, "{token}");
                    assert_eq!(
                        r.headers()["x-amzn-errortype"],
                        "AuthorizerConfigurationException"
                    );
                }
            },
        )
        .await;
    let expected_401 = unauthorized.clone();
    cases
        .case(
            "a REQUEST authorizer needs every identity source and gets the request",
            |c| async move {
                let before = invocations(&c);
                let r = get(&c, "/dev/request?tenant=acme", &[]).await;
                assert_eq!(status_and_body(&r), expected_401, "no X-Token header");
                let r = get(&c, "/dev/request", &[("x-token", "allow")]).await;
                assert_eq!(
                    status_and_body(&r),
                    expected_401,
                    "no tenant query parameter"
                );
                assert_eq!(settled_invocations(&c).await, before, "not invoked");
                let r = get(&c, "/dev/request?tenant=acme", &[("x-token", "allow")]).await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let authorizer = json_body(&r)["requestContext"]["authorizer"].clone();
                assert_eq!(authorizer["type"], "REQUEST");
                let again = get(&c, "/dev/request?tenant=acme", &[("x-token", "allow")]).await;
                let other = get(&c, "/dev/request?tenant=globex", &[("x-token", "allow")]).await;
                assert_eq!(
                    invocation(&again),
                    authorizer["invocation"],
                    "cached by the identity sources' values"
                );
                assert_ne!(
                    invocation(&other),
                    authorizer["invocation"],
                    "another tenant is another identity"
                );
            },
        )
        .await;
    let expected_500 = config_error.clone();
    cases
        .case(
            "no permission for the authorizer's own ARN: 500",
            |c| async move {
                let r = get(&c, "/dev/locked", &[("authorization", "allow")]).await;
                assert_eq!(status_and_body(&r), expected_500);
            },
        )
        .await;
    local.stop(cases.all_passed()).await;
    cases.finish();
}
