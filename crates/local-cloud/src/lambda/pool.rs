//! The instances of one function revision: an idle instance takes the next invocation, concurrent invocations
//! start more (up to a cap), failed instances are replaced on the next invocation. Turns instance outcomes into
//! what Lambda returns and logs.
//!
//! Over 400 lines: each outcome of an invocation (response, error, crash, timeout, failed init) maps to its answer,
//! its CloudWatch lines and the daemon's line for a failure here, side by side, so they stay consistent.

use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use base64::Engine;
use bytes::Bytes;
use tokio::sync::Semaphore;

use super::{
    Invocation,
    capture::LogLine,
    cloudwatch::LogShipper,
    instance::{InitError, InitFailure, Instance, InstanceSpec, Outcome, ProcessRegistry},
    logs::{self, RecentLogs, Report},
    runtime_api::PendingEvent,
};

/// What a pool runs: one function revision.
#[derive(Debug, Clone)]
pub struct PoolSpec {
    pub function_name: String,
    pub version: String,
    /// `provided.al2023` etc. (for the INIT_START line).
    pub runtime: String,
    pub timeout: Duration,
    pub memory_mb: u32,
    pub log_group: String,
    pub instance: InstanceSpec,
}

/// One invocation request.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    pub payload: Bytes,
    /// `Lambda-Runtime-Invoked-Function-Arn`: the ARN as the caller named it (with its qualifier).
    pub invoked_arn: String,
    /// `Lambda-Runtime-Client-Context` (the caller's `X-Amz-Client-Context`, base64-decoded JSON), if any.
    pub client_context: Option<String>,
    /// The request id to run under (the retries of an asynchronous event keep its id); `None`: a new one.
    pub request_id: Option<String>,
}

/// Everything about one invocation.
#[derive(Debug, Clone)]
pub struct InvokeOutput {
    pub request_id: String,
    /// `X-Amz-Executed-Version`.
    pub executed_version: String,
    pub invocation: Invocation,
    /// Whether a new instance was started for it.
    pub cold_start: bool,
    /// This invocation's log lines as they went to CloudWatch (INIT_START .. REPORT).
    pub log_lines: Vec<String>,
}

impl InvokeOutput {
    /// The last 4 KB of this invocation's log, as `LogType: Tail` returns it (before base64).
    pub fn log_tail(&self) -> String {
        logs::tail(&self.log_lines)
    }

    /// The `X-Amz-Log-Result` header value: [`Self::log_tail`] in base64.
    pub fn log_result(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.log_tail())
    }
}

/// Where invocation logs go: the per-function memory and, when configured, CloudWatch Logs.
pub struct LogSink {
    pub recent: RecentLogs,
    pub shipper: Option<LogShipper>,
}

impl LogSink {
    fn publish(&self, function: &str, group: &str, stream: &str, lines: Vec<LogLine>) {
        self.recent.record(function, &lines);
        if let Some(shipper) = &self.shipper {
            shipper.ship(group, stream, lines);
        }
    }
}

/// The instances of one function revision.
pub struct FunctionPool {
    spec: PoolSpec,
    idle: Mutex<Vec<Instance>>,
    permits: Semaphore,
    retired: AtomicBool,
    registry: Arc<ProcessRegistry>,
    sink: Arc<LogSink>,
}

impl FunctionPool {
    /// A pool running at most `max_instances` instances at once (further invocations wait for one).
    pub fn new(
        spec: PoolSpec,
        max_instances: usize,
        registry: Arc<ProcessRegistry>,
        sink: Arc<LogSink>,
    ) -> FunctionPool {
        FunctionPool {
            spec,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(max_instances.max(1)),
            retired: AtomicBool::new(false),
            registry,
            sink,
        }
    }

    pub fn spec(&self) -> &PoolSpec {
        &self.spec
    }

    /// How many instances wait for an invocation.
    pub fn idle_count(&self) -> usize {
        lock(&self.idle).len()
    }

    /// Stops the idle instances; busy ones are stopped when their invocation ends.
    pub fn retire(&self) {
        let idle = {
            let mut idle = lock(&self.idle);
            self.retired.store(true, Ordering::Release);
            std::mem::take(&mut *idle)
        };
        drop(idle);
    }

    /// Stops the idle instances but keeps the pool: the next invocation is a cold start (`cargo xtask bench`).
    pub fn stop_idle(&self) -> usize {
        let idle = std::mem::take(&mut *lock(&self.idle));
        idle.len()
    }

    /// Runs one invocation on an idle instance, or on a new one.
    pub async fn invoke(&self, request: InvokeRequest) -> InvokeOutput {
        let Ok(_permit) = self.permits.acquire().await else {
            unreachable!("the pool's semaphore is never closed");
        };
        let request_id = request
            .request_id
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let mut lines = Vec::new();
        let (mut instance, cold_start) = match self.take_idle() {
            Some(instance) => (instance, false),
            None => {
                let init_start = logs::init_start(&self.spec.runtime);
                match Instance::start(&self.spec.instance, &self.registry).await {
                    Ok(instance) => {
                        lines.push(init_start);
                        (instance, true)
                    }
                    Err(failure) => return self.init_failed(request_id, init_start, failure),
                }
            }
        };
        let timeout = self.spec.timeout;
        let deadline_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default()
            + u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX / 2);
        let event = PendingEvent {
            request_id: request_id.clone(),
            payload: request.payload,
            deadline_ms,
            invoked_function_arn: request.invoked_arn,
            trace_id: trace_id(),
            client_context: request.client_context,
        };
        let start = logs::start(&request_id, &self.spec.version);
        let invoked = instance.invoke(event, timeout).await;
        let init_duration = instance.take_init_duration();
        lines.extend(invoked.earlier_lines);
        lines.push(start);
        lines.extend(invoked.lines);
        let mut report = Report {
            request_id: request_id.clone(),
            duration: invoked.duration,
            init_duration,
            memory_size_mb: self.spec.memory_mb,
            max_memory_kib: invoked.max_memory_kib,
            status: None,
        };
        let invocation = match invoked.outcome.clone() {
            Outcome::Response(body) => {
                lines.extend([logs::end(&request_id), logs::report(&report)]);
                Invocation::Ok(body)
            }
            Outcome::Error {
                error_type,
                payload,
            } => {
                lines.extend([logs::end(&request_id), logs::report(&report)]);
                Invocation::FunctionError {
                    error_type,
                    payload,
                }
            }
            Outcome::TimedOut => {
                report.status = Some(("timeout", String::new()));
                lines.extend([
                    logs::end(&request_id),
                    logs::report(&report),
                    logs::timed_out(&request_id, timeout),
                ]);
                let message = format!(
                    "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                    timeout.as_secs_f64()
                );
                function_error("Sandbox.Timedout", &message)
            }
            Outcome::Exited(status) => {
                let message = exit_message(&status);
                report.status = Some(("error", "Runtime.ExitError".to_owned()));
                lines.extend([
                    logs::runtime_failure(&request_id, &message, "Runtime.ExitError"),
                    logs::end(&request_id),
                    logs::report(&report),
                ]);
                function_error(
                    "Runtime.ExitError",
                    &format!("RequestId: {request_id} Error: {message}"),
                )
            }
        };
        let log_lines = self.publish(instance.log_stream(), lines);
        self.log_failure(&request_id, &invocation);
        if invoked.outcome.keeps_instance() && instance.is_alive() {
            self.put_idle(instance);
        }
        InvokeOutput {
            request_id,
            executed_version: self.spec.version.clone(),
            invocation,
            cold_start,
            log_lines,
        }
    }

    fn init_failed(
        &self,
        request_id: String,
        init_start: LogLine,
        failure: InitFailure,
    ) -> InvokeOutput {
        let (error_type, status, invocation) = match failure.error {
            InitError::InvalidEntrypoint(message) => {
                let invocation = function_error(
                    "Runtime.InvalidEntrypoint",
                    &format!("RequestId: {request_id} Error: {message}"),
                );
                ("Runtime.InvalidEntrypoint".to_owned(), "error", invocation)
            }
            InitError::Reported {
                error_type,
                payload,
            } => (
                error_type.clone(),
                "error",
                Invocation::FunctionError {
                    error_type,
                    payload,
                },
            ),
            InitError::Exited(status) => {
                let message = exit_message(&status);
                let invocation = function_error(
                    "Runtime.ExitError",
                    &format!("RequestId: {request_id} Error: {message}"),
                );
                ("Runtime.ExitError".to_owned(), "error", invocation)
            }
            InitError::Timeout(limit) => {
                let message = format!(
                    "RequestId: {request_id} Error: Runtime failed to start: init phase timed out after {:.2} seconds \
                     (bootstrap never called /runtime/invocation/next)",
                    limit.as_secs_f64()
                );
                (
                    "Runtime.Unknown".to_owned(),
                    "timeout",
                    function_error("Runtime.Unknown", &message),
                )
            }
        };
        let message = match &invocation {
            Invocation::FunctionError { payload, .. } => {
                serde_json::from_slice::<serde_json::Value>(payload)
                    .ok()
                    .and_then(|v| {
                        v.get("errorMessage")
                            .and_then(|m| m.as_str())
                            .map(str::to_owned)
                    })
                    .unwrap_or_default()
            }
            Invocation::Ok(_) => String::new(),
        };
        let mut lines = vec![init_start];
        lines.extend(failure.lines);
        lines.push(logs::init_report(
            failure.init_duration,
            status,
            &error_type,
        ));
        lines.push(logs::start(&request_id, &self.spec.version));
        let message = message
            .strip_prefix(&format!("RequestId: {request_id} Error: "))
            .unwrap_or(&message);
        lines.push(logs::runtime_failure(&request_id, message, &error_type));
        lines.push(logs::end(&request_id));
        lines.push(logs::report(&Report {
            request_id: request_id.clone(),
            duration: Duration::ZERO,
            init_duration: Some(failure.init_duration),
            memory_size_mb: self.spec.memory_mb,
            max_memory_kib: None,
            status: Some(("error", error_type)),
        }));
        let log_lines = self.publish(&failure.log_stream, lines);
        self.log_failure(&request_id, &invocation);
        InvokeOutput {
            request_id,
            executed_version: self.spec.version.clone(),
            invocation,
            cold_start: true,
            log_lines,
        }
    }

    /// The daemon's line for an invocation that failed (an error, a crash, a timeout): the function, why, and the
    /// log group holding its output, since what the caller gets (API Gateway's 502, an ALB's error page) names
    /// neither.
    fn log_failure(&self, request_id: &str, invocation: &Invocation) {
        let Invocation::FunctionError {
            error_type,
            payload,
        } = invocation
        else {
            return;
        };
        let message = serde_json::from_slice::<serde_json::Value>(payload)
            .ok()
            .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_owned))
            .unwrap_or_default();
        tracing::warn!(
            request_id,
            "function {} failed ({error_type}: {message}); its output is in log group {}",
            self.spec.function_name,
            self.spec.log_group
        );
    }

    /// Sends `lines` to the sink (timestamps made non-decreasing, as CloudWatch needs) and returns their text.
    fn publish(&self, stream: &str, mut lines: Vec<LogLine>) -> Vec<String> {
        let mut previous = i64::MIN;
        for line in &mut lines {
            line.timestamp_ms = line.timestamp_ms.max(previous);
            previous = line.timestamp_ms;
        }
        let text = lines.iter().map(|l| l.message.clone()).collect();
        self.sink.publish(
            &self.spec.function_name,
            &self.spec.log_group,
            stream,
            lines,
        );
        text
    }

    fn take_idle(&self) -> Option<Instance> {
        let mut idle = lock(&self.idle);
        // Most recently used first; an instance that died while idle is dropped.
        while let Some(instance) = idle.pop() {
            if instance.is_alive() {
                return Some(instance);
            }
        }
        None
    }

    fn put_idle(&self, instance: Instance) {
        let mut idle = lock(&self.idle);
        if !self.retired.load(Ordering::Acquire) {
            idle.push(instance);
        }
    }
}

/// AWS's text for a runtime that exited (`exit status 0` has its own wording).
fn exit_message(status: &str) -> String {
    if status == "exit status 0" {
        "Runtime exited without providing a reason".to_owned()
    } else {
        format!("Runtime exited with error: {status}")
    }
}

fn function_error(error_type: &str, message: &str) -> Invocation {
    Invocation::FunctionError {
        error_type: error_type.to_owned(),
        payload: Bytes::from(
            serde_json::json!({"errorMessage": message, "errorType": error_type}).to_string(),
        ),
    }
}

/// An X-Ray trace header for the invocation (`Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`).
fn trace_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let parent = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        chrono::Utc::now().timestamp(),
        &random[..24],
        &parent[..16]
    )
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
