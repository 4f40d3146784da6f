//! The Lambda runtime: runs a deployed function's own `bootstrap` natively behind a Runtime API we serve.
//!
//! [`LambdaService::invoke`] resolves the function through moto's GetFunction (cached, see below), fetches and
//! unpacks its code once per CodeSha256 ([`code`]), and runs the invocation on a warm instance of the function's
//! [`pool`] or on a new one ([`instance`], [`runtime_api`]). Each invocation's START/END/REPORT lines and the
//! function's output ([`capture`], [`logs`]) go to its log group in moto off the response path ([`cloudwatch`]).
//!
//! Configuration cache: GetFunction is called on the first invocation of a function, then again only when
//! [`LambdaService::invalidate`] was called since (on every Lambda or CloudFormation write, see [`service`])
//! or when the entry is older than [`LambdaOptions::config_ttl`] (a safety net for writes that bypass the edge).
//! A re-read that finds the same configuration keeps the warm instances; a changed one (code, environment,
//! timeout, memory, ...) starts a new pool and retires the old one.
//! Over 400 lines: the invoke path (resolve, pool, concurrency, scaling down) reads best in one place.

pub mod async_config;
pub mod async_queue;
pub mod async_sources;
pub mod capture;
pub mod cloudwatch;
pub mod code;
pub mod destinations;
pub mod event_sources;
pub mod function;
pub mod instance;
pub mod invoke;
pub mod logs;
pub mod policy;
pub mod pool;
pub mod runtime_api;
pub mod service;
pub mod urls;

use std::{
    collections::HashMap,
    fmt,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use bytes::Bytes;

pub use function::{FunctionConfig, FunctionRef};
pub use pool::{InvokeOutput, InvokeRequest};

use crate::{aws::Clients, config::Config};
use code::CodeStore;
use instance::{InstanceSpec, ProcessRegistry};
use pool::{FunctionPool, LogSink, PoolSpec};

/// The outcome of one invocation, as the Lambda service reports it.
#[derive(Debug, Clone)]
pub enum Invocation {
    /// The function returned this payload.
    Ok(Bytes),
    /// The function reported an error, crashed or timed out: `X-Amz-Function-Error: Unhandled` with this
    /// payload (`{"errorMessage": ..., "errorType": ...}`).
    FunctionError { error_type: String, payload: Bytes },
}

/// The function does not exist (Lambda's `ResourceNotFoundException`, HTTP 404). Returned inside the
/// `anyhow::Error` of [`LambdaService::invoke`]; find it with `error.downcast_ref::<FunctionNotFound>()`.
#[derive(Debug, Clone)]
pub struct FunctionNotFound {
    /// The function's ARN, qualified as the caller qualified it.
    pub arn: String,
}

impl fmt::Display for FunctionNotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Function not found: {}", self.arn)
    }
}

impl std::error::Error for FunctionNotFound {}

/// Tunables of the runtime.
#[derive(Debug, Clone)]
pub struct LambdaOptions {
    /// Instances of one function running at once; more concurrent invocations wait for one to be free.
    pub max_instances_per_function: usize,
    /// How long `bootstrap` may take to call `/runtime/invocation/next` (10 s on AWS).
    pub init_timeout: Duration,
    /// How long a GetFunction result is trusted without [`LambdaService::invalidate`].
    pub config_ttl: Duration,
    /// Write logs to CloudWatch Logs in moto (off only in tests without moto).
    pub ship_logs: bool,
    /// How many times faster than AWS the asynchronous invocation queues wait ([`async_queue`]).
    pub async_speedup: u32,
}

impl Default for LambdaOptions {
    fn default() -> LambdaOptions {
        LambdaOptions {
            max_instances_per_function: 32,
            init_timeout: Duration::from_secs(10),
            config_ttl: Duration::from_secs(2),
            ship_logs: true,
            async_speedup: async_queue::DEFAULT_SPEEDUP,
        }
    }
}

/// Per-invocation options of [`LambdaService::invoke_detailed`].
#[derive(Debug, Clone, Default)]
pub struct InvokeOptions {
    /// The client context (`X-Amz-Client-Context`, base64-decoded) handed to the runtime.
    pub client_context: Option<String>,
    /// Run under this request id instead of a new one (an asynchronous event's retries keep its id).
    pub request_id: Option<String>,
}

/// Starts, reuses and stops function instances.
pub struct LambdaService {
    config: Config,
    aws: Clients,
    options: LambdaOptions,
    code: CodeStore,
    registry: Arc<ProcessRegistry>,
    sink: Arc<LogSink>,
    functions: Mutex<HashMap<String, Arc<Slot>>>,
    /// Bumped by [`LambdaService::invalidate`]; cached entries of an older epoch are re-read.
    epoch: AtomicU64,
    /// Resource policies as last read ([`policy`]).
    pub policies: policy::Policies,
    /// Each function's queue of asynchronous events ([`async_queue`]).
    pub async_queues: async_queue::AsyncQueues,
    shutting_down: AtomicBool,
}

/// The cached state of one function reference (`name:qualifier`).
#[derive(Default)]
struct Slot {
    current: Mutex<Option<Arc<Resolved>>>,
    /// Serialises re-reads, so a burst of invocations makes one GetFunction call.
    refresh: tokio::sync::Mutex<()>,
}

struct Resolved {
    config: FunctionConfig,
    /// The pool, or why the function cannot run here (error type, message).
    runnable: Result<Arc<FunctionPool>, (String, String)>,
    fetched_at: Instant,
    epoch: u64,
}

impl LambdaService {
    pub fn new(config: &Config, aws: Clients) -> LambdaService {
        LambdaService::with_options(config, aws, LambdaOptions::default())
    }

    pub fn with_options(config: &Config, aws: Clients, options: LambdaOptions) -> LambdaService {
        let async_queues = async_queue::AsyncQueues::new(
            options.async_speedup,
            options.max_instances_per_function,
        );
        let shipper = options
            .ship_logs
            .then(|| cloudwatch::LogShipper::new(aws.logs.clone()));
        LambdaService {
            code: CodeStore::new(&config.state_dir, config.moto_url()),
            config: config.clone(),
            aws,
            options,
            registry: Arc::new(ProcessRegistry::default()),
            sink: Arc::new(LogSink {
                recent: logs::RecentLogs::default(),
                shipper,
            }),
            functions: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(0),
            policies: policy::Policies::default(),
            async_queues,
            shutting_down: AtomicBool::new(false),
        }
    }

    /// Invokes `function` (name or ARN, possibly with `:qualifier`) synchronously with `payload`.
    ///
    /// Errors are for what Lambda reports as an API error: [`FunctionNotFound`], a bad reference, moto or the
    /// code unreachable. Everything the function itself does wrong (including an unsupported runtime) is an
    /// [`Invocation::FunctionError`].
    pub async fn invoke(&self, function: &str, payload: Bytes) -> anyhow::Result<Invocation> {
        Ok(self
            .invoke_detailed(function, payload, InvokeOptions::default())
            .await?
            .invocation)
    }

    /// [`Self::invoke`] with the request id, executed version and this invocation's log lines
    /// ([`InvokeOutput::log_result`] is the `X-Amz-Log-Result` of `LogType: Tail`).
    pub async fn invoke_detailed(
        &self,
        function: &str,
        payload: Bytes,
        options: InvokeOptions,
    ) -> anyhow::Result<InvokeOutput> {
        if self.shutting_down.load(Ordering::Acquire) {
            anyhow::bail!("the local cloud is shutting down; cannot invoke {function}");
        }
        let reference = FunctionRef::parse(function)?;
        let resolved = self.resolve(&reference).await?;
        match &resolved.runnable {
            Ok(pool) => Ok(pool
                .invoke(InvokeRequest {
                    payload,
                    invoked_arn: reference.invoked_arn(&self.config.region),
                    client_context: options.client_context,
                    request_id: options.request_id.clone(),
                })
                .await),
            Err((error_type, message)) => Ok(InvokeOutput {
                request_id: options
                    .request_id
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                executed_version: resolved.config.version.clone(),
                invocation: Invocation::FunctionError {
                    error_type: error_type.clone(),
                    payload: Bytes::from(
                        serde_json::json!({"errorMessage": message, "errorType": error_type})
                            .to_string(),
                    ),
                },
                cold_start: false,
                log_lines: Vec::new(),
            }),
        }
    }

    /// Marks every cached function configuration stale: the next invocation of each re-reads GetFunction.
    /// Cheap; call it on every control-plane write.
    pub fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The last lines (up to 1000) written to `function`'s log, oldest first.
    pub fn recent_logs(&self, function: &str) -> Vec<String> {
        match FunctionRef::parse(function) {
            Ok(reference) => self.sink.recent.lines(&reference.name),
            Err(_) => Vec::new(),
        }
    }

    /// Waits until every log line produced so far has been written to CloudWatch Logs.
    pub async fn flush_logs(&self) {
        if let Some(shipper) = &self.sink.shipper {
            shipper.flush().await;
        }
    }

    /// Stops the idle instances of `function` (its configuration stays cached), so that the next invocation
    /// is a cold start. Returns how many were stopped.
    pub fn stop_idle_instances(&self, function: &str) -> anyhow::Result<usize> {
        let name = FunctionRef::parse(function)?.name;
        let slots: Vec<Arc<Slot>> = lock(&self.functions)
            .iter()
            .filter(|(key, _)| key.split(':').next() == Some(name.as_str()))
            .map(|(_, slot)| slot.clone())
            .collect();
        let mut stopped = 0;
        for slot in slots {
            if let Some(resolved) = lock(&slot.current).as_ref()
                && let Ok(pool) = &resolved.runnable
            {
                stopped += pool.stop_idle();
            }
        }
        Ok(stopped)
    }

    /// Forgets `function` (deleted from the control plane): its instances stop, idle ones now, busy ones when
    /// their invocation ends.
    pub fn forget(&self, function: &str) {
        let Ok(reference) = FunctionRef::parse(function) else {
            return;
        };
        let name = reference.name;
        let removed: Vec<Arc<Slot>> = {
            let mut functions = lock(&self.functions);
            let keys: Vec<String> = functions
                .keys()
                .filter(|key| key.split(':').next() == Some(name.as_str()))
                .cloned()
                .collect();
            keys.iter()
                .filter_map(|key| functions.remove(key))
                .collect()
        };
        for slot in removed {
            if let Some(resolved) = lock(&slot.current).take()
                && let Ok(pool) = &resolved.runnable
            {
                pool.retire();
            }
        }
    }

    /// How many function processes are running.
    pub fn running_instances(&self) -> usize {
        self.registry.live_count()
    }

    /// Stops every running instance (and waits until they are gone), then flushes the logs.
    pub async fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        let slots: Vec<Arc<Slot>> = lock(&self.functions).values().cloned().collect();
        for slot in slots {
            if let Some(resolved) = lock(&slot.current).take()
                && let Ok(pool) = &resolved.runnable
            {
                pool.retire();
            }
        }
        self.registry.kill_all(Duration::from_secs(5)).await;
        if tokio::time::timeout(Duration::from_secs(5), self.flush_logs())
            .await
            .is_err()
        {
            tracing::warn!("Lambda logs were not all written to CloudWatch Logs before shutdown");
        }
    }

    async fn resolve(&self, reference: &FunctionRef) -> anyhow::Result<Arc<Resolved>> {
        let slot = lock(&self.functions)
            .entry(reference.key())
            .or_default()
            .clone();
        if let Some(resolved) = self.fresh(&slot) {
            return Ok(resolved);
        }
        let _refreshing = slot.refresh.lock().await;
        if let Some(resolved) = self.fresh(&slot) {
            return Ok(resolved);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let config = match self.get_function(reference).await {
            Ok(config) => config,
            Err(e) => {
                if e.downcast_ref::<FunctionNotFound>().is_some()
                    && let Some(previous) = lock(&slot.current).take()
                    && let Ok(pool) = &previous.runnable
                {
                    pool.retire();
                }
                return Err(e);
            }
        };
        let previous = lock(&slot.current).clone();
        let runnable = match &previous {
            Some(previous) if previous.config == config => previous.runnable.clone(),
            _ => self.build_pool(reference, &config).await?,
        };
        let resolved = Arc::new(Resolved {
            config,
            runnable,
            fetched_at: Instant::now(),
            epoch,
        });
        *lock(&slot.current) = Some(resolved.clone());
        if let Some(previous) = previous
            && let Ok(old) = &previous.runnable
            && !matches!(&resolved.runnable, Ok(new) if Arc::ptr_eq(old, new))
        {
            old.retire();
        }
        Ok(resolved)
    }

    fn fresh(&self, slot: &Slot) -> Option<Arc<Resolved>> {
        let current = lock(&slot.current);
        let resolved = current.as_ref()?;
        let fresh = resolved.epoch == self.epoch.load(Ordering::Acquire)
            && resolved.fetched_at.elapsed() < self.options.config_ttl;
        fresh.then(|| resolved.clone())
    }

    async fn get_function(&self, reference: &FunctionRef) -> anyhow::Result<FunctionConfig> {
        let output = self
            .aws
            .lambda
            .get_function()
            .function_name(&reference.name)
            .set_qualifier(reference.qualifier.clone())
            .send()
            .await;
        let output = match output {
            Ok(output) => output,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Err(FunctionNotFound {
                    arn: reference.invoked_arn(&self.config.region),
                }
                .into());
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)).with_context(|| {
                    format!(
                        "GetFunction {} (moto at {})",
                        reference.key(),
                        self.config.moto_url()
                    )
                });
            }
        };
        let configuration = output.configuration().with_context(|| {
            format!("GetFunction {} returned no Configuration", reference.key())
        })?;
        FunctionConfig::from_sdk(configuration)
            .with_context(|| format!("GetFunction {}", reference.key()))
    }

    async fn build_pool(
        &self,
        reference: &FunctionRef,
        config: &FunctionConfig,
    ) -> anyhow::Result<Result<Arc<FunctionPool>, (String, String)>> {
        if let Some(unsupported) = config.unsupported() {
            return Ok(Err(unsupported));
        }
        let code_dir = self
            .code
            .ensure(
                &config.name,
                reference.qualifier.as_deref(),
                &config.code_sha256,
            )
            .await?;
        tracing::debug!(function = %config.name, version = %config.version, code = %code_dir.display(), "new Lambda pool");
        let spec = PoolSpec {
            function_name: config.name.clone(),
            version: config.version.clone(),
            runtime: config.runtime.clone().unwrap_or_default(),
            timeout: config.timeout,
            memory_mb: config.memory_mb,
            log_group: config.log_group.clone(),
            instance: InstanceSpec {
                function_name: config.name.clone(),
                version: config.version.clone(),
                env: config.instance_env(&self.config, &code_dir),
                code_dir,
                init_timeout: self.options.init_timeout,
            },
        };
        Ok(Ok(Arc::new(FunctionPool::new(
            spec,
            self.options.max_instances_per_function,
            self.registry.clone(),
            self.sink.clone(),
        ))))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
