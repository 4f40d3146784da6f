//! REST API `COGNITO_USER_POOLS` authorizers against a real moto: a user signed in through moto's Cognito API, its
//! tokens verified against the pool's JWKS, `fidelity-fn` as the backend (`proxy`: it returns its event). What
//! AWS documents
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html>,
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-enable-cognito-user-pool.html>):
//! - no token, a malformed or tampered one, or one of another user pool: 401 `{"message":"Unauthorized"}`;
//! - a method without OAuth scopes takes the ID token ("If you don't configure any authorization scopes, API
//!   Gateway treats the supplied token as an identity token"), so an access token is refused there; a method with
//!   scopes takes an access token holding one of them, and refuses the ID token;
//! - an allowed request: the token's claims, as strings, in the backend's `requestContext.authorizer.claims`.

use aws_sdk_apigateway::types::{AuthorizerType, IntegrationType};
use bytes::Bytes;
use http::{Request, Response};
use local_cloud::SharedCloud;

use crate::support::{
    ACCOUNT, Cases, REGION,
    cloud::{LocalCloud, json_body, state_changed},
    cognito::{SignedIn, signed_in_user},
    functions::{create_function, create_role, fidelity_zip},
};

struct Deployed {
    cloud: SharedCloud,
    host: String,
    user: SignedIn,
    stranger: SignedIn,
}

async fn get(c: &Deployed, path: &str, token: Option<&str>) -> Response<Bytes> {
    let mut req = Request::get(path).header("host", &c.host);
    if let Some(token) = token {
        req = req.header("authorization", token);
    }
    local_cloud::apigw::handle(&c.cloud, req.body(Bytes::new()).unwrap())
        .await
        .unwrap_or_else(|_| panic!("{path} was not taken as execute-api traffic"))
}

async fn deploy(local: &LocalCloud) -> Deployed {
    let (url, aws) = (local.url.as_str(), &local.aws);
    create_role(url).await;
    let backend = create_function(aws, "cognito-backend", "proxy", &fidelity_zip()).await;
    let user = signed_in_user(url, "rest-users", "ada").await;
    let stranger = signed_in_user(url, "other-users", "eve").await;
    let gw = &aws.apigateway;
    let api_id = gw
        .create_rest_api()
        .name("cognito")
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
    let authorizer = gw
        .create_authorizer()
        .rest_api_id(&api_id)
        .name("users")
        .r#type(AuthorizerType::CognitoUserPools)
        .provider_arns(&user.pool_arn)
        .identity_source("method.request.header.Authorization")
        .send()
        .await
        .unwrap();
    for (part, scopes) in [
        ("me", vec![]),
        ("scoped", vec!["aws.cognito.signin.user.admin"]),
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
            .authorization_type("COGNITO_USER_POOLS")
            .authorizer_id(authorizer.id().unwrap())
            .set_authorization_scopes(Some(scopes.into_iter().map(str::to_owned).collect()))
            .send()
            .await
            .unwrap();
        gw.put_integration()
            .rest_api_id(&api_id)
            .resource_id(&id)
            .http_method("GET")
            .r#type(IntegrationType::AwsProxy)
            .integration_http_method("POST")
            .uri(format!(
                "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{backend}/invocations"
            ))
            .send()
            .await
            .unwrap();
    }
    aws.lambda
        .add_permission()
        .function_name(&backend)
        .statement_id("api")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(format!(
            "arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/GET/*"
        ))
        .send()
        .await
        .unwrap();
    gw.create_deployment()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    state_changed(&local.cloud);
    Deployed {
        cloud: local.cloud.clone(),
        host: format!("{api_id}.execute-api.localhost:4566"),
        user,
        stranger,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_cognito_authorizers_answer_as_aws() {
    let local = LocalCloud::start("lc-apigw-cognito").await;
    let mut cases = Cases::new(deploy(&local).await);
    let unauthorized = || (401u16, r#"{"message":"Unauthorized"}"#.to_owned());
    let status_and_body = |r: &Response<Bytes>| {
        (
            r.status().as_u16(),
            String::from_utf8_lossy(r.body()).into_owned(),
        )
    };

    cases
        .case(
            "no token, a malformed, tampered or other pool's token: 401",
            move |c| async move {
                let id = c.user.id_token.clone();
                let mut parts: Vec<String> = id.split('.').map(str::to_owned).collect();
                parts[2] = parts[2].chars().rev().collect();
                let tampered = parts.join(".");
                for token in [
                    None,
                    Some(""),
                    Some("not-a-jwt"),
                    Some(tampered.as_str()),
                    Some(c.stranger.id_token.as_str()),
                ] {
                    let r = get(&c, "/prod/me", token).await;
                    assert_eq!(status_and_body(&r), unauthorized(), "{token:?}");
                    assert_eq!(r.headers()["x-amzn-errortype"], "UnauthorizedException");
                }
            },
        )
        .await;
    cases
        .case(
            "the ID token: the claims reach the backend as strings",
            move |c| async move {
                for token in [
                    c.user.id_token.clone(),
                    format!("Bearer {}", c.user.id_token),
                ] {
                    let r = get(&c, "/prod/me", Some(&token)).await;
                    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                    let claims = json_body(&r)["requestContext"]["authorizer"]["claims"].clone();
                    assert_eq!(claims["cognito:username"], "ada");
                    assert_eq!(claims["token_use"], "id");
                    assert_eq!(claims["aud"], c.user.client_id.as_str());
                    assert!(claims["exp"].is_string(), "numbers as strings: {claims}");
                }
            },
        )
        .await;
    cases
        .case(
            "no scopes: an access token is refused; scopes: only an access token holding one",
            move |c| async move {
                let r = get(&c, "/prod/me", Some(&c.user.access_token)).await;
                assert_eq!(
                    status_and_body(&r),
                    unauthorized(),
                    "access token, no scopes"
                );
                let r = get(&c, "/prod/scoped", Some(&c.user.id_token)).await;
                assert_eq!(status_and_body(&r), unauthorized(), "ID token, scopes");
                let r = get(&c, "/prod/scoped", Some(&c.user.access_token)).await;
                assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
                let claims = json_body(&r)["requestContext"]["authorizer"]["claims"].clone();
                assert_eq!(claims["token_use"], "access");
                assert_eq!(claims["client_id"], c.user.client_id.as_str());
            },
        )
        .await;
    local.stop(cases.all_passed()).await;
    cases.finish();
}
