//! Step Functions executions whose Lambda tasks run on the `local-cloud serve` daemon's runtime, deployed with the
//! AWS CLI: a Map state over items calls a function per item, its `Retry` runs a failing item again after the real
//! intervals with the context object's `$$.State.RetryCount` advanced on each attempt
//! (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html), each attempt one
//! `LambdaFunctionScheduled` event of GetExecutionHistory, and its `Catch` puts the function's error (`errorType` as
//! the error name, the error document as the cause) at its `ResultPath`; an error nothing catches fails the
//! execution with them (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). Needs
//! python3 with moto 5.2.1 and the AWS CLI.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::support::{Cases, daemon::Daemon, functions::echo_function_zip};

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:worker";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/states-role";

struct World {
    d: Daemon,
    events: PathBuf,
    map: String,
    single: String,
}

/// The task every machine runs: the echo function with the item and the attempt's retry count (the echo function
/// fails with `Boom` when its event has `"fail"`), retried twice on `Boom` (1 s, then 2 s).
fn task(next: Value) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": FUNCTION_ARN,
        "Parameters": {"item.$": "$", "retry.$": "$$.State.RetryCount"},
        "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2}],
    });
    task.as_object_mut()
        .unwrap()
        .extend(next.as_object().unwrap().clone());
    task
}

fn create_machine(d: &Daemon, name: &str, definition: &Value) -> String {
    let out = d.aws_ok(&[
        "stepfunctions",
        "create-state-machine",
        "--name",
        name,
        "--role-arn",
        ROLE_ARN,
        "--definition",
        &definition.to_string(),
    ]);
    out["stateMachineArn"].as_str().unwrap().to_owned()
}

/// Starts an execution and waits (up to 30 s) until it is no longer RUNNING: its DescribeExecution and its history.
fn run(d: &Daemon, machine: &str, input: &Value) -> (Value, Vec<Value>) {
    let started = d.aws_ok(&[
        "stepfunctions",
        "start-execution",
        "--state-machine-arn",
        machine,
        "--input",
        &input.to_string(),
    ]);
    let arn = started["executionArn"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let described = loop {
        let described = d.aws_ok(&[
            "stepfunctions",
            "describe-execution",
            "--execution-arn",
            arn,
        ]);
        if described["status"] != "RUNNING" || Instant::now() > deadline {
            break described;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let history = d.aws_ok(&[
        "stepfunctions",
        "get-execution-history",
        "--execution-arn",
        arn,
    ]);
    (described, history["events"].as_array().unwrap().clone())
}

/// The `LambdaFunctionScheduled` events of a history: their inputs, and their timestamps (seconds).
fn scheduled(events: &[Value]) -> Vec<(Value, f64)> {
    events
        .iter()
        .filter(|e| e["type"] == "LambdaFunctionScheduled")
        .map(|e| {
            let input = e["lambdaFunctionScheduledEventDetails"]["input"]
                .as_str()
                .unwrap();
            // AWS CLI v1 prints an ISO 8601 time, v2 may print epoch seconds.
            let at = e["timestamp"].as_f64().unwrap_or_else(|| {
                let text = e["timestamp"].as_str().unwrap_or_default();
                chrono::DateTime::parse_from_rfc3339(text)
                    .unwrap_or_else(|err| panic!("timestamp {text}: {err}"))
                    .timestamp_micros() as f64
                    / 1e6
            });
            (serde_json::from_str(input).unwrap(), at)
        })
        .collect()
}

#[test]
fn lambda_tasks_retries_and_catches_as_aws_runs_them() {
    let d = Daemon::start();
    let zip = echo_function_zip(&d.dir);
    let events = d.dir.join("events.log");
    for (role, service) in [
        ("echo-role", "lambda.amazonaws.com"),
        ("states-role", "states.amazonaws.com"),
    ] {
        let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]});
        d.aws_ok(&[
            "iam",
            "create-role",
            "--role-name",
            role,
            "--assume-role-policy-document",
            &trust.to_string(),
        ]);
    }
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
        "arn:aws:iam::123456789012:role/echo-role",
        "--zip-file",
        &format!("fileb://{}", zip.display()),
        "--environment",
        &format!("Variables={{EVENTS_FILE={}}}", events.display()),
    ]);
    let map = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Call", "States": {
                "Call": task(json!({"End": true,
                    "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Caught"}]})),
                "Caught": {"Type": "Pass", "End": true}}}}}});
    let single = json!({"StartAt": "Call", "States": {"Call": task(json!({"End": true}))}});
    let mut cases = Cases::new(World {
        map: create_machine(&d, "map-retry-catch", &map),
        single: create_machine(&d, "retry-only", &single),
        d,
        events,
    });

    cases.blocking(
        "a Map of two items: the good one runs once, the failing one three times (1 s, then 2 s apart), then is caught",
        |w| {
            let input = json!({"items": [{"id": "good"}, {"id": "bad", "fail": true}]});
            let (described, history) = run(&w.d, &w.map, &input);
            assert_eq!(described["status"], "SUCCEEDED", "{described}");
            let output: Value = serde_json::from_str(described["output"].as_str().unwrap()).unwrap();
            assert_eq!(
                output[0],
                json!({"got": {"item": {"id": "good"}, "retry": 0}}),
                "the function's answer is the task's output: {output}"
            );
            let caught = &output[1];
            assert_eq!(caught["id"], "bad", "the Catch keeps the item: {output}");
            assert_eq!(caught["error"]["Error"], "Boom", "{output}");
            let cause: Value =
                serde_json::from_str(caught["error"]["Cause"].as_str().unwrap()).unwrap();
            assert_eq!(cause["errorMessage"], "asked to fail", "{output}");

            let attempts = scheduled(&history);
            let bad: Vec<&(Value, f64)> = attempts
                .iter()
                .filter(|(input, _)| input["item"]["id"] == "bad")
                .collect();
            assert_eq!(attempts.len(), 4, "one event per attempt: {attempts:?}");
            assert_eq!(
                bad.iter().map(|(input, _)| input["retry"].clone()).collect::<Vec<_>>(),
                [json!(0), json!(1), json!(2)],
                "$$.State.RetryCount counts the retries"
            );
            let gaps = [bad[1].1 - bad[0].1, bad[2].1 - bad[1].1];
            assert!(
                (0.9..1.9).contains(&gaps[0]) && (1.9..3.5).contains(&gaps[1]),
                "IntervalSeconds 1, then x BackoffRate 2: {gaps:?}"
            );
            let ran = std::fs::read_to_string(&w.events).unwrap();
            assert_eq!(
                ran.lines().count(),
                4,
                "the function itself ran once per attempt:\n{ran}"
            );
        },
    );

    cases.blocking(
        "an error that outlives its retries and nothing catches fails the execution with it",
        |w| {
            let (described, history) = run(&w.d, &w.single, &json!({"id": "bad", "fail": true}));
            assert_eq!(described["status"], "FAILED", "{described}");
            assert_eq!(described["error"], "Boom", "{described}");
            assert!(
                described["cause"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("asked to fail"),
                "{described}"
            );
            assert_eq!(
                scheduled(&history).len(),
                3,
                "the first attempt and 2 retries"
            );
            assert!(
                history.iter().any(|e| e["type"] == "ExecutionFailed"),
                "{history:?}"
            );
        },
    );

    cases.finish();
}
