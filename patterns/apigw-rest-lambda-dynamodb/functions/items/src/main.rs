//! Lambda entry point: reads `TABLE_NAME`, builds the DynamoDB client and hands each request to `routes::handle`.
//!
//! `aws_config::load_defaults` honours `AWS_ENDPOINT_URL`, so the same binary talks to moto locally and to DynamoDB on AWS.

use anyhow::Context;
use aws_config::BehaviorVersion;
use items_api::{routes, store::Store};
use lambda_http::{Error, Request, RequestExt, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let table = std::env::var("TABLE_NAME").context(
        "environment variable TABLE_NAME is not set; set it to the DynamoDB table's name",
    )?;
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&config), table);
    let store = &store;
    lambda_http::run(service_fn(move |request: Request| async move {
        let response = routes::handle(store, &request).await;
        tracing::info!(
            method = %request.method(),
            path = request.raw_http_path(),
            status = response.status().as_u16(),
            "handled request"
        );
        Ok::<_, Error>(response)
    }))
    .await
}
