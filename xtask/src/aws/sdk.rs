//! The AWS SDK configuration every xtask client shares: the local cloud's edge with test credentials in
//! us-east-1, or AWS with the environment's credentials and Region (as the AWS CLI reads them).

use aws_config::{BehaviorVersion, SdkConfig};

/// The local cloud's region (and the one the SAM transform gets for the local target).
pub const LOCAL_REGION: &str = "us-east-1";

/// Configuration for the local cloud at `endpoint`, or for AWS when `endpoint` is `None`.
pub async fn config(endpoint: Option<&str>) -> SdkConfig {
    match endpoint {
        Some(edge) => {
            let creds = aws_sdk_cloudformation::config::Credentials::new(
                "test", "test", None, None, "local",
            );
            aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(edge)
                .region(aws_config::Region::new(LOCAL_REGION))
                .credentials_provider(creds)
                .load()
                .await
        }
        None => aws_config::load_defaults(BehaviorVersion::latest()).await,
    }
}

/// A current-thread runtime for blocking on SDK calls.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime for the AWS SDK")
}
