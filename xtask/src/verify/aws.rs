//! AWS checks through the SDK: send a queue message, an S3 object, an EventBridge event, an SNS message or a
//! DynamoDB item, then assert its effect in a DynamoDB item, a CloudWatch Logs group, a queue or an S3 object,
//! retried until `within` (asynchronous triggers).
//! Over 400 lines: about half is its unit tests, beside the checks they exercise.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::error::DisplayErrorContext;
use serde_json::Value;

use super::{Check, Run, check::Send, contains, placeholders::expand};

pub struct Clients {
    rt: tokio::runtime::Runtime,
    dynamodb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    s3: aws_sdk_s3::Client,
    events: aws_sdk_eventbridge::Client,
    sns: aws_sdk_sns::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

impl Clients {
    /// Clients for the local cloud at `endpoint`, or for AWS when `None`.
    pub fn connect(endpoint: Option<&str>) -> Result<Clients> {
        let rt = crate::aws::sdk::runtime()?;
        let config = rt.block_on(crate::aws::sdk::config(endpoint));
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(endpoint.is_some())
                .build(),
        );
        Ok(Clients {
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            events: aws_sdk_eventbridge::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            s3,
            rt,
        })
    }
}

/// Formats an SDK error with its code and message.
fn sdk<E: std::error::Error>(err: E) -> anyhow::Error {
    anyhow!("{}", DisplayErrorContext(err))
}

pub fn run(check: &Check, run: &mut Run) -> Result<String> {
    let values = run.values.clone();
    let x = |s: &str| expand(s, &values);
    let clients = run.aws()?;
    let mut done = Vec::new();
    if let Some(send) = &check.send {
        done.push(send_one(clients, send, &x)?);
    }
    let deadline = Instant::now() + check.within();
    loop {
        match assert_once(clients, check, &values, &x) {
            Ok(detail) => {
                done.push(detail);
                return Ok(done.join("; "));
            }
            Err(err) if Instant::now() < deadline => {
                tracing::debug!("not yet: {err:#}");
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(err) if check.within().is_zero() => return Err(err),
            Err(err) => {
                return Err(err.context(format!("still failing after {:?}", check.within())));
            }
        }
    }
}

fn send_one(clients: &Clients, send: &Send, x: &dyn Fn(&str) -> Result<String>) -> Result<String> {
    let text = |field: &Option<String>| x(field.as_deref().unwrap_or_default());
    if let (Some(queue), Some(bodies)) = (&send.sqs, &send.bodies) {
        let bodies = bodies
            .iter()
            .map(|b| x(b.as_str()))
            .collect::<Result<Vec<_>>>()?;
        return super::queue::send_batch(&clients.rt, &clients.sqs, &x(queue)?, &bodies);
    }
    if let Some(queue) = &send.sqs {
        let queue = x(queue)?;
        clients
            .rt
            .block_on(
                clients
                    .sqs
                    .send_message()
                    .queue_url(&queue)
                    .message_body(text(&send.body)?)
                    .send(),
            )
            .map_err(sdk)
            .with_context(|| format!("SendMessage to {queue}"))?;
        return Ok(format!("sent a message to {queue}"));
    }
    if let Some(bucket) = &send.s3 {
        let (bucket, key) = (x(bucket)?, text(&send.key)?);
        clients
            .rt
            .block_on(
                clients
                    .s3
                    .put_object()
                    .bucket(&bucket)
                    .key(&key)
                    .body(text(&send.body)?.into_bytes().into())
                    .send(),
            )
            .map_err(sdk)
            .with_context(|| format!("PutObject s3://{bucket}/{key}"))?;
        return Ok(format!("put s3://{bucket}/{key}"));
    }
    if let Some(topic) = &send.sns {
        return publish(clients, &x(topic)?, send, x);
    }
    if let (Some(table), Some(item)) = (&send.dynamodb, &send.item) {
        let table = x(table)?;
        let item = item
            .iter()
            .map(|(name, value)| Ok((name.clone(), attribute(value, x)?)))
            .collect::<Result<std::collections::HashMap<_, _>>>()?;
        clients
            .rt
            .block_on(
                clients
                    .dynamodb
                    .put_item()
                    .table_name(&table)
                    .set_item(Some(item))
                    .send(),
            )
            .map_err(sdk)
            .with_context(|| format!("PutItem into {table}"))?;
        return Ok(format!("put an item into {table}"));
    }
    let bus = x(send.eventbridge.as_deref().context("send needs a target")?)?;
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(&bus)
        .source(text(&send.source)?)
        .detail_type(text(&send.detail_type)?)
        .detail(text(&send.detail)?)
        .build();
    let out = clients
        .rt
        .block_on(clients.events.put_events().entries(entry).send())
        .map_err(sdk)
        .with_context(|| format!("PutEvents on {bus}"))?;
    if out.failed_entry_count() > 0 {
        let why = out
            .entries()
            .iter()
            .filter_map(|e| e.error_message())
            .collect::<Vec<_>>()
            .join("; ");
        bail!("PutEvents on {bus}: the event was refused: {why}");
    }
    Ok(format!("put an event on {bus}"))
}

/// Publish to an SNS topic: the message, with its String attributes (what subscription filter policies match).
fn publish(
    clients: &Clients,
    topic: &str,
    send: &Send,
    x: &dyn Fn(&str) -> Result<String>,
) -> Result<String> {
    let mut request = clients
        .sns
        .publish()
        .topic_arn(topic)
        .message(x(send.message.as_deref().unwrap_or_default())?);
    for (name, value) in send.attributes.iter().flatten() {
        let value = aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(x(value)?)
            .build()
            .context("an SNS message attribute")?;
        request = request.message_attributes(name, value);
    }
    let out = clients
        .rt
        .block_on(request.send())
        .map_err(sdk)
        .with_context(|| format!("Publish to {topic}"))?;
    Ok(format!(
        "published message {} to {topic}",
        out.message_id().unwrap_or_default()
    ))
}

/// A TOML value of `send.item` as a DynamoDB attribute, strings expanded.
fn attribute(value: &toml::Value, x: &dyn Fn(&str) -> Result<String>) -> Result<AttributeValue> {
    Ok(match value {
        toml::Value::String(s) => AttributeValue::S(x(s)?),
        toml::Value::Integer(n) => AttributeValue::N(n.to_string()),
        toml::Value::Float(n) => AttributeValue::N(n.to_string()),
        toml::Value::Boolean(b) => AttributeValue::Bool(*b),
        toml::Value::Array(values) => AttributeValue::L(
            values
                .iter()
                .map(|v| attribute(v, x))
                .collect::<Result<_>>()?,
        ),
        toml::Value::Table(fields) => AttributeValue::M(
            fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), attribute(v, x)?)))
                .collect::<Result<_>>()?,
        ),
        toml::Value::Datetime(d) => AttributeValue::S(d.to_string()),
    })
}

fn assert_once(
    clients: &Clients,
    check: &Check,
    values: &crate::deploy::Outputs,
    x: &dyn Fn(&str) -> Result<String>,
) -> Result<String> {
    let mut done = Vec::new();
    if let Some(d) = &check.dynamodb {
        let table = x(&d.table)?;
        let mut key = std::collections::HashMap::new();
        for (name, value) in &d.key {
            let attribute = match value {
                toml::Value::String(s) => AttributeValue::S(x(s)?),
                toml::Value::Integer(n) => AttributeValue::N(n.to_string()),
                other => bail!("`dynamodb.key.{name}` = {other}: use a string or an integer"),
            };
            key.insert(name.clone(), attribute);
        }
        let out = clients
            .rt
            .block_on(
                clients
                    .dynamodb
                    .get_item()
                    .table_name(&table)
                    .set_key(Some(key))
                    .consistent_read(true)
                    .send(),
            )
            .map_err(sdk)
            .with_context(|| format!("GetItem from {table}"))?;
        let item = out.item().map(item_json);
        match (item, d.absent) {
            (None, true) => done.push(format!("{table}: no item at the key, as expected")),
            (Some(item), true) => bail!("{table}: an item is still there: {item}"),
            (None, false) => bail!("{table}: no item at the key"),
            (Some(item), false) => {
                if let Some(expected) = &check.json {
                    let expected =
                        super::placeholders::expand_json(&serde_json::to_value(expected)?, values)?;
                    if let Err(path) = contains(&item, &expected, "") {
                        bail!(
                            "{table}: the item differs at `{path}`; expected {expected}, item: {item}"
                        );
                    }
                }
                done.push(format!("{table}: the item is there"));
            }
        }
    }
    if let Some(logs) = &check.log_contains {
        let (group, text) = (x(&logs.group)?, x(&logs.text)?);
        let mut token = None;
        let found = loop {
            let out = clients
                .rt
                .block_on(
                    clients
                        .logs
                        .filter_log_events()
                        .log_group_name(&group)
                        .set_next_token(token.take())
                        .send(),
                )
                .map_err(sdk)
                .with_context(|| format!("FilterLogEvents on {group}"))?;
            if out
                .events()
                .iter()
                .any(|e| e.message().is_some_and(|m| m.contains(&text)))
            {
                break true;
            }
            match out.next_token() {
                Some(t) if !out.events().is_empty() => token = Some(t.to_owned()),
                _ => break false,
            }
        };
        if !found {
            bail!("log group {group} has no line containing {text:?}");
        }
        done.push(format!("{group} logged {text:?}"));
    }
    if let Some(object) = &check.s3_object {
        let (bucket, key) = (x(&object.bucket)?, x(&object.key)?);
        let out = clients
            .rt
            .block_on(clients.s3.get_object().bucket(&bucket).key(&key).send())
            .map_err(sdk)
            .with_context(|| format!("GetObject s3://{bucket}/{key}"))?;
        let bytes = clients
            .rt
            .block_on(out.body.collect())
            .with_context(|| format!("reading s3://{bucket}/{key}"))?
            .into_bytes();
        let text = String::from_utf8_lossy(&bytes);
        super::invoke::answer_matches(check, &text, values)
            .with_context(|| format!("s3://{bucket}/{key}"))?;
        done.push(format!("s3://{bucket}/{key} read ({} bytes)", bytes.len()));
    }
    if let Some(q) = &check.queue_holds {
        let (queue, text) = (x(&q.queue)?, x(&q.body_contains)?);
        let json = match &check.json {
            Some(expected) => Some(super::placeholders::expand_json(
                &serde_json::to_value(expected)?,
                values,
            )?),
            None => None,
        };
        done.push(super::queue::holds(
            &clients.rt,
            &clients.sqs,
            &queue,
            &text,
            json.as_ref(),
        )?);
    }
    Ok(done.join("; "))
}

/// A DynamoDB item as plain JSON (numbers as numbers, sets and lists as arrays, binary as base64-free bytes count).
fn item_json(item: &std::collections::HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), value_json(v)))
            .collect(),
    )
}

fn number(n: &str) -> Value {
    n.parse::<i64>()
        .map(Value::from)
        .or_else(|_| n.parse::<f64>().map(Value::from))
        .unwrap_or_else(|_| Value::String(n.to_owned()))
}

fn value_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::M(m) => item_json(m),
        AttributeValue::L(l) => Value::Array(l.iter().map(value_json).collect()),
        AttributeValue::Ss(s) => Value::Array(s.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(n) => Value::Array(n.iter().map(|n| number(n)).collect()),
        AttributeValue::B(b) => Value::String(String::from_utf8_lossy(b.as_ref()).into_owned()),
        AttributeValue::Bs(b) => Value::Array(
            b.iter()
                .map(|b| Value::String(String::from_utf8_lossy(b.as_ref()).into_owned()))
                .collect(),
        ),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{deploy::Outputs, flags::Target};

    fn check(name: &str, toml_text: &str) -> Check {
        let check: Check = toml::from_str(&format!("name = \"{name}\"\n{toml_text}")).unwrap();
        check.validate().unwrap();
        check
    }

    /// Every AWS check kind against the local cloud, on resources made here (no deployment needed).
    #[test]
    fn aws_checks_send_and_assert_against_the_local_cloud() {
        // Held, so the cloud this test starts is stopped after the last test that uses it.
        let _cloud = crate::local::TestUse::hold();
        let mut run = Run::new(&Outputs::new(), Target::Local).unwrap();
        let id = run.values["run_id"].as_str().unwrap().to_owned();
        let c = run.aws().unwrap();
        let (rt, table, group) = (&c.rt, format!("t-{id}"), format!("/verify/{id}"));
        let queue = rt
            .block_on(c.sqs.create_queue().queue_name(format!("q-{id}")).send())
            .unwrap()
            .queue_url()
            .unwrap()
            .to_owned();
        let events_queue = rt
            .block_on(c.sqs.create_queue().queue_name(format!("e-{id}")).send())
            .unwrap()
            .queue_url()
            .unwrap()
            .to_owned();
        rt.block_on(c.s3.create_bucket().bucket(format!("b-{id}")).send())
            .unwrap();
        rt.block_on(c.events.create_event_bus().name(format!("bus-{id}")).send())
            .unwrap();
        // A topic delivering raw messages to a queue whose policy lets it send.
        let topic = rt
            .block_on(c.sns.create_topic().name(format!("t-{id}")).send())
            .unwrap()
            .topic_arn()
            .unwrap()
            .to_owned();
        let fanned = rt
            .block_on(c.sqs.create_queue().queue_name(format!("f-{id}")).send())
            .unwrap()
            .queue_url()
            .unwrap()
            .to_owned();
        let fanned_arn = format!("arn:aws:sqs:us-east-1:123456789012:f-{id}");
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": fanned_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]});
        rt.block_on(
            c.sqs
                .set_queue_attributes()
                .queue_url(&fanned)
                .attributes(
                    aws_sdk_sqs::types::QueueAttributeName::Policy,
                    policy.to_string(),
                )
                .send(),
        )
        .unwrap();
        rt.block_on(
            c.sns
                .subscribe()
                .topic_arn(&topic)
                .protocol("sqs")
                .endpoint(&fanned_arn)
                .attributes("RawMessageDelivery", "true")
                .attributes("FilterPolicy", r#"{"kind":["order"]}"#)
                .send(),
        )
        .unwrap();
        rt.block_on(
            c.dynamodb
                .create_table()
                .table_name(&table)
                .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
                .attribute_definitions(
                    aws_sdk_dynamodb::types::AttributeDefinition::builder()
                        .attribute_name("pk")
                        .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                        .build()
                        .unwrap(),
                )
                .key_schema(
                    aws_sdk_dynamodb::types::KeySchemaElement::builder()
                        .attribute_name("pk")
                        .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                        .build()
                        .unwrap(),
                )
                .send(),
        )
        .unwrap();
        rt.block_on(
            c.dynamodb
                .put_item()
                .table_name(&table)
                .item("pk", AttributeValue::S(id.clone()))
                .item("n", AttributeValue::N("3".into()))
                .send(),
        )
        .unwrap();
        rt.block_on(c.logs.create_log_group().log_group_name(&group).send())
            .unwrap();
        rt.block_on(
            c.logs
                .create_log_stream()
                .log_group_name(&group)
                .log_stream_name("s")
                .send(),
        )
        .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        rt.block_on(
            c.logs
                .put_log_events()
                .log_group_name(&group)
                .log_stream_name("s")
                .log_events(
                    aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                        .timestamp(now)
                        .message(format!("processed {id}"))
                        .build()
                        .unwrap(),
                )
                .send(),
        )
        .unwrap();
        run.values.insert("queue".into(), queue.clone().into());
        run.values.insert("topic".into(), topic.into());
        run.values.insert("fanned".into(), fanned.into());
        run.values.insert("table".into(), table.clone().into());
        run.values
            .insert("events_queue".into(), events_queue.into());
        run.values.insert("group".into(), group.clone().into());

        let logged = "log_contains = { group = \"{group}\", text = \"processed {run_id}\" }";
        let passing = [
            check(
                "sqs",
                &format!("send = {{ sqs = \"{{queue}}\", body = \"m {{run_id}}\" }}\n{logged}"),
            ),
            check(
                "s3",
                &format!(
                    "send = {{ s3 = \"b-{{run_id}}\", key = \"k/{{run_id}}\", body = \"x\" }}\n{logged}"
                ),
            ),
            check(
                "events",
                &format!(
                    "send = {{ eventbridge = \"bus-{{run_id}}\", source = \"t\", detail_type = \"T\", detail = '{{\"a\":1}}' }}\n{logged}"
                ),
            ),
            check(
                "sns",
                "send = { sns = \"{topic}\", message = \"published {run_id}\", attributes = { kind = \"order\" } }\n\
                 queue_holds = { queue = \"{fanned}\", body_contains = \"published {run_id}\" }",
            ),
            check(
                "item",
                "dynamodb = { table = \"{table}\", key = { pk = \"{run_id}\" } }\njson = { n = 3 }",
            ),
            check(
                "put item",
                "send = { dynamodb = \"{table}\", item = { pk = \"{run_id}-put\", n = 2, tags = [\"a\"], m = { ok = true } } }\n\
                 dynamodb = { table = \"{table}\", key = { pk = \"{run_id}-put\" } }\n\
                 json = { n = 2, tags = [\"a\"], m = { ok = true } }",
            ),
            check(
                "queued json",
                "send = { sqs = \"{events_queue}\", body = '{\"a\":{\"b\":\"{run_id}\",\"x\":0},\"c\":1}' }\n\
                 queue_holds = { queue = \"{events_queue}\", body_contains = \"{run_id}\" }\n\
                 json = { a = { b = \"{run_id}\" }, c = 1 }",
            ),
            check(
                "absent",
                "dynamodb = { table = \"{table}\", key = { pk = \"other\" }, absent = true }",
            ),
            check(
                "object",
                "send = { s3 = \"b-{run_id}\", key = \"o/{run_id}.json\", body = '{\"id\":\"{run_id}\",\"n\":1}' }\n\
                 s3_object = { bucket = \"b-{run_id}\", key = \"o/{run_id}.json\" }\n\
                 json = { id = \"{run_id}\" }\nbody_contains = '\"n\":1'",
            ),
        ];
        for c in &passing {
            run_check_ok(c, &mut run);
        }
        let received = {
            let c = run.aws().unwrap();
            c.rt.block_on(c.sqs.receive_message().queue_url(&queue).send())
                .unwrap()
        };
        assert_eq!(
            received.messages()[0].body(),
            Some(format!("m {id}").as_str())
        );
        let object = {
            let c = run.aws().unwrap();
            c.rt.block_on(
                c.s3.head_object()
                    .bucket(format!("b-{id}"))
                    .key(format!("k/{id}"))
                    .send(),
            )
        };
        assert!(object.is_ok(), "the object was put");

        let failing = [
            (
                "dynamodb = { table = \"{table}\", key = { pk = \"{run_id}\" } }\njson = { n = 4 }",
                "differs at `.n`",
            ),
            (
                "dynamodb = { table = \"{table}\", key = { pk = \"{run_id}\" }, absent = true }",
                "still there",
            ),
            (
                "dynamodb = { table = \"{table}\", key = { pk = \"nope\" } }",
                "no item",
            ),
            (
                "log_contains = { group = \"{group}\", text = \"never logged\" }\nwithin = 1",
                "still failing after 1s",
            ),
            (
                "s3_object = { bucket = \"b-{run_id}\", key = \"o/{run_id}.json\" }\njson = { n = 2 }",
                "differs at `.n`",
            ),
            (
                "s3_object = { bucket = \"b-{run_id}\", key = \"missing\" }",
                "GetObject",
            ),
            (
                "queue_holds = { queue = \"{events_queue}\", body_contains = \"{run_id}\" }\njson = { c = 2 }",
                "holds no message containing",
            ),
        ];
        for (text, expected) in failing {
            let err = format!("{:#}", super::run(&check("f", text), &mut run).unwrap_err());
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    fn run_check_ok(check: &Check, run: &mut Run) {
        if let Err(err) = super::run(check, run) {
            panic!("{}: {err:#}", check.name);
        }
    }

    #[test]
    fn items_read_as_plain_json() {
        let item = [
            ("id".to_owned(), AttributeValue::S("a".into())),
            ("version".to_owned(), AttributeValue::N("2".into())),
            ("price".to_owned(), AttributeValue::N("1.5".into())),
            (
                "attributes".to_owned(),
                AttributeValue::M(
                    [(
                        "sizes".to_owned(),
                        AttributeValue::L(vec![
                            AttributeValue::N("1".into()),
                            AttributeValue::Bool(true),
                        ]),
                    )]
                    .into(),
                ),
            ),
        ]
        .into();
        assert_eq!(
            item_json(&item),
            serde_json::json!({"id": "a", "version": 2, "price": 1.5, "attributes": {"sizes": [1, true]}})
        );
    }
}
