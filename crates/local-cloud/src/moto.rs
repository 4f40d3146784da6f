//! moto as a child process, started through our launcher (`python/moto_launcher.py`).
//!
//! The launcher is compiled into the daemon and written to the state directory at start, so the binary
//! needs nothing from the source tree. Stopping closes the launcher's stdin (it exits at EOF, which also
//! means moto never outlives a daemon that was killed outright), then SIGKILLs it after a grace period.

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

/// The launcher's source, pinned to the moto version it was written for.
pub const LAUNCHER: &str = include_str!("../python/moto_launcher.py");
/// How long moto may take to answer `/_local/health` after it is spawned.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);

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
    /// Receives `moto_launcher.py` and `moto.log`.
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
        let launcher = opts.state_dir.join("moto_launcher.py");
        std::fs::write(&launcher, LAUNCHER)
            .with_context(|| format!("writing {}", launcher.display()))?;
        let python = real_python(&opts.python).await?;
        let log = opts.state_dir.join("moto.log");
        let out =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let mut child = Command::new(&python)
            .arg(&launcher)
            .args(["--host", "127.0.0.1", "--port", &opts.port.to_string()])
            .args(["--edge-url", &opts.edge_url, "--region", &opts.region])
            .arg("--exit-on-stdin-eof")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {python} {}", launcher.display()))?;
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
    use super::announced_port;

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
