//! Where the events go: the S3 bucket named by `BACKUP_BUCKET` (the function's role may only put objects under
//! `events/` there).

use aws_sdk_s3::{Client, error::DisplayErrorContext};
use lambda_runtime::{Error, tracing};

/// Keeps events.
pub trait Archive {
    fn put(&self, key: &str, body: &str) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The backup bucket.
pub struct Bucket {
    client: Client,
    name: String,
}

impl Bucket {
    /// The bucket named by `BACKUP_BUCKET`, with the SDK's default configuration (which honours
    /// `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Result<Bucket, Error> {
        let name = std::env::var("BACKUP_BUCKET").map_err(
            |_| "environment variable BACKUP_BUCKET is not set; set it to the bucket's name",
        )?;
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok(Bucket {
            client: Client::new(&config),
            name,
        })
    }
}

impl Archive for Bucket {
    async fn put(&self, key: &str, body: &str) -> Result<(), Error> {
        self.client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .content_type("application/json")
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .map_err(|err| {
                format!(
                    "PutObject s3://{}/{key}: {}",
                    self.name,
                    DisplayErrorContext(&err)
                )
            })?;
        tracing::info!(key, bucket = %self.name, "backed up");
        Ok(())
    }
}
