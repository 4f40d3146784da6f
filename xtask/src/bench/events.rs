//! The event series of `cargo xtask bench` beside SQS -> Lambda ([`super::sqs`]): one `fidelity-fn` (mode `sqs`,
//! which appends every event it gets to a file with `entered_ms`, when its handler was entered) behind
//!
//! - SNS -> SQS -> Lambda: a topic, a queue subscribed to it (its policy allows the topic) and an event source
//!   mapping; per message, handler entered minus `sent_ms`, the client's clock just before Publish, carried in
//!   the message (the same machine);
//! - EventBridge -> Lambda: a rule on the default bus with the function as target; per event, handler entered minus
//!   `sent_ms` in the event's `detail`, taken just before PutEvents;
//! - Step Functions: a state machine of 3 Lambda tasks, the same function ([`super::sfn`]).
//!
//! Each message, event or execution is waited for before the next is sent. Everything is created through the edge
//! under `srp-bench-ev` names and deleted afterwards.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, Result, anyhow, bail};

use super::{
    Series,
    samples::{entries, latency_series},
    sqs::{delete_mappings, fidelity_binary, rest_json, zip},
};
use crate::aws::raw;

const NAME: &str = "srp-bench-ev";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
/// How often a series looks for what it waits for (the latency itself is measured by the function's clock).
const FAST: Duration = Duration::from_millis(2);

/// The three series, `samples` each, against the local cloud at `edge`.
pub fn series(edge: &str, samples: usize) -> Result<Vec<Series>> {
    let binary = fidelity_binary()?;
    let dir = crate::pattern::project_root().join("target/bench/events");
    std::fs::create_dir_all(&dir)?;
    let events = dir.join("events.jsonl");
    let _ = std::fs::remove_file(&events);
    let rt = crate::aws::sdk::runtime()?;
    let config = rt.block_on(crate::aws::sdk::config(Some(edge)));
    let bench = Bench {
        edge: edge.to_owned(),
        sqs: aws_sdk_sqs::Client::new(&config),
        sns: aws_sdk_sns::Client::new(&config),
        events_api: aws_sdk_eventbridge::Client::new(&config),
        sfn: aws_sdk_sfn::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        ),
        rt,
        events,
    };
    let result = bench.set_up(&binary).and_then(|deployed| {
        Ok(vec![
            bench.sns_to_lambda(&deployed.topic, samples)?,
            bench.eventbridge_to_lambda(samples)?,
            super::sfn::series(&bench.rt, &bench.sfn, &deployed.state_machine, samples)?,
        ])
    });
    bench.tear_down();
    result
}

struct Bench {
    edge: String,
    sqs: aws_sdk_sqs::Client,
    sns: aws_sdk_sns::Client,
    events_api: aws_sdk_eventbridge::Client,
    sfn: aws_sdk_sfn::Client,
    s3: aws_sdk_s3::Client,
    rt: tokio::runtime::Runtime,
    events: PathBuf,
}

struct Deployed {
    topic: String,
    state_machine: String,
}

fn sdk<E: std::error::Error + Send + Sync + 'static>(e: E) -> anyhow::Error {
    anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(e))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Bench {
    fn set_up(&self, binary: &Path) -> Result<Deployed> {
        let edge = &self.edge;
        let function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAME}");
        let trust = raw::percent_encode(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","states.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#,
        );
        raw::query(
            edge,
            "iam",
            &format!(
                "Action=CreateRole&Version=2010-05-08&RoleName={NAME}&AssumeRolePolicyDocument={trust}"
            ),
        )?;
        let role = format!("arn:aws:iam::{ACCOUNT}:role/{NAME}");
        self.rt
            .block_on(self.s3.create_bucket().bucket(NAME).send())
            .map_err(sdk)
            .context("CreateBucket for the bench function's code")?;
        self.rt
            .block_on(
                self.s3
                    .put_object()
                    .bucket(NAME)
                    .key("bootstrap.zip")
                    .body(zip(binary)?.into())
                    .send(),
            )
            .map_err(sdk)
            .context("uploading the bench function's code")?;
        let function = serde_json::json!({
            "FunctionName": NAME,
            "Runtime": "provided.al2023",
            "Handler": "bootstrap",
            "Role": role,
            "Code": {"S3Bucket": NAME, "S3Key": "bootstrap.zip"},
            "Timeout": 10,
            "Environment": {"Variables": {
                "FIDELITY_MODE": "sqs",
                "FIDELITY_EVENTS_FILE": self.events.display().to_string(),
            }},
        });
        let (status, body) = rest_json(edge, "POST", "/2015-03-31/functions", &function)?;
        if status >= 300 {
            bail!("CreateFunction {NAME}: {status} {body}");
        }

        // SNS -> SQS -> Lambda.
        let topic = self
            .rt
            .block_on(self.sns.create_topic().name(NAME).send())
            .map_err(sdk)?
            .topic_arn
            .context("CreateTopic returned no ARN")?;
        let queue_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{NAME}");
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]});
        self.rt
            .block_on(
                self.sqs
                    .create_queue()
                    .queue_name(NAME)
                    .attributes(
                        aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                        "30",
                    )
                    .attributes(
                        aws_sdk_sqs::types::QueueAttributeName::Policy,
                        policy.to_string(),
                    )
                    .send(),
            )
            .map_err(sdk)?;
        self.rt
            .block_on(
                self.sns
                    .subscribe()
                    .topic_arn(&topic)
                    .protocol("sqs")
                    .endpoint(&queue_arn)
                    .send(),
            )
            .map_err(sdk)?;
        let mapping = serde_json::json!({
            "FunctionName": NAME, "EventSourceArn": queue_arn, "BatchSize": 10,
        });
        let (status, body) =
            rest_json(edge, "POST", "/2015-03-31/event-source-mappings/", &mapping)?;
        if status >= 300 {
            bail!("CreateEventSourceMapping: {status} {body}");
        }

        // EventBridge -> Lambda.
        let rule = self
            .rt
            .block_on(
                self.events_api
                    .put_rule()
                    .name(NAME)
                    .event_pattern(r#"{"source":["srp.bench"]}"#)
                    .send(),
            )
            .map_err(sdk)?
            .rule_arn
            .context("PutRule returned no ARN")?;
        let permission = serde_json::json!({
            "StatementId": "events", "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com", "SourceArn": rule,
        });
        let (status, body) = rest_json(
            edge,
            "POST",
            &format!("/2015-03-31/functions/{NAME}/policy"),
            &permission,
        )?;
        if status >= 300 {
            bail!("AddPermission: {status} {body}");
        }
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("function")
            .arn(&function_arn)
            .build()
            .map_err(sdk)?;
        self.rt
            .block_on(
                self.events_api
                    .put_targets()
                    .rule(NAME)
                    .targets(target)
                    .send(),
            )
            .map_err(sdk)?;

        let state_machine = super::sfn::create(&self.rt, &self.sfn, NAME, &function_arn, &role)?;

        // Warm-up: each path once, so a cold start is not what the series measure.
        self.publish(&topic, "warm-sns")?;
        self.put_event("warm-eb")?;
        self.wait_for(&["warm-sns", "warm-eb"], Duration::from_secs(60))?;
        super::sfn::execute(&self.rt, &self.sfn, &state_machine)?;
        Ok(Deployed {
            topic,
            state_machine,
        })
    }

    fn publish(&self, topic: &str, id: &str) -> Result<()> {
        let message = serde_json::json!({"id": id, "sent_ms": now_ms()});
        self.rt
            .block_on(
                self.sns
                    .publish()
                    .topic_arn(topic)
                    .message(message.to_string())
                    .send(),
            )
            .map_err(sdk)
            .context("Publish")?;
        Ok(())
    }

    fn put_event(&self, id: &str) -> Result<()> {
        let detail = serde_json::json!({"id": id, "sent_ms": now_ms()});
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .source("srp.bench")
            .detail_type("bench")
            .detail(detail.to_string())
            .build();
        let out = self
            .rt
            .block_on(self.events_api.put_events().entries(entry).send())
            .map_err(sdk)
            .context("PutEvents")?;
        if out.failed_entry_count > 0 {
            bail!("PutEvents failed its entry: {:?}", out.entries());
        }
        Ok(())
    }

    fn sns_to_lambda(&self, topic: &str, samples: usize) -> Result<Series> {
        for i in 0..samples {
            let id = format!("sns-{i}");
            self.publish(topic, &id)?;
            self.wait_for(&[id.as_str()], Duration::from_secs(30))?;
        }
        latency_series(
            "SNS -> SQS -> Lambda: published -> handler entered",
            entries(&self.events)?
                .into_iter()
                .filter(|e| e.id.starts_with("sns-")),
            samples,
        )
    }

    fn eventbridge_to_lambda(&self, samples: usize) -> Result<Series> {
        for i in 0..samples {
            let id = format!("eb-{i}");
            self.put_event(&id)?;
            self.wait_for(&[id.as_str()], Duration::from_secs(30))?;
        }
        latency_series(
            "EventBridge PutEvents -> Lambda: handler entered",
            entries(&self.events)?
                .into_iter()
                .filter(|e| e.id.starts_with("eb-")),
            samples,
        )
    }

    /// Waits until the function got an event for every id of `wanted`.
    fn wait_for(&self, wanted: &[&str], within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        loop {
            let got = entries(&self.events)?;
            let missing: Vec<&&str> = wanted
                .iter()
                .filter(|id| !got.iter().any(|e| e.id == **id))
                .collect();
            if missing.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{missing:?} did not reach the function within {within:?} (see `cargo xtask local logs`)"
                );
            }
            std::thread::sleep(FAST);
        }
    }

    fn tear_down(&self) {
        let edge = &self.edge;
        super::sfn::delete(&self.rt, &self.sfn, NAME);
        let _ = self.rt.block_on(
            self.events_api
                .remove_targets()
                .rule(NAME)
                .ids("function")
                .send(),
        );
        let _ = self
            .rt
            .block_on(self.events_api.delete_rule().name(NAME).send());
        delete_mappings(edge, NAME);
        let _ = self.rt.block_on(
            self.sns
                .delete_topic()
                .topic_arn(format!("arn:aws:sns:{REGION}:{ACCOUNT}:{NAME}"))
                .send(),
        );
        let _ = self.rt.block_on(
            self.sqs
                .delete_queue()
                .queue_url(format!("{edge}/{ACCOUNT}/{NAME}"))
                .send(),
        );
        let _ = raw::rest(
            edge,
            "DELETE",
            "lambda",
            &format!("/2015-03-31/functions/{NAME}"),
        );
        let _ = self.rt.block_on(
            self.s3
                .delete_object()
                .bucket(NAME)
                .key("bootstrap.zip")
                .send(),
        );
        let _ = self
            .rt
            .block_on(self.s3.delete_bucket().bucket(NAME).send());
        let _ = raw::query(
            edge,
            "iam",
            &format!("Action=DeleteRole&Version=2010-05-08&RoleName={NAME}"),
        );
    }
}
