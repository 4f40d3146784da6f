//! Fidelity of `FilterCriteria` on an SQS event source mapping, run by our Lambda service against a real moto:
//! only messages a filter matches reach the function and the others are deleted from the queue
//! (<https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html>). Stream records: `dynamodb_streams.rs`.

use std::time::Duration;

use crate::support::{
    Cases,
    cloud::LocalCloud,
    functions::{create_role, fidelity_zip},
    sqs::{Ctx, batches, bodies, wait_batches},
};

/// A grace period during which nothing more may arrive.
const QUIET: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_event_filters_behave_as_aws() {
    let zip = fidelity_zip();
    let local = LocalCloud::start("lc-sqs-filter").await;
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
            "FilterCriteria: only matching messages reach the function, the others are deleted",
            |c| async move {
                // "If none of your filters are satisfied, Lambda discards the record"; for SQS, Lambda deletes a
                // message that matches no filter; a JSON body is matched as JSON, a plain one as a string
                // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html,
                // https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html).
                let (url, arn) = c.queue("filtered", &[]).await;
                c.send(
                    &url,
                    &[
                        r#"{"kind":"order","id":1}"#,
                        r#"{"kind":"refund","id":2}"#,
                        "plain-keep",
                        "plain-drop",
                    ],
                )
                .await;
                let (function, file) = c.function("filtered").await;
                c.map(&function, &arn, |m| {
                    m.batch_size(10).filter_criteria(
                        aws_sdk_lambda::types::FilterCriteria::builder()
                            .filters(
                                aws_sdk_lambda::types::Filter::builder()
                                    .pattern(r#"{"body":{"kind":["order"]}}"#)
                                    .build(),
                            )
                            .filters(
                                aws_sdk_lambda::types::Filter::builder()
                                    .pattern(r#"{"body":["plain-keep"]}"#)
                                    .build(),
                            )
                            .build(),
                    )
                })
                .await;
                wait_batches(&file, 1, Duration::from_secs(20)).await;
                c.wait_empty(&url, Duration::from_secs(10)).await;
                tokio::time::sleep(QUIET).await;
                let got = batches(&file);
                let mut delivered: Vec<&str> = got.iter().flat_map(|b| bodies(b)).collect();
                delivered.sort();
                assert_eq!(
                    delivered,
                    ["plain-keep", r#"{"kind":"order","id":1}"#],
                    "{got:?}"
                );
                // Discarded ones are gone from the queue, not waiting out a visibility timeout.
                assert_eq!(c.counts(&url).await, ("0".to_owned(), "0".to_owned()));
            },
        )
        .await;

    let clean = cases.all_passed();
    local.stop(clean).await;
    cases.finish();
}
