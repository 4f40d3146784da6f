//! The AWS checks through the AWS CLI: send a queue message, an S3 object, an EventBridge event, an SNS message
//! or a DynamoDB item, then assert its effect in a DynamoDB item, a CloudWatch Logs group, a queue or an S3
//! object, retried until `within` (asynchronous triggers). `cargo xtask verify` runs the same checks through
//! the SDK.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::{
    Check, Values, answer, args,
    check::Send,
    cli::Cli,
    placeholders::{expand, expand_json},
    poll::Backoff,
};

pub fn run(check: &Check, values: &Values, cli: &Cli) -> Result<String> {
    let mut done = Vec::new();
    if let Some(send) = &check.send {
        done.push(send_one(cli, send, values)?);
    }
    let deadline = Instant::now() + check.within();
    let mut backoff = Backoff::default();
    loop {
        match assert_once(cli, check, values) {
            Ok(detail) => {
                done.push(detail);
                return Ok(done.join("; "));
            }
            Err(_) if Instant::now() < deadline => backoff.wait_until(deadline),
            Err(err) if check.within().is_zero() => return Err(err),
            Err(err) => {
                return Err(err.context(format!("still failing after {:?}", check.within())));
            }
        }
    }
}

fn send_one(cli: &Cli, send: &Send, values: &Values) -> Result<String> {
    let x = |s: &str| expand(s, values);
    let text = |field: &Option<String>| x(field.as_deref().unwrap_or_default());
    if let (Some(queue), Some(bodies)) = (&send.sqs, &send.bodies) {
        let queue = x(queue)?;
        let entries = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| Ok(json!({ "Id": i.to_string(), "MessageBody": x(body)? })))
            .collect::<Result<Vec<_>>>()?;
        let entries = serde_json::to_string(&entries)?;
        let out = cli.call(
            "sqs",
            "send-message-batch",
            &args!["--queue-url", queue.as_str(), "--entries", entries],
        )?;
        if let Some(failed) = out["Failed"].as_array().and_then(|f| f.first()) {
            bail!("SendMessageBatch to {queue}: a message was refused: {failed}");
        }
        return Ok(format!("sent {} messages to {queue}", bodies.len()));
    }
    if let Some(queue) = &send.sqs {
        let queue = x(queue)?;
        cli.call(
            "sqs",
            "send-message",
            &args![
                "--queue-url",
                queue.as_str(),
                "--message-body",
                text(&send.body)?
            ],
        )?;
        return Ok(format!("sent a message to {queue}"));
    }
    if let Some(bucket) = &send.s3 {
        let (bucket, key) = (x(bucket)?, text(&send.key)?);
        let body = cli.file("object", text(&send.body)?.as_bytes())?;
        cli.call(
            "s3api",
            "put-object",
            &args![
                "--bucket",
                bucket.as_str(),
                "--key",
                key.as_str(),
                "--body",
                body.display().to_string()
            ],
        )?;
        return Ok(format!("put s3://{bucket}/{key}"));
    }
    if let Some(topic) = &send.sns {
        let topic = x(topic)?;
        let mut call = args![
            "--topic-arn",
            topic.as_str(),
            "--message",
            text(&send.message)?
        ]
        .to_vec();
        if let Some(attributes) = &send.attributes {
            let attributes = attributes
                .iter()
                .map(|(name, value)| {
                    Ok((
                        name.clone(),
                        json!({ "DataType": "String", "StringValue": x(value)? }),
                    ))
                })
                .collect::<Result<serde_json::Map<_, _>>>()?;
            call.extend(args![
                "--message-attributes",
                Value::Object(attributes).to_string()
            ]);
        }
        let out = cli.call("sns", "publish", &call)?;
        return Ok(format!("published message {} to {topic}", out["MessageId"]));
    }
    if let (Some(table), Some(item)) = (&send.dynamodb, &send.item) {
        let table = x(table)?;
        let item = Value::Object(answer::item(item, values)?).to_string();
        cli.call(
            "dynamodb",
            "put-item",
            &args!["--table-name", table.as_str(), "--item", item],
        )?;
        return Ok(format!("put an item into {table}"));
    }
    let bus = x(send.eventbridge.as_deref().context("send needs a target")?)?;
    let entry = json!([{
        "EventBusName": bus, "Source": text(&send.source)?, "DetailType": text(&send.detail_type)?,
        "Detail": text(&send.detail)?
    }]);
    let out = cli.call(
        "events",
        "put-events",
        &args!["--entries", entry.to_string()],
    )?;
    if out["FailedEntryCount"].as_u64().unwrap_or_default() > 0 {
        bail!(
            "PutEvents on {bus}: the event was refused: {}",
            out["Entries"]
        );
    }
    Ok(format!("put an event on {bus}"))
}

fn assert_once(cli: &Cli, check: &Check, values: &Values) -> Result<String> {
    let x = |s: &str| expand(s, values);
    let expected = || -> Result<Option<Value>> {
        check
            .json
            .as_ref()
            .map(|j| expand_json(&serde_json::to_value(j)?, values))
            .transpose()
    };
    let mut done = Vec::new();
    if let Some(d) = &check.dynamodb {
        let table = x(&d.table)?;
        let key = Value::Object(answer::item(&d.key, values)?).to_string();
        let out = cli.call(
            "dynamodb",
            "get-item",
            &args![
                "--table-name",
                table.as_str(),
                "--key",
                key,
                "--consistent-read"
            ],
        )?;
        let item = out["Item"].as_object().map(answer::item_json);
        match (item, d.absent) {
            (None, true) => done.push(format!("{table}: no item at the key, as expected")),
            (Some(item), true) => bail!("{table}: an item is still there: {item}"),
            (None, false) => bail!("{table}: no item at the key"),
            (Some(item), false) => {
                if let Some(expected) = expected()?
                    && let Err(path) = answer::contains(&item, &expected, "")
                {
                    bail!(
                        "{table}: the item differs at `{path}`; expected {expected}, item: {item}"
                    );
                }
                done.push(format!("{table}: the item is there"));
            }
        }
    }
    if let Some(logs) = &check.log_contains {
        let (group, text) = (x(&logs.group)?, x(&logs.text)?);
        // The CLI follows every page itself.
        let out = cli.call(
            "logs",
            "filter-log-events",
            &args!["--log-group-name", group.as_str()],
        )?;
        let found = out["events"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["message"].as_str().is_some_and(|m| m.contains(&text)));
        if !found {
            bail!("log group {group} has no line containing {text:?}");
        }
        done.push(format!("{group} logged {text:?}"));
    }
    if let Some(object) = &check.s3_object {
        let (bucket, key) = (x(&object.bucket)?, x(&object.key)?);
        let file = cli.path("read-object");
        cli.call(
            "s3api",
            "get-object",
            &args![
                "--bucket",
                bucket.as_str(),
                "--key",
                key.as_str(),
                file.display().to_string()
            ],
        )?;
        let bytes = std::fs::read(&file).with_context(|| format!("reading s3://{bucket}/{key}"))?;
        answer::answer_matches(check, &String::from_utf8_lossy(&bytes), values)
            .with_context(|| format!("s3://{bucket}/{key}"))?;
        done.push(format!("s3://{bucket}/{key} read ({} bytes)", bytes.len()));
    }
    if let Some(q) = &check.queue_holds {
        done.push(queue_holds(
            cli,
            &x(&q.queue)?,
            &x(&q.body_contains)?,
            expected()?.as_ref(),
        )?);
    }
    Ok(done.join("; "))
}

/// Whether `queue` holds a message whose body contains `text` (and, with `json`, is a JSON document containing
/// it), received with a visibility timeout of 0 so that it stays visible.
fn queue_holds(cli: &Cli, queue: &str, text: &str, json: Option<&Value>) -> Result<String> {
    let matches = |body: &str| answer::message_matches(body, text, json);
    let mut seen = 0;
    // A standard queue answers each receive from a sample of its servers: a few receives see the rest.
    for _ in 0..5 {
        let out = cli.call(
            "sqs",
            "receive-message",
            &args![
                "--queue-url",
                queue,
                "--max-number-of-messages",
                "10",
                "--visibility-timeout",
                "0",
                "--wait-time-seconds",
                "1"
            ],
        )?;
        let messages = out["Messages"].as_array().cloned().unwrap_or_default();
        seen += messages.len();
        if messages
            .iter()
            .any(|m| m["Body"].as_str().is_some_and(matches))
        {
            return Ok(format!("{queue} holds a message containing {text:?}"));
        }
    }
    bail!("{queue} holds no message containing {text:?} ({seen} received)")
}
