//! `cargo xtask local up|down|status|logs`: one local cloud at a time (the `local-cloud` daemon, which runs moto
//! as its child), with its state and logs in `.work/local/`. `deploy` calls [`ensure_up`].
//!
//! Over 400 lines: the local cloud's whole lifecycle (start, inspect, stop, status, logs) and the tests' hold on
//! it share the ready file and the process checks, so they stay together.
//!
//! Files in `.work/local/`: `local-cloud.json` (written by the daemon once ready: pids and ports, removed when
//! it stops), `local-cloud.log` (the daemon's stderr), `moto.log`, `launcher/` (the moto launcher package the
//! daemon writes at start), `lock` (serialises `up`/`down` between xtask processes).

use std::{
    fs,
    io::{Read, Seek, SeekFrom, Write},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use local_cloud::contract::{MOTO_LAUNCHER, PINNED_MOTO, READY_FILE, Ready};
use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};
use xshell::{Shell, cmd};

use crate::flags::LocalCmd;

/// The edge port when neither `--port` nor `LOCAL_CLOUD_PORT` says otherwise.
pub const DEFAULT_PORT: u16 = 4566;
/// How long a fresh daemon may take to be ready: moto starts in about 1 s alone, and may take up to its own
/// `local_cloud::moto::START_TIMEOUT` (45 s) on busy cores.
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// How long the daemon may take to stop (it drains requests, stops Lambda instances and moto).
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// `cargo xtask local <cmd>`.
pub fn run(cmd: LocalCmd) -> Result<()> {
    match cmd {
        LocalCmd::Up { port } => {
            let cloud = ensure_up(port)?;
            println!(
                "local cloud up on port {}: {} (daemon pid {}, moto pid {} on port {})",
                cloud.edge_port, cloud.edge_url, cloud.pid, cloud.moto_pid, cloud.moto_port
            );
            Ok(())
        }
        LocalCmd::Down => down(),
        LocalCmd::Status { json } => status(json),
        LocalCmd::Env { shell } => crate::local_env::run(shell),
        LocalCmd::Logs { follow, lines } => logs(follow, lines),
    }
}

/// A running local cloud.
#[derive(Debug, Clone)]
pub struct LocalCloud {
    /// `http://127.0.0.1:PORT`: AWS API calls, the Lambda Invoke API and execute-api traffic.
    pub edge_url: String,
    pub edge_port: u16,
    pub moto_port: u16,
    /// The daemon's pid.
    pub pid: u32,
    pub moto_pid: u32,
    /// This run of the daemon and its moto ([`Ready::instance`]): deployments record it (`cloud.json`).
    pub instance: String,
}

/// A running cloud, from the ready file the daemon writes (`{state_dir}/local-cloud.json`).
impl From<&Ready> for LocalCloud {
    fn from(ready: &Ready) -> LocalCloud {
        LocalCloud {
            edge_url: format!("http://127.0.0.1:{}", ready.edge_port),
            edge_port: ready.edge_port,
            moto_port: ready.moto_port,
            pid: ready.pid,
            moto_pid: ready.moto_pid,
            instance: ready.instance.clone(),
        }
    }
}

/// What `status` finds.
enum Health {
    Stopped,
    Running(Ready),
    /// Something is left but it does not work: what, and why.
    Degraded(Option<Ready>, String),
}

/// `.work/local/`.
pub fn state_dir() -> PathBuf {
    crate::pattern::work_root().join("local")
}

fn ready_file() -> PathBuf {
    state_dir().join(READY_FILE)
}

pub(crate) fn daemon_log() -> PathBuf {
    state_dir().join("local-cloud.log")
}

fn moto_log() -> PathBuf {
    state_dir().join("moto.log")
}

/// Makes sure the local cloud is running and healthy, starting (or restarting) it if needed.
///
/// `port`: the edge port wanted (`None`: `LOCAL_CLOUD_PORT`, else any running cloud, else 4566). A cloud
/// running on another port than the one asked for is an error, not silently replaced.
pub fn ensure_up(port: Option<u16>) -> Result<LocalCloud> {
    let wanted = match port {
        Some(0) => bail!(
            "port 0 is not a port for the local cloud (the system would choose one nobody knows); fix: give \
             `--port` a free port such as 4566, or leave it out"
        ),
        Some(p) => Some(p),
        None => env_port()?,
    };
    let _lock = lock()?;
    match inspect() {
        Health::Running(ready) => {
            if let Some(p) = wanted.filter(|p| *p != ready.edge_port) {
                bail!(
                    "the local cloud is already running on port {}: run `cargo xtask local down` first to move it to \
                     port {p}",
                    ready.edge_port
                );
            }
            return Ok(LocalCloud::from(&ready));
        }
        Health::Degraded(ready, problem) => {
            eprintln!("local cloud is degraded ({problem}): restarting it");
            if let Some(ready) = ready {
                stop(&ready)?;
            }
            remove_if_exists(&ready_file())?;
        }
        Health::Stopped => {}
    }
    start(wanted.unwrap_or(DEFAULT_PORT))
}

/// The local cloud if it is running and healthy; never starts one.
pub fn running() -> Option<LocalCloud> {
    match inspect() {
        Health::Running(ready) => Some(LocalCloud::from(&ready)),
        Health::Stopped | Health::Degraded(..) => None,
    }
}

/// `LOCAL_CLOUD_PORT`, if set.
pub(crate) fn env_port() -> Result<Option<u16>> {
    parse_env_port(std::env::var("LOCAL_CLOUD_PORT").ok())
}

/// `LOCAL_CLOUD_PORT`'s value: 1-65535 (0 would let the system choose a port nobody knows), or unset/empty.
fn parse_env_port(value: Option<String>) -> Result<Option<u16>> {
    match value {
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => match v.trim().parse::<u16>() {
            Ok(p) if p > 0 => Ok(Some(p)),
            _ => bail!(
                "LOCAL_CLOUD_PORT={v:?} is not a port number (1-65535); fix: set it to a free port such as \
                 4566, or unset it"
            ),
        },
        None => Ok(None),
    }
}

/// Serialises `up`/`down` between xtask processes (a second `up` waits, then finds the cloud running).
fn lock() -> Result<fs::File> {
    crate::tools::exclusive_lock(&state_dir().join("lock"))
}

fn start(port: u16) -> Result<LocalCloud> {
    if let Err(e) = std::net::TcpListener::bind(("127.0.0.1", port)) {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            bail!(
                "port {port} on 127.0.0.1 is in use (by another program): stop it or choose another port with \
                 --port/LOCAL_CLOUD_PORT"
            );
        }
        return Err(e).with_context(|| format!("checking that 127.0.0.1:{port} is free"));
    }
    let python = check_moto()?;
    let daemon = build_daemon()?;
    let dir = state_dir();
    let log_path = daemon_log();
    let log =
        fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    // xshell cannot start a detached process (its commands run to completion and share our process group),
    // so the daemon is spawned with std: in its own process group (a Ctrl-C in this terminal does not reach
    // it), stdin from /dev/null and its output in local-cloud.log.
    let mut child = std::process::Command::new(&daemon)
        .args(["serve", "--port", &port.to_string()])
        .arg("--state-dir")
        .arg(&dir)
        .arg("--python")
        .arg(&python)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .envs(local_cloud::contract::malloc_env())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {}", daemon.display()))?;

    // A hard stop (second Ctrl-C) kills it with its moto; a first one stops the start below.
    let group = crate::interrupt::track_group(child.id(), crate::interrupt::Forward::No);
    let spinner = indicatif::ProgressBar::new_spinner()
        .with_message(format!("starting the local cloud on 127.0.0.1:{port}"));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let started = Instant::now();
    let result = loop {
        if let Some(status) = child.try_wait()? {
            break Err(anyhow::anyhow!(
                "the local cloud daemon exited ({status}) before it was ready; end of {}:\n{}",
                log_path.display(),
                tail(&log_path, 30)
            ));
        }
        if let Some(ready) = read_ready().ok().flatten().filter(|r| r.pid == child.id())
            && edge_status(ready.edge_port).is_ok()
        {
            break Ok(ready);
        }
        if crate::interrupt::requested() {
            let _ = kill(pid(child.id()), Signal::SIGTERM);
            let _ = child.wait();
            break Err(anyhow::Error::new(crate::interrupt::Interrupted)
                .context("stopped the local cloud it was starting"));
        }
        if started.elapsed() > READY_TIMEOUT {
            let _ = kill(pid(child.id()), Signal::SIGTERM);
            break Err(anyhow::anyhow!(
                "the local cloud was not ready after {READY_TIMEOUT:?} (stopped it); end of {}:\n{}",
                log_path.display(),
                tail(&log_path, 30)
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    spinner.finish_and_clear();
    drop(group);
    // Reap the daemon if it exits while this process still runs (no zombie for `down` to wait on).
    std::thread::spawn(move || child.wait());
    let ready = result?;
    tracing::info!(elapsed = ?started.elapsed(), "local cloud ready");
    Ok(LocalCloud::from(&ready))
}

/// The python that has moto at the pinned version (`.venv/bin/python`, else `python3`).
fn check_moto() -> Result<PathBuf> {
    let sh = Shell::new()?;
    let python = crate::setup::python();
    let probe = "import importlib.metadata as m\ntry:\n    print(m.version('moto'))\nexcept m.PackageNotFoundError:\n    print('none')";
    let version = cmd!(sh, "{python} -c {probe}")
        .quiet()
        .read()
        .with_context(|| {
            format!(
                "running {}: install Python 3 and run `cargo xtask setup`",
                python.display()
            )
        })?;
    match version.trim() {
        PINNED_MOTO => Ok(python),
        "none" => bail!(
            "moto is not installed for {}: run `cargo xtask setup`",
            python.display()
        ),
        v => bail!(
            "moto {v} is installed for {}; the local cloud is written for moto {PINNED_MOTO}: run `cargo xtask setup`",
            python.display()
        ),
    }
}

/// Builds the daemon (quick when up to date: it shares xtask's dev build, so usually it is only linked) and
/// returns its path.
pub fn build_daemon() -> Result<PathBuf> {
    let binaries = crate::cargo::build(&crate::cargo::Build {
        what: "the local cloud daemon",
        packages: vec!["local-cloud".into()],
        profile: "dev",
        with_xtask: true,
    })?;
    binaries
        .into_iter()
        .find(|b| b.name == "local-cloud")
        .map(|b| b.path)
        .context("cargo built no local-cloud binary")
}

fn down() -> Result<()> {
    let _lock = lock()?;
    match inspect() {
        Health::Stopped => println!("the local cloud is not running"),
        Health::Running(ready) | Health::Degraded(Some(ready), _) => {
            stop(&ready)?;
            println!(
                "local cloud stopped (was daemon pid {}, moto pid {})",
                ready.pid, ready.moto_pid
            );
        }
        Health::Degraded(None, problem) => println!("cleaned up: {problem}"),
    }
    remove_if_exists(&ready_file())
}

/// Stops the daemon (SIGTERM, then SIGKILL) and whatever is left of moto if the daemon died uncleanly.
fn stop(ready: &Ready) -> Result<()> {
    if alive(ready.pid, "local-cloud") {
        terminate(ready.pid, "local-cloud", STOP_TIMEOUT)?;
    }
    if alive(ready.moto_pid, MOTO_LAUNCHER) {
        terminate(ready.moto_pid, MOTO_LAUNCHER, Duration::from_secs(5))?;
    }
    Ok(())
}

/// SIGTERM, wait up to `grace`, then SIGKILL.
fn terminate(p: u32, what: &str, grace: Duration) -> Result<()> {
    let _ = kill(pid(p), Signal::SIGTERM);
    if wait_gone(p, what, grace) {
        return Ok(());
    }
    eprintln!("{what} (pid {p}) did not stop within {grace:?}: killing it");
    let _ = kill(pid(p), Signal::SIGKILL);
    if !wait_gone(p, what, Duration::from_secs(5)) {
        bail!("{what} (pid {p}) survived SIGKILL");
    }
    Ok(())
}

fn wait_gone(p: u32, what: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while alive(p, what) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

fn pid(p: u32) -> Pid {
    Pid::from_raw(p as i32)
}

/// Whether `p` is a live process running `what` (checked on `/proc` where there is one, so a reused pid is
/// never taken for ours); zombies count as gone.
fn alive(p: u32, what: &str) -> bool {
    if p == 0 || kill(pid(p), None).is_err() {
        return false;
    }
    let proc_dir = PathBuf::from(format!("/proc/{p}"));
    if !Path::new("/proc/self").exists() {
        return true;
    }
    let zombie = fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true);
    let cmdline = fs::read(proc_dir.join("cmdline")).unwrap_or_default();
    !zombie && String::from_utf8_lossy(&cmdline).contains(what)
}

fn read_ready() -> Result<Option<Ready>> {
    let path = ready_file();
    match fs::read(&path) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not the daemon's state file: `cargo xtask local down` removes it",
                path.display()
            )
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn inspect() -> Health {
    let ready = match read_ready() {
        Ok(Some(ready)) => ready,
        Ok(None) => return Health::Stopped,
        Err(e) => return Health::Degraded(None, format!("{e:#}")),
    };
    if !alive(ready.pid, "local-cloud") {
        let problem = format!(
            "the daemon (pid {}) is not running; {} is stale",
            ready.pid,
            ready_file().display()
        );
        return Health::Degraded(Some(ready), problem);
    }
    if !alive(ready.moto_pid, MOTO_LAUNCHER) {
        let problem = format!("moto (pid {}) is not running", ready.moto_pid);
        return Health::Degraded(Some(ready), problem);
    }
    match edge_status(ready.edge_port) {
        Ok(status) if status["moto"]["healthy"] == true => Health::Running(ready),
        Ok(status) => {
            let problem = format!(
                "moto (pid {}) does not answer: {}",
                ready.moto_pid, status["moto"]["error"]
            );
            Health::Degraded(Some(ready), problem)
        }
        Err(e) => {
            let problem = format!(
                "the daemon (pid {}) does not answer on http://127.0.0.1:{}: {e:#}",
                ready.pid, ready.edge_port
            );
            Health::Degraded(Some(ready), problem)
        }
    }
}

/// The edge's `GET /_local/status`.
fn edge_status(port: u16) -> Result<serde_json::Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(3)))
        .build()
        .into();
    let mut resp = agent
        .get(&format!("http://127.0.0.1:{port}/_local/status"))
        .call()?;
    Ok(serde_json::from_str(&resp.body_mut().read_to_string()?)?)
}

/// `local status`: prints the state (also with `--json`); fails unless the cloud is running, so scripts can
/// test it (`cargo xtask local status || cargo xtask local up`).
fn status(json: bool) -> Result<()> {
    let (report, state) = status_report(inspect(), json)?;
    println!("{report}");
    state_result(state)
}

/// `status`'s exit: success only for `running`.
fn state_result(state: &str) -> Result<()> {
    match state {
        "running" => Ok(()),
        "degraded" => bail!(
            "the local cloud is degraded; fix: `cargo xtask local up` restarts it (deployments are lost with \
             moto's memory: redeploy them)"
        ),
        _ => bail!("the local cloud is stopped; fix: `cargo xtask local up` starts it"),
    }
}

/// What `status` prints for `health`, and the state: `running`, `degraded` or `stopped`.
fn status_report(health: Health, json: bool) -> Result<(String, &'static str)> {
    let (state, ready, problem) = match health {
        Health::Stopped => ("stopped", None, None),
        Health::Running(ready) => ("running", Some(ready), None),
        Health::Degraded(ready, problem) => ("degraded", ready, Some(problem)),
    };
    if json {
        let mut out = serde_json::json!({
            "state": state,
            "problem": problem,
            "state_dir": state_dir(),
            "logs": [daemon_log(), moto_log()],
        });
        if let Some(r) = &ready {
            out["edge_url"] = format!("http://127.0.0.1:{}", r.edge_port).into();
            out["edge_port"] = r.edge_port.into();
            out["moto_port"] = r.moto_port.into();
            out["pid"] = r.pid.into();
            out["moto_pid"] = r.moto_pid.into();
            out["moto_version"] = r.moto_version.clone().into();
            out["started_at"] = r.started_at.clone().into();
            out["instance"] = r.instance.clone().into();
        }
        return Ok((serde_json::to_string_pretty(&out)?, state));
    }
    let text = match (state, ready, problem) {
        ("running", Some(r), _) => format!(
            "running: edge http://127.0.0.1:{} (daemon pid {}), moto {} on port {} (pid {}), since {}",
            r.edge_port, r.pid, r.moto_version, r.moto_port, r.moto_pid, r.started_at
        ),
        ("degraded", _, Some(problem)) => format!(
            "degraded: {problem}; `cargo xtask local up` restarts it, `cargo xtask local logs` shows why"
        ),
        _ => "stopped".to_owned(),
    };
    Ok((text, state))
}

fn logs(follow: bool, lines: usize) -> Result<()> {
    let files = [daemon_log(), moto_log()];
    let mut offsets = Vec::new();
    for f in &files {
        println!("==> {} <==", f.display());
        println!("{}", tail(f, lines));
        offsets.push(fs::metadata(f).map(|m| m.len()).unwrap_or(0));
    }
    if !follow {
        return Ok(());
    }
    let mut last = None;
    loop {
        for (i, f) in files.iter().enumerate() {
            let len = fs::metadata(f).map(|m| m.len()).unwrap_or(0);
            if len < offsets[i] {
                offsets[i] = 0; // a restart recreated the file
            }
            if len == offsets[i] {
                continue;
            }
            let mut file = fs::File::open(f)?;
            file.seek(SeekFrom::Start(offsets[i]))?;
            let mut new = Vec::new();
            file.read_to_end(&mut new)?;
            offsets[i] += new.len() as u64;
            if last != Some(i) {
                println!("==> {} <==", f.display());
                last = Some(i);
            }
            std::io::stdout().write_all(&new)?;
        }
        std::io::stdout().flush()?;
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The last `n` lines of a file ("(no log yet)" when it does not exist).
fn tail(path: &Path, n: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(_) => "(no log yet)".into(),
    }
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// For `#[test]`s that deploy to the local cloud: the cloud stays up while any test holds a [`TestUse`], and the
/// last one to finish stops it if the tests started it, so `cargo test` leaves no daemon behind (a cloud that was
/// already running before is left running). A test that restarts the cloud holds it alone ([`TestUse::alone`]).
#[cfg(test)]
pub struct TestUse {
    _shared: Option<std::sync::RwLockReadGuard<'static, ()>>,
    _alone: Option<std::sync::RwLockWriteGuard<'static, ()>>,
}

#[cfg(test)]
struct TestUsers {
    /// Tests holding a `TestUse` now.
    holding: usize,
    /// No cloud was running when the first of them started: the last one stops it.
    stop_at_end: bool,
}

#[cfg(test)]
static TEST_USERS: std::sync::Mutex<TestUsers> = std::sync::Mutex::new(TestUsers {
    holding: 0,
    stop_at_end: false,
});

/// Shared by the tests that use the local cloud as it is, taken alone by those that restart it.
#[cfg(test)]
static TEST_CLOUD: std::sync::RwLock<()> = std::sync::RwLock::new(());

#[cfg(test)]
impl TestUse {
    pub fn hold() -> TestUse {
        let shared = TEST_CLOUD.read().unwrap_or_else(|e| e.into_inner());
        TestUse::count(TestUse {
            _shared: Some(shared),
            _alone: None,
        })
    }

    /// Waits until no other test uses the local cloud, and keeps them out until dropped.
    pub fn alone() -> TestUse {
        let alone = TEST_CLOUD.write().unwrap_or_else(|e| e.into_inner());
        TestUse::count(TestUse {
            _shared: None,
            _alone: Some(alone),
        })
    }

    fn count(this: TestUse) -> TestUse {
        let mut users = TEST_USERS.lock().unwrap_or_else(|e| e.into_inner());
        if users.holding == 0 {
            users.stop_at_end = running().is_none();
        }
        users.holding += 1;
        this
    }
}

#[cfg(test)]
impl Drop for TestUse {
    fn drop(&mut self) {
        let mut users = TEST_USERS.lock().unwrap_or_else(|e| e.into_inner());
        users.holding -= 1;
        if users.holding == 0 && users.stop_at_end {
            users.stop_at_end = false;
            if let Err(err) = down() {
                eprintln!("stopping the local cloud the tests started: {err:#}");
            }
        }
    }
}

/// Kills the running local cloud's moto as a crash would (SIGKILL) and waits until it is gone; the daemon stays,
/// degraded, until [`ensure_up`] restarts it. Hold a [`TestUse::alone`].
#[cfg(test)]
pub fn kill_moto() -> Result<()> {
    let cloud = running().context("no local cloud is running")?;
    kill(pid(cloud.moto_pid), Signal::SIGKILL)?;
    if !wait_gone(cloud.moto_pid, MOTO_LAUNCHER, Duration::from_secs(5)) {
        bail!("moto (pid {}) survived SIGKILL", cloud.moto_pid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reports_each_state_and_only_running_is_success() {
        let ready = Ready {
            pid: 1,
            edge_port: 4566,
            moto_port: 5000,
            moto_pid: 2,
            moto_version: PINNED_MOTO.into(),
            started_at: "2025-01-01T00:00:00Z".into(),
            instance: "a1".into(),
        };
        let (json, state) = status_report(
            Health::Degraded(Some(ready.clone()), "moto (pid 2) is not running".into()),
            true,
        )
        .unwrap();
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (json["state"].as_str(), state),
            (Some("degraded"), "degraded")
        );
        assert_eq!(json["problem"], "moto (pid 2) is not running");
        assert_eq!(json["instance"], "a1", "the run deployments record");
        let (text, state) = status_report(Health::Stopped, false).unwrap();
        assert_eq!((text.as_str(), state), ("stopped", "stopped"));
        let (text, state) = status_report(Health::Running(ready), false).unwrap();
        assert!(
            text.starts_with("running: edge http://127.0.0.1:4566"),
            "{text}"
        );
        assert_eq!(state, "running");
        assert!(state_result("running").is_ok());
        for state in ["degraded", "stopped"] {
            let err = state_result(state).unwrap_err().to_string();
            assert!(
                err.contains(state) && err.contains("fix: `cargo xtask local up`"),
                "{err}"
            );
        }
    }

    #[test]
    fn port_zero_is_refused_from_the_environment_and_the_caller() {
        assert_eq!(parse_env_port(Some("4620".into())).unwrap(), Some(4620));
        assert_eq!(parse_env_port(Some(" ".into())).unwrap(), None);
        assert_eq!(parse_env_port(None).unwrap(), None);
        for bad in ["0", "65536", "x"] {
            let err = parse_env_port(Some(bad.into())).unwrap_err().to_string();
            assert!(
                err.contains("LOCAL_CLOUD_PORT=") && err.contains("fix:"),
                "{err}"
            );
        }
        let err = ensure_up(Some(0)).unwrap_err().to_string();
        assert!(err.contains("`--port`") && err.contains("fix:"), "{err}");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let path = std::env::temp_dir().join(format!("xtask-local-tail-{}", std::process::id()));
        fs::write(&path, "a\nb\nc\n").unwrap();
        assert_eq!(tail(&path, 2), "b\nc");
        assert_eq!(tail(&path, 10), "a\nb\nc");
        fs::remove_file(&path).unwrap();
        assert_eq!(tail(&path, 2), "(no log yet)");
    }

    #[test]
    fn only_live_processes_running_the_named_program_count() {
        let me = std::process::id();
        let exe = std::env::current_exe().unwrap();
        let name = exe.file_name().unwrap().to_str().unwrap();
        assert!(alive(me, name));
        assert!(
            !alive(me, MOTO_LAUNCHER),
            "a reused pid running another program is not ours"
        );
        assert!(!alive(0, name));
        assert!(!alive(4_000_000, name));
    }
}
