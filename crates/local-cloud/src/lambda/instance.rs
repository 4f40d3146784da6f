//! One execution environment: a function's `bootstrap` running as its own process group, its Runtime API
//! listener and its captured output. Start it ([`Instance::start`]), invoke it one event at a time, drop it to kill it.
//! Over 400 lines: one instance's whole life (spawn, the Runtime API exchange, timeouts, crashes and their error documents) reads best in one place.

use std::{
    collections::HashMap,
    os::unix::process::ExitStatusExt,
    path::PathBuf,
    process::{ExitStatus, Stdio},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use tokio::sync::{Notify, watch};

use super::{
    capture::{LogLine, OutputCapture},
    runtime_api::{PendingEvent, RuntimeApi, RuntimeEvent},
};

/// What an instance is started from: the unpacked code and the complete environment.
#[derive(Debug, Clone)]
pub struct InstanceSpec {
    /// Names the function in logs and errors.
    pub function_name: String,
    /// `$LATEST` or a version number: the `[...]` part of log stream names.
    pub version: String,
    /// The unpacked code; `bootstrap` is run from here, with this as the working directory.
    pub code_dir: PathBuf,
    /// The whole environment of the process, except `AWS_LAMBDA_RUNTIME_API` and `AWS_LAMBDA_LOG_STREAM_NAME`,
    /// which each instance sets itself.
    pub env: Vec<(String, String)>,
    /// How long `bootstrap` may take to ask for its first event.
    pub init_timeout: Duration,
}

/// Why an instance failed to become ready.
#[derive(Debug, Clone)]
pub enum InitError {
    /// `bootstrap` is missing or cannot be executed (`Runtime.InvalidEntrypoint`).
    InvalidEntrypoint(String),
    /// The runtime reported `/runtime/init/error`.
    Reported { error_type: String, payload: Bytes },
    /// The process exited during init; the text is AWS's description (`exit status 3`, `signal: killed`).
    Exited(String),
    /// No `/next` within the init timeout.
    Timeout(Duration),
}

/// A failed start, with what the process printed meanwhile.
#[derive(Debug)]
pub struct InitFailure {
    pub error: InitError,
    pub init_duration: Duration,
    pub log_stream: String,
    pub lines: Vec<LogLine>,
}

/// How one invocation ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Response(Bytes),
    /// The runtime posted `/invocation/{id}/error` (or the response was too large).
    Error {
        error_type: String,
        payload: Bytes,
    },
    /// The timeout passed; the instance has been killed.
    TimedOut,
    /// The process exited (AWS's description of the status); the instance is dead.
    Exited(String),
}

impl Outcome {
    /// Whether the instance can take another invocation after this one.
    pub fn keeps_instance(&self) -> bool {
        matches!(self, Outcome::Response(_) | Outcome::Error { .. })
    }
}

/// The result of [`Instance::invoke`].
#[derive(Debug)]
pub struct Invoked {
    pub outcome: Outcome,
    /// From delivering the event to the outcome.
    pub duration: Duration,
    /// Lines printed before the event was delivered (init output or leftovers of the previous invocation).
    pub earlier_lines: Vec<LogLine>,
    /// Lines printed during the invocation.
    pub lines: Vec<LogLine>,
    /// Peak resident memory of the process (VmHWM), in KiB, when known.
    pub max_memory_kib: Option<u64>,
}

/// Every process started by one [`super::LambdaService`] (or test), so `shutdown` can kill them all and wait.
#[derive(Default)]
pub struct ProcessRegistry {
    next_id: AtomicU64,
    live: Mutex<HashMap<u64, LiveProcess>>,
}

/// A running process: how to kill it and how to learn that it exited.
type LiveProcess = (Arc<KillSwitch>, watch::Receiver<Option<ExitStatus>>);

impl ProcessRegistry {
    /// Kills every live process group and waits (at most `limit`) until each leader has been reaped.
    pub async fn kill_all(&self, limit: Duration) {
        let live: Vec<_> = lock(&self.live).values().cloned().collect();
        for (kill, _) in &live {
            kill.kill();
        }
        let waits = async {
            for (_, mut exit) in live {
                let _ = exit.wait_for(Option::is_some).await;
            }
        };
        if tokio::time::timeout(limit, waits).await.is_err() {
            tracing::warn!("some Lambda instances did not exit within {limit:?}");
        }
    }

    /// How many processes are running.
    pub fn live_count(&self) -> usize {
        lock(&self.live).len()
    }
}

/// Asks the monitor task to kill the process group; idempotent, never lost.
#[derive(Default)]
pub struct KillSwitch {
    fired: AtomicBool,
    notify: Notify,
}

impl KillSwitch {
    fn kill(&self) {
        self.fired.store(true, Ordering::Release);
        self.notify.notify_one();
    }
    async fn fired(&self) {
        while !self.fired.load(Ordering::Acquire) {
            self.notify.notified().await;
        }
    }
}

/// A started, initialised instance.
pub struct Instance {
    pid: u32,
    log_stream: String,
    api: RuntimeApi,
    capture: OutputCapture,
    exit: watch::Receiver<Option<ExitStatus>>,
    kill: Arc<KillSwitch>,
    /// Set until the first invocation takes it: the cold start's init duration.
    init_duration: Option<Duration>,
    last_memory_kib: Option<u64>,
}

impl Instance {
    /// Starts `bootstrap` and waits until it asks for its first event.
    pub async fn start(
        spec: &InstanceSpec,
        registry: &Arc<ProcessRegistry>,
    ) -> Result<Instance, InitFailure> {
        let started = Instant::now();
        let log_stream = log_stream_name(&spec.version);
        let fail = |error: InitError, lines: Vec<LogLine>| InitFailure {
            error,
            init_duration: started.elapsed(),
            log_stream: log_stream.clone(),
            lines,
        };
        let bootstrap = spec.code_dir.join("bootstrap");
        if !bootstrap.is_file() {
            return Err(fail(
                InitError::InvalidEntrypoint(format!(
                    "Couldn't find valid bootstrap(s): [{}]",
                    bootstrap.display()
                )),
                Vec::new(),
            ));
        }
        let api = match RuntimeApi::bind().await {
            Ok(api) => api,
            Err(e) => {
                return Err(fail(
                    InitError::InvalidEntrypoint(format!(
                        "could not bind the Runtime API listener: {e}"
                    )),
                    Vec::new(),
                ));
            }
        };
        let mut command = tokio::process::Command::new(&bootstrap);
        command
            .current_dir(&spec.code_dir)
            .env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_LOG_STREAM_NAME", &log_stream)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = match spawn(&mut command).await {
            Ok(child) => child,
            Err(e) => {
                return Err(fail(
                    InitError::InvalidEntrypoint(format!("fork/exec {}: {e}", bootstrap.display())),
                    Vec::new(),
                ));
            }
        };
        let pid = child.id().unwrap_or_default();
        let pipes = [
            child.stdout.take().map(|p| p.into_owned_fd()),
            child.stderr.take().map(|p| p.into_owned_fd()),
        ]
        .into_iter()
        .flatten()
        .filter_map(|fd| fd.ok())
        .filter_map(|fd| tokio::net::unix::pipe::Receiver::from_owned_fd(fd).ok())
        .collect();
        let capture = OutputCapture::start(spec.function_name.clone(), pipes);

        let kill = Arc::new(KillSwitch::default());
        let (exit_tx, exit) = watch::channel(None);
        let id = registry.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&registry.live).insert(id, (kill.clone(), exit.clone()));
        tokio::spawn(monitor(
            child,
            pid,
            kill.clone(),
            exit_tx,
            registry.clone(),
            id,
        ));

        let mut instance = Instance {
            pid,
            log_stream: log_stream.clone(),
            api,
            capture,
            exit,
            kill,
            init_duration: None,
            last_memory_kib: None,
        };
        match instance.wait_ready(spec.init_timeout).await {
            Ok(()) => {
                instance.init_duration = Some(started.elapsed());
                Ok(instance)
            }
            Err(error) => {
                instance.terminate().await;
                let lines = instance.capture.take_lines();
                Err(fail(error, lines))
            }
        }
    }

    async fn wait_ready(&mut self, init_timeout: Duration) -> Result<(), InitError> {
        let deadline = tokio::time::sleep(init_timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                biased;
                event = self.api.recv() => match event {
                    Some(RuntimeEvent::Next) => return Ok(()),
                    Some(RuntimeEvent::InitError { error_type, body }) => return Err(reported_init_error(error_type, body)),
                    Some(_) => continue,
                    None => return Err(InitError::Exited("runtime API stopped".to_owned())),
                },
                status = wait_exit(&mut self.exit) => {
                    // A runtime that reported /init/error and exited: the report wins.
                    while let Some(event) = self.api.try_recv() {
                        if let RuntimeEvent::InitError { error_type, body } = event {
                            return Err(reported_init_error(error_type, body));
                        }
                    }
                    return Err(InitError::Exited(describe_exit(status)));
                }
                _ = &mut deadline => return Err(InitError::Timeout(init_timeout)),
            }
        }
    }

    /// Runs one invocation, enforcing `timeout` (the instance is killed when it passes).
    pub async fn invoke(&mut self, event: PendingEvent, timeout: Duration) -> Invoked {
        let earlier_lines = self.capture.take_lines();
        let request_id = event.request_id.clone();
        let started = Instant::now();
        let outcome = match self.api.deliver(event) {
            Ok(()) => self.await_outcome(&request_id, timeout).await,
            Err(e) => Outcome::Exited(format!("could not deliver the event: {e}")),
        };
        let duration = started.elapsed();
        let max_memory_kib = match &outcome {
            Outcome::TimedOut | Outcome::Exited(_) => self.last_memory_kib,
            _ => vm_hwm_kib(self.pid).or(self.last_memory_kib),
        };
        self.last_memory_kib = max_memory_kib;
        if !outcome.keeps_instance() {
            self.terminate().await;
        }
        Invoked {
            outcome,
            duration,
            earlier_lines,
            lines: self.capture.take_lines(),
            max_memory_kib,
        }
    }

    async fn await_outcome(&mut self, request_id: &str, timeout: Duration) -> Outcome {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                biased;
                event = self.api.recv() => {
                    if let Some(outcome) = event.and_then(|e| outcome_of(e, request_id)) {
                        return outcome;
                    }
                }
                status = wait_exit(&mut self.exit) => {
                    // A response posted just before the exit still counts.
                    while let Some(event) = self.api.try_recv() {
                        if let Some(outcome) = outcome_of(event, request_id) {
                            return outcome;
                        }
                    }
                    return Outcome::Exited(describe_exit(status));
                }
                _ = &mut deadline => {
                    self.last_memory_kib = vm_hwm_kib(self.pid).or(self.last_memory_kib);
                    return Outcome::TimedOut;
                }
            }
        }
    }

    /// The cold start's init duration, once: `Some` only for the first invocation of this instance.
    pub fn take_init_duration(&mut self) -> Option<Duration> {
        self.init_duration.take()
    }

    /// The CloudWatch log stream this instance writes to.
    pub fn log_stream(&self) -> &str {
        &self.log_stream
    }

    /// Whether the process is still running.
    pub fn is_alive(&self) -> bool {
        self.exit.borrow().is_none()
    }

    /// Kills the process group and waits (briefly) until the process is reaped and its pipes are closed.
    pub async fn terminate(&mut self) {
        self.kill.kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), wait_exit(&mut self.exit)).await;
        self.capture.wait_closed(Duration::from_millis(500)).await;
    }

    /// Lines printed since the last invocation.
    pub fn take_lines(&self) -> Vec<LogLine> {
        self.capture.take_lines()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill.kill();
    }
}

fn outcome_of(event: RuntimeEvent, request_id: &str) -> Option<Outcome> {
    match event {
        RuntimeEvent::Response {
            request_id: id,
            body,
        } if id == request_id => Some(Outcome::Response(body)),
        RuntimeEvent::Error {
            request_id: id,
            error_type,
            body,
        } if id == request_id => Some(runtime_error(error_type, body)),
        _ => None,
    }
}

/// An `/invocation/{id}/error` report as the Lambda service returns it: the runtime's own document when it
/// is a JSON object (else one made of the raw text), its `errorType`, else the error type header.
fn runtime_error(error_type: Option<String>, body: Bytes) -> Outcome {
    let (error_type, payload) = error_document(error_type, body, "Unhandled");
    Outcome::Error {
        error_type,
        payload,
    }
}

fn reported_init_error(error_type: Option<String>, body: Bytes) -> InitError {
    let (error_type, payload) = error_document(error_type, body, "Runtime.Unknown");
    InitError::Reported {
        error_type,
        payload,
    }
}

fn error_document(header: Option<String>, body: Bytes, fallback: &str) -> (String, Bytes) {
    let parsed = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .filter(|v| v.is_object());
    let from_body = parsed
        .as_ref()
        .and_then(|v| v.get("errorType"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    // The document's errorType is what callers see; the header (lambda_runtime sends `unhandled`) is a fallback.
    let error_type = from_body.or(header).unwrap_or_else(|| fallback.to_owned());
    let payload = match parsed {
        Some(_) => body,
        None => Bytes::from(
            serde_json::json!({
                "errorMessage": String::from_utf8_lossy(&body),
                "errorType": error_type,
            })
            .to_string(),
        ),
    };
    (error_type, payload)
}

/// Starts the instance's process. `ETXTBSY` ("Text file busy") is retried: while the daemon writes a package's
/// `bootstrap` (code.rs), a process it forks meanwhile for another instance holds a copy of the writing fd until
/// that child execs, and exec of the new file fails for that moment (golang/go#22315 describes the same race in
/// Go's runtime). Lambda has no such moment, so the start waits it out rather than report an invalid entrypoint.
async fn spawn(command: &mut tokio::process::Command) -> std::io::Result<tokio::process::Child> {
    let mut delay = Duration::from_millis(2);
    for _ in 0..8 {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            result => return result,
        }
    }
    command.spawn()
}

async fn wait_exit(exit: &mut watch::Receiver<Option<ExitStatus>>) -> Option<ExitStatus> {
    let status = exit.wait_for(Option::is_some).await.map(|status| *status);
    match status {
        Ok(status) => status,
        // The monitor was dropped without a status (its runtime is shutting down): never resolves.
        Err(_) => std::future::pending().await,
    }
}

/// Owns the child: reaps it, kills its process group on request, publishes the exit status.
async fn monitor(
    mut child: tokio::process::Child,
    pid: u32,
    kill: Arc<KillSwitch>,
    exit: watch::Sender<Option<ExitStatus>>,
    registry: Arc<ProcessRegistry>,
    id: u64,
) {
    let status = tokio::select! {
        status = child.wait() => status,
        () = kill.fired() => {
            kill_group(pid);
            child.wait().await
        }
    };
    // Children the bootstrap left behind in its group go too.
    kill_group(pid);
    let status = status.unwrap_or_else(|e| {
        tracing::warn!(error = %e, pid, "waiting for a Lambda instance failed");
        ExitStatus::from_raw(libc::SIGKILL)
    });
    tracing::debug!(pid, %status, "Lambda instance exited");
    lock(&registry.live).remove(&id);
    let _ = exit.send(Some(status));
}

fn kill_group(pid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    // SAFETY: kill(2) has no memory-safety preconditions; a negative pid addresses the process group that the
    // child leads (it was spawned with process_group(0)), never our own group.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// AWS's wording of an exit status (Go's `os.ProcessState` text).
fn describe_exit(status: Option<ExitStatus>) -> String {
    let Some(status) = status else {
        return "runtime exited".to_owned();
    };
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(libc::SIGKILL) => "signal: killed".to_owned(),
        Some(libc::SIGABRT) => "signal: aborted".to_owned(),
        Some(libc::SIGSEGV) => "signal: segmentation fault".to_owned(),
        Some(libc::SIGTERM) => "signal: terminated".to_owned(),
        Some(libc::SIGBUS) => "signal: bus error".to_owned(),
        Some(libc::SIGILL) => "signal: illegal instruction".to_owned(),
        Some(signal) => format!("signal: {signal}"),
        None => status.to_string(),
    }
}

/// Peak resident set size of `pid` (VmHWM in /proc/<pid>/status), in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `YYYY/MM/DD/[<version>]<32 hex>`, as Lambda names an instance's log stream.
pub fn log_stream_name(version: &str) -> String {
    format!(
        "{}/[{version}]{}",
        chrono::Utc::now().format("%Y/%m/%d"),
        uuid::Uuid::new_v4().simple()
    )
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::{io::Write, os::unix::fs::PermissionsExt};

    use super::*;

    #[tokio::test]
    async fn a_bootstrap_still_open_for_writing_starts_once_the_writer_lets_go() {
        let dir = std::env::temp_dir().join(format!("lc-spawn-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bootstrap");
        let mut writer = std::fs::File::create(&path).unwrap();
        writer.write_all(b"#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut command = tokio::process::Command::new(&path);
        let busy = command.spawn().map(|_| ()).unwrap_err();
        assert_eq!(busy.raw_os_error(), Some(libc::ETXTBSY), "{busy}");

        let letting_go = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(writer);
        });
        let status = spawn(&mut command).await.unwrap().wait().await.unwrap();
        assert!(status.success(), "{status}");
        letting_go.await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
