//! One SQS batch as Lambda hands it to a function and reads the answer: the event (`aws_lambda_events`'
//! `SqsEvent`, shaped as AWS's sample event in <https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html>) built
//! from the messages ReceiveMessage returned, and which messages a response leaves in the queue.

use std::collections::HashSet;

use aws_lambda_events::{
    encodings::Base64Data,
    sqs::{SqsEvent, SqsMessage, SqsMessageAttribute},
};
use aws_sdk_sqs::types::Message;
use serde_json::Value;

/// The event for `messages` received from the queue `queue_arn`.
pub fn event(queue_arn: &str, messages: &[Message]) -> Value {
    let region = queue_arn.split(':').nth(3).unwrap_or_default();
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| record(queue_arn, region, m))
        .collect();
    let mut value = serde_json::to_value(&event).expect("an SqsEvent serialises");
    strip_absent_fields(&mut value);
    value
}

fn record(queue_arn: &str, region: &str, m: &Message) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = m.message_id().map(str::to_owned);
    record.receipt_handle = m.receipt_handle().map(str::to_owned);
    record.body = m.body().map(str::to_owned);
    record.md5_of_body = m.md5_of_body().map(str::to_owned);
    record.md5_of_message_attributes = m.md5_of_message_attributes().map(str::to_owned);
    record.attributes = m
        .attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
        .collect();
    record.message_attributes = m
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let mut attribute = SqsMessageAttribute::default();
            attribute.string_value = value.string_value().map(str::to_owned);
            attribute.binary_value = value.binary_value().map(|b| base64_data(b.as_ref()));
            attribute.string_list_values = value.string_list_values().to_vec();
            attribute.binary_list_values = value
                .binary_list_values()
                .iter()
                .map(|b| base64_data(b.as_ref()))
                .collect();
            attribute.data_type = Some(value.data_type().to_owned());
            (name.clone(), attribute)
        })
        .collect();
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(queue_arn.to_owned());
    record.aws_region = Some(region.to_owned());
    record
}

fn base64_data(bytes: &[u8]) -> Base64Data {
    let mut data = Base64Data::default();
    data.extend_from_slice(bytes);
    data
}

/// AWS leaves out what a message does not have (`md5OfMessageAttributes` without attributes, the
/// `binaryValue` of a String attribute) where serde writes `null`.
fn strip_absent_fields(event: &mut Value) {
    let records = event
        .get_mut("Records")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for record in records {
        let Some(record) = record.as_object_mut() else {
            continue;
        };
        record.retain(|_, v| !v.is_null());
        let attributes = record
            .get_mut("messageAttributes")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|a| a.values_mut());
        for attribute in attributes {
            if let Some(attribute) = attribute.as_object_mut() {
                attribute.retain(|_, v| !v.is_null());
            }
        }
    }
}

/// The messages of the batch (`ids`, its message ids) that a successful invocation leaves in the queue, when the
/// mapping has `FunctionResponseTypes: [ReportBatchItemFailures]`; `Err` (why) when the response fails the whole
/// batch.
///
/// As <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html> lists: an empty or null
/// `batchItemFailures`, an empty or null response are complete successes; a response that is not JSON, an
/// `itemIdentifier` that is empty, null, missing (a bad key name) or not a message of the batch fail the whole
/// batch. A JSON value that is no response object at all (a string, a number, a list) cannot be read as one
/// either, so it fails the batch too.
pub fn kept_by_response(response: &[u8], ids: &[&str]) -> Result<HashSet<String>, String> {
    if response.iter().all(u8::is_ascii_whitespace) {
        return Ok(HashSet::new());
    }
    let response: Value =
        serde_json::from_slice(response).map_err(|e| format!("the response is not JSON ({e})"))?;
    let failures = match &response {
        Value::Null => return Ok(HashSet::new()),
        Value::Object(fields) => match fields.get("batchItemFailures") {
            None | Some(Value::Null) => return Ok(HashSet::new()),
            Some(Value::Array(failures)) => failures,
            Some(other) => return Err(format!("`batchItemFailures` is not a list: {other}")),
        },
        other => {
            return Err(format!(
                "the response is not a batch response object: {other}"
            ));
        }
    };
    let mut kept = HashSet::new();
    for failure in failures {
        match failure.get("itemIdentifier") {
            Some(Value::String(id)) if !id.is_empty() && ids.contains(&id.as_str()) => {
                kept.insert(id.clone());
            }
            Some(Value::String(id)) if !id.is_empty() => {
                return Err(format!(
                    "itemIdentifier {id:?} is not the message id of a message in the batch"
                ));
            }
            _ => {
                return Err(format!(
                    "a batch item failure without a valid itemIdentifier: {failure}"
                ));
            }
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_sqs::{
        primitives::Blob,
        types::{MessageAttributeValue, MessageSystemAttributeName},
    };
    use serde_json::json;

    use super::*;

    const QUEUE: &str = "arn:aws:sqs:us-east-2:123456789012:my-queue";

    #[test]
    fn the_event_has_the_shape_of_aws_sample() {
        let plain = Message::builder()
            .message_id("059f36b4-87a3-44ab-83d2-661975830a7d")
            .receipt_handle("AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a")
            .body("test")
            .md5_of_body("098f6bcd4621d373cade4e832627b4f6")
            .set_attributes(Some(HashMap::from([
                (
                    MessageSystemAttributeName::ApproximateReceiveCount,
                    "1".to_owned(),
                ),
                (
                    MessageSystemAttributeName::SentTimestamp,
                    "1545082649183".to_owned(),
                ),
                (
                    MessageSystemAttributeName::SenderId,
                    "AIDAIENQZJOLO23YVJ4VO".to_owned(),
                ),
                (
                    MessageSystemAttributeName::ApproximateFirstReceiveTimestamp,
                    "1545082649185".to_owned(),
                ),
            ])))
            .build();
        let with_attributes = Message::builder()
            .message_id("2e1424d4-f796-459a-8184-9c92662be6da")
            .receipt_handle("AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq")
            .body("test")
            .md5_of_body("098f6bcd4621d373cade4e832627b4f6")
            .md5_of_message_attributes("d41d8cd98f00b204e9800998ecf8427e")
            .message_attributes(
                "myAttribute",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("myValue")
                    .build()
                    .unwrap(),
            )
            .message_attributes(
                "raw",
                MessageAttributeValue::builder()
                    .data_type("Binary")
                    .binary_value(Blob::new(b"hi".to_vec()))
                    .build()
                    .unwrap(),
            )
            .build();
        let event = event(QUEUE, &[plain, with_attributes]);
        assert_eq!(
            event["Records"][0],
            json!({
                "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
                "body": "test",
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1545082649183",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1545082649185"
                },
                "messageAttributes": {},
                "md5OfBody": "098f6bcd4621d373cade4e832627b4f6",
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE,
                "awsRegion": "us-east-2"
            })
        );
        let second = &event["Records"][1];
        assert_eq!(
            second["messageAttributes"]["myAttribute"],
            json!({"stringValue": "myValue", "stringListValues": [], "binaryListValues": [], "dataType": "String"})
        );
        assert_eq!(second["messageAttributes"]["raw"]["binaryValue"], "aGk=");
        assert_eq!(
            second["md5OfMessageAttributes"],
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        // What a Rust function deserialises.
        let parsed: SqsEvent = serde_json::from_value(event).unwrap();
        assert_eq!(parsed.records.len(), 2);
    }

    #[test]
    fn complete_successes_keep_nothing() {
        for response in [
            "",
            "null",
            "{}",
            r#"{"batchItemFailures": []}"#,
            r#"{"batchItemFailures": null}"#,
        ] {
            assert_eq!(
                kept_by_response(response.as_bytes(), &["a", "b"]),
                Ok(HashSet::new()),
                "{response}"
            );
        }
    }

    #[test]
    fn named_failures_are_kept() {
        let kept = kept_by_response(
            br#"{"batchItemFailures": [{"itemIdentifier": "b"}]}"#,
            &["a", "b", "c"],
        )
        .unwrap();
        assert_eq!(kept, HashSet::from(["b".to_owned()]));
    }

    #[test]
    fn malformed_responses_fail_the_whole_batch() {
        for response in [
            "not json",
            r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": null}]}"#,
            r#"{"batchItemFailures": [{"itemId": "a"}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}"#,
            r#"{"batchItemFailures": "a"}"#,
            r#""done""#,
        ] {
            assert!(
                kept_by_response(response.as_bytes(), &["a", "b"]).is_err(),
                "{response} must fail the batch"
            );
        }
    }
}
