//! Asynchronous invocation run by the `local-cloud serve` daemon (its default `--async-speedup` of 60: AWS's
//! minutes are seconds here), deployed with the AWS CLI: a Lambda function as the on-success and on-failure
//! destination, and an event that expires (`MaximumEventAgeInSeconds`) before its retry. The record shapes are
//! AWS's (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html). Needs python3 with
//! moto 5.2.1 and the AWS CLI.

use std::{path::Path, time::Duration};

use serde_json::Value;

use crate::support::{
    Cases,
    daemon::{Daemon, wait_for_event},
    functions::echo_function_zip,
};

/// Creates the echo function `name` (which appends each event to `events`).
fn create(d: &Daemon, zip: &Path, name: &str, events: &Path) {
    d.aws_ok(&[
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        "provided.al2023",
        "--handler",
        "bootstrap",
        "--role",
        "arn:aws:iam::123456789012:role/echo-role",
        "--zip-file",
        &format!("fileb://{}", zip.display()),
        "--environment",
        &format!("Variables={{EVENTS_FILE={}}}", events.display()),
    ]);
}

/// The records the `recorder` function received, once one satisfies `wanted`.
fn record(events: &Path, needle: &str) -> Value {
    let all = wait_for_event(events, needle, Duration::from_secs(15));
    let line = all.lines().find(|l| l.contains(needle)).unwrap();
    serde_json::from_str(line).unwrap()
}

struct World {
    d: Daemon,
    source_events: std::path::PathBuf,
    records: std::path::PathBuf,
}

#[test]
fn destinations_and_event_age_as_aws_does() {
    let d = Daemon::start();
    let zip = echo_function_zip(&d.dir);
    let (source_events, records) = (d.dir.join("source.log"), d.dir.join("records.log"));
    d.aws_ok(&[
        "iam",
        "create-role",
        "--role-name",
        "echo-role",
        "--assume-role-policy-document",
        "{}",
    ]);
    create(&d, &zip, "source", &source_events);
    create(&d, &zip, "recorder", &records);
    let recorder = "arn:aws:lambda:us-east-1:123456789012:function:recorder";
    d.aws_ok(&[
        "lambda",
        "put-function-event-invoke-config",
        "--function-name",
        "source",
        "--maximum-event-age-in-seconds",
        "60",
        "--destination-config",
        &format!(
            r#"{{"OnSuccess":{{"Destination":"{recorder}"}},"OnFailure":{{"Destination":"{recorder}"}}}}"#
        ),
    ]);
    let mut cases = Cases::new(World {
        d,
        source_events,
        records,
    });

    cases.blocking(
        "a success: the on-success Lambda destination gets the record",
        |w| {
            let out = w.d.aws_ok(&[
                "lambda",
                "invoke",
                "--function-name",
                "source",
                "--invocation-type",
                "Event",
                "--payload",
                r#"{"order":"ok-1"}"#,
                "/dev/null",
            ]);
            assert_eq!(out["StatusCode"], 202, "{out}");
            let r = record(&w.records, "ok-1");
            assert_eq!(r["version"], "1.0", "{r}");
            assert_eq!(r["requestContext"]["condition"], "Success", "{r}");
            assert_eq!(r["requestContext"]["approximateInvokeCount"], 1, "{r}");
            assert_eq!(
                r["requestContext"]["functionArn"],
                "arn:aws:lambda:us-east-1:123456789012:function:source:$LATEST",
                "{r}"
            );
            assert_eq!(
                r["requestPayload"],
                serde_json::json!({"order": "ok-1"}),
                "{r}"
            );
            assert_eq!(
                r["responseContext"],
                serde_json::json!({"statusCode": 200, "executedVersion": "$LATEST"}),
                "{r}"
            );
            assert_eq!(
                r["responsePayload"],
                serde_json::json!({"got": {"order": "ok-1"}}),
                "{r}"
            );
        },
    );
    cases.blocking(
        "MaximumEventAgeInSeconds = 60 (1 s here): the event expires before its first retry (1 minute, 1 s here)",
        |w| {
            w.d.aws_ok(&[
                "lambda",
                "invoke",
                "--function-name",
                "source",
                "--invocation-type",
                "Event",
                "--payload",
                r#"{"order":"old-1","fail":true}"#,
                "/dev/null",
            ]);
            let r = record(&w.records, "old-1");
            assert_eq!(r["requestContext"]["condition"], "EventAgeExceeded", "{r}");
            assert_eq!(r["requestContext"]["approximateInvokeCount"], 1, "{r}");
            assert_eq!(r["responseContext"]["functionError"], "Unhandled", "{r}");
            assert_eq!(r["responsePayload"]["errorType"], "Boom", "{r}");
            let runs = std::fs::read_to_string(&w.source_events).unwrap_or_default();
            assert_eq!(runs.matches("old-1").count(), 1, "run once: {runs}");
        },
    );
    // Last: SIGTERM stops the daemon and the function instances it started (a killed daemon would leave them).
    cases.blocking("SIGTERM stops the daemon and its functions", |w| {
        w.d.signal("-TERM");
        assert!(
            w.d.wait_exit(Duration::from_secs(20)).success(),
            "{}",
            w.d.log()
        );
    });
    cases.finish();
}
