//! Functions run by the `local-cloud serve` daemon, deployed with the AWS CLI: invoked through the edge's Invoke
//! API (RequestResponse, a function error, Event, DryRun) and by the invocations moto makes (SNS, an SQS event
//! source mapping, EventBridge rule targets, S3 notifications: the asynchronous ones only with the function's
//! permission for the source). The function is a shell script speaking the Runtime API. Needs python3 with moto
//! 5.2.1 and the AWS CLI.

use std::{path::PathBuf, time::Duration};

use serde_json::{Value, json};

use crate::support::{
    Cases,
    daemon::{Daemon, wait_for_event},
    functions::echo_function_zip,
};

const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:echo";

/// The daemon running the `echo` function, which appends each event to `events`.
struct Echo {
    d: Daemon,
    zip: PathBuf,
    events: PathBuf,
}

impl Echo {
    /// Invokes `echo` with `args` (the payload, the invocation type) through the edge; returns the CLI's
    /// answer and the payload written to a file named after `case`.
    fn invoke(&self, case: &str, args: &[&str]) -> (Value, PathBuf) {
        let out_file = self.d.dir.join(format!("{case}.json"));
        let out = self.d.aws_ok(
            &[
                &["lambda", "invoke", "--function-name", "echo"],
                args,
                &[out_file.to_str().unwrap()],
            ]
            .concat(),
        );
        (out, out_file)
    }
}

/// `lambda add-permission` for `principal` and `source_arn`: S3, SNS and EventBridge invoke only with it.
fn allow(d: &Daemon, sid: &str, principal: &str, source_arn: &str) {
    d.aws_ok(&[
        "lambda",
        "add-permission",
        "--function-name",
        "echo",
        "--statement-id",
        sid,
        "--action",
        "lambda:InvokeFunction",
        "--principal",
        principal,
        "--source-arn",
        source_arn,
    ]);
}

fn read_json(file: &PathBuf) -> Value {
    serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
}

#[test]
fn runs_functions_for_the_invoke_api_and_for_invocations_moto_makes() {
    let d = Daemon::start();
    let zip = echo_function_zip(&d.dir);
    let events = d.dir.join("events.log");
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
        "echo",
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
    let mut cases = Cases::new(Echo { d, zip, events });

    cases.blocking("RequestResponse through the edge's Invoke API", |e| {
        let (out, out_file) = e.invoke("request-response", &["--payload", r#"{"hello":"edge"}"#]);
        assert_eq!(out["StatusCode"], 200, "{out}");
        assert_eq!(out["ExecutedVersion"], "$LATEST", "{out}");
        assert_eq!(read_json(&out_file), json!({"got": {"hello": "edge"}}));
    });
    cases.blocking(
        "a function error: 200 with X-Amz-Function-Error: Unhandled and the error payload",
        |e| {
            let (out, out_file) = e.invoke("error", &["--payload", r#"{"fail":true}"#]);
            assert_eq!(out["FunctionError"], "Unhandled", "{out}");
            let payload = read_json(&out_file);
            assert_eq!(payload["errorType"], "Boom", "{payload}");
            // What the caller gets names no log group; the daemon's line for the failure does.
            let log = e.d.log();
            assert!(
                log.contains(
                    "function echo failed (Boom: asked to fail); its output is in log group /aws/lambda/echo"
                ),
                "{log}"
            );
        },
    );
    cases.blocking("Event: 202 at once, run in the background", |e| {
        let args = [
            "--invocation-type",
            "Event",
            "--payload",
            r#"{"async":"yes"}"#,
        ];
        let (out, _) = e.invoke("event", &args);
        assert_eq!(out["StatusCode"], 202, "{out}");
        wait_for_event(&e.events, r#"{"async":"yes"}"#, Duration::from_secs(10));
    });
    cases.blocking("DryRun: 204", |e| {
        let dry = e.d.aws_ok(&[
            "lambda",
            "invoke",
            "--function-name",
            "echo",
            "--invocation-type",
            "DryRun",
            "/dev/null",
        ]);
        assert_eq!(dry["StatusCode"], 204, "{dry}");
    });

    // moto's own invocations reach the function through the launcher.
    cases.blocking("an SNS subscription", |e| {
        let d = &e.d;
        let topic = d.aws_ok(&["sns", "create-topic", "--name", "echo-topic"])["TopicArn"]
            .as_str()
            .unwrap()
            .to_owned();
        allow(d, "sns", "sns.amazonaws.com", &topic);
        d.aws_ok(&[
            "sns",
            "subscribe",
            "--topic-arn",
            &topic,
            "--protocol",
            "lambda",
            "--notification-endpoint",
            ARN,
        ]);
        d.aws_ok(&[
            "sns",
            "publish",
            "--topic-arn",
            &topic,
            "--message",
            "from-sns",
        ]);
        wait_for_event(
            &e.events,
            r#""EventSource": "aws:sns""#,
            Duration::from_secs(10),
        );
    });
    cases.blocking("an SQS event source mapping", |e| {
        let d = &e.d;
        let queue = d.aws_ok(&["sqs", "create-queue", "--queue-name", "echo-queue"])["QueueUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        let queue_arn = d.aws_ok(&[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &queue,
            "--attribute-names",
            "QueueArn",
        ])["Attributes"]["QueueArn"]
            .as_str()
            .unwrap()
            .to_owned();
        d.aws_ok(&[
            "lambda",
            "create-event-source-mapping",
            "--function-name",
            "echo",
            "--event-source-arn",
            &queue_arn,
        ]);
        d.aws_ok(&[
            "sqs",
            "send-message",
            "--queue-url",
            &queue,
            "--message-body",
            "from-sqs",
        ]);
        wait_for_event(&e.events, r#""body":"from-sqs""#, Duration::from_secs(10));
    });
    cases.blocking(
        "EventBridge rule targets (added by the launcher: moto 5.2.1 has no Lambda targets)",
        |e| {
            let d = &e.d;
            let rule = d.aws_ok(&[
                "events",
                "put-rule",
                "--name",
                "echo-rule",
                "--event-pattern",
                r#"{"source":["edge.test"]}"#,
            ])["RuleArn"]
                .as_str()
                .unwrap()
                .to_owned();
            allow(d, "events", "events.amazonaws.com", &rule);
            d.aws_ok(&[
                "events",
                "put-targets",
                "--rule",
                "echo-rule",
                "--targets",
                &format!("Id=1,Arn={ARN}"),
            ]);
            let entries =
                r#"[{"Source":"edge.test","DetailType":"t","Detail":"{\"from\":\"eventbridge\"}"}]"#;
            d.aws_ok(&["events", "put-events", "--entries", entries]);
            let all = wait_for_event(
                &e.events,
                r#""from": "eventbridge""#,
                Duration::from_secs(10),
            );
            let event: Value =
                serde_json::from_str(all.lines().find(|l| l.contains("eventbridge")).unwrap())
                    .unwrap();
            assert_eq!(
                (&event["source"], &event["detail-type"]),
                (&"edge.test".into(), &"t".into()),
                "{event}"
            );
            assert!(
                event["time"].as_str().is_some_and(|t| t.ends_with('Z')),
                "ISO 8601 time as AWS sends: {event}"
            );
            assert!(event.get("ingestion-time").is_none(), "{event}");
        },
    );
    cases.blocking("S3 notifications", |e| {
        let d = &e.d;
        d.aws_ok(&["s3api", "create-bucket", "--bucket", "echo-bucket"]);
        allow(d, "s3", "s3.amazonaws.com", "arn:aws:s3:::echo-bucket");
        let notification = format!(
            r#"{{"LambdaFunctionConfigurations":[{{"LambdaFunctionArn":"{ARN}","Events":["s3:ObjectCreated:*"]}}]}}"#
        );
        d.aws_ok(&[
            "s3api",
            "put-bucket-notification-configuration",
            "--bucket",
            "echo-bucket",
            "--notification-configuration",
            &notification,
        ]);
        d.aws_ok(&[
            "s3api",
            "put-object",
            "--bucket",
            "echo-bucket",
            "--key",
            "k1",
            "--body",
            &e.zip.display().to_string(),
        ]);
        wait_for_event(
            &e.events,
            r#""eventSource": "aws:s3""#,
            Duration::from_secs(10),
        );
    });
    cases.blocking(
        "S3 without the function's permission for the bucket: not invoked, and the daemon says why",
        |e| {
            let d = &e.d;
            d.aws_ok(&["s3api", "create-bucket", "--bucket", "unallowed-bucket"]);
            let notification = format!(
                r#"{{"LambdaFunctionConfigurations":[{{"LambdaFunctionArn":"{ARN}","Events":["s3:ObjectCreated:*"]}}]}}"#
            );
            d.aws_ok(&[
                "s3api",
                "put-bucket-notification-configuration",
                "--bucket",
                "unallowed-bucket",
                "--notification-configuration",
                &notification,
            ]);
            d.aws_ok(&[
                "s3api",
                "put-object",
                "--bucket",
                "unallowed-bucket",
                "--key",
                "not-for-echo",
                "--body",
                &e.zip.display().to_string(),
            ]);
            let wanted = "s3.amazonaws.com for arn:aws:s3:::unallowed-bucket may not invoke the function";
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !d.log().contains(wanted) {
                assert!(std::time::Instant::now() < deadline, "no `{wanted}` line:\n{}", d.log());
                std::thread::sleep(Duration::from_millis(100));
            }
            let events = std::fs::read_to_string(&e.events).unwrap_or_default();
            assert!(!events.contains("unallowed-bucket"), "{events}");
        },
    );
    // Last: it stops the daemon.
    cases.blocking("SIGTERM stops the daemon running functions", |e| {
        e.d.signal("-TERM");
        assert!(
            e.d.wait_exit(Duration::from_secs(20)).success(),
            "{}",
            e.d.log()
        );
    });
    cases.finish();
}
