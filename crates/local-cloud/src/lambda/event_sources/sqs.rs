//! The poller of one SQS event source mapping, as Lambda's own pollers work
//! (<https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html>,
//! <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html>):
//!
//! - ReceiveMessage with a 20 s long poll (idle, the poller waits in moto, which wakes it on a new message: no
//!   busy loop), up to `BatchSize` messages, gathering more for up to `MaximumBatchingWindowInSeconds`;
//! - the function invoked synchronously through our runtime with the [`sqs_batch::event`];
//! - success deletes the batch; a function error (error returned, crash, timeout) deletes nothing: the messages
//!   reappear after the queue's visibility timeout; with `ReportBatchItemFailures` the named messages stay and the
//!   others are deleted ([`sqs_batch::kept_by_response`]);
//! - messages no filter of the mapping's `FilterCriteria` matches are deleted without an invocation
//!   ([`super::filter`]);
//! - the queue's redrive policy is SQS's (moto moves a message to the dead-letter queue on the receive after
//!   `maxReceiveCount`).
//!
//! Stopping (mapping deleted or disabled, function deleted) is cooperative: a receive under way is never cut
//! off (that would lose its messages to the visibility timeout); what it returns after the stop goes back to the
//! queue at once.

use std::{
    sync::Weak,
    time::{Duration, Instant},
};

use aws_sdk_sqs::{
    error::DisplayErrorContext,
    types::{
        ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, Message,
        MessageSystemAttributeName,
    },
};
use bytes::Bytes;
use tokio::sync::watch;

use super::{filter::Filters, sqs_batch};
use crate::{Cloud, lambda::Invocation};

/// SQS's longest long poll.
const LONG_POLL_SECONDS: i32 = 20;
/// ReceiveMessage's and DeleteMessageBatch's most messages per call.
const PER_CALL: usize = 10;
/// The first wait after a failing SQS call (the queue deleted, moto gone); doubled up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The pause after a batch the function failed, as Lambda backs off (and so that a queue with a visibility
/// timeout of 0 does not turn a crashing function into a busy loop).
const AFTER_FUNCTION_ERROR: Duration = Duration::from_secs(1);

/// An enabled SQS event source mapping, as ListEventSourceMappings reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsMapping {
    pub uuid: String,
    pub queue_arn: String,
    pub function_arn: String,
    pub batch_size: usize,
    pub batching_window: Duration,
    pub report_batch_item_failures: bool,
    /// The `Pattern`s of `FilterCriteria`.
    pub filters: Vec<String>,
    /// Settings of the mapping the local cloud does not emulate (reported when the poller starts).
    pub ignored: Vec<&'static str>,
}

impl SqsMapping {
    /// The queue's name and owner account, from its ARN `arn:aws:sqs:{region}:{account}:{name}`.
    fn queue(&self) -> (&str, &str) {
        let mut parts = self.queue_arn.split(':').skip(4);
        let account = parts.next().unwrap_or_default();
        (parts.next().unwrap_or_default(), account)
    }
}

/// Polls the queue of `mapping` and invokes its function until `stop` turns true or the cloud is gone.
pub async fn run(
    cloud: Weak<Cloud>,
    sqs: aws_sdk_sqs::Client,
    mapping: SqsMapping,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!(mapping = %mapping.uuid, queue = %mapping.queue_arn, function = %mapping.function_arn, "SQS poller started");
    super::report_ignored(&mapping.uuid, &mapping.ignored);
    let filters = match Filters::new(&mapping.filters) {
        Ok(filters) => filters,
        Err(err) => {
            tracing::error!(mapping = %mapping.uuid, "FilterCriteria: {err}; the mapping delivers nothing");
            return;
        }
    };
    let mut poller = Poller {
        sqs,
        mapping,
        filters,
        queue_url: None,
        backoff: FIRST_BACKOFF,
        failing: false,
    };
    while !*stop.borrow() {
        let batch = match poller.receive_batch().await {
            Ok(batch) => batch,
            Err(err) => {
                poller.failed(&err);
                let pause = poller.backoff;
                poller.backoff = (poller.backoff * 2).min(MAX_BACKOFF);
                if stopped_during(&mut stop, pause).await {
                    break;
                }
                continue;
            }
        };
        poller.recovered();
        if batch.is_empty() {
            continue;
        }
        if *stop.borrow() {
            poller.release(&batch).await;
            break;
        }
        let Some(cloud) = cloud.upgrade() else {
            break;
        };
        if !poller.deliver(&cloud, &batch).await {
            drop(cloud);
            if stopped_during(&mut stop, AFTER_FUNCTION_ERROR).await {
                break;
            }
        }
    }
    tracing::info!(mapping = %poller.mapping.uuid, "SQS poller stopped");
}

/// Waits `pause`; whether the poller was told to stop meanwhile (or its mapping's entry is gone).
async fn stopped_during(stop: &mut watch::Receiver<bool>, pause: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(pause) => *stop.borrow(),
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
    }
}

struct Poller {
    sqs: aws_sdk_sqs::Client,
    mapping: SqsMapping,
    filters: Filters,
    /// Resolved on first use, and again after a failing call (the queue may have been re-created).
    queue_url: Option<String>,
    backoff: Duration,
    /// Whether the last SQS call failed (logged once per run of failures).
    failing: bool,
}

impl Poller {
    async fn url(&mut self) -> anyhow::Result<String> {
        if let Some(url) = &self.queue_url {
            return Ok(url.clone());
        }
        let (name, account) = self.mapping.queue();
        let out = self
            .sqs
            .get_queue_url()
            .queue_name(name)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("GetQueueUrl {name}: {}", DisplayErrorContext(e)))?;
        let url = out
            .queue_url()
            .ok_or_else(|| anyhow::anyhow!("GetQueueUrl {name} returned no URL"))?
            .to_owned();
        self.queue_url = Some(url.clone());
        Ok(url)
    }

    /// One batch: a long poll, then (with a batching window) more receives until the batch is full or the
    /// window has passed. Empty when the long poll found nothing.
    async fn receive_batch(&mut self) -> anyhow::Result<Vec<Message>> {
        let url = self.url().await?;
        let max = self.mapping.batch_size.max(1);
        let mut batch = self
            .receive(&url, max.min(PER_CALL), LONG_POLL_SECONDS)
            .await?;
        if batch.is_empty() || self.mapping.batching_window.is_zero() {
            return Ok(batch);
        }
        let deadline = Instant::now() + self.mapping.batching_window;
        while batch.len() < max {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            // Whole seconds of long poll while they fit in the window; short polls near its end.
            let wait = left.as_secs().min(LONG_POLL_SECONDS as u64) as i32;
            match self
                .receive(&url, (max - batch.len()).min(PER_CALL), wait)
                .await
            {
                Ok(more) if more.is_empty() && wait == 0 => {
                    tokio::time::sleep(left.min(Duration::from_millis(100))).await;
                }
                Ok(more) => batch.extend(more),
                // What was received is delivered; the failure shows again at the next receive.
                Err(err) => {
                    tracing::debug!(mapping = %self.mapping.uuid, "receive within the batching window: {err:#}");
                    break;
                }
            }
        }
        Ok(batch)
    }

    async fn receive(&mut self, url: &str, max: usize, wait: i32) -> anyhow::Result<Vec<Message>> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max as i32)
            .wait_time_seconds(wait)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await;
        match out {
            Ok(out) => Ok(out.messages.unwrap_or_default()),
            Err(e) => {
                self.queue_url = None;
                Err(anyhow::anyhow!(
                    "ReceiveMessage from {}: {}",
                    self.mapping.queue_arn,
                    DisplayErrorContext(e)
                ))
            }
        }
    }

    fn failed(&mut self, err: &anyhow::Error) {
        if !self.failing {
            tracing::warn!(mapping = %self.mapping.uuid, "SQS poller: {err:#}; retrying with back-off");
        }
        self.failing = true;
    }

    fn recovered(&mut self) {
        if self.failing {
            tracing::info!(mapping = %self.mapping.uuid, "SQS poller: the queue answers again");
        }
        self.failing = false;
        self.backoff = FIRST_BACKOFF;
    }

    /// Invokes the function with what of `batch` passes the filters and deletes what it processed (and what the
    /// filters discarded); whether the function succeeded.
    async fn deliver(&self, cloud: &Cloud, batch: &[Message]) -> bool {
        let m = &self.mapping;
        let mut event = sqs_batch::event(&m.queue_arn, batch);
        let (batch, discarded) = self.filters.split_sqs(batch, &mut event);
        if !discarded.is_empty() {
            tracing::info!(mapping = %m.uuid, "{} message(s) match no filter of the mapping: deleted from {}", discarded.len(), m.queue_arn);
            self.delete(&discarded).await;
        }
        if batch.is_empty() {
            return true;
        }
        let batch = batch.as_slice();
        let payload = Bytes::from(event.to_string());
        let failure = match cloud.lambda.invoke(&m.function_arn, payload).await {
            Ok(Invocation::Ok(response)) if m.report_batch_item_failures => {
                let ids: Vec<&str> = batch.iter().filter_map(|m| m.message_id()).collect();
                match sqs_batch::kept_by_response(&response, &ids) {
                    Ok(kept) => {
                        if !kept.is_empty() {
                            tracing::info!(mapping = %m.uuid, "{} of {} message(s) reported as batch item failures stay in {}", kept.len(), batch.len(), m.queue_arn);
                        }
                        let done: Vec<&Message> = batch
                            .iter()
                            .copied()
                            .filter(|msg| !msg.message_id().is_some_and(|id| kept.contains(id)))
                            .collect();
                        self.delete(&done).await;
                        return true;
                    }
                    Err(why) => format!("its batch response fails the whole batch: {why}"),
                }
            }
            Ok(Invocation::Ok(_)) => {
                self.delete(batch).await;
                return true;
            }
            Ok(Invocation::FunctionError {
                error_type,
                payload,
            }) => {
                format!("{error_type}: {}", String::from_utf8_lossy(&payload))
            }
            Err(err) => format!("{err:#}"),
        };
        tracing::warn!(
            mapping = %m.uuid,
            "function {} failed on a batch of {} message(s) from {} ({failure}); the batch returns to the queue after its visibility timeout",
            m.function_arn,
            batch.len(),
            m.queue_arn
        );
        false
    }

    /// DeleteMessageBatch of `messages`, ten at a time.
    async fn delete(&self, messages: &[&Message]) {
        let Some(url) = self.queue_url.clone() else {
            return;
        };
        for chunk in messages.chunks(PER_CALL) {
            let entries = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, msg)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .set_receipt_handle(msg.receipt_handle().map(str::to_owned))
                        .build()
                        .ok()
                })
                .collect();
            let out = self
                .sqs
                .delete_message_batch()
                .queue_url(&url)
                .set_entries(Some(entries))
                .send()
                .await;
            match out {
                Ok(out) if out.failed().is_empty() => {}
                Ok(out) => {
                    tracing::warn!(mapping = %self.mapping.uuid, "DeleteMessageBatch: {:?}", out.failed())
                }
                Err(e) => {
                    tracing::warn!(mapping = %self.mapping.uuid, "DeleteMessageBatch: {}", DisplayErrorContext(e))
                }
            }
        }
    }

    /// Makes `messages` visible again at once (received after the poller was told to stop).
    async fn release(&self, messages: &[Message]) {
        let Some(url) = self.queue_url.clone() else {
            return;
        };
        for chunk in messages.chunks(PER_CALL) {
            let entries = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, msg)| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .set_receipt_handle(msg.receipt_handle().map(str::to_owned))
                        .visibility_timeout(0)
                        .build()
                        .ok()
                })
                .collect();
            if let Err(e) = self
                .sqs
                .change_message_visibility_batch()
                .queue_url(&url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                tracing::warn!(mapping = %self.mapping.uuid, "returning messages to the queue: {}", DisplayErrorContext(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_is_named_by_its_arn() {
        let mapping = SqsMapping {
            uuid: "u".into(),
            queue_arn: "arn:aws:sqs:us-east-1:123456789012:orders".into(),
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            batch_size: 10,
            batching_window: Duration::ZERO,
            report_batch_item_failures: false,
            filters: Vec::new(),
            ignored: Vec::new(),
        };
        assert_eq!(mapping.queue(), ("orders", "123456789012"));
    }
}
