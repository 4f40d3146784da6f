//! The S3 trigger: each record of a notification names an object created under `incoming/`; the item is the
//! object's key. S3 sends keys URL-encoded (`+` for a space), so the key is decoded first. A record that cannot
//! be processed makes the invocation fail: Lambda retries the asynchronous invocation twice.

use aws_lambda_events::s3::S3Event;
use lambda_runtime::{Error, tracing};
use percent_encoding::percent_decode_str;

use crate::record::{Item, Recorder};

#[cfg(test)]
mod tests;

/// Processes every record of one notification.
pub async fn handle(recorder: &impl Recorder, event: S3Event) -> Result<(), Error> {
    for record in event.records {
        let key = record.s3.object.key.as_deref().unwrap_or_default();
        let item = decode_key(key).and_then(Item::new).inspect_err(|err| {
            tracing::warn!(key, error = %err, "object not processed");
        })?;
        recorder.record(&item).await?;
    }
    Ok(())
}

/// The object key as uploaded: S3 event notifications encode keys like an HTML form (`+` is a space).
fn decode_key(key: &str) -> Result<String, String> {
    percent_decode_str(&key.replace('+', " "))
        .decode_utf8()
        .map(|key| key.into_owned())
        .map_err(|_| format!("the object key {key:?} is not UTF-8 once decoded"))
}
