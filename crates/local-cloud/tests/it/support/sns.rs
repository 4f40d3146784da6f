//! SNS topics and the SQS queues they deliver to, driven with the AWS CLI through a `local-cloud serve` daemon:
//! a queue whose policy lets a topic send, receiving what arrived, publishing.

use serde_json::{Value, json};

use super::{ACCOUNT, REGION, daemon::Daemon};

/// The policy that lets SNS send to `queue_arn` for `topic_arn` only, as AWS's SNS guide writes it.
pub fn queue_policy(queue_arn: &str, topic_arn: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]})
}

/// Creates queue `name`; with `allow_topic`, its policy lets that topic send. Returns its URL and ARN.
pub fn queue(d: &Daemon, name: &str, allow_topic: Option<&str>) -> (String, String) {
    let url = d.aws_ok(&["sqs", "create-queue", "--queue-name", name])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}");
    if let Some(topic) = allow_topic {
        let attributes = json!({"Policy": queue_policy(&arn, topic).to_string()}).to_string();
        d.aws_ok(&[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &url,
            "--attributes",
            &attributes,
        ]);
    }
    (url, arn)
}

/// Creates topic `name`; returns its ARN.
pub fn topic(d: &Daemon, name: &str) -> String {
    d.aws_ok(&["sns", "create-topic", "--name", name])["TopicArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Subscribes queue `queue_arn` to `topic_arn` with subscription `attributes` (a JSON object).
pub fn subscribe_queue(d: &Daemon, topic_arn: &str, queue_arn: &str, attributes: &Value) -> String {
    d.aws_ok(&[
        "sns",
        "subscribe",
        "--topic-arn",
        topic_arn,
        "--protocol",
        "sqs",
        "--notification-endpoint",
        queue_arn,
        "--attributes",
        &attributes.to_string(),
    ])["SubscriptionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Publishes `message` with `attributes` (name, data type, value: `("total", "Number", "150")`); returns the
/// message id.
pub fn publish(
    d: &Daemon,
    topic_arn: &str,
    message: &str,
    attributes: &[(&str, &str, &str)],
) -> String {
    let mut args = vec![
        "sns",
        "publish",
        "--topic-arn",
        topic_arn,
        "--message",
        message,
    ];
    let attributes: serde_json::Map<String, Value> = attributes
        .iter()
        .map(|(k, t, v)| (k.to_string(), json!({"DataType": t, "StringValue": v})))
        .collect();
    let attributes = Value::Object(attributes).to_string();
    if attributes != "{}" {
        args.extend(["--message-attributes", &attributes]);
    }
    d.aws_ok(&args)["MessageId"].as_str().unwrap().to_owned()
}

/// The messages the queue holds now (up to 10, with their message attributes), deleting none.
pub fn received(d: &Daemon, url: &str) -> Vec<Value> {
    let out = d.aws_ok(&[
        "sqs",
        "receive-message",
        "--queue-url",
        url,
        "--max-number-of-messages",
        "10",
        "--visibility-timeout",
        "0",
        "--message-attribute-names",
        "All",
    ]);
    out["Messages"].as_array().cloned().unwrap_or_default()
}

/// The `Message` of each SNS envelope the queue holds.
pub fn enveloped_messages(d: &Daemon, url: &str) -> Vec<String> {
    received(d, url)
        .iter()
        .map(|m| {
            let envelope: Value = serde_json::from_str(m["Body"].as_str().unwrap()).unwrap();
            envelope["Message"].as_str().unwrap().to_owned()
        })
        .collect()
}
