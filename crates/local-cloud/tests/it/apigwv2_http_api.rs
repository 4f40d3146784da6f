//! API Gateway v2 HTTP APIs against a real moto, configured only through moto's API Gateway v2 and Cognito
//! APIs, with `fidelity-fn` as every function: what AWS documents for stages, route selection, payload
//! formats 2.0 and 1.0, the 2.0 response rules, errors, the invoke permission, CORS, JWT authorizers and quick create.
//!
//! AWS's documentation for each behaviour:
//! - stages and routes, `Not Found`: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
//! - payload formats and the 2.0 response: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
//! - CORS: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
//! - JWT authorizers: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
//!
//! Over 400 lines: one scenario (one deployment through moto's APIs) and its cases, kept together.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use local_cloud::SharedCloud;
use serde_json::{Value, json};

use crate::support::{
    Cases, REGION,
    cloud::{LocalCloud, json_body, state_changed},
    functions::{create_function, create_role, fidelity_zip},
};

/// A JSON call to moto signed for `service` (REST-JSON with `target` unset, else the JSON protocol).
async fn moto(
    url: &str,
    service: &str,
    method: &str,
    path: &str,
    target: Option<&str>,
    body: Value,
) -> Value {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::builder()
        .method(method)
        .uri(format!("{url}{path}"))
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=test/20240101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .header("content-type", "application/x-amz-json-1.1");
    if let Some(target) = target {
        req = req.header("x-amz-target", target);
    }
    let resp = client
        .request(req.body(Full::new(Bytes::from(body.to_string()))).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(
        status.is_success(),
        "{method} {path} {target:?}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

async fn v2(url: &str, path: &str, body: Value) -> Value {
    moto(url, "apigateway", "POST", path, None, body).await
}

async fn cognito(url: &str, action: &str, body: Value) -> Value {
    let target = format!("AWSCognitoIdentityProviderService.{action}");
    moto(url, "cognito-idp", "POST", "/", Some(&target), body).await
}

struct Api {
    cloud: SharedCloud,
    host: String,
    /// An API with only a `dev` stage and one route, `GET /x`: no `$default` stage or route.
    bare: String,
    /// An API made by quick create (`target` in CreateApi): nothing but the API itself was asked for.
    quick: String,
    token: String,
}

/// A request to the HTTP API, from 10.9.8.7; panics when the HTTP API service hands it back.
async fn call(
    cloud: &SharedCloud,
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response<Bytes> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
        .header("user-agent", "local-cloud-test");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let mut req = b.body(Bytes::from(body.to_owned())).unwrap();
    req.extensions_mut()
        .insert("10.9.8.7:50000".parse::<SocketAddr>().unwrap());
    match local_cloud::apigwv2::handle(cloud, req).await {
        Ok(resp) => resp,
        Err(req) => panic!(
            "{} {} was not taken as HTTP API traffic",
            req.method(),
            req.uri()
        ),
    }
}

async fn deploy(local: &LocalCloud) -> Api {
    let (url, aws) = (local.url.as_str(), &local.aws);
    create_role(url).await;
    let zip = fidelity_zip();
    let echo = create_function(aws, "v2-echo", "echo", &zip).await;
    let proxy = create_function(aws, "v2-proxy", "proxy", &zip).await;
    let fails = create_function(aws, "v2-error", "error", &zip).await;
    let noperm = create_function(aws, "v2-noperm", "echo", &zip).await;
    let malformed = create_function(aws, "v2-malformed", "malformed", &zip).await;

    let pool =
        cognito(url, "CreateUserPool", json!({"PoolName": "v2-users"})).await["UserPool"]["Id"]
            .as_str()
            .unwrap()
            .to_owned();
    let client_id = cognito(
        url,
        "CreateUserPoolClient",
        json!({"UserPoolId": pool, "ClientName": "web", "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    cognito(
        url,
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "ada", "MessageAction": "SUPPRESS"}),
    )
    .await;
    cognito(url, "AdminSetUserPassword", json!({"UserPoolId": pool, "Username": "ada", "Password": "Secret-pass-1", "Permanent": true})).await;
    let auth = cognito(
        url,
        "AdminInitiateAuth",
        json!({"UserPoolId": pool, "ClientId": client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": "ada", "PASSWORD": "Secret-pass-1"}}),
    )
    .await;
    let token = auth["AuthenticationResult"]["IdToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let api = v2(
        url,
        "/v2/apis",
        json!({"name": "v2-fidelity", "protocolType": "HTTP", "corsConfiguration": {
            "allowOrigins": ["https://app.example.com"], "allowMethods": ["GET", "POST"],
            "allowHeaders": ["authorization", "content-type"], "exposeHeaders": ["x-echo"], "maxAge": 300}}),
    )
    .await["apiId"]
        .as_str()
        .unwrap()
        .to_owned();
    let integration = |uri: String, version: &'static str| {
        let (url, api) = (url.to_owned(), api.clone());
        async move {
            v2(&url, &format!("/v2/apis/{api}/integrations"), json!({"integrationType": "AWS_PROXY", "integrationUri": uri, "payloadFormatVersion": version}))
                .await["integrationId"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let invocations = |arn: &str| {
        format!("arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations")
    };
    let echo_v2 = integration(echo.clone(), "2.0").await;
    let echo_v1 = integration(invocations(&proxy), "1.0").await;
    let fails_i = integration(fails.clone(), "2.0").await;
    let noperm_i = integration(noperm.clone(), "2.0").await;
    let malformed_i = integration(malformed.clone(), "2.0").await;
    let proxy_v2 = integration(proxy.clone(), "2.0").await;
    let authorizer = v2(
        url,
        &format!("/v2/apis/{api}/authorizers"),
        json!({"name": "cognito", "authorizerType": "JWT", "identitySource": ["$request.header.Authorization"],
               "jwtConfiguration": {"issuer": format!("https://cognito-idp.{REGION}.amazonaws.com/{pool}"), "audience": [client_id]}}),
    )
    .await["authorizerId"]
        .as_str()
        .unwrap()
        .to_owned();
    for (key, target) in [
        ("GET /items/{id}", &echo_v2),
        ("GET /items/special", &proxy_v2),
        ("ANY /any/{proxy+}", &echo_v2),
        ("GET /v1/{id}", &echo_v1),
        ("GET /fails", &fails_i),
        ("GET /noperm", &noperm_i),
        ("GET /malformed", &malformed_i),
        ("$default", &proxy_v2),
    ] {
        v2(
            url,
            &format!("/v2/apis/{api}/routes"),
            json!({"routeKey": key, "target": format!("integrations/{target}")}),
        )
        .await;
    }
    v2(
        url,
        &format!("/v2/apis/{api}/routes"),
        json!({"routeKey": "POST /items", "target": format!("integrations/{echo_v2}"), "authorizationType": "JWT", "authorizerId": authorizer}),
    )
    .await;
    for stage in ["$default", "dev"] {
        v2(
            url,
            &format!("/v2/apis/{api}/stages"),
            json!({"stageName": stage}),
        )
        .await;
    }
    let source = format!("arn:aws:execute-api:{REGION}:123456789012:{api}/*");
    for f in [&echo, &proxy, &fails, &malformed] {
        aws.lambda
            .add_permission()
            .function_name(f)
            .statement_id("apigw")
            .action("lambda:InvokeFunction")
            .principal("apigateway.amazonaws.com")
            .source_arn(&source)
            .send()
            .await
            .unwrap();
    }
    let bare = v2(
        url,
        "/v2/apis",
        json!({"name": "v2-bare", "protocolType": "HTTP"}),
    )
    .await["apiId"]
        .as_str()
        .unwrap()
        .to_owned();
    let bare_integration = v2(
        url,
        &format!("/v2/apis/{bare}/integrations"),
        json!({"integrationType": "AWS_PROXY", "integrationUri": echo, "payloadFormatVersion": "2.0"}),
    )
    .await["integrationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let target = format!("integrations/{bare_integration}");
    v2(
        url,
        &format!("/v2/apis/{bare}/routes"),
        json!({"routeKey": "GET /x", "target": target}),
    )
    .await;
    v2(
        url,
        &format!("/v2/apis/{bare}/stages"),
        json!({"stageName": "dev"}),
    )
    .await;
    aws.lambda
        .add_permission()
        .function_name(&echo)
        .statement_id("apigw-bare")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(format!(
            "arn:aws:execute-api:{REGION}:123456789012:{bare}/*"
        ))
        .send()
        .await
        .unwrap();
    let quick = v2(
        url,
        "/v2/apis",
        json!({"name": "v2-quick", "protocolType": "HTTP", "target": invocations(&echo)}),
    )
    .await["apiId"]
        .as_str()
        .unwrap()
        .to_owned();
    aws.lambda
        .add_permission()
        .function_name(&echo)
        .statement_id("apigw-quick")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(format!(
            "arn:aws:execute-api:{REGION}:123456789012:{quick}/*"
        ))
        .send()
        .await
        .unwrap();
    state_changed(&local.cloud);
    Api {
        cloud: local.cloud.clone(),
        host: format!("{api}.execute-api.localhost:4566"),
        bare,
        quick,
        token,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_stages_routes_payloads_cors_and_jwt() {
    let local = LocalCloud::start("lc-apigwv2").await;
    let api = deploy(&local).await;
    let mut cases = Cases::new(api);

    cases
        .case(
            "a REST API id or other traffic is handed back",
            |c| async move {
                let req = Request::get("/prod/x")
                    .header("host", "abcdefghij.execute-api.localhost:4566")
                    .body(Bytes::new())
                    .unwrap();
                assert!(local_cloud::apigwv2::handle(&c.cloud, req).await.is_err());
                let req = Request::get("/2015-03-31/functions")
                    .header("host", "127.0.0.1:4566")
                    .body(Bytes::new())
                    .unwrap();
                assert!(local_cloud::apigwv2::handle(&c.cloud, req).await.is_err());
            },
        )
        .await;
    cases
        .case(
            "payload 2.0 on the $default stage: the event as AWS documents it",
            |c| async move {
                let r = call(
                    &c.cloud,
                    "GET",
                    &c.host,
                    "/items/a%20b?q=1&q=2",
                    &[("cookie", "c1=x; c2=y")],
                    "",
                )
                .await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                // echo returns the event: a JSON object without statusCode is the body of a 200.
                assert_eq!(r.headers()["content-type"], "application/json");
                assert!(r.headers().contains_key("apigw-requestid"));
                let e = json_body(&r);
                assert_eq!(e["version"], "2.0");
                assert_eq!(e["routeKey"], "GET /items/{id}");
                assert_eq!(e["rawPath"], "/items/a%20b");
                assert_eq!(e["rawQueryString"], "q=1&q=2");
                assert_eq!(e["queryStringParameters"], json!({"q": "1,2"}));
                assert_eq!(e["pathParameters"], json!({"id": "a b"}));
                assert_eq!(e["cookies"], json!(["c1=x", "c2=y"]));
                assert_eq!(e["requestContext"]["stage"], "$default");
                assert_eq!(e["requestContext"]["http"]["sourceIp"], "10.9.8.7");
                assert_eq!(e["isBase64Encoded"], false);
            },
        )
        .await;
    cases
        .case(
            "quick create: any request reaches the target through the $default route and stage, payload 2.0",
            |c| async move {
                // https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html#apis-prop-createapiinput-target
                let host = format!("{}.execute-api.localhost:4566", c.quick);
                let r = call(&c.cloud, "POST", &host, "/orders/7?name=x", &[], "{}").await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let e = json_body(&r);
                assert_eq!(
                    (e["version"].as_str(), e["routeKey"].as_str()),
                    (Some("2.0"), Some("$default"))
                );
                assert_eq!(e["requestContext"]["stage"], "$default");
                assert_eq!(e["rawQueryString"], "name=x");
            },
        )
        .await;
    cases
        .case(
            "a named stage is the first path segment, and rawPath keeps it",
            |c| async move {
                let r = call(&c.cloud, "GET", &c.host, "/dev/items/7", &[], "").await;
                let e = json_body(&r);
                assert_eq!(
                    (e["requestContext"]["stage"].as_str(), e["rawPath"].as_str()),
                    (Some("dev"), Some("/dev/items/7"))
                );
                assert_eq!(e["pathParameters"]["id"], "7");
            },
        )
        .await;
    cases
        .case(
            "most specific route first, greedy paths, then $default; binary bodies in base64",
            |c| async move {
                let r = call(&c.cloud, "GET", &c.host, "/items/special", &[], "").await;
                assert_eq!(
                    json_body(&json_response_body(&r))["routeKey"],
                    "GET /items/special"
                );
                let r = call(
                    &c.cloud,
                    "DELETE",
                    &c.host,
                    "/any/x/y",
                    &[("content-type", "application/octet-stream")],
                    "hi",
                )
                .await;
                let e = json_body(&r);
                assert_eq!(
                    (
                        e["routeKey"].as_str(),
                        e["pathParameters"]["proxy"].as_str()
                    ),
                    (Some("ANY /any/{proxy+}"), Some("x/y"))
                );
                assert_eq!(
                    (e["body"].as_str(), e["isBase64Encoded"].as_bool()),
                    (Some("aGk="), Some(true))
                );
                let r = call(&c.cloud, "PUT", &c.host, "/nowhere", &[], "").await;
                assert_eq!(json_body(&json_response_body(&r))["routeKey"], "$default");
            },
        )
        .await;
    cases
        .case(
            "payload 1.0 where the integration says so",
            |c| async move {
                let r = call(&c.cloud, "GET", &c.host, "/v1/9?a=1&a=2", &[], "").await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let e = json_body(&json_response_body(&r));
                assert_eq!(e["version"], "1.0");
                assert_eq!(e["resource"], "/v1/{id}");
                assert_eq!(e["pathParameters"], json!({"id": "9"}));
                assert_eq!(
                    e["multiValueQueryStringParameters"],
                    json!({"a": ["1", "2"]})
                );
            },
        )
        .await;
    cases
        .case("a function error, no permission: 500 Internal Server Error; a JSON answer without statusCode is the body", |c| async move {
            for path in ["/fails", "/noperm"] {
                let r = call(&c.cloud, "GET", &c.host, path, &[], "").await;
                assert_eq!((r.status().as_u16(), json_body(&r)), (500, json!({"message": "Internal Server Error"})), "{path}");
            }
            let r = call(&c.cloud, "GET", &c.host, "/malformed", &[], "").await;
            assert_eq!((r.status().as_u16(), json_body(&r)), (200, json!({"foo": 1})));
        })
        .await;
    cases
        .case(
            "no stage and no route match (no $default stage or route): 404 Not Found",
            |c| async move {
                let host = format!("{}.execute-api.localhost:4566", c.bare);
                let r = call(&c.cloud, "GET", &host, "/dev/x", &[], "").await;
                assert_eq!(json_body(&r)["routeKey"], "GET /x");
                for path in ["/dev/y", "/x", "/prod/x"] {
                    let r = call(&c.cloud, "GET", &host, path, &[], "").await;
                    assert_eq!(
                        (r.status().as_u16(), json_body(&r)),
                        (404, json!({"message": "Not Found"})),
                        "{path}"
                    );
                }
                // The path form's stage segment is the path's first segment, as in the host form.
                let path_form = format!("/restapis/{}/dev/_user_request_/x", c.bare);
                let r = call(&c.cloud, "GET", "127.0.0.1:4566", &path_form, &[], "").await;
                assert_eq!(json_body(&r)["rawPath"], "/dev/x");
            },
        )
        .await;
    cases
        .case(
            "CORS: API Gateway answers the preflight and decorates responses",
            |c| async move {
                let r = call(
                    &c.cloud,
                    "OPTIONS",
                    &c.host,
                    "/items",
                    &[
                        ("origin", "https://app.example.com"),
                        ("access-control-request-method", "POST"),
                    ],
                    "",
                )
                .await;
                assert_eq!(r.status(), 204);
                let h = r.headers();
                assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
                assert_eq!(h["access-control-allow-methods"], "GET,POST");
                assert_eq!(
                    h["access-control-allow-headers"],
                    "authorization,content-type"
                );
                assert_eq!(h["access-control-max-age"], "300");
                let r = call(
                    &c.cloud,
                    "GET",
                    &c.host,
                    "/items/1",
                    &[("origin", "https://app.example.com")],
                    "",
                )
                .await;
                assert_eq!(
                    r.headers()["access-control-allow-origin"],
                    "https://app.example.com"
                );
                assert_eq!(r.headers()["access-control-expose-headers"], "x-echo");
                let r = call(
                    &c.cloud,
                    "GET",
                    &c.host,
                    "/items/1",
                    &[("origin", "https://evil.example")],
                    "",
                )
                .await;
                assert!(r.headers().get("access-control-allow-origin").is_none());
            },
        )
        .await;
    cases
        .case(
            "JWT authorizer: 401 without or with a bad token, the claims with a Cognito token",
            |c| async move {
                let r = call(&c.cloud, "POST", &c.host, "/items", &[], "{}").await;
                assert_eq!(
                    (r.status().as_u16(), json_body(&r)),
                    (401, json!({"message": "Unauthorized"}))
                );
                for bad in ["Bearer nonsense", "Bearer a.b.c"] {
                    let r = call(
                        &c.cloud,
                        "POST",
                        &c.host,
                        "/items",
                        &[("authorization", bad)],
                        "{}",
                    )
                    .await;
                    assert_eq!(r.status(), 401, "{bad}");
                }
                let mut tampered = c.token.clone();
                tampered.pop();
                let r = call(
                    &c.cloud,
                    "POST",
                    &c.host,
                    "/items",
                    &[("authorization", &format!("Bearer {tampered}"))],
                    "{}",
                )
                .await;
                assert_eq!(r.status(), 401, "a tampered signature");
                let bearer = format!("Bearer {}", c.token);
                let r = call(
                    &c.cloud,
                    "POST",
                    &c.host,
                    "/items",
                    &[
                        ("authorization", &bearer),
                        ("content-type", "application/json"),
                    ],
                    "{}",
                )
                .await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let e = json_body(&r);
                assert_eq!(
                    e["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:username"],
                    "ada"
                );
                assert_eq!(e["body"], "{}");
            },
        )
        .await;

    local.stop(cases.all_passed()).await;
    cases.finish();
}

/// The body of a `proxy`-mode answer (a structured response whose body is the event), as a response.
fn json_response_body(r: &Response<Bytes>) -> Response<Bytes> {
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    Response::new(r.body().clone())
}
