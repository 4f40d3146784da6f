//! API Gateway REST routing and its MOCK and AWS_PROXY integrations against a real moto, configured only
//! through AWS APIs (the chain deployment of `support/chain.rs`, whose `{proxy+}` route is present): what is
//! execute-api traffic, unknown APIs, stages and routes, MOCK in both URL forms, and AWS_PROXY with and
//! without permission, with a malformed answer, a function error and a timeout. The functions are
//! `fidelity-fn` run by the real Lambda runtime.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{
    Cases, chain,
    cloud::{execute_api, json_body},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_routes_mock_and_aws_proxy_integrations() {
    let (local, chain) = chain::deploy("lc-apigw-state").await;
    let mut cases = Cases::new(chain);

    cases
        .case("not execute-api traffic is handed back", |c| async move {
            let other = http::Request::get("/2015-03-31/functions")
                .header("host", "127.0.0.1:4566")
                .body(bytes::Bytes::new())
                .unwrap();
            assert!(local_cloud::apigw::handle(&c.cloud, other).await.is_err());
        })
        .await;
    cases
        .case("unknown API or stage: 403 Forbidden", |c| async move {
            let nope = "nope123.execute-api.localhost:4566";
            let r = execute_api(&c.cloud, "GET", nope, "/dev/mock").await;
            assert_eq!(
                (r.status().as_u16(), json_body(&r)["message"].as_str()),
                (403, Some("Forbidden"))
            );
            let r = execute_api(&c.cloud, "GET", &c.host, "/prod/mock").await;
            assert_eq!(
                (r.status().as_u16(), json_body(&r)["message"].as_str()),
                (403, Some("Forbidden"))
            );
        })
        .await;
    cases
        .case(
            "unknown route: 403 Missing Authentication Token",
            |c| async move {
                let r = execute_api(&c.cloud, "POST", &c.host, "/dev/mock").await;
                assert_eq!(r.status(), 403);
                assert_eq!(json_body(&r)["message"], "Missing Authentication Token");
                assert_eq!(
                    r.headers()["x-amzn-errortype"],
                    "MissingAuthenticationTokenException"
                );
                let r = execute_api(&c.cloud, "GET", &c.host, "/dev/").await;
                assert_eq!(
                    json_body(&r)["message"],
                    "Missing Authentication Token",
                    "the root resource has no method"
                );
            },
        )
        .await;
    cases
        .case("MOCK, in both URL forms", |c| async move {
            let r = execute_api(&c.cloud, "GET", &c.host, "/dev/mock").await;
            assert_eq!(r.status(), 200);
            assert_eq!(json_body(&r), json!({"mocked": true, "stage": "dev"}));
            assert_eq!(r.headers()["x-mock"], "yes");
            assert!(
                r.headers().contains_key("x-amzn-requestid")
                    && r.headers().contains_key("x-amz-apigw-id")
            );
            let path_form = format!("/restapis/{}/dev/_user_request_/mock", c.api_id);
            let r = execute_api(&c.cloud, "GET", "127.0.0.1:4566", &path_form).await;
            assert_eq!(
                (r.status().as_u16(), json_body(&r)["mocked"].as_bool()),
                (200, Some(true))
            );
        })
        .await;
    cases
        .case(
            "AWS_PROXY with permission: the function gets the v1 event",
            |c| async move {
                let r = execute_api(&c.cloud, "GET", &c.host, "/dev/lambda?a=1&a=2").await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let event = json_body(&r);
                assert_eq!(event["resource"], "/lambda");
                assert_eq!(event["queryStringParameters"], json!({"a": "2"}));
                assert_eq!(event["requestContext"]["apiId"], c.api_id.as_str());
                assert_eq!(event["requestContext"]["identity"]["sourceIp"], "10.9.8.7");
            },
        )
        .await;
    cases
        .case(
            "AWS_PROXY without a statement for apigateway.amazonaws.com: 500",
            |c| async move {
                let r = execute_api(&c.cloud, "GET", &c.host, "/dev/noperm").await;
                assert_eq!(
                    (r.status().as_u16(), json_body(&r)["message"].as_str()),
                    (500, Some("Internal server error"))
                );
            },
        )
        .await;
    cases
        .case(
            "a malformed proxy response and a function error: 502",
            |c| async move {
                for path in ["/dev/malformed", "/dev/fails"] {
                    let r = execute_api(&c.cloud, "GET", &c.host, path).await;
                    assert_eq!(
                        (r.status().as_u16(), json_body(&r)["message"].as_str()),
                        (502, Some("Internal server error")),
                        "{path}"
                    );
                }
            },
        )
        .await;
    cases
        .case("past timeoutInMillis: 504", |c| async move {
            let t = Instant::now();
            let r = execute_api(&c.cloud, "GET", &c.host, "/dev/slow").await;
            assert_eq!(
                (r.status().as_u16(), json_body(&r)["message"].as_str()),
                (504, Some("Endpoint request timed out"))
            );
            assert!(
                t.elapsed() < Duration::from_millis(900),
                "timed out after {:?}",
                t.elapsed()
            );
        })
        .await;

    local.stop(cases.all_passed()).await;
    cases.finish();
}
