//! The SQS -> Lambda series of `cargo xtask bench`: an SQS event source mapping run by the local cloud's poller,
//! invoking `fidelity-fn` in its `sqs` mode (which records when its handler was entered for each batch).
//!
//! - latency: messages sent one at a time, each waited for; per message, handler entered (`entered_ms` of the
//!   function) minus `SentTimestamp` (moto's clock; the same machine);
//! - throughput: messages sent in batches of 10 (SendMessageBatch) as fast as one client can, until the
//!   function has received them all; messages per second from the first send to the last delivery.
//!
//! Everything is created through the edge under `srp-bench-sqs` names and deleted afterwards.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};

use super::Series;
use crate::aws::raw;

const NAME: &str = "srp-bench-sqs";
/// How often the latency series looks for the message it waits for (the latency itself is measured by the
/// function's own clock).
const FAST: Duration = Duration::from_millis(2);

/// The two series, against the local cloud at `edge`.
pub fn series(
    edge: &str,
    latency_messages: usize,
    throughput_messages: usize,
) -> Result<Vec<Series>> {
    let binary = fidelity_binary()?;
    let dir = crate::pattern::project_root().join("target/bench/sqs");
    std::fs::create_dir_all(&dir)?;
    let events = dir.join("events.jsonl");
    let _ = std::fs::remove_file(&events);
    let rt = crate::aws::sdk::runtime()?;
    let config = rt.block_on(crate::aws::sdk::config(Some(edge)));
    let bench = Bench {
        edge: edge.to_owned(),
        sqs: aws_sdk_sqs::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        ),
        rt,
        events,
    };
    let setup = bench.set_up(&binary);
    let result = setup.and_then(|queue| {
        Ok(vec![
            bench.latency(&queue, latency_messages)?,
            bench.throughput(&queue, throughput_messages)?,
        ])
    });
    bench.tear_down();
    result
}

/// The bench function, `fidelity-fn` (dev build).
pub(super) fn fidelity_binary() -> Result<PathBuf> {
    Ok(crate::cargo::build(&crate::cargo::Build {
        what: "the bench function (fidelity-fn)",
        packages: vec!["fidelity-fn".into()],
        profile: "dev",
        with_xtask: true,
    })?
    .into_iter()
    .find(|b| b.name == "fidelity-fn")
    .context("cargo built no fidelity-fn binary")?
    .path)
}

struct Bench {
    edge: String,
    sqs: aws_sdk_sqs::Client,
    s3: aws_sdk_s3::Client,
    rt: tokio::runtime::Runtime,
    events: PathBuf,
}

impl Bench {
    /// Role, function, queue and mapping: the queue's URL.
    fn set_up(&self, binary: &Path) -> Result<String> {
        let edge = &self.edge;
        let policy = raw::percent_encode(r#"{"Version":"2012-10-17","Statement":[]}"#);
        raw::query(
            edge,
            "iam",
            &format!(
                "Action=CreateRole&Version=2010-05-08&RoleName={NAME}&AssumeRolePolicyDocument={policy}"
            ),
        )?;
        self.rt
            .block_on(self.s3.create_bucket().bucket(NAME).send())
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(e)))
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
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(e)))
            .context("uploading the bench function's code")?;
        let function = serde_json::json!({
            "FunctionName": NAME,
            "Runtime": "provided.al2023",
            "Handler": "bootstrap",
            "Role": format!("arn:aws:iam::123456789012:role/{NAME}"),
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
        let queue = self
            .rt
            .block_on(
                self.sqs
                    .create_queue()
                    .queue_name(NAME)
                    .attributes(QueueAttributeName::VisibilityTimeout, "30")
                    .send(),
            )
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))?
            .queue_url
            .context("CreateQueue returned no URL")?;
        let mapping = serde_json::json!({
            "FunctionName": NAME,
            "EventSourceArn": format!("arn:aws:sqs:us-east-1:123456789012:{NAME}"),
            "BatchSize": 10,
        });
        let (status, body) =
            rest_json(edge, "POST", "/2015-03-31/event-source-mappings/", &mapping)?;
        if status >= 300 {
            bail!("CreateEventSourceMapping: {status} {body}");
        }
        // The first message warms the poller and the function (a cold start is not what these series measure).
        self.send(&queue, &["warm-up".to_owned()])?;
        self.wait_for(
            &["warm-up".to_owned()].into(),
            Duration::from_secs(60),
            FAST,
        )?;
        Ok(queue)
    }

    fn latency(&self, queue: &str, messages: usize) -> Result<Series> {
        for i in 0..messages {
            let body = format!("latency-{i}");
            self.send(queue, std::slice::from_ref(&body))?;
            self.wait_for(&[body].into(), Duration::from_secs(30), FAST)?;
        }
        let mut ms: Vec<f64> = records(&self.events)?
            .into_iter()
            .filter(|r| r.body.starts_with("latency-"))
            .map(|r| r.entered_ms as f64 - r.sent_ms as f64)
            .collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
        Ok(Series {
            name: "SQS -> Lambda: message sent -> handler entered".into(),
            requests: messages,
            concurrency: 1,
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: at(1.0),
            requests_per_s: f64::NAN,
        })
    }

    fn throughput(&self, queue: &str, messages: usize) -> Result<Series> {
        let bodies: Vec<String> = (0..messages).map(|i| format!("throughput-{i}")).collect();
        let started = Instant::now();
        for chunk in bodies.chunks(10) {
            self.send(queue, chunk)?;
        }
        // Checked every 50 ms: reading the growing file more often would take CPU from what is measured.
        self.wait_for(
            &bodies.iter().cloned().collect(),
            Duration::from_secs(300),
            Duration::from_millis(50),
        )?;
        let elapsed = started.elapsed().as_secs_f64();
        let batches: Vec<usize> = batch_sizes(&self.events, "throughput-")?;
        let mean = messages as f64 / batches.len().max(1) as f64;
        Ok(Series {
            name: format!("SQS -> Lambda: batches of 10 sent, {mean:.1} messages per invocation"),
            requests: messages,
            concurrency: 1,
            p50_ms: f64::NAN,
            p99_ms: f64::NAN,
            max_ms: f64::NAN,
            requests_per_s: messages as f64 / elapsed,
        })
    }

    fn send(&self, queue: &str, bodies: &[String]) -> Result<()> {
        let entries = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        self.rt
            .block_on(
                self.sqs
                    .send_message_batch()
                    .queue_url(queue)
                    .set_entries(Some(entries))
                    .send(),
            )
            .map_err(|e| anyhow::anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)))
            .context("SendMessageBatch")?;
        Ok(())
    }

    /// Waits until the function received every body of `wanted`, looking every `poll`.
    fn wait_for(&self, wanted: &HashSet<String>, within: Duration, poll: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        loop {
            let got: HashSet<String> = records(&self.events)?.into_iter().map(|r| r.body).collect();
            let missing = wanted.iter().filter(|b| !got.contains(*b)).count();
            if missing == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{missing} message(s) not delivered within {within:?} (see `cargo xtask local logs`)"
                );
            }
            std::thread::sleep(poll);
        }
    }

    fn tear_down(&self) {
        let edge = &self.edge;
        delete_mappings(edge, NAME);
        let _ = raw::rest(
            edge,
            "DELETE",
            "lambda",
            &format!("/2015-03-31/functions/{NAME}"),
        );
        let _ = raw::query(
            edge,
            "sqs",
            &format!(
                "Action=DeleteQueue&QueueUrl={}",
                raw::percent_encode(&format!("{edge}/123456789012/{NAME}"))
            ),
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

/// A JSON body to a REST API of the local cloud.
pub(super) fn rest_json(
    edge: &str,
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> Result<(u16, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{edge}{path}"))
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0",
        )
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(body)?)?;
    let mut resp = agent.run(request)?;
    Ok((resp.status().as_u16(), resp.body_mut().read_to_string()?))
}

/// A deployment package whose `bootstrap` is `binary`.
pub(super) fn zip(binary: &Path) -> Result<Vec<u8>> {
    use std::io::Write;
    let bytes = std::fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    writer.start_file(
        "bootstrap",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o755),
    )?;
    writer.write_all(&bytes)?;
    writer.finish()?;
    Ok(out.into_inner())
}

struct Record {
    body: String,
    sent_ms: u64,
    entered_ms: u64,
}

/// The records the function received, each with when it was sent and when the handler was entered.
fn records(events: &Path) -> Result<Vec<Record>> {
    let text = std::fs::read_to_string(events).unwrap_or_default();
    let mut out = Vec::new();
    // The last line may be half written.
    for event in text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        let entered_ms = event["entered_ms"].as_u64().unwrap_or_default();
        for r in event["Records"].as_array().into_iter().flatten() {
            out.push(Record {
                body: r["body"].as_str().unwrap_or_default().to_owned(),
                sent_ms: r["attributes"]["SentTimestamp"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_default(),
                entered_ms,
            });
        }
    }
    Ok(out)
}

/// The sizes of the batches that carried messages whose body starts with `prefix`.
fn batch_sizes(events: &Path, prefix: &str) -> Result<Vec<usize>> {
    let text = std::fs::read_to_string(events).unwrap_or_default();
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["Records"].as_array().cloned())
        .filter(|r| {
            r.iter()
                .any(|r| r["body"].as_str().is_some_and(|b| b.starts_with(prefix)))
        })
        .map(|r| r.len())
        .collect())
}

/// Deletes the event source mappings of `function` (best effort: a benchmark's tear-down).
pub(super) fn delete_mappings(edge: &str, function: &str) {
    let Ok((_, body)) = raw::get(
        edge,
        "lambda",
        &format!("/2015-03-31/event-source-mappings/?FunctionName={function}"),
    ) else {
        return;
    };
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    for uuid in listed["EventSourceMappings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["UUID"].as_str())
    {
        let _ = raw::rest(
            edge,
            "DELETE",
            "lambda",
            &format!("/2015-03-31/event-source-mappings/{uuid}"),
        );
    }
}
