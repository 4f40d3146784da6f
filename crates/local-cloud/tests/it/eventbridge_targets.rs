//! EventBridge rule targets delivered by the `local-cloud serve` daemon as AWS delivers them, deployed with the
//! AWS CLI: a custom bus and a content-filtering rule (numeric range, prefix, anything-but) whose Lambda target
//! has `InputPath`, a `RetryPolicy` and a target dead-letter queue. Without the `lambda:InvokeFunction`
//! permission the event is not delivered and goes to the DLQ at once with AWS's attributes
//! (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html: "for errors that result from
//! missing permissions to a target ... EventBridge sends these events directly to the DLQ"); with it, a matching
//! event runs the function and a non-matching one does not. A malformed pattern is refused naming the field, and
//! a scheduled rule fires (the daemon runs with `LOCAL_CLOUD_SCHEDULE_SPEEDUP=60`: a minute is a second). Needs
//! python3 with moto 5.2.1 and the AWS CLI.

use std::{path::PathBuf, time::Duration};

use serde_json::{Value, json};

use crate::support::{
    Cases,
    daemon::{Daemon, wait_for_event},
    functions::echo_function_zip,
};

const ACCOUNT: &str = "123456789012";
const PATTERN: &str = r#"{"source":["shop.orders"],"detail":{"orderId":[{"prefix":"ord-"}],
    "total":[{"numeric":[">",100,"<=",1000]}],"status":[{"anything-but":["cancelled"]}]}}"#;

struct World {
    d: Daemon,
    events: PathBuf,
    dlq_url: String,
    rule_arn: String,
}

fn put_order(d: &Daemon, order: &str, total: u32, status: &str) {
    let detail = json!({"orderId": order, "total": total, "status": status}).to_string();
    let entries = json!([{"Source": "shop.orders", "DetailType": "Order placed", "Detail": detail,
        "EventBusName": "orders-bus"}]);
    let out = d.aws_ok(&["events", "put-events", "--entries", &entries.to_string()]);
    assert_eq!(out["FailedEntryCount"], 0, "{out}");
}

/// The DLQ's next message (waiting up to 10 s), with its attributes as a map of strings.
fn dead_letter(d: &Daemon, url: &str) -> (Value, serde_json::Map<String, Value>) {
    let out = d.aws_ok(&[
        "sqs",
        "receive-message",
        "--queue-url",
        url,
        "--wait-time-seconds",
        "10",
        "--message-attribute-names",
        "All",
    ]);
    let message = &out["Messages"][0];
    let attributes = message["MessageAttributes"]
        .as_object()
        .unwrap_or_else(|| panic!("no message in the DLQ: {out}"))
        .iter()
        .map(|(k, v)| (k.clone(), v["StringValue"].clone()))
        .collect();
    let body = serde_json::from_str(message["Body"].as_str().unwrap()).unwrap();
    (body, attributes)
}

fn deploy(d: &Daemon, events: &std::path::Path) -> (String, String) {
    let zip = echo_function_zip(&d.dir);
    d.aws_ok(&[
        "iam",
        "create-role",
        "--role-name",
        "echo-role",
        "--assume-role-policy-document",
        "{}",
    ]);
    d.aws_ok(&[
        "lambda",
        "create-function",
        "--function-name",
        "worker",
        "--runtime",
        "provided.al2023",
        "--handler",
        "bootstrap",
        "--role",
        &format!("arn:aws:iam::{ACCOUNT}:role/echo-role"),
        "--zip-file",
        &format!("fileb://{}", zip.display()),
        "--environment",
        &format!("Variables={{EVENTS_FILE={}}}", events.display()),
    ]);
    d.aws_ok(&["events", "create-event-bus", "--name", "orders-bus"]);
    let rule = d.aws_ok(&[
        "events",
        "put-rule",
        "--name",
        "orders",
        "--event-bus-name",
        "orders-bus",
        "--event-pattern",
        PATTERN,
    ]);
    let rule_arn = rule["RuleArn"].as_str().unwrap().to_owned();
    let dlq_url = d.aws_ok(&["sqs", "create-queue", "--queue-name", "orders-dlq"])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let dlq_arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:orders-dlq");
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": dlq_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]});
    let attributes = json!({"Policy": policy.to_string()}).to_string();
    d.aws_ok(&[
        "sqs",
        "set-queue-attributes",
        "--queue-url",
        &dlq_url,
        "--attributes",
        &attributes,
    ]);
    let targets = json!([{"Id": "worker", "Arn": format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker"),
        "InputPath": "$.detail", "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
        "DeadLetterConfig": {"Arn": dlq_arn}}]);
    d.aws_ok(&[
        "events",
        "put-targets",
        "--rule",
        "orders",
        "--event-bus-name",
        "orders-bus",
        "--targets",
        &targets.to_string(),
    ]);
    (rule_arn, dlq_url)
}

#[test]
fn rule_targets_as_aws_delivers_them() {
    let d = Daemon::start_with_env(&[("LOCAL_CLOUD_SCHEDULE_SPEEDUP", "60")]);
    let events = d.dir.join("worker.log");
    let (rule_arn, dlq_url) = deploy(&d, &events);
    let mut cases = Cases::new(World {
        d,
        events,
        dlq_url,
        rule_arn,
    });

    cases.blocking(
        "no lambda:InvokeFunction permission: not invoked, the event in the target DLQ with AWS's attributes",
        |w| {
            put_order(&w.d, "ord-1", 150, "placed");
            let (body, attributes) = dead_letter(&w.d, &w.dlq_url);
            assert_eq!(attributes["ERROR_CODE"], "NO_PERMISSIONS", "{attributes:?}");
            assert_eq!(attributes["RULE_ARN"], w.rule_arn.as_str());
            assert_eq!(
                attributes["TARGET_ARN"],
                format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker").as_str()
            );
            assert_eq!(attributes["RETRY_ATTEMPTS"], "0", "not retried: {attributes:?}");
            assert_eq!(body["detail"]["orderId"], "ord-1", "the event itself: {body}");
            let runs = std::fs::read_to_string(&w.events).unwrap_or_default();
            assert!(!runs.contains("ord-1"), "the function ran: {runs}");
        },
    );
    cases.blocking(
        "with the permission: a matching event reaches the function (its InputPath), a non-matching one does not",
        |w| {
            w.d.aws_ok(&[
                "lambda",
                "add-permission",
                "--function-name",
                "worker",
                "--statement-id",
                "orders-rule",
                "--action",
                "lambda:InvokeFunction",
                "--principal",
                "events.amazonaws.com",
                "--source-arn",
                &w.rule_arn,
            ]);
            put_order(&w.d, "ord-2", 5000, "placed"); // above the numeric range
            put_order(&w.d, "ord-3", 150, "cancelled"); // anything-but
            put_order(&w.d, "x-4", 150, "placed"); // prefix
            put_order(&w.d, "ord-5", 150, "placed");
            let runs = wait_for_event(&w.events, "ord-5", Duration::from_secs(15));
            let got: Value =
                serde_json::from_str(runs.lines().find(|l| l.contains("ord-5")).unwrap()).unwrap();
            assert_eq!(
                got,
                json!({"orderId": "ord-5", "total": 150, "status": "placed"}),
                "InputPath $.detail"
            );
            for other in ["ord-2", "ord-3", "x-4"] {
                assert!(!runs.contains(other), "{other} matched: {runs}");
            }
        },
    );
    cases.blocking("a malformed pattern is refused, naming the field", |w| {
        let out = w.d.aws(&[
            "events",
            "put-rule",
            "--name",
            "bad",
            "--event-pattern",
            r#"{"detail":{"total":[{"numeric":[">","100"]}]}}"#,
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains("InvalidEventPatternException"), "{stderr}");
        assert!(stderr.contains("detail.total"), "{stderr}");
    });
    cases.blocking("a scheduled rule fires (rate(1 minute), a second here)", |w| {
        w.d.aws_ok(&[
            "events",
            "put-rule",
            "--name",
            "tick",
            "--schedule-expression",
            "rate(1 minute)",
        ]);
        w.d.aws_ok(&[
            "lambda",
            "add-permission",
            "--function-name",
            "worker",
            "--statement-id",
            "tick-rule",
            "--action",
            "lambda:InvokeFunction",
            "--principal",
            "events.amazonaws.com",
            "--source-arn",
            &format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/tick"),
        ]);
        let targets = json!([{"Id": "worker", "Arn": format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker")}]);
        w.d.aws_ok(&["events", "put-targets", "--rule", "tick", "--targets", &targets.to_string()]);
        let runs = wait_for_event(&w.events, "Scheduled Event", Duration::from_secs(15));
        let got: Value = serde_json::from_str(
            runs.lines().find(|l| l.contains("Scheduled Event")).unwrap(),
        )
        .unwrap();
        assert_eq!(got["source"], "aws.events", "{got}");
        assert_eq!(got["detail"], json!({}), "{got}");
        assert_eq!(got["resources"][0], format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/tick").as_str());
    });
    cases.finish();
}
