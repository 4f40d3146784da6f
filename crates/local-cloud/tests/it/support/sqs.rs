//! SQS event source mappings under test: queues, `fidelity-fn` in its `sqs` mode (which appends each event it
//! receives to a file), mappings created as the edge would tell the services, and the batches read back.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use aws_sdk_lambda::{
    operation::create_event_source_mapping::builders::CreateEventSourceMappingFluentBuilder as Mapping,
    types::Environment,
};
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use local_cloud::{SharedCloud, aws::Clients};
use serde_json::Value;

use super::{cloud::state_changed, functions::create_function_with};

/// What the cases share: moto, the data plane in front of it, the function's package and a directory for
/// the functions' event files.
pub struct Ctx {
    pub cloud: SharedCloud,
    pub aws: Clients,
    pub zip: Vec<u8>,
    pub dir: PathBuf,
}

/// One record as the function received it: (message id, body, ApproximateReceiveCount).
pub type Record = (String, String, String);

impl Ctx {
    /// A queue named `name` with `attributes`: (URL, ARN).
    pub async fn queue(
        &self,
        name: &str,
        attributes: &[(QueueAttributeName, &str)],
    ) -> (String, String) {
        let mut create = self.aws.sqs.create_queue().queue_name(name);
        for (attribute, value) in attributes {
            create = create.attributes(attribute.clone(), *value);
        }
        let url = create.send().await.unwrap().queue_url.unwrap();
        let arn = self
            .aws
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&QueueAttributeName::QueueArn]
            .clone();
        (url, arn)
    }

    /// `fidelity-fn` in its `sqs` mode as `name`, appending each event to the file returned.
    pub async fn function(&self, name: &str) -> (String, PathBuf) {
        let events = self.dir.join(format!("{name}.events"));
        let env = Environment::builder()
            .variables("FIDELITY_MODE", "sqs")
            .variables("FIDELITY_EVENTS_FILE", events.display().to_string())
            .build();
        let created = create_function_with(&self.aws, name, "sqs", &self.zip, |f| {
            // AWS refuses a mapping whose function's timeout exceeds the queue's visibility timeout.
            f.environment(env).timeout(1)
        })
        .await;
        (created.function_arn().unwrap().to_owned(), events)
    }

    /// CreateEventSourceMapping, then the write told to the services as the edge tells it: the mapping's UUID.
    pub async fn map(
        &self,
        function: &str,
        queue_arn: &str,
        change: impl FnOnce(Mapping) -> Mapping,
    ) -> String {
        let request = self
            .aws
            .lambda
            .create_event_source_mapping()
            .function_name(function)
            .event_source_arn(queue_arn);
        let uuid = change(request).send().await.unwrap().uuid.unwrap();
        state_changed(&self.cloud);
        uuid
    }

    pub async fn send(&self, url: &str, bodies: &[&str]) {
        let entries = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(*body)
                    .build()
                    .unwrap()
            })
            .collect();
        let out = self
            .aws
            .sqs
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .unwrap();
        assert!(out.failed().is_empty(), "{:?}", out.failed());
    }

    /// ApproximateNumberOfMessages and ApproximateNumberOfMessagesNotVisible.
    pub async fn counts(&self, url: &str) -> (String, String) {
        let attributes = self
            .aws
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        (
            attributes[&QueueAttributeName::ApproximateNumberOfMessages].clone(),
            attributes[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible].clone(),
        )
    }

    /// Waits up to `within` until the queue holds nothing (all deleted).
    pub async fn wait_empty(&self, url: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let counts = self.counts(url).await;
            if counts == ("0".to_owned(), "0".to_owned()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{url} still holds (visible, in flight) {counts:?} after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The events the function received, as written to `file` (a line being written is not one yet).
pub fn events(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The batches the function received, each as its records.
pub fn batches(file: &Path) -> Vec<Vec<Record>> {
    events(file)
        .iter()
        .map(|event| {
            event["Records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["messageId"].as_str().unwrap().to_owned(),
                        r["body"].as_str().unwrap().to_owned(),
                        r["attributes"]["ApproximateReceiveCount"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                    )
                })
                .collect()
        })
        .collect()
}

/// Waits up to `within` for `n` batches in `file`; returns them (panics, showing them, if fewer came).
pub async fn wait_batches(file: &Path, n: usize, within: Duration) -> Vec<Vec<Record>> {
    let deadline = Instant::now() + within;
    loop {
        let got = batches(file);
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{} batch(es) after {within:?}, expected {n}: {got:?}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The bodies of a batch, in order.
pub fn bodies(batch: &[Record]) -> Vec<&str> {
    batch.iter().map(|(_, body, _)| body.as_str()).collect()
}

/// The ApproximateReceiveCount of each message of a batch, in order.
pub fn counts(batch: &[Record]) -> Vec<&str> {
    batch.iter().map(|(_, _, count)| count.as_str()).collect()
}
