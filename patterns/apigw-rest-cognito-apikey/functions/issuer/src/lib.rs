//! The key-issuing function of a developer portal (REST API, Lambda proxy integration, behind a Cognito user pool
//! authorizer): API Gateway has verified the caller's ID token and put its claims in
//! `requestContext.authorizer.claims`. The function names the caller's API key after the user's `sub`, returns
//! the key that already has that name, or creates it (CreateApiKey) and adds it to the usage plan
//! (CreateUsagePlanKey), so each user has one key, metered by the plan's throttle and quota.

use aws_lambda_events::{
    apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse},
    encodings::Body,
    http::{HeaderMap, HeaderValue, header::CONTENT_TYPE},
};
use serde_json::{Value, json};

/// What the function is configured with.
pub struct Settings {
    /// The usage plan new keys join.
    pub usage_plan_id: String,
    /// Key names are `{prefix}-{sub}`, so two deployments in one account keep their keys apart.
    pub key_name_prefix: String,
}

/// An API key as API Gateway answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub value: String,
}

/// The API Gateway calls the function makes (a trait, so the handler is tested without AWS).
pub trait Keys {
    /// The key named exactly `name`, if there is one.
    fn find(&self, name: &str) -> impl Future<Output = anyhow::Result<Option<ApiKey>>> + Send;
    /// A new enabled key named `name`, added to the usage plan `plan`.
    fn create(&self, name: &str, plan: &str)
    -> impl Future<Output = anyhow::Result<ApiKey>> + Send;
}

/// Answers the signed-in caller with their API key: 201 with a new key, 200 with the one they already have.
pub async fn handle<K: Keys>(
    keys: &K,
    settings: &Settings,
    request: &ApiGatewayProxyRequest,
) -> ApiGatewayProxyResponse {
    let claims = request.request_context.authorizer.fields.get("claims");
    let Some(sub) = claims
        .and_then(|c| c.get("sub"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        // Only reachable if the method lost its authorizer: never issue a key to an anonymous caller.
        return json_response(401, &json!({ "error": "no signed-in user" }));
    };
    let name = format!("{}-{sub}", settings.key_name_prefix);
    let (status, key) = match keys.find(&name).await {
        Ok(Some(key)) => (200, key),
        Ok(None) => match keys.create(&name, &settings.usage_plan_id).await {
            Ok(key) => (201, key),
            Err(err) => return failed("creating the API key", &err),
        },
        Err(err) => return failed("looking up the API key", &err),
    };
    json_response(
        status,
        &json!({ "apiKey": key.value, "keyId": key.id, "usagePlanId": settings.usage_plan_id }),
    )
}

fn failed(what: &str, err: &anyhow::Error) -> ApiGatewayProxyResponse {
    lambda_runtime::tracing::error!(error = format!("{err:#}"), "{what} failed");
    json_response(500, &json!({ "error": format!("{what} failed") }))
}

fn json_response(status: i64, body: &Value) -> ApiGatewayProxyResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response
}

/// [`Keys`] through the AWS SDK: GetApiKeys (by name, with values), CreateApiKey, CreateUsagePlanKey.
pub struct SdkKeys(pub aws_sdk_apigateway::Client);

impl Keys for SdkKeys {
    async fn find(&self, name: &str) -> anyhow::Result<Option<ApiKey>> {
        // `nameQuery` matches names that start with it: keep the exact one.
        let out = self
            .0
            .get_api_keys()
            .name_query(name)
            .include_values(true)
            .send()
            .await?;
        Ok(out
            .items()
            .iter()
            .find(|k| k.name() == Some(name))
            .and_then(|k| {
                Some(ApiKey {
                    id: k.id()?.to_owned(),
                    value: k.value()?.to_owned(),
                })
            }))
    }

    async fn create(&self, name: &str, plan: &str) -> anyhow::Result<ApiKey> {
        let key = self
            .0
            .create_api_key()
            .name(name)
            .enabled(true)
            .send()
            .await?;
        let (Some(id), Some(value)) = (key.id(), key.value()) else {
            anyhow::bail!("CreateApiKey answered no id or value");
        };
        self.0
            .create_usage_plan_key()
            .usage_plan_id(plan)
            .key_id(id)
            .key_type("API_KEY")
            .send()
            .await?;
        Ok(ApiKey {
            id: id.to_owned(),
            value: value.to_owned(),
        })
    }
}
