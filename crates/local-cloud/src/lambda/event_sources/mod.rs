//! Event source mappings, run by our Lambda service as AWS's pollers run them (moto only stores them: the
//! launcher's `python/local_moto/sqs.py` turns off moto's own invocation inside SendMessage).
//!
//! The set of pollers follows moto's Lambda API: a Lambda or CloudFormation write (or moto's reset) marks it
//! stale ([`SERVICE`]'s `written`), and a reconcile reads ListEventSourceMappings and ListFunctions, then starts
//! one task per enabled SQS or DynamoDB stream mapping whose function exists ([`sqs::run`], [`dynamodb::run`])
//! and stops those of mappings deleted,
//! disabled or changed, or whose function was deleted. Reconciles run one at a time and a burst of writes
//! costs one. SQS writes do not change mappings (and every SendMessage is a POST): a poller whose queue was
//! deleted backs off and finds it again once re-created under the same name.
//!
//! Nothing a mapping sets is ignored silently: a setting the pollers do not emulate is named in the daemon's log
//! (`cargo xtask local logs`) when its poller starts, and a mapping of a source no poller reads (Kinesis, MQ,
//! Kafka, DocumentDB) when it is first seen ([`ignored_settings`]).

pub mod dynamodb;
pub mod filter;
pub mod sqs;
pub mod sqs_batch;

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use aws_sdk_lambda::types::FunctionResponseType;
use tokio::sync::watch;

use crate::{
    SharedCloud,
    aws::Clients,
    lambda::FunctionRef,
    service::{Service, Write, not_mine},
};
use dynamodb::StreamMapping;
use sqs::SqsMapping;

/// Event source mappings on the edge: no traffic of their own, only the writes that change them.
pub const SERVICE: Service = Service {
    name: "lambda-event-sources",
    handle: not_mine,
    written,
};

/// The pollers of the enabled mappings (a field of [`crate::Cloud`]).
#[derive(Default)]
pub struct EventSources {
    /// Bumped by each write that may change the mappings.
    wanted: AtomicU64,
    /// The value of `wanted` the pollers were last reconciled with; its lock makes reconciles take turns.
    reconciled: tokio::sync::Mutex<u64>,
    pollers: Mutex<HashMap<String, Running>>,
    /// Mappings of sources no poller reads, already reported.
    unread: Mutex<HashSet<String>>,
}

struct Running {
    mapping: Mapping,
    stop: watch::Sender<bool>,
}

/// An enabled mapping of a source the Lambda service polls.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mapping {
    Sqs(SqsMapping),
    Stream(StreamMapping),
}

impl Mapping {
    fn uuid(&self) -> &str {
        match self {
            Mapping::Sqs(m) => &m.uuid,
            Mapping::Stream(m) => &m.uuid,
        }
    }
}

fn written(cloud: &SharedCloud, write: &Write<'_>) {
    if !write.touches(&["lambda"]) || !write.status.is_success() {
        return;
    }
    cloud.event_sources.wanted.fetch_add(1, Ordering::AcqRel);
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let cloud = cloud.clone();
    runtime.spawn(async move { cloud.event_sources.reconcile(&cloud).await });
}

impl EventSources {
    /// Starts and stops pollers to match moto's mappings, unless that was done since the last stale write.
    pub async fn reconcile(&self, cloud: &SharedCloud) {
        let mut reconciled = self.reconciled.lock().await;
        let wanted = self.wanted.load(Ordering::Acquire);
        if *reconciled >= wanted {
            return;
        }
        match enabled_mappings(&cloud.aws).await {
            Ok((mappings, unread)) => {
                let mut reported = lock(&self.unread);
                for (uuid, source) in unread {
                    if reported.insert(uuid.clone()) {
                        tracing::warn!(mapping = %uuid, "event source mapping of {source}: the local cloud runs no poller for this kind of source, so it delivers nothing (SQS queues and DynamoDB streams are polled)");
                    }
                }
                drop(reported);
                self.apply(cloud, mappings);
                *reconciled = wanted;
            }
            // The next write tries again.
            Err(err) => tracing::warn!("reading the event source mappings: {err:#}"),
        }
    }

    /// How many pollers run.
    pub fn pollers(&self) -> usize {
        lock(&self.pollers).len()
    }

    /// Tells every poller to stop (the daemon's shutdown).
    pub fn shutdown(&self) {
        for (_, running) in lock(&self.pollers).drain() {
            let _ = running.stop.send(true);
        }
    }

    fn apply(&self, cloud: &SharedCloud, mappings: Vec<Mapping>) {
        let mut pollers = lock(&self.pollers);
        pollers.retain(|_, running| {
            let keep = mappings.contains(&running.mapping);
            if !keep {
                let _ = running.stop.send(true);
            }
            keep
        });
        for mapping in mappings {
            if pollers.contains_key(mapping.uuid()) {
                continue;
            }
            let (stop, stopped) = watch::channel(false);
            match &mapping {
                Mapping::Sqs(m) => tokio::spawn(sqs::run(
                    Arc::downgrade(cloud),
                    cloud.aws.sqs.clone(),
                    m.clone(),
                    stopped,
                )),
                Mapping::Stream(m) => {
                    tokio::spawn(dynamodb::run(Arc::downgrade(cloud), m.clone(), stopped))
                }
            };
            pollers.insert(mapping.uuid().to_owned(), Running { mapping, stop });
        }
    }
}

/// The enabled SQS and DynamoDB stream mappings whose function exists, and (uuid, source ARN) of the enabled
/// mappings of sources no poller reads.
async fn enabled_mappings(aws: &Clients) -> anyhow::Result<(Vec<Mapping>, Vec<(String, String)>)> {
    let mut functions = HashSet::new();
    let mut marker = None;
    loop {
        let out = aws
            .lambda
            .list_functions()
            .set_marker(marker)
            .send()
            .await
            .context("ListFunctions")?;
        functions.extend(
            out.functions()
                .iter()
                .filter_map(|f| f.function_name().map(str::to_owned)),
        );
        marker = out.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    let mut mappings = Vec::new();
    let mut unread = Vec::new();
    let mut marker = None;
    loop {
        let out = aws
            .lambda
            .list_event_source_mappings()
            .set_marker(marker)
            .send()
            .await
            .context("ListEventSourceMappings")?;
        for m in out.event_source_mappings() {
            let (Some(uuid), Some(source_arn), Some(function_arn)) =
                (m.uuid(), m.event_source_arn(), m.function_arn())
            else {
                continue;
            };
            let function_exists =
                FunctionRef::parse(function_arn).is_ok_and(|f| functions.contains(&f.name));
            if m.state() != Some("Enabled") || !function_exists {
                continue;
            }
            let service = source_arn.split(':').nth(2);
            let filters: Vec<String> = m
                .filter_criteria()
                .map(|c| {
                    c.filters()
                        .iter()
                        .filter_map(|f| f.pattern().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let ignored = ignored_settings(m);
            if service == Some("dynamodb") && source_arn.contains("/stream/") {
                mappings.push(Mapping::Stream(StreamMapping {
                    uuid: uuid.to_owned(),
                    stream_arn: source_arn.to_owned(),
                    function_arn: function_arn.to_owned(),
                    batch_size: m.batch_size().unwrap_or(100).max(1) as usize,
                    starting_position: m
                        .starting_position()
                        .map_or("LATEST", |p| p.as_str())
                        .to_owned(),
                    maximum_retry_attempts: m
                        .maximum_retry_attempts()
                        .and_then(|n| u32::try_from(n).ok()),
                    filters,
                    ignored,
                }));
                continue;
            }
            if service != Some("sqs") {
                unread.push((uuid.to_owned(), source_arn.to_owned()));
                continue;
            }
            let queue_arn = source_arn;
            mappings.push(Mapping::Sqs(SqsMapping {
                uuid: uuid.to_owned(),
                queue_arn: queue_arn.to_owned(),
                function_arn: function_arn.to_owned(),
                batch_size: m.batch_size().unwrap_or(10).max(1) as usize,
                batching_window: Duration::from_secs(
                    m.maximum_batching_window_in_seconds().unwrap_or(0).max(0) as u64,
                ),
                report_batch_item_failures: m
                    .function_response_types()
                    .contains(&FunctionResponseType::ReportBatchItemFailures),
                filters,
                ignored,
            }));
        }
        marker = out.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok((mappings, unread))
}

/// The settings of `m` that change what AWS's pollers do and ours do not emulate.
fn ignored_settings(
    m: &aws_sdk_lambda::types::EventSourceMappingConfiguration,
) -> Vec<&'static str> {
    let mut ignored = Vec::new();
    if m.scaling_config()
        .and_then(|c| c.maximum_concurrency())
        .is_some()
    {
        ignored.push("ScalingConfig.MaximumConcurrency (one poller invokes one batch at a time)");
    }
    if m.bisect_batch_on_function_error() == Some(true) {
        ignored.push("BisectBatchOnFunctionError (a failed batch is retried whole)");
    }
    if m.destination_config()
        .and_then(|d| d.on_failure())
        .and_then(|f| f.destination())
        .is_some()
    {
        ignored.push("DestinationConfig.OnFailure (a skipped batch is logged, not sent)");
    }
    if m.tumbling_window_in_seconds().is_some_and(|s| s > 0) {
        ignored.push("TumblingWindowInSeconds (no window state is kept)");
    }
    if m.parallelization_factor().is_some_and(|n| n > 1) {
        ignored.push("ParallelizationFactor (one batch per shard at a time)");
    }
    if m.maximum_record_age_in_seconds().is_some_and(|s| s > 0) {
        ignored.push("MaximumRecordAgeInSeconds (records do not expire)");
    }
    ignored
}

/// Names in the daemon's log the settings of a mapping its poller does not emulate.
fn report_ignored(uuid: &str, ignored: &[&'static str]) {
    for setting in ignored {
        tracing::warn!(mapping = %uuid, "event source mapping sets {setting}: not emulated by the local cloud");
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::types::{
        DestinationConfig, EventSourceMappingConfiguration, OnFailure, ScalingConfig,
    };

    use super::ignored_settings;

    #[test]
    fn settings_the_pollers_do_not_emulate_are_named() {
        let plain = EventSourceMappingConfiguration::builder()
            .batch_size(10)
            .maximum_retry_attempts(2)
            .build();
        assert!(ignored_settings(&plain).is_empty());
        let set = EventSourceMappingConfiguration::builder()
            .scaling_config(ScalingConfig::builder().maximum_concurrency(2).build())
            .bisect_batch_on_function_error(true)
            .destination_config(
                DestinationConfig::builder()
                    .on_failure(
                        OnFailure::builder()
                            .destination("arn:aws:sqs:us-east-1:123456789012:dlq")
                            .build(),
                    )
                    .build(),
            )
            .parallelization_factor(1)
            .build();
        let named: Vec<&str> = ignored_settings(&set)
            .iter()
            .map(|s| s.split(' ').next().unwrap())
            .collect();
        assert_eq!(
            named,
            [
                "ScalingConfig.MaximumConcurrency",
                "BisectBatchOnFunctionError",
                "DestinationConfig.OnFailure"
            ]
        );
    }
}
