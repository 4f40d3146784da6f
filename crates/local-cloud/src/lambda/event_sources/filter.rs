//! Event filtering of an event source mapping (`FilterCriteria`), as Lambda applies it
//! (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html>): each filter is an EventBridge
//! style pattern over the record as the function would receive it; the filters are ORed; a record no filter
//! matches is discarded (SQS: deleted from the queue, <https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html>;
//! streams: skipped). A JSON message body is matched as JSON, a plain one as a string. Matching is quamina's
//! (the Rust port of the library EventBridge's own matcher descends from).

use aws_sdk_sqs::types::Message;
use serde_json::Value;

/// The compiled filters of one mapping; no filter keeps every record.
#[derive(Default)]
pub struct Filters {
    matcher: Option<quamina::Quamina<usize>>,
}

impl Filters {
    /// The `Pattern` texts of a mapping's `FilterCriteria.Filters`; an error names the pattern that does not compile.
    pub fn new(patterns: &[String]) -> Result<Filters, String> {
        if patterns.is_empty() {
            return Ok(Filters::default());
        }
        let mut matcher = quamina::Quamina::new();
        for (i, pattern) in patterns.iter().enumerate() {
            matcher
                .add_pattern(i, pattern)
                .map_err(|e| format!("filter pattern {pattern}: {e}"))?;
        }
        Ok(Filters {
            matcher: Some(matcher),
        })
    }

    /// Whether an SQS record (as in the function's event) passes: its `body` is matched as JSON when it is a JSON
    /// object, else as the string it is.
    pub fn keeps_sqs(&self, record: &Value) -> bool {
        let Some(matcher) = &self.matcher else {
            return true;
        };
        let mut record = record.clone();
        if let Some(body) = record.get("body").and_then(Value::as_str)
            && let Ok(json @ Value::Object(_)) = serde_json::from_str::<Value>(body)
        {
            record["body"] = json;
        }
        matches(matcher, &record)
    }

    /// `batch` split into the messages the filters keep and those they discard; `event` (the batch's SQS event)
    /// keeps the records of the kept ones.
    pub fn split_sqs<'b>(
        &self,
        batch: &'b [Message],
        event: &mut Value,
    ) -> (Vec<&'b Message>, Vec<&'b Message>) {
        let Some(records) = event["Records"].as_array_mut() else {
            return (batch.iter().collect(), Vec::new());
        };
        let keeps: Vec<bool> = records.iter().map(|r| self.keeps_sqs(r)).collect();
        let mut i = 0;
        records.retain(|_| {
            i += 1;
            keeps[i - 1]
        });
        let (kept, discarded): (Vec<_>, Vec<_>) =
            batch.iter().zip(&keeps).partition(|(_, keep)| **keep);
        (
            kept.into_iter().map(|(m, _)| m).collect(),
            discarded.into_iter().map(|(m, _)| m).collect(),
        )
    }

    /// Whether a stream record (as in the function's event) passes.
    pub fn keeps(&self, record: &Value) -> bool {
        self.matcher
            .as_ref()
            .is_none_or(|matcher| matches(matcher, record))
    }
}

fn matches(matcher: &quamina::Quamina<usize>, record: &Value) -> bool {
    match matcher.has_matches(record.to_string().as_bytes()) {
        Ok(matched) => matched,
        Err(err) => {
            tracing::warn!("event filter could not read a record ({err}): the record is discarded");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sqs_record(body: &str) -> Value {
        json!({ "messageId": "m1", "body": body, "eventSource": "aws:sqs" })
    }

    #[test]
    fn no_filter_keeps_everything() {
        let filters = Filters::new(&[]).unwrap();
        assert!(filters.keeps_sqs(&sqs_record("anything")));
    }

    /// The documented example: `RequestCode` of a JSON body
    /// (<https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html>).
    #[test]
    fn a_json_body_is_matched_as_json() {
        let filters =
            Filters::new(&[r#"{ "body" : { "RequestCode" : [ "BBBB" ] } }"#.to_owned()]).unwrap();
        assert!(filters.keeps_sqs(&sqs_record(r#"{"RecordNumber":1234,"RequestCode":"BBBB"}"#)));
        assert!(!filters.keeps_sqs(&sqs_record(r#"{"RecordNumber":1234,"RequestCode":"AAAA"}"#)));
        // A plain body has no `RequestCode` field.
        assert!(!filters.keeps_sqs(&sqs_record("BBBB")));
    }

    #[test]
    fn a_plain_body_is_matched_as_a_string_and_filters_are_ored() {
        let filters = Filters::new(&[
            r#"{ "body" : [ { "prefix": "order-" } ] }"#.to_owned(),
            r#"{ "body" : { "kind" : [ "refund" ] } }"#.to_owned(),
        ])
        .unwrap();
        assert!(filters.keeps_sqs(&sqs_record("order-42")));
        assert!(filters.keeps_sqs(&sqs_record(r#"{"kind":"refund"}"#)));
        assert!(!filters.keeps_sqs(&sqs_record("invoice-7")));
    }

    #[test]
    fn numeric_and_anything_but_operators() {
        let filters = Filters::new(&[
            r#"{ "body" : { "amount" : [ { "numeric": [ ">", 100 ] } ], "state": [ { "anything-but": "test" } ] } }"#
                .to_owned(),
        ])
        .unwrap();
        assert!(filters.keeps_sqs(&sqs_record(r#"{"amount":150,"state":"live"}"#)));
        assert!(!filters.keeps_sqs(&sqs_record(r#"{"amount":50,"state":"live"}"#)));
        assert!(!filters.keeps_sqs(&sqs_record(r#"{"amount":150,"state":"test"}"#)));
    }

    /// A DynamoDB stream record: the documented filter on `eventName` and a new image's attribute
    /// (<https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html>).
    #[test]
    fn a_stream_record_is_matched_as_it_is() {
        let filters = Filters::new(&[
            r#"{ "eventName": ["INSERT"], "dynamodb": { "NewImage": { "kind": { "S": ["order"] } } } }"#.to_owned(),
        ])
        .unwrap();
        let record = |event: &str, kind: &str| json!({ "eventName": event, "dynamodb": { "NewImage": { "kind": { "S": kind } } } });
        assert!(filters.keeps(&record("INSERT", "order")));
        assert!(!filters.keeps(&record("MODIFY", "order")));
        assert!(!filters.keeps(&record("INSERT", "refund")));
    }

    #[test]
    fn a_pattern_that_does_not_compile_is_named() {
        let err = Filters::new(&["{\"body\": 3}".to_owned()]).err().unwrap();
        assert!(err.contains("{\"body\": 3}"), "{err}");
    }
}
