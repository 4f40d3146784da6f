//! REST API keys and usage plans against a real moto, configured only through API Gateway's API: a MOCK method
//! with `apiKeyRequired`, keys in usage plans with a throttle and a quota. Each case asserts what AWS answers:
//! - no `x-api-key`, an unknown key, a disabled key, or a key in no usage plan of the stage: 403
//!   `{"message":"Forbidden"}` (<https://serverlessland.com/patterns/apigw-api-key-sam>: "If the API [key] is not
//!   provided, API returns a 403 Forbidden"; a key must be in a usage plan of the stage:
//!   <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html>);
//! - over the plan's burst or rate: 429 `{"message":"Too Many Requests"}`; over its quota: 429
//!   `{"message":"Limit Exceeded"}` (<https://repost.aws/knowledge-center/api-gateway-429-limit>); the token bucket
//!   and the quota are per key, so a throttled client never starves another key
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html>);
//! - a key issued after the deployment (CreateApiKey, CreateUsagePlanKey) is served at once;
//! - an API whose `apiKeySource` is `AUTHORIZER` meters the Lambda authorizer's `usageIdentifierKey`, not the
//!   `x-api-key` header
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/api-key-source.html>).

use aws_sdk_apigateway::types::{
    ApiKeySourceType, ApiStage, AuthorizerType, IntegrationType, QuotaPeriodType, QuotaSettings,
    ThrottleSettings,
};
use bytes::Bytes;
use http::{Request, Response};
use local_cloud::SharedCloud;

use crate::support::{
    ACCOUNT, Cases, REGION,
    cloud::{LocalCloud, state_changed},
    functions::{create_function, create_role, fidelity_zip},
};

struct Deployed {
    cloud: SharedCloud,
    aws: aws_sdk_apigateway::Client,
    host: String,
    api_id: String,
    throttled_plan: String,
    /// The API whose keys come from its Lambda authorizer.
    via_authorizer_host: String,
}

const KEY_A: &str = "key-a-0123456789abcdefghij";
const KEY_B: &str = "key-b-0123456789abcdefghij";
const KEY_OFF: &str = "key-off-0123456789abcdefghij";
const KEY_QUOTA: &str = "key-quota-0123456789abcdefghij";
const KEY_ELSEWHERE: &str = "key-elsewhere-0123456789abcdefghij";
const KEY_LOOSE: &str = "key-loose-0123456789abcdefghij";
const KEY_VIA_AUTHORIZER: &str = "key-via-authorizer-0123456789abcdefghij";

async fn get(c: &Deployed, key: Option<&str>) -> Response<Bytes> {
    let mut req = Request::get("/prod/metered").header("host", &c.host);
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    local_cloud::apigw::handle(&c.cloud, req.body(Bytes::new()).unwrap())
        .await
        .unwrap_or_else(|_| panic!("not taken as execute-api traffic"))
}

/// A GET of the API whose keys come from its authorizer, with the authorizer's token and an `x-api-key`.
async fn get_via_authorizer(c: &Deployed, token: &str, key: Option<&str>) -> Response<Bytes> {
    let mut req = Request::get("/prod/metered")
        .header("host", &c.via_authorizer_host)
        .header("authorization", token);
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    local_cloud::apigw::handle(&c.cloud, req.body(Bytes::new()).unwrap())
        .await
        .unwrap_or_else(|_| panic!("not taken as execute-api traffic"))
}

fn status_and_body(r: &Response<Bytes>) -> (u16, String) {
    (
        r.status().as_u16(),
        String::from_utf8_lossy(r.body()).into_owned(),
    )
}

/// A REST API `name` (keys from `source`) with `GET /metered`, a MOCK requiring an API key (behind the TOKEN
/// authorizer `authorizer_fn` when given), deployed to `prod`: its id.
async fn metered_api(
    gw: &aws_sdk_apigateway::Client,
    name: &str,
    source: ApiKeySourceType,
    authorizer_fn: Option<&str>,
) -> String {
    let api_id = gw
        .create_rest_api()
        .name(name)
        .api_key_source(source)
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
    let metered = gw
        .create_resource()
        .rest_api_id(&api_id)
        .parent_id(&root)
        .path_part("metered")
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let mut method = gw
        .put_method()
        .rest_api_id(&api_id)
        .resource_id(&metered)
        .http_method("GET")
        .authorization_type("NONE")
        .api_key_required(true);
    if let Some(function) = authorizer_fn {
        let authorizer = gw
            .create_authorizer()
            .rest_api_id(&api_id)
            .name("token")
            .r#type(AuthorizerType::Token)
            .authorizer_uri(format!(
                "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
            ))
            .identity_source("method.request.header.Authorization")
            .authorizer_result_ttl_in_seconds(0)
            .send()
            .await
            .unwrap();
        method = method
            .authorization_type("CUSTOM")
            .authorizer_id(authorizer.id().unwrap());
    }
    method.send().await.unwrap();
    gw.put_integration()
        .rest_api_id(&api_id)
        .resource_id(&metered)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .send()
        .await
        .unwrap();
    gw.put_integration_response()
        .rest_api_id(&api_id)
        .resource_id(&metered)
        .http_method("GET")
        .status_code("200")
        .response_templates("application/json", r#"{"metered": true}"#)
        .send()
        .await
        .unwrap();
    gw.create_deployment()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    api_id
}

async fn deploy(local: &LocalCloud) -> Deployed {
    let gw = &local.aws.apigateway;
    let api_id = metered_api(gw, "keys", ApiKeySourceType::Header, None).await;
    // A second stage, for a plan of another stage than the one called (AWS refuses a plan of a missing stage).
    gw.create_deployment()
        .rest_api_id(&api_id)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    create_role(&local.url).await;
    let authorizer_fn =
        create_function(&local.aws, "keys-authorizer", "authorizer", &fidelity_zip()).await;
    let via_authorizer = metered_api(
        gw,
        "keys-via-authorizer",
        ApiKeySourceType::Authorizer,
        Some(&authorizer_fn),
    )
    .await;
    local
        .aws
        .lambda
        .add_permission()
        .function_name(&authorizer_fn)
        .statement_id("authorizers")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(format!(
            "arn:aws:execute-api:{REGION}:{ACCOUNT}:{via_authorizer}/authorizers/*"
        ))
        .send()
        .await
        .unwrap();
    let key = |value: &'static str, enabled: bool| {
        gw.create_api_key()
            .name(value)
            .value(value)
            .enabled(enabled)
            .send()
    };
    let plan = |name: &str, stage: &str| {
        gw.create_usage_plan()
            .name(name)
            .api_stages(ApiStage::builder().api_id(&api_id).stage(stage).build())
    };
    let throttled = plan("throttled", "prod")
        .throttle(
            ThrottleSettings::builder()
                .rate_limit(0.5)
                .burst_limit(2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let quota = plan("quota", "prod")
        .quota(
            QuotaSettings::builder()
                .limit(3)
                .period(QuotaPeriodType::Day)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let elsewhere = plan("elsewhere", "dev").send().await.unwrap();
    let from_authorizer = gw
        .create_usage_plan()
        .name("from-authorizer")
        .api_stages(
            ApiStage::builder()
                .api_id(&via_authorizer)
                .stage("prod")
                .build(),
        )
        .send()
        .await
        .unwrap();
    for (value, enabled, plan) in [
        (KEY_A, true, throttled.id()),
        (KEY_B, true, throttled.id()),
        (KEY_OFF, false, throttled.id()),
        (KEY_QUOTA, true, quota.id()),
        (KEY_ELSEWHERE, true, elsewhere.id()),
        (KEY_LOOSE, true, None),
        (KEY_VIA_AUTHORIZER, true, from_authorizer.id()),
    ] {
        let id = key(value, enabled).await.unwrap().id().unwrap().to_owned();
        if let Some(plan) = plan {
            gw.create_usage_plan_key()
                .usage_plan_id(plan)
                .key_id(id)
                .key_type("API_KEY")
                .send()
                .await
                .unwrap();
        }
    }
    state_changed(&local.cloud);
    Deployed {
        cloud: local.cloud.clone(),
        aws: gw.clone(),
        host: format!("{api_id}.execute-api.localhost:4566"),
        api_id,
        throttled_plan: throttled.id().unwrap().to_owned(),
        via_authorizer_host: format!("{via_authorizer}.execute-api.localhost:4566"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_keys_and_usage_plans_answer_as_aws() {
    let local = LocalCloud::start("lc-apigw-api-keys").await;
    let mut cases = Cases::new(deploy(&local).await);
    let forbidden = (403, r#"{"message":"Forbidden"}"#.to_owned());

    cases
        .case(
            "no key, an unknown, a disabled key, one in no plan of the stage: 403 Forbidden",
            |c| async move {
                for key in [
                    None,
                    Some(""),
                    Some("not-a-key-0123456789abcdef"),
                    Some(KEY_OFF),
                    Some(KEY_ELSEWHERE),
                    Some(KEY_LOOSE),
                ] {
                    let r = get(&c, key).await;
                    assert_eq!(status_and_body(&r), forbidden, "{key:?}");
                    assert_eq!(r.headers()["x-amzn-errortype"], "ForbiddenException");
                }
            },
        )
        .await;
    cases
        .case(
            "over the burst: 429 Too Many Requests, and another key is still served",
            |c| async move {
                for n in 0..2 {
                    let r = get(&c, Some(KEY_A)).await;
                    assert_eq!(
                        status_and_body(&r),
                        (200, r#"{"metered": true}"#.to_owned()),
                        "request {n} of the burst"
                    );
                }
                let r = get(&c, Some(KEY_A)).await;
                assert_eq!(
                    status_and_body(&r),
                    (429, r#"{"message":"Too Many Requests"}"#.to_owned())
                );
                assert_eq!(r.headers()["x-amzn-errortype"], "TooManyRequestsException");
                assert_eq!(
                    get(&c, Some(KEY_B)).await.status(),
                    200,
                    "key B has its own bucket"
                );
                // 0.5 requests a second: a token is back after 2 s.
                tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
                assert_eq!(
                    get(&c, Some(KEY_A)).await.status(),
                    200,
                    "refilled at the rate"
                );
            },
        )
        .await;
    cases
        .case("over the quota: 429 Limit Exceeded", |c| async move {
            for n in 0..3 {
                assert_eq!(
                    get(&c, Some(KEY_QUOTA)).await.status(),
                    200,
                    "request {n} of the quota"
                );
            }
            let r = get(&c, Some(KEY_QUOTA)).await;
            assert_eq!(
                status_and_body(&r),
                (429, r#"{"message":"Limit Exceeded"}"#.to_owned())
            );
            assert_eq!(r.headers()["x-amzn-errortype"], "LimitExceededException");
        })
        .await;
    cases
        .case(
            "a key issued after the deployment is served at once",
            |c| async move {
                let value = "key-new-0123456789abcdefghij";
                let id = c
                    .aws
                    .create_api_key()
                    .name("new")
                    .value(value)
                    .enabled(true)
                    .send()
                    .await
                    .unwrap();
                c.aws
                    .create_usage_plan_key()
                    .usage_plan_id(&c.throttled_plan)
                    .key_id(id.id().unwrap())
                    .key_type("API_KEY")
                    .send()
                    .await
                    .unwrap();
                state_changed(&c.cloud);
                assert_eq!(get(&c, Some(value)).await.status(), 200, "api {}", c.api_id);
            },
        )
        .await;
    let forbidden = (403, r#"{"message":"Forbidden"}"#.to_owned());
    cases
        .case(
            "apiKeySource AUTHORIZER: the authorizer's usageIdentifierKey is the key, not x-api-key",
            |c| async move {
                let token = format!("key:{KEY_VIA_AUTHORIZER}");
                let r = get_via_authorizer(&c, &token, None).await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let r = get_via_authorizer(&c, "key:not-a-key-0123456789abcdef", Some(KEY_VIA_AUTHORIZER)).await;
                assert_eq!(status_and_body(&r), forbidden, "an unknown usageIdentifierKey");
                let r = get_via_authorizer(&c, "allow", Some(KEY_VIA_AUTHORIZER)).await;
                assert_eq!(status_and_body(&r), forbidden, "no usageIdentifierKey: the header does not count");
            },
        )
        .await;
    local.stop(cases.all_passed()).await;
    cases.finish();
}
