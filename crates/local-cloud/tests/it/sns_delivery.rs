//! SNS delivering to SQS queues as AWS delivers, through the `local-cloud serve` daemon and the AWS CLI: only to a
//! queue whose policy lets `sns.amazonaws.com` send for the topic ("the Amazon SQS queue's policy must allow the
//! Amazon SNS topic to perform the sqs:SendMessage action",
//! https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html); as the JSON envelope, or the
//! message itself with raw message delivery
//! (https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html); after the
//! subscription's filter policy on the message attributes or on the message body
//! (https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering-scope.html; "Filter policies for the message
//! body assume that the message payload is a well-formed JSON object": a message that is not JSON matches none,
//! https://docs.aws.amazon.com/sns/latest/dg/message-filtering.html); and subscriptions declared as
//! `AWS::SNS::Subscription` in CloudFormation; a Firehose subscription puts each notification into its delivery
//! stream (https://docs.aws.amazon.com/sns/latest/dg/firehose-archived-message-format-S3.html). Needs python3 with
//! moto 5.2.1 and the AWS CLI.

use serde_json::{Value, json};

use crate::support::{
    ACCOUNT, Cases,
    daemon::Daemon,
    sns::{enveloped_messages, publish, queue, queue_policy, received, subscribe_queue, topic},
};

#[test]
fn sns_delivers_to_queues_as_aws_does() {
    let mut cases = Cases::new(Daemon::start());

    cases.blocking(
        "only a queue whose policy allows the topic gets the message, as the SNS envelope",
        |d| {
            let topic = topic(d, "orders");
            let (bare, bare_arn) = queue(d, "no-policy", None);
            let other = format!("{topic}-other");
            let (elsewhere, elsewhere_arn) = queue(d, "other-topic", Some(&other));
            let (allowed, allowed_arn) = queue(d, "allowed", Some(&topic));
            for arn in [&bare_arn, &elsewhere_arn, &allowed_arn] {
                subscribe_queue(d, &topic, arn, &json!({}));
            }
            let id = publish(d, &topic, "hello", &[("kind", "String", "order")]);
            assert_eq!(received(d, &bare), Vec::<Value>::new(), "no queue policy");
            assert_eq!(
                received(d, &elsewhere),
                Vec::<Value>::new(),
                "a policy for another topic"
            );
            let got = received(d, &allowed);
            assert_eq!(got.len(), 1, "{got:?}");
            let envelope: Value = serde_json::from_str(got[0]["Body"].as_str().unwrap()).unwrap();
            assert_eq!(envelope["Type"], "Notification");
            assert_eq!(envelope["TopicArn"], topic.as_str());
            assert_eq!(envelope["MessageId"], id.as_str());
            assert_eq!(envelope["Message"], "hello");
            assert_eq!(
                envelope["MessageAttributes"],
                json!({"kind": {"Type": "String", "Value": "order"}})
            );
        },
    );
    cases.blocking(
        "raw message delivery: the message itself, its attributes as the SQS message's",
        |d| {
            let topic = topic(d, "raw");
            let (raw, raw_arn) = queue(d, "raw", Some(&topic));
            subscribe_queue(d, &topic, &raw_arn, &json!({"RawMessageDelivery": "true"}));
            publish(d, &topic, r#"{"id":1}"#, &[("kind", "String", "order")]);
            let got = received(d, &raw);
            assert_eq!(got.len(), 1, "{got:?}");
            assert_eq!(got[0]["Body"], r#"{"id":1}"#);
            assert_eq!(
                got[0]["MessageAttributes"],
                json!({"kind": {"StringValue": "order", "DataType": "String"}})
            );
        },
    );
    cases.blocking(
        "filter policies on the message attributes and on the message body",
        |d| {
            let topic = topic(d, "filtered");
            let (by_attributes, by_attributes_arn) = queue(d, "by-attributes", Some(&topic));
            let (by_body, by_body_arn) = queue(d, "by-body", Some(&topic));
            let policy = json!({"kind": ["order"], "total": [{"numeric": [">=", 100]}]});
            subscribe_queue(
                d,
                &topic,
                &by_attributes_arn,
                &json!({"FilterPolicy": policy.to_string()}),
            );
            let policy = json!({"kind": ["order"], "order": {"total": [{"numeric": [">=", 100]}]}});
            subscribe_queue(
                d,
                &topic,
                &by_body_arn,
                &json!({"FilterPolicyScope": "MessageBody", "FilterPolicy": policy.to_string()}),
            );
            for (name, kind, total) in [
                ("big", "order", 150),
                ("small", "order", 5),
                ("refund", "refund", 150),
            ] {
                let body =
                    json!({"name": name, "kind": kind, "order": {"total": total}}).to_string();
                let total = total.to_string();
                publish(
                    d,
                    &topic,
                    &body,
                    &[("kind", "String", kind), ("total", "Number", &total)],
                );
            }
            publish(d, &topic, "not JSON, no attributes", &[]);
            let names = |url: &str| -> Vec<String> {
                enveloped_messages(d, url)
                    .iter()
                    .map(|m| {
                        serde_json::from_str::<Value>(m).unwrap()["name"]
                            .as_str()
                            .unwrap()
                            .to_owned()
                    })
                    .collect()
            };
            assert_eq!(names(&by_attributes), ["big"]);
            assert_eq!(names(&by_body), ["big"]);
        },
    );
    cases.blocking(
        "AWS::SNS::Subscription in CloudFormation, with raw delivery and a message-body filter",
        |d| {
            let template = json!({"Resources": {
                "Topic": {"Type": "AWS::SNS::Topic"},
                "Queue": {"Type": "AWS::SQS::Queue"},
                "Policy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
                    "Queues": [{"Ref": "Queue"}],
                    "PolicyDocument": queue_policy("QUEUE", "TOPIC")}},
                "Subscription": {"Type": "AWS::SNS::Subscription", "Properties": {
                    "TopicArn": {"Ref": "Topic"}, "Protocol": "sqs", "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
                    "RawMessageDelivery": true, "FilterPolicyScope": "MessageBody",
                    "FilterPolicy": {"kind": ["order"]}}}}})
            .to_string()
            .replace(r#""QUEUE""#, r#"{"Fn::GetAtt":["Queue","Arn"]}"#)
            .replace(r#""TOPIC""#, r#"{"Ref":"Topic"}"#);
            d.aws_ok(&[
                "cloudformation",
                "create-stack",
                "--stack-name",
                "fanout",
                "--template-body",
                &template,
            ]);
            let resources = d.aws_ok(&["cloudformation", "describe-stack-resources", "--stack-name", "fanout"]);
            let physical = |logical: &str| -> String {
                resources["StackResources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["LogicalResourceId"] == logical)
                    .unwrap_or_else(|| panic!("no {logical} in {resources}"))["PhysicalResourceId"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            let status = d.aws_ok(&["cloudformation", "describe-stacks", "--stack-name", "fanout"]);
            assert_eq!(status["Stacks"][0]["StackStatus"], "CREATE_COMPLETE", "{resources}");
            let (topic, url) = (physical("Topic"), physical("Queue"));
            publish(d, &topic, r#"{"kind":"refund"}"#, &[]);
            publish(d, &topic, r#"{"kind":"order"}"#, &[]);
            let bodies: Vec<Value> = received(d, &url).iter().map(|m| m["Body"].clone()).collect();
            assert_eq!(bodies, [json!(r#"{"kind":"order"}"#)]);

            d.aws_ok(&["cloudformation", "delete-stack", "--stack-name", "fanout"]);
            let left = d.aws_ok(&["sns", "list-subscriptions"]);
            assert!(
                !left.to_string().contains(&physical("Subscription")),
                "deleting the stack unsubscribes: {left}"
            );
        },
    );
    cases.blocking(
        "a Firehose subscription puts the notification, one JSON line, into the stream's S3 destination",
        |d| {
            let role = format!("arn:aws:iam::{ACCOUNT}:role/sns-to-firehose");
            d.aws_ok(&["s3api", "create-bucket", "--bucket", "archive"]);
            let destination = json!({"RoleARN": role, "BucketARN": "arn:aws:s3:::archive", "Prefix": "sns/"});
            let stream = d.aws_ok(&[
                "firehose",
                "create-delivery-stream",
                "--delivery-stream-name",
                "archive",
                "--extended-s3-destination-configuration",
                &destination.to_string(),
            ])["DeliveryStreamARN"]
                .as_str()
                .unwrap()
                .to_owned();
            let topic = topic(d, "archived");
            d.aws_ok(&[
                "sns",
                "subscribe",
                "--topic-arn",
                &topic,
                "--protocol",
                "firehose",
                "--notification-endpoint",
                &stream,
                "--attributes",
                &json!({"SubscriptionRoleArn": role}).to_string(),
            ]);
            let id = publish(d, &topic, "to the archive", &[]);
            let listed = d.aws_ok(&["s3api", "list-objects-v2", "--bucket", "archive", "--prefix", "sns/"]);
            let key = listed["Contents"][0]["Key"]
                .as_str()
                .unwrap_or_else(|| panic!("no object: {listed}"))
                .to_owned();
            let out = d.dir.join("archived.json");
            let out_path = out.display().to_string();
            d.aws_ok(&["s3api", "get-object", "--bucket", "archive", "--key", &key, &out_path]);
            let body = std::fs::read_to_string(&out).unwrap();
            assert!(body.ends_with('\n') && body.lines().count() == 1, "{body:?}");
            let notification: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(notification["MessageId"], id.as_str());
            assert_eq!(notification["Message"], "to the archive");
            assert_eq!(notification["TopicArn"], topic.as_str());
        },
    );
    cases.finish();
}
