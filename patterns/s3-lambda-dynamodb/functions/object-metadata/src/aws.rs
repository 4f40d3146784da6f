//! [`Objects`] with aws-sdk-s3 (HeadObject) and [`Table`] with aws-sdk-dynamodb (PutItem).

use aws_sdk_dynamodb::types::AttributeValue;

use crate::{Head, ObjectMetadata, Objects, Table};

/// The bucket's objects, read with HeadObject (the function's role allows `s3:GetObject` under the prefix).
pub struct S3Objects(pub aws_sdk_s3::Client);

impl Objects for S3Objects {
    async fn head(&self, bucket: &str, key: &str) -> anyhow::Result<Option<Head>> {
        let out = match self.0.head_object().bucket(bucket).key(key).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => return Ok(None),
            Err(e) => {
                let e = aws_sdk_s3::error::DisplayErrorContext(e);
                anyhow::bail!("HeadObject s3://{bucket}/{key}: {e}");
            }
        };
        Ok(Some(Head {
            size: out.content_length().unwrap_or_default(),
            content_type: out.content_type().map(str::to_owned),
            etag: out.e_tag().map(|t| t.trim_matches('"').to_owned()),
        }))
    }
}

/// The metadata table (the function's role allows `dynamodb:PutItem` on it, nothing else).
pub struct DynamoDbTable {
    pub client: aws_sdk_dynamodb::Client,
    pub name: String,
}

impl Table for DynamoDbTable {
    async fn put(&self, item: &ObjectMetadata) -> anyhow::Result<()> {
        let s = |v: &str| AttributeValue::S(v.to_owned());
        let mut request = self
            .client
            .put_item()
            .table_name(&self.name)
            .item("key", s(&item.key))
            .item("bucket", s(&item.bucket))
            .item("size", AttributeValue::N(item.size.to_string()))
            .item("created_at", s(&item.created_at));
        if let Some(content_type) = &item.content_type {
            request = request.item("content_type", s(content_type));
        }
        if let Some(etag) = &item.etag {
            request = request.item("etag", s(etag));
        }
        if let Err(e) = request.send().await {
            let e = aws_sdk_dynamodb::error::DisplayErrorContext(e);
            anyhow::bail!("PutItem {} into {}: {e}", item.key, self.name);
        }
        Ok(())
    }
}
