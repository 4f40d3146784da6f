//! moto as a child process, started through our launcher: the Python package `local_moto`
//! (`python/local_moto/`, one module per AWS service whose additions moto needs).
//!
//! The package is compiled into the daemon ([`LAUNCHER`]) and written to `<state_dir>/launcher/local_moto/`
//! at start, so the binary needs nothing from the source tree; it runs as `python -m local_moto` with
//! `<state_dir>/launcher` first on `PYTHONPATH`. Stopping closes the launcher's stdin (it exits at EOF, which
//! also means moto never outlives a daemon that was killed outright), then SIGKILLs it after a grace period.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use tokio::process::{Child, ChildStdin, Command};

/// `(file name, source)` of a module of `python/local_moto/`, compiled in.
macro_rules! launcher_module {
    ($name:literal) => {
        ($name, include_str!(concat!("../python/local_moto/", $name)))
    };
}

/// The launcher package's files (name, source), pinned to the moto version it was written for. Every `.py`
/// file of `python/local_moto/` is listed (a test checks it).
pub const LAUNCHER: &[(&str, &str)] = &[
    launcher_module!("__init__.py"),
    launcher_module!("__main__.py"),
    launcher_module!("launcher.py"),
    launcher_module!("common.py"),
    launcher_module!("core.py"),
    launcher_module!("stepfunctions.py"),
    launcher_module!("awslambda.py"),
    launcher_module!("lambda_urls.py"),
    launcher_module!("s3.py"),
    launcher_module!("sqs.py"),
    launcher_module!("events.py"),
    launcher_module!("events_patterns.py"),
    launcher_module!("events_schedule.py"),
    launcher_module!("sns.py"),
    launcher_module!("logs.py"),
    launcher_module!("iam.py"),
    launcher_module!("elbv2.py"),
    launcher_module!("route53.py"),
    launcher_module!("acm.py"),
    launcher_module!("apigateway.py"),
    launcher_module!("apigateway_domains.py"),
    launcher_module!("apigateway_openapi.py"),
    launcher_module!("apigateway_usage.py"),
    launcher_module!("cognitoidp.py"),
    launcher_module!("apigatewayv2.py"),
    launcher_module!("ec2.py"),
    launcher_module!("cloudfront.py"),
    launcher_module!("ssm.py"),
    launcher_module!("cloudformation_change_sets.py"),
    launcher_module!("cloudformation_transforms.py"),
    launcher_module!("cloudformation.py"),
];
/// The launcher's package, run as `python -m local_moto`.
pub use crate::contract::MOTO_LAUNCHER as LAUNCHER_PACKAGE;
/// The directory under the state directory that receives the package and goes on `PYTHONPATH`.
pub const LAUNCHER_DIR: &str = "launcher";
/// How long moto may take to answer `/_local/health` after it is spawned: a guard against a launcher that hangs.
/// Importing moto takes ~2 s alone, but more than 15 s on 2 cores busy with other work (CI's lanes once).
pub const START_TIMEOUT: Duration = Duration::from_secs(45);

/// How to start moto.
#[derive(Debug, Clone)]
pub struct MotoOptions {
    /// A python3 that has moto 5.2.1 (the project venv's, or `python3`).
    pub python: String,
    /// The port moto listens on; 0 lets the OS pick a free one, which `Moto::port` then reports. Prefer 0: a
    /// port found free beforehand may be taken by another process before moto binds it.
    pub port: u16,
    /// Where the launcher sends the Lambda invocations moto makes.
    pub edge_url: String,
    pub region: String,
    /// Receives the launcher package (`launcher/local_moto/`) and `moto.log`.
    pub state_dir: PathBuf,
}

/// A running moto.
pub struct Moto {
    child: Child,
    /// Kept apart from `child`: tokio's `Child::wait` closes stdin, which tells the launcher to exit.
    stdin: Option<ChildStdin>,
    pid: u32,
    port: u16,
    log: PathBuf,
    version: String,
}

impl Moto {
    /// Spawns the launcher and waits until moto answers `/_local/health`.
    pub async fn start(opts: &MotoOptions) -> Result<Moto> {
        let launcher = opts.state_dir.join(LAUNCHER_DIR);
        write_launcher(&launcher)?;
        let python = real_python(&opts.python).await?;
        let log = opts.state_dir.join("moto.log");
        let out =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let mut child = Command::new(&python)
            .args(["-m", LAUNCHER_PACKAGE])
            .args(["--host", "127.0.0.1", "--port", &opts.port.to_string()])
            .args(["--edge-url", &opts.edge_url, "--region", &opts.region])
            .arg("--exit-on-stdin-eof")
            .env("PYTHONPATH", python_path(&launcher)?)
            .env("PYTHONUNBUFFERED", "1")
            .envs(crate::contract::malloc_env())
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {python} -m {LAUNCHER_PACKAGE}"))?;
        let pid = child.id().context("moto exited at once")?;
        tracing::info!(pid, port = opts.port, python, "moto launcher started");
        let stdin = child.stdin.take();
        let mut moto = Moto {
            child,
            stdin,
            pid,
            port: opts.port,
            log,
            version: String::new(),
        };
        moto.version = moto.wait_healthy(START_TIMEOUT).await?;
        tracing::info!(version = moto.version, "moto is ready");
        Ok(moto)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Resolves when moto exits (for a daemon that must notice moto dying).
    pub async fn exited(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait().await
    }

    /// Asks moto to exit (closes its stdin), then kills it if it is still running after `grace`.
    pub async fn stop(mut self, grace: Duration) {
        drop(self.stdin.take());
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => tracing::info!(pid = self.pid, ?status, "moto stopped"),
            Err(_) => {
                tracing::warn!(pid = self.pid, "moto did not stop in {grace:?}: killing it");
                if let Err(e) = self.child.kill().await {
                    tracing::error!(pid = self.pid, "killing moto: {e}");
                }
            }
        }
    }

    async fn wait_healthy(&mut self, timeout: Duration) -> Result<String> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "moto exited ({status}) before it was ready; last lines of {}:\n{}",
                    self.log.display(),
                    log_tail(&self.log, 20)
                );
            }
            if self.port == 0 {
                // Asked for any free port: the launcher announces the one it bound.
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                self.port = announced_port(&log).unwrap_or(0);
            }
            // Only our own launcher's answer counts: a port picked free beforehand may have been taken by another
            // moto since, whose answer would mix two clouds' state.
            if self.port != 0
                && let Ok(h) = health(&self.url()).await
            {
                if h.pid == self.pid {
                    return Ok(h.version);
                }
                tracing::warn!(
                    port = self.port,
                    other_pid = h.pid,
                    "another moto answers on our port; waiting for ours to fail or bind"
                );
            }
            if started.elapsed() > timeout {
                bail!(
                    "moto did not answer {}/_local/health within {timeout:?}; last lines of {}:\n{}",
                    self.url(),
                    self.log.display(),
                    log_tail(&self.log, 20)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Writes the launcher package to `<dir>/local_moto/`, replacing whatever an earlier daemon wrote there (a
/// module since removed from the package must not linger).
fn write_launcher(dir: &Path) -> Result<()> {
    let package = dir.join(LAUNCHER_PACKAGE);
    match std::fs::remove_dir_all(&package) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing {}", package.display())),
    }
    std::fs::create_dir_all(&package).with_context(|| format!("creating {}", package.display()))?;
    for (name, source) in LAUNCHER {
        let path = package.join(name);
        std::fs::write(&path, source).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// `PYTHONPATH` for the launcher: `dir` first, then whatever the daemon's environment had there.
fn python_path(dir: &Path) -> Result<std::ffi::OsString> {
    let mut paths = vec![dir.to_path_buf()];
    if let Some(inherited) = std::env::var_os("PYTHONPATH") {
        paths.extend(std::env::split_paths(&inherited).filter(|p| !p.as_os_str().is_empty()));
    }
    std::env::join_paths(paths)
        .with_context(|| format!("{} cannot go on PYTHONPATH", dir.display()))
}

/// The port in the launcher's start-up line `moto 5.2.1 on http://127.0.0.1:<port>, Lambda invocations to ...`.
fn announced_port(log: &str) -> Option<u16> {
    log.lines().find_map(|line| {
        let rest = line.strip_prefix("moto ")?;
        let (_, url) = rest.split_once(" on http://")?;
        let (addr, _) = url.split_once(',')?;
        addr.rsplit_once(':')?
            .1
            .parse()
            .ok()
            .filter(|port| *port != 0)
    })
}

/// What the launcher's `/_local/health` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// moto's version.
    pub version: String,
    /// The launcher's process id: tells our moto from another one on the same port.
    pub pid: u32,
}

/// The launcher's health at `moto_url`.
pub async fn health(moto_url: &str) -> Result<Health> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri: http::Uri = format!("{moto_url}/_local/health").parse()?;
    let resp = tokio::time::timeout(Duration::from_secs(2), client.get(uri))
        .await
        .context("timed out")??;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!("{moto_url}/_local/health answered {status}");
    }
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(Health {
        version: v["moto_version"].as_str().unwrap_or_default().to_owned(),
        pid: v["pid"]
            .as_u64()
            .and_then(|pid| u32::try_from(pid).ok())
            .with_context(|| {
                format!("{moto_url}/_local/health answered no pid: not our launcher")
            })?,
    })
}

/// The interpreter's real path (`sys.executable`): a pyenv shim would otherwise stand between us and
/// moto's process, so the pid we record would not be moto's.
async fn real_python(python: &str) -> Result<String> {
    let out = Command::new(python)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .await
        .with_context(|| format!("running {python}: install python3 or run `cargo xtask setup`"))?;
    if !out.status.success() {
        bail!("{python} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The last `n` lines of a log file (for error messages).
pub fn log_tail(path: &Path, n: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{LAUNCHER, LAUNCHER_PACKAGE, announced_port};

    #[test]
    fn the_embedded_launcher_has_every_module_of_the_package() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("python")
            .join(LAUNCHER_PACKAGE);
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".py"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = LAUNCHER
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect();
        embedded.sort();
        assert_eq!(
            embedded,
            on_disk,
            "moto::LAUNCHER must list every .py file of {} (a module left out would be missing from the \
             daemon's copy of the package)",
            dir.display()
        );
    }

    #[test]
    fn the_port_comes_from_the_launchers_start_up_line() {
        let log = "WARNING: This is a development server.\n\
                   moto 5.2.1 on http://127.0.0.1:40123, Lambda invocations to http://127.0.0.1:4566\n";
        assert_eq!(announced_port(log), Some(40123));
    }

    #[test]
    fn no_start_up_line_yet_is_no_port() {
        assert_eq!(announced_port(""), None);
        assert_eq!(announced_port("Traceback (most recent call last):\n"), None);
        assert_eq!(
            announced_port("moto 5.2.1 on http://127.0.0.1:0, Lambda invocations to x"),
            None
        );
    }
}
