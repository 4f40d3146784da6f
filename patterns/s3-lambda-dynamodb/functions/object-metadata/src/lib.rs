//! Records the metadata of each object an S3 notification names: the object is read through the SDK
//! (HeadObject: its size, content type and ETag as S3 holds them now) and written to DynamoDB under its key.
//!
//! [`handle`] works over two small contracts, [`Objects`] and [`Table`], so the tests drive it with fakes;
//! [`aws`] implements them with aws-sdk-s3 and aws-sdk-dynamodb.

pub mod aws;

use std::future::Future;

use aws_lambda_events::s3::{S3Event, S3EventRecord};
use lambda_runtime::{Error, tracing};
use percent_encoding::percent_decode_str;

/// What HeadObject says of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub size: i64,
    pub content_type: Option<String>,
    /// Without the quotes S3 puts around it.
    pub etag: Option<String>,
}

/// One item of the table: partition key `key`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectMetadata {
    /// The object key as uploaded (decoded from the notification).
    pub key: String,
    pub bucket: String,
    pub size: i64,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    /// When S3 created the object (the record's `eventTime`, as S3 writes it: `2026-01-22T10:15:58.456Z`).
    pub created_at: String,
}

/// Reads object metadata. `None`: no such object (deleted since the notification).
pub trait Objects {
    fn head(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = anyhow::Result<Option<Head>>> + Send;
}

/// Stores object metadata (a put: a retried notification writes the same item again).
pub trait Table {
    fn put(&self, item: &ObjectMetadata) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Processes every record of one notification. An error (S3 or DynamoDB unavailable, an undecodable key) fails
/// the invocation, and Lambda retries the asynchronous event twice.
pub async fn handle(
    objects: &impl Objects,
    table: &impl Table,
    event: S3Event,
) -> Result<(), Error> {
    for record in event.records {
        let Some(item) = metadata(objects, &record).await? else {
            continue;
        };
        table.put(&item).await?;
        tracing::info!(key = %item.key, size = item.size, "recorded");
    }
    Ok(())
}

/// The item for one record, read from S3; `None` when the object is gone.
async fn metadata(
    objects: &impl Objects,
    record: &S3EventRecord,
) -> Result<Option<ObjectMetadata>, Error> {
    let bucket = record
        .s3
        .bucket
        .name
        .as_deref()
        .ok_or("the record names no bucket")?;
    let key = decode_key(
        record
            .s3
            .object
            .key
            .as_deref()
            .ok_or("the record names no object key")?,
    )?;
    let Some(head) = objects.head(bucket, &key).await? else {
        tracing::warn!(bucket, key, "the object is gone; nothing recorded");
        return Ok(None);
    };
    Ok(Some(ObjectMetadata {
        key,
        bucket: bucket.to_owned(),
        size: head.size,
        content_type: head.content_type,
        etag: head.etag,
        created_at: record
            .event_time
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
    }))
}

/// The object key as uploaded: S3 notifications encode keys like an HTML form (`+` is a space).
pub fn decode_key(key: &str) -> Result<String, Error> {
    Ok(percent_decode_str(&key.replace('+', " "))
        .decode_utf8()
        .map_err(|_| format!("the object key {key:?} is not UTF-8 once decoded"))?
        .into_owned())
}
