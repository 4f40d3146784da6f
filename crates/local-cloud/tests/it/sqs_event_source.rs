//! Fidelity of SQS event source mappings, run by our Lambda service against a real moto: each case deploys a
//! small variant (a queue, `fidelity-fn` in its `sqs` mode, a mapping) and asserts what AWS does:
//!
//! - batches of at most `BatchSize` messages, shaped as AWS's event, deleted on success; a batching window
//!   gathers messages sent apart (<https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html>);
//! - a function error returns the whole batch to the queue after its visibility timeout
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html>: "After your queue's
//!   visibility timeout runs out, the message will again reappear in the queue");
//! - with `ReportBatchItemFailures` only the messages the function names return; an unknown `itemIdentifier`
//!   fails the whole batch; without it the response is ignored (same page, "Implementing partial batch
//!   responses": "Lambda treats a batch as a complete failure if your function returns ... An itemIdentifier
//!   value with a message ID that doesn't exist");
//! - after `maxReceiveCount` receives the message is in the queue's dead-letter queue
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html>: "if your function fails to
//!   process a message multiple times, Amazon SQS can send it to a dead-letter queue");
//! - `FilterCriteria`: see `sqs_event_filter.rs`;
//! - a disabled mapping delivers nothing (the parameters page: `Enabled`), and enabling it delivers; deleting
//!   the mapping or the function stops its poller.

use std::time::{Duration, Instant};

use aws_sdk_lambda::types::FunctionResponseType;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use serde_json::json;

use crate::support::{
    Cases,
    cloud::{LocalCloud, state_changed},
    functions::{create_role, fidelity_zip},
    sqs::{Ctx, Record, batches, bodies, counts, events, wait_batches},
};

/// A grace period during which nothing more may arrive (a message wrongly returned to the queue would be
/// received again within it: every queue here has a visibility timeout of at most 2 s).
const QUIET: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_event_source_mappings_behave_as_aws_pollers() {
    let zip = fidelity_zip();
    let local = LocalCloud::start("lc-sqs-state").await;
    create_role(&local.url).await;
    let dir = local.state_dir.join("events");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases = Cases::new(Ctx {
        cloud: local.cloud.clone(),
        aws: local.aws.clone(),
        zip,
        dir,
    });

    cases
        .case(
            "batches of at most BatchSize, shaped as AWS's event; success deletes them",
            |c| async move {
                let (url, arn) = c.queue("sized", &[]).await;
                // Sent before the mapping exists, so the poller's first receive finds all seven.
                let sent = c
                    .aws
                    .sqs
                    .send_message()
                    .queue_url(&url)
                    .message_body("m0")
                    .message_attributes(
                        "kind",
                        MessageAttributeValue::builder()
                            .data_type("String")
                            .string_value("first")
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .unwrap();
                c.send(&url, &["m1", "m2", "m3", "m4", "m5", "m6"]).await;
                let (function, file) = c.function("sized").await;
                c.map(&function, &arn, |m| m.batch_size(5)).await;

                let got = wait_batches(&file, 2, Duration::from_secs(20)).await;
                let sizes: Vec<usize> = got.iter().map(Vec::len).collect();
                assert_eq!(sizes, [5, 2], "{got:?}");
                c.wait_empty(&url, Duration::from_secs(10)).await;

                let first = events(&file)[0]["Records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["body"] == "m0")
                    .cloned()
                    .expect("m0 in the first batch (the oldest message)");
                assert_eq!(first["eventSource"], "aws:sqs");
                assert_eq!(first["eventSourceARN"], arn.as_str());
                assert_eq!(first["awsRegion"], "us-east-1");
                assert_eq!(first["messageId"], sent.message_id().unwrap());
                assert_eq!(first["md5OfBody"], sent.md5_of_message_body().unwrap());
                assert_eq!(
                    first["md5OfMessageAttributes"],
                    sent.md5_of_message_attributes().unwrap()
                );
                assert!(
                    first["receiptHandle"]
                        .as_str()
                        .is_some_and(|h| !h.is_empty())
                );
                assert_eq!(first["attributes"]["ApproximateReceiveCount"], "1");
                for attribute in [
                    "SentTimestamp",
                    "SenderId",
                    "ApproximateFirstReceiveTimestamp",
                ] {
                    assert!(
                        first["attributes"][attribute].is_string(),
                        "{attribute}: {first}"
                    );
                }
                assert_eq!(
                    first["messageAttributes"],
                    json!({"kind": {"stringValue": "first", "stringListValues": [],
                                    "binaryListValues": [], "dataType": "String"}})
                );
            },
        )
        .await;

    cases
        .case(
            "MaximumBatchingWindowInSeconds gathers messages sent apart into one batch",
            |c| async move {
                let (url, arn) = c.queue("windowed", &[]).await;
                let (function, file) = c.function("windowed").await;
                c.map(&function, &arn, |m| {
                    m.batch_size(10).maximum_batching_window_in_seconds(3)
                })
                .await;
                tokio::time::sleep(Duration::from_millis(500)).await;
                for body in ["w1", "w2", "w3"] {
                    c.send(&url, &[body]).await;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                wait_batches(&file, 1, Duration::from_secs(15)).await;
                tokio::time::sleep(Duration::from_secs(1)).await;
                let got = batches(&file);
                assert_eq!(got.len(), 1, "{got:?}");
                assert_eq!(bodies(&got[0]), ["w1", "w2", "w3"]);
            },
        )
        .await;

    cases
        .case(
            "a function error returns the whole batch after the visibility timeout",
            |c| async move {
                let (url, arn) = c
                    .queue("erring", &[(QueueAttributeName::VisibilityTimeout, "2")])
                    .await;
                c.send(&url, &["error-once", "fine"]).await;
                let (function, file) = c.function("erring").await;
                c.map(&function, &arn, |m| m.batch_size(10)).await;

                let got = wait_batches(&file, 2, Duration::from_secs(20)).await;
                c.wait_empty(&url, Duration::from_secs(10)).await;
                tokio::time::sleep(QUIET).await;
                let got_now = batches(&file);
                assert_eq!(
                    got_now.len(),
                    2,
                    "delivered again after success: {got_now:?}"
                );
                assert_eq!(bodies(&got[0]), ["error-once", "fine"]);
                assert_eq!(counts(&got[0]), ["1", "1"]);
                // The same messages (ids), both received a second time: "fine" was not deleted either.
                let ids = |b: &[Record]| b.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
                assert_eq!(ids(&got[1]), ids(&got[0]));
                assert_eq!(counts(&got[1]), ["2", "2"]);
            },
        )
        .await;

    cases
        .case(
            "ReportBatchItemFailures: only the named message returns; without it the response is ignored",
            |c| async move {
                let (url, arn) = c
                    .queue("partial", &[(QueueAttributeName::VisibilityTimeout, "2")])
                    .await;
                c.send(&url, &["ok-1", "poison-once", "ok-2"]).await;
                let (function, file) = c.function("partial").await;
                c.map(&function, &arn, |m| {
                    m.function_response_types(FunctionResponseType::ReportBatchItemFailures)
                })
                .await;
                let got = wait_batches(&file, 2, Duration::from_secs(20)).await;
                c.wait_empty(&url, Duration::from_secs(10)).await;
                tokio::time::sleep(QUIET).await;
                let got_now = batches(&file);
                assert_eq!(got_now.len(), 2, "{got_now:?}");
                assert_eq!(bodies(&got[0]), ["ok-1", "poison-once", "ok-2"]);
                assert_eq!(bodies(&got[1]), ["poison-once"]);
                assert_eq!(counts(&got[1]), ["2"]);

                // The same function and response, but the mapping does not report batch item failures.
                let (url, arn) = c
                    .queue("not-partial", &[(QueueAttributeName::VisibilityTimeout, "2")])
                    .await;
                c.send(&url, &["poison"]).await;
                let (function, file) = c.function("not-partial").await;
                c.map(&function, &arn, |m| m).await;
                wait_batches(&file, 1, Duration::from_secs(20)).await;
                c.wait_empty(&url, Duration::from_secs(10)).await;
                tokio::time::sleep(QUIET).await;
                assert_eq!(batches(&file).len(), 1, "the named message came back");
            },
        )
        .await;

    cases
        .case(
            "ReportBatchItemFailures: an itemIdentifier not in the batch fails the whole batch",
            |c| async move {
                let (url, arn) = c
                    .queue("bad-id", &[(QueueAttributeName::VisibilityTimeout, "2")])
                    .await;
                c.send(&url, &["bad-id-once", "fine"]).await;
                let (function, file) = c.function("bad-id").await;
                c.map(&function, &arn, |m| {
                    m.function_response_types(FunctionResponseType::ReportBatchItemFailures)
                })
                .await;
                let got = wait_batches(&file, 2, Duration::from_secs(20)).await;
                c.wait_empty(&url, Duration::from_secs(10)).await;
                assert_eq!(bodies(&got[1]), ["bad-id-once", "fine"]);
                assert_eq!(counts(&got[1]), ["2", "2"]);
            },
        )
        .await;

    cases
        .case(
            "after maxReceiveCount receives the message is in the dead-letter queue",
            |c| async move {
                let (dlq_url, dlq_arn) = c.queue("poison-dlq", &[]).await;
                let policy =
                    json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}).to_string();
                let (url, arn) = c
                    .queue(
                        "poison",
                        &[
                            (QueueAttributeName::VisibilityTimeout, "1"),
                            (QueueAttributeName::RedrivePolicy, &policy),
                        ],
                    )
                    .await;
                c.send(&url, &["poison"]).await;
                let (function, file) = c.function("poison").await;
                c.map(&function, &arn, |m| {
                    m.function_response_types(FunctionResponseType::ReportBatchItemFailures)
                })
                .await;
                let deadline = Instant::now() + Duration::from_secs(20);
                let moved = loop {
                    let out = c
                        .aws
                        .sqs
                        .receive_message()
                        .queue_url(&dlq_url)
                        .wait_time_seconds(1)
                        .send()
                        .await
                        .unwrap();
                    if let Some(m) = out.messages.unwrap_or_default().pop() {
                        break m;
                    }
                    assert!(
                        Instant::now() < deadline,
                        "nothing in the dead-letter queue after 20 s; deliveries: {:?}",
                        batches(&file)
                    );
                };
                assert_eq!(moved.body(), Some("poison"));
                let got = batches(&file);
                assert_eq!(
                    got.len(),
                    2,
                    "received exactly maxReceiveCount times: {got:?}"
                );
                assert_eq!(counts(&got[0]), ["1"]);
                assert_eq!(counts(&got[1]), ["2"]);
                c.wait_empty(&url, Duration::from_secs(5)).await;
            },
        )
        .await;

    cases
        .case(
            "a disabled mapping delivers nothing; enabled, it delivers; deleted, it stops",
            |c| async move {
                let (url, arn) = c.queue("switched", &[]).await;
                let (function, file) = c.function("switched").await;
                let uuid = c.map(&function, &arn, |m| m.enabled(false)).await;
                c.send(&url, &["held"]).await;
                tokio::time::sleep(QUIET).await;
                assert!(batches(&file).is_empty(), "{:?}", batches(&file));
                assert_eq!(
                    c.counts(&url).await,
                    ("1".to_owned(), "0".to_owned()),
                    "nobody received it"
                );

                c.aws
                    .lambda
                    .update_event_source_mapping()
                    .uuid(&uuid)
                    .enabled(true)
                    .send()
                    .await
                    .unwrap();
                state_changed(&c.cloud);
                let got = wait_batches(&file, 1, Duration::from_secs(10)).await;
                assert_eq!(bodies(&got[0]), ["held"]);
                c.wait_empty(&url, Duration::from_secs(5)).await;

                c.aws
                    .lambda
                    .delete_event_source_mapping()
                    .uuid(&uuid)
                    .send()
                    .await
                    .unwrap();
                state_changed(&c.cloud);
                tokio::time::sleep(Duration::from_millis(500)).await;
                c.send(&url, &["after-delete"]).await;
                tokio::time::sleep(QUIET).await;
                assert_eq!(batches(&file).len(), 1, "{:?}", batches(&file));
                // A receive under way when the poller stopped gives its message back at once.
                assert_eq!(c.counts(&url).await, ("1".to_owned(), "0".to_owned()));
            },
        )
        .await;

    cases
        .case("deleting the function stops its poller", |c| async move {
            let (url, arn) = c.queue("orphaned", &[]).await;
            let (function, file) = c.function("orphaned").await;
            c.map(&function, &arn, |m| m).await;
            c.send(&url, &["before"]).await;
            wait_batches(&file, 1, Duration::from_secs(10)).await;
            c.aws
                .lambda
                .delete_function()
                .function_name("orphaned")
                .send()
                .await
                .unwrap();
            state_changed(&c.cloud);
            tokio::time::sleep(Duration::from_millis(500)).await;
            c.send(&url, &["after"]).await;
            tokio::time::sleep(QUIET).await;
            assert_eq!(batches(&file).len(), 1, "{:?}", batches(&file));
            assert_eq!(c.counts(&url).await, ("1".to_owned(), "0".to_owned()));
        })
        .await;

    let clean = cases.all_passed();
    local.stop(clean).await;
    cases.finish();
}
