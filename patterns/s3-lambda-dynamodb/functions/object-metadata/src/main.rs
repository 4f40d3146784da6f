//! Lambda entry point: reads `TABLE_NAME`, builds the S3 and DynamoDB clients and hands each S3 notification to
//! `s3_object_metadata::handle`.
//!
//! `aws_config::load_defaults` honours `AWS_ENDPOINT_URL`, so the same binary talks to moto locally and to AWS.

use anyhow::Context;
use aws_config::BehaviorVersion;
use aws_lambda_events::s3::S3Event;
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};
use s3_object_metadata::{
    aws::{DynamoDbTable, S3Objects},
    handle,
};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let name = std::env::var("TABLE_NAME").context(
        "environment variable TABLE_NAME is not set; set it to the DynamoDB table's name",
    )?;
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    // Path-style addressing locally (moto has no per-bucket host names); virtual-hosted on AWS.
    let s3_config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(std::env::var_os("AWS_ENDPOINT_URL").is_some())
        .build();
    let objects = S3Objects(aws_sdk_s3::Client::from_conf(s3_config));
    let table = DynamoDbTable {
        client: aws_sdk_dynamodb::Client::new(&config),
        name,
    };
    let (objects, table) = (&objects, &table);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| async move {
        handle(objects, table, event.payload).await
    }))
    .await
}
