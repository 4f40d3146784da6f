//! Lambda's asynchronous invocation, as AWS runs it
//! (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html>): each function has an
//! internal event queue; the Invoke API's `Event` type and the services that invoke asynchronously (S3, SNS,
//! EventBridge: [`super::async_sources`]) put events on it and are answered at once; a worker runs them. A function
//! error (a returned error, a crash, a timeout) sends the event back to the queue for a retry after 1 minute,
//! then 2 minutes, up to `MaximumRetryAttempts` (default 2); an event older than `MaximumEventAgeInSeconds`
//! (default 6 hours) is not run again. An event done with goes to the on-success or on-failure destination
//! and, on failure, to the function's dead-letter queue ([`super::destinations`]).
//!
//! Time runs faster here: AWS's delays and event ages are divided by [`AsyncQueues::speedup`] (the daemon's
//! `--async-speedup`, default [`DEFAULT_SPEEDUP`]), so a retried event takes seconds, not minutes.
//! Retries keep the event's request id, as on AWS. A worker whose queue stayed empty for [`IDLE`] with
//! nothing pending stops, so a deleted function leaves nothing running.
//! Over 400 lines: an event's whole life (accepted, run, retried, finished) reads best in one place, with its tests.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc};

use super::{
    FunctionNotFound, FunctionRef, Invocation, InvokeOptions,
    async_config::{self, EventInvokeSettings},
    destinations::{self, Condition, Outcome, Response, Target},
};
use crate::SharedCloud;

/// AWS's waits before the first and the second retry of a failed event.
pub const RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(60), Duration::from_secs(120)];
/// How many times faster than AWS the queue's clock runs by default: the retries wait 1 s and 2 s.
pub const DEFAULT_SPEEDUP: u32 = 60;
/// How long a worker waits for an event before it stops (when nothing of its function is pending).
pub const IDLE: Duration = Duration::from_secs(60);
/// The longest wait between two tries after errors of the local cloud itself (AWS: 5 minutes, scaled too).
const MAX_SYSTEM_BACKOFF: Duration = Duration::from_secs(300);

/// One event on a function's queue.
#[derive(Debug, Clone)]
pub struct AsyncEvent {
    /// The function as the caller named it (name or ARN, maybe qualified).
    pub function: String,
    pub payload: Bytes,
    /// The request id every attempt runs under (the Invoke API answered it).
    pub request_id: String,
    /// Who sent it, for the daemon's log (`the Invoke API`, `s3.amazonaws.com for arn:aws:s3:::b`).
    pub source: String,
    /// The Invoke API's `X-Amz-Client-Context` (decoded), handed to every attempt.
    pub client_context: Option<String>,
    accepted: Instant,
    attempts: u32,
    system_errors: u32,
    last_response: Option<Response>,
}

impl AsyncEvent {
    /// A new event, with a new request id.
    pub fn new(function: &str, payload: Bytes, source: impl Into<String>) -> AsyncEvent {
        AsyncEvent {
            function: function.to_owned(),
            payload,
            request_id: uuid::Uuid::new_v4().to_string(),
            source: source.into(),
            client_context: None,
            accepted: Instant::now(),
            attempts: 0,
            system_errors: 0,
            last_response: None,
        }
    }
}

/// The event queues of every function, held by the [`LambdaService`](super::LambdaService).
pub struct AsyncQueues {
    speedup: u32,
    /// Events of one function run at once (the others wait on its queue).
    concurrency: usize,
    queues: Mutex<HashMap<String, Queue>>,
}

struct Queue {
    tx: mpsc::UnboundedSender<AsyncEvent>,
    /// Events accepted and not yet done with (queued, running or waiting for a retry).
    pending: Arc<AtomicUsize>,
}

impl AsyncQueues {
    pub fn new(speedup: u32, concurrency: usize) -> AsyncQueues {
        AsyncQueues {
            speedup: speedup.max(1),
            concurrency: concurrency.max(1),
            queues: Mutex::new(HashMap::new()),
        }
    }

    /// How many times faster than AWS the queues' clock runs.
    pub fn speedup(&self) -> u32 {
        self.speedup
    }

    /// An AWS duration on this clock.
    pub fn scaled(&self, aws: Duration) -> Duration {
        aws / self.speedup
    }

    /// Events accepted and not yet done with, over all functions.
    pub fn pending(&self) -> usize {
        lock(&self.queues)
            .values()
            .map(|q| q.pending.load(Ordering::Acquire))
            .sum()
    }
}

/// Puts `event` on its function's queue (starting the queue's worker if it has none); returns at once.
pub fn enqueue(cloud: &SharedCloud, event: AsyncEvent) -> anyhow::Result<()> {
    let key = FunctionRef::parse(&event.function)?.key();
    let queues = &cloud.lambda.async_queues;
    let mut map = lock(&queues.queues);
    let queue = map.entry(key.clone()).or_insert_with(|| {
        let (tx, rx) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        tokio::spawn(work(
            cloud.clone(),
            key.clone(),
            rx,
            tx.clone(),
            pending.clone(),
        ));
        Queue { tx, pending }
    });
    queue.pending.fetch_add(1, Ordering::AcqRel);
    // The worker stops only under this lock with nothing pending, so its receiver is alive.
    queue
        .tx
        .send(event)
        .map_err(|_| anyhow::anyhow!("the event queue of {key} is closed"))
}

/// A function's worker: takes events in order and runs each on its own task, at most `concurrency` at once.
async fn work(
    cloud: SharedCloud,
    key: String,
    mut rx: mpsc::UnboundedReceiver<AsyncEvent>,
    tx: mpsc::UnboundedSender<AsyncEvent>,
    pending: Arc<AtomicUsize>,
) {
    let slots = Arc::new(Semaphore::new(cloud.lambda.async_queues.concurrency));
    loop {
        let event = match tokio::time::timeout(IDLE, rx.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => return,
            Err(_) => {
                let mut map = lock(&cloud.lambda.async_queues.queues);
                if pending.load(Ordering::Acquire) == 0 && rx.is_empty() {
                    map.remove(&key);
                    return;
                }
                continue;
            }
        };
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (cloud, tx, pending) = (cloud.clone(), tx.clone(), pending.clone());
        tokio::spawn(async move {
            let next = attempt(&cloud, event, slot).await;
            match next {
                Next::Retry(event, delay) => {
                    tokio::time::sleep(delay).await;
                    if tx.send(*event).is_err() {
                        pending.fetch_sub(1, Ordering::AcqRel);
                    }
                }
                Next::Done => {
                    pending.fetch_sub(1, Ordering::AcqRel);
                }
            }
        });
    }
}

/// What follows an attempt.
enum Next {
    /// Back on the queue after this wait.
    Retry(Box<AsyncEvent>, Duration),
    Done,
}

/// Runs the event once (unless it is too old) and decides what follows.
async fn attempt(
    cloud: &SharedCloud,
    mut event: AsyncEvent,
    slot: tokio::sync::OwnedSemaphorePermit,
) -> Next {
    let queues = &cloud.lambda.async_queues;
    let Ok(function) = FunctionRef::parse(&event.function) else {
        return Next::Done;
    };
    let settings = async_config::event_invoke_settings(cloud, &function).await;
    if event.attempts > 0 && event.accepted.elapsed() > queues.scaled(settings.max_age) {
        drop(slot);
        finish(
            cloud,
            &function,
            &event,
            &settings,
            Condition::EventAgeExceeded,
        )
        .await;
        return Next::Done;
    }
    let options = InvokeOptions {
        request_id: Some(event.request_id.clone()),
        client_context: event.client_context.clone(),
    };
    let result = cloud
        .lambda
        .invoke_detailed(&event.function, event.payload.clone(), options)
        .await;
    drop(slot);
    let out = match result {
        Ok(out) => out,
        Err(e) if e.downcast_ref::<FunctionNotFound>().is_some() => {
            tracing::warn!(
                function = %event.function,
                request_id = %event.request_id,
                "asynchronous event discarded: {e:#}"
            );
            return Next::Done;
        }
        Err(e) => {
            // The local cloud could not run it (moto unreachable, shutting down): retried with backoff, as
            // Lambda retries its own errors, until the event is too old.
            let backoff =
                Duration::from_secs(1 << event.system_errors.min(8)).min(MAX_SYSTEM_BACKOFF);
            event.system_errors += 1;
            if event.accepted.elapsed() + queues.scaled(backoff) > queues.scaled(settings.max_age) {
                tracing::error!(function = %event.function, request_id = %event.request_id, "asynchronous event: {e:#}; too old to retry");
                finish(
                    cloud,
                    &function,
                    &event,
                    &settings,
                    Condition::EventAgeExceeded,
                )
                .await;
                return Next::Done;
            }
            tracing::warn!(function = %event.function, request_id = %event.request_id, "asynchronous event: {e:#}; trying again");
            return Next::Retry(Box::new(event), queues.scaled(backoff));
        }
    };
    event.attempts += 1;
    match out.invocation {
        Invocation::Ok(payload) => {
            event.last_response = Some(Response {
                executed_version: out.executed_version,
                function_error: None,
                payload,
            });
            finish(cloud, &function, &event, &settings, Condition::Success).await;
            Next::Done
        }
        Invocation::FunctionError { payload, .. } => {
            event.last_response = Some(Response {
                executed_version: out.executed_version,
                function_error: Some("Unhandled".to_owned()),
                payload,
            });
            let retries_done = event.attempts - 1;
            if retries_done < settings.max_retries {
                let delay = queues.scaled(RETRY_DELAYS[(retries_done as usize).min(1)]);
                tracing::info!(
                    function = %event.function,
                    request_id = %event.request_id,
                    "asynchronous event failed (attempt {} of {}); retrying in {delay:?} (AWS: {:?})",
                    event.attempts,
                    settings.max_retries + 1,
                    RETRY_DELAYS[(retries_done as usize).min(1)],
                );
                Next::Retry(Box::new(event), delay)
            } else {
                finish(
                    cloud,
                    &function,
                    &event,
                    &settings,
                    Condition::RetriesExhausted,
                )
                .await;
                Next::Done
            }
        }
    }
}

/// Sends the record to the destination of `condition` and, on failure, the event to the dead-letter queue;
/// says in the daemon's log where it went.
async fn finish(
    cloud: &SharedCloud,
    function: &FunctionRef,
    event: &AsyncEvent,
    settings: &EventInvokeSettings,
    condition: Condition,
) {
    let executed = event
        .last_response
        .as_ref()
        .map_or("$LATEST", |r| r.executed_version.as_str());
    let base = FunctionRef {
        qualifier: None,
        ..function.clone()
    }
    .invoked_arn(&cloud.config.region);
    let function_arn = format!(
        "{base}:{}",
        function.qualifier.as_deref().unwrap_or(executed)
    );
    let destination = match condition {
        Condition::Success => settings.on_success.as_deref(),
        _ => settings.on_failure.as_deref(),
    };
    let mut sent_to = Vec::new();
    if let Some(destination) = destination {
        let outcome = Outcome {
            request_id: &event.request_id,
            function_arn: &function_arn,
            condition,
            invoke_count: event.attempts,
            request_payload: &event.payload,
            response: event.last_response.as_ref(),
        };
        let record = destinations::record(&outcome, &destinations::now_timestamp());
        let sent = if Target::of(destination) == Some(Target::Lambda) {
            let source = format!("the destination of {}", function.name);
            enqueue(
                cloud,
                AsyncEvent::new(destination, record.to_string().into(), source),
            )
        } else {
            destinations::send_record(cloud, destination, &record, condition, &function_arn).await
        };
        match sent {
            Ok(()) => sent_to.push(destination.to_owned()),
            Err(e) => tracing::error!(
                function = %function.name,
                request_id = %event.request_id,
                "the {} destination {destination} did not take the invocation record: {e:#}",
                condition.as_str()
            ),
        }
    }
    if condition != Condition::Success
        && let Some(dlq) = async_config::dead_letter_target(cloud, function).await
    {
        let message = event.last_response.as_ref().map_or_else(
            || format!("Event age exceeded for request {}", event.request_id),
            |r| destinations::error_message(&r.payload),
        );
        match destinations::send_dead_letter(
            cloud,
            &dlq,
            &event.payload,
            &event.request_id,
            &message,
        )
        .await
        {
            Ok(()) => sent_to.push(dlq),
            Err(e) => tracing::error!(
                function = %function.name,
                request_id = %event.request_id,
                "the dead-letter queue {dlq} did not take the event: {e:#}"
            ),
        }
    }
    if condition == Condition::Success {
        if !sent_to.is_empty() {
            tracing::debug!(function = %function.name, request_id = %event.request_id, "asynchronous event done; record sent to {}", sent_to.join(", "));
        }
        return;
    }
    let whereto = if sent_to.is_empty() {
        "discarded (no on-failure destination or dead-letter queue took it)".to_owned()
    } else {
        format!("sent to {}", sent_to.join(" and "))
    };
    tracing::warn!(
        function = %function.name,
        request_id = %event.request_id,
        "asynchronous event from {} {} after {} attempt(s): {whereto}",
        event.source,
        match condition {
            Condition::EventAgeExceeded => "expired",
            _ => "failed",
        },
        event.attempts,
    );
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_runs_faster_by_the_speedup() {
        let queues = AsyncQueues::new(DEFAULT_SPEEDUP, 4);
        assert_eq!(queues.scaled(RETRY_DELAYS[0]), Duration::from_secs(1));
        assert_eq!(queues.scaled(RETRY_DELAYS[1]), Duration::from_secs(2));
        assert_eq!(
            queues.scaled(async_config::DEFAULT_MAX_AGE),
            Duration::from_secs(360)
        );
        // 1 is AWS's own clock; 0 is taken as 1.
        assert_eq!(
            AsyncQueues::new(0, 1).scaled(RETRY_DELAYS[1]),
            RETRY_DELAYS[1]
        );
        assert_eq!(queues.pending(), 0);
    }

    #[test]
    fn each_event_gets_its_own_request_id() {
        let a = AsyncEvent::new("f", Bytes::new(), "test");
        let b = AsyncEvent::new("f", Bytes::new(), "test");
        assert_ne!(a.request_id, b.request_id);
        assert_eq!(a.attempts, 0);
    }
}
