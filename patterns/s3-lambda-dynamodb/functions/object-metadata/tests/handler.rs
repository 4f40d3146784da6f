//! The handler driven by AWS's example S3 notification (`tests/fixtures/s3-object-created.json`, the "Example
//! Amazon S3 notification event" of https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html), with fake S3
//! and DynamoDB.

use std::{collections::HashMap, sync::Mutex};

use aws_lambda_events::s3::S3Event;
use s3_object_metadata::{Head, ObjectMetadata, Objects, Table, decode_key, handle};

const EVENT: &str = include_str!("fixtures/s3-object-created.json");

/// Objects by (bucket, key); fails every call when `failing`.
#[derive(Default)]
struct FakeS3 {
    objects: HashMap<(String, String), Head>,
    failing: bool,
}

impl Objects for FakeS3 {
    async fn head(&self, bucket: &str, key: &str) -> anyhow::Result<Option<Head>> {
        anyhow::ensure!(!self.failing, "S3 is unavailable");
        Ok(self
            .objects
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned())
    }
}

#[derive(Default)]
struct FakeTable {
    items: Mutex<Vec<ObjectMetadata>>,
}

impl Table for FakeTable {
    async fn put(&self, item: &ObjectMetadata) -> anyhow::Result<()> {
        self.items.lock().unwrap().push(item.clone());
        Ok(())
    }
}

fn event() -> S3Event {
    serde_json::from_str(EVENT).expect("the fixture is an S3 event")
}

fn s3_with(key: &str, head: Head) -> FakeS3 {
    FakeS3 {
        objects: HashMap::from([(("example-bucket".to_owned(), key.to_owned()), head)]),
        failing: false,
    }
}

#[tokio::test]
async fn the_object_read_from_s3_is_recorded_under_its_decoded_key() {
    let head = Head {
        size: 2048,
        content_type: Some("text/csv".into()),
        etag: Some("0123456789abcdef0123456789abcdef".into()),
    };
    let (s3, table) = (s3_with("test/key", head), FakeTable::default());
    handle(&s3, &table, event()).await.unwrap();
    assert_eq!(
        *table.items.lock().unwrap(),
        [ObjectMetadata {
            key: "test/key".into(),
            bucket: "example-bucket".into(),
            // What S3 holds now (HeadObject), not the size in the notification.
            size: 2048,
            content_type: Some("text/csv".into()),
            etag: Some("0123456789abcdef0123456789abcdef".into()),
            created_at: "1970-01-01T00:00:00.000Z".into(),
        }]
    );
}

#[tokio::test]
async fn an_object_deleted_since_the_notification_records_nothing() {
    let (s3, table) = (FakeS3::default(), FakeTable::default());
    handle(&s3, &table, event()).await.unwrap();
    assert!(table.items.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_unreadable_object_fails_the_invocation_so_lambda_retries_it() {
    let s3 = FakeS3 {
        failing: true,
        ..FakeS3::default()
    };
    let table = FakeTable::default();
    let err = handle(&s3, &table, event()).await.unwrap_err();
    assert!(err.to_string().contains("S3 is unavailable"), "{err}");
    assert!(table.items.lock().unwrap().is_empty());
}

#[test]
fn keys_are_decoded_like_a_form() {
    assert_eq!(
        decode_key("uploads/daily+report%2B2026%C3%A9.csv").unwrap(),
        "uploads/daily report+2026é.csv"
    );
    assert!(decode_key("uploads/%FF.csv").is_err());
}
