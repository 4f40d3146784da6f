//! Lambda entry point: reads `USAGE_PLAN_ID` and `KEY_NAME_PREFIX`, builds the API Gateway client and hands each
//! request (Lambda proxy integration, behind the Cognito authorizer) to `apikey_issuer::handle`.
//!
//! `aws_config::load_defaults` honours `AWS_ENDPOINT_URL`, so the same binary talks to moto locally and to API
//! Gateway on AWS.

use anyhow::Context;
use apikey_issuer::{SdkKeys, Settings};
use aws_config::BehaviorVersion;
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let var = |name: &str| {
        std::env::var(name).with_context(|| format!("environment variable {name} is not set"))
    };
    let settings = Settings {
        usage_plan_id: var("USAGE_PLAN_ID")?,
        key_name_prefix: var("KEY_NAME_PREFIX")?,
    };
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let keys = SdkKeys(aws_sdk_apigateway::Client::new(&config));
    let (keys, settings) = (&keys, &settings);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayProxyRequest>| async move {
            let response = apikey_issuer::handle(keys, settings, &event.payload).await;
            tracing::info!(status = response.status_code, "handled request");
            Ok::<_, Error>(response)
        },
    ))
    .await
}
