//! Cognito user pools for the authorizer tests: a pool with an app client that allows
//! `ADMIN_USER_PASSWORD_AUTH`, a user signed in through moto's Cognito API, and its tokens.

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use serde_json::{Value, json};

use super::REGION;

/// A call of Cognito's JSON API (`AWSCognitoIdentityProviderService.<action>`); panics unless it succeeds.
pub async fn cognito(url: &str, action: &str, body: Value) -> Value {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = Request::post(format!("{url}/"))
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=test/20240101/{REGION}/cognito-idp/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{action}"))
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(
        status.is_success(),
        "cognito {action}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// A user pool signed into: its ARN, the app client, and the user's tokens.
pub struct SignedIn {
    pub pool_arn: String,
    pub client_id: String,
    pub id_token: String,
    pub access_token: String,
}

/// Creates the pool `name` with an app client and the user `username`, and signs it in.
pub async fn signed_in_user(url: &str, name: &str, username: &str) -> SignedIn {
    let pool = cognito(url, "CreateUserPool", json!({"PoolName": name})).await;
    let pool_id = pool["UserPool"]["Id"].as_str().unwrap().to_owned();
    let pool_arn = pool["UserPool"]["Arn"].as_str().unwrap().to_owned();
    let client_id = cognito(
        url,
        "CreateUserPoolClient",
        json!({"UserPoolId": pool_id, "ClientName": "web",
               "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    cognito(
        url,
        "AdminCreateUser",
        json!({"UserPoolId": pool_id, "Username": username, "MessageAction": "SUPPRESS"}),
    )
    .await;
    cognito(
        url,
        "AdminSetUserPassword",
        json!({"UserPoolId": pool_id, "Username": username, "Password": "Secret-pass-1", "Permanent": true}),
    )
    .await;
    let auth = cognito(
        url,
        "AdminInitiateAuth",
        json!({"UserPoolId": pool_id, "ClientId": client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": username, "PASSWORD": "Secret-pass-1"}}),
    )
    .await;
    let token = |name: &str| {
        auth["AuthenticationResult"][name]
            .as_str()
            .unwrap()
            .to_owned()
    };
    SignedIn {
        id_token: token("IdToken"),
        access_token: token("AccessToken"),
        pool_arn,
        client_id,
    }
}
