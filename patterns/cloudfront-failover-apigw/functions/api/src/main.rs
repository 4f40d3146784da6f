//! Lambda entry point: `ORIGIN_ROLE` names the origin (`primary` or `secondary`); `SWITCH_TABLE`, set on the
//! primary only, is the DynamoDB table of its maintenance switch. Each HTTP API request goes to
//! `failover_api::handle`.
//!
//! `aws_config::load_defaults` honours `AWS_ENDPOINT_URL`, so the same binary talks to moto locally and to AWS.

use anyhow::Context;
use aws_config::BehaviorVersion;
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use failover_api::{aws::DynamoDbSwitch, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let role = std::env::var("ORIGIN_ROLE")
        .context("environment variable ORIGIN_ROLE is not set; set it to primary or secondary")?;
    let switch = match std::env::var("SWITCH_TABLE") {
        Ok(table) => {
            let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
            Some(DynamoDbSwitch {
                client: aws_sdk_dynamodb::Client::new(&config),
                table,
            })
        }
        Err(_) => None,
    };
    let (role, switch) = (role.as_str(), switch.as_ref());
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            let response = handle(role, switch, &event.payload).await?;
            tracing::info!(
                role,
                path = event.payload.raw_path.as_deref().unwrap_or(""),
                status = response.status_code,
                "handled request"
            );
            Ok::<_, Error>(response)
        },
    ))
    .await
}
