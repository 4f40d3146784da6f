//! What the fault tests share: running the xtask binary (to its end, or interrupted), the local cloud held by one
//! family at a time, what the cloud holds of a pattern, the processes left, and scratch copies of the fixture
//! pattern `tests/faults-pattern/` that xtask finds through `XTASK_PATTERNS_DIR`.

use std::{
    fs,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use nix::{
    sys::signal::{Signal, killpg},
    unistd::Pid,
};
use serde_json::Value;

pub const FLAGSHIP: &str = "apigw-rest-vpclink-pvt-alb";
pub const CRUD: &str = "apigw-rest-lambda-dynamodb";
const TAG: &str = "serverless-rust-patterns:pattern";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

pub fn xtask(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args)
        .current_dir(root())
        .env_remove("SRP_SUFFIX")
        .env_remove("XTASK_PATTERNS_DIR");
    cmd
}

/// Runs `xtask args` to its end.
pub fn run(args: &[&str]) -> Output {
    xtask(args).output().expect("running xtask")
}

/// stdout and stderr of a finished command.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `xtask args` in its own process group; once `ready(stderr so far)` holds, sends it `signals` SIGINTs
/// `gap` apart, to the whole group; returns its exit code and output.
pub fn interrupt(
    args: &[&str],
    ready: &dyn Fn(&str) -> bool,
    signals: usize,
    gap: Duration,
) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("xtask-faults-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let log = dir.join("stderr");
    let mut child = xtask(args)
        .env("XTASK_LOG", "info")
        .stdin(Stdio::null())
        .stdout(fs::File::create(dir.join("stdout")).unwrap())
        .stderr(fs::File::create(&log).unwrap())
        .process_group(0)
        .spawn()
        .expect("starting xtask");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if ready(&fs::read_to_string(&log).unwrap_or_default()) {
            for n in 0..signals {
                if n > 0 {
                    std::thread::sleep(gap);
                }
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGINT);
            }
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "xtask {args:?} never reached the point to interrupt"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    let out = format!(
        "{}{}",
        fs::read_to_string(dir.join("stdout")).unwrap_or_default(),
        fs::read_to_string(&log).unwrap_or_default()
    );
    let _ = fs::remove_dir_all(&dir);
    (status.code(), out)
}

/// The local cloud, held by one family of cases at a time (some restart it); started if needed, and stopped again
/// when dropped if it was not running before.
pub struct Session {
    _alone: MutexGuard<'static, ()>,
    was_running: bool,
    /// `http://127.0.0.1:PORT` (the same across restarts: the port comes from `LOCAL_CLOUD_PORT` or the default).
    pub edge: String,
}

static CLOUD: Mutex<()> = Mutex::new(());

impl Session {
    pub fn start() -> Session {
        let alone = CLOUD.lock().unwrap_or_else(|e| e.into_inner());
        let was_running = run(&["local", "status"]).status.success();
        let up = run(&["local", "up"]);
        assert!(up.status.success(), "local up: {}", text(&up));
        let status: Value =
            serde_json::from_slice(&run(&["local", "status", "--json"]).stdout).unwrap();
        Session {
            _alone: alone,
            was_running,
            edge: status["edge_url"].as_str().unwrap().to_owned(),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.was_running {
            let _ = run(&["local", "down"]);
        }
    }
}

/// A case: `Err` says what did not hold.
pub type Case<C> = fn(&C) -> Result<(), String>;

/// Runs the cases in order; after a failed one, `tidy` removes what it may have left for the next. Panics with
/// every failure, each under its case's name.
pub fn run_cases<C>(context: &C, cases: &[(&str, Case<C>)], tidy: &dyn Fn(&C)) {
    let mut failed = Vec::new();
    for (name, case) in cases {
        let started = Instant::now();
        let outcome = case(context);
        eprintln!("case `{name}`: {:.1?}", started.elapsed());
        if let Err(why) = outcome {
            failed.push(format!("case `{name}`: {why}"));
            tidy(context);
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

pub fn check(ok: bool, why: String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why) }
}

/// An AWS JSON-protocol call to the local cloud (any credentials do).
fn aws_json(edge: &str, service: &str, target: &str, version: &str, body: Value) -> Value {
    let mut response = ureq::post(edge)
        .header("X-Amz-Target", target)
        .header("Content-Type", &format!("application/x-amz-json-{version}"))
        .header(
            "Authorization",
            &format!(
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, \
                 Signature=0"
            ),
        )
        .send(serde_json::to_vec(&body).unwrap().as_slice())
        .unwrap();
    response.body_mut().read_json().unwrap()
}

/// ARNs tagged with `pattern` in the local cloud (moto's tagging API).
pub fn tagged(edge: &str, pattern: &str) -> Vec<String> {
    let body = serde_json::json!({ "TagFilters": [{ "Key": TAG, "Values": [pattern] }] });
    let json = aws_json(
        edge,
        "tagging",
        "ResourceGroupsTaggingAPI_20170126.GetResources",
        "1.1",
        body,
    );
    json["ResourceTagMappingList"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["ResourceARN"].as_str().map(str::to_owned))
        .collect()
}

/// What the local cloud holds of `pattern`: tagged resources, and DynamoDB tables of its stack (moto's
/// CloudFormation does not pass the stack's tags on to them).
pub fn left_in_cloud(edge: &str, pattern: &str) -> Vec<String> {
    let mut left = tagged(edge, pattern);
    let tables = aws_json(
        edge,
        "dynamodb",
        "DynamoDB_20120810.ListTables",
        "1.0",
        serde_json::json!({}),
    );
    let prefix = format!("srp-{pattern}-");
    left.extend(
        tables["TableNames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str())
            .filter(|t| t.starts_with(&prefix))
            .map(|t| format!("table {t}")),
    );
    left
}

/// Processes whose command line mentions `needle` (a work directory, a scratch folder).
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) && alive(&entry.path()) {
            found.push(format!(
                "{}: {cmdline}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    found
}

/// Whether the process of `/proc/<pid>` runs (a zombie, which nothing may reap in a container, does not).
fn alive(proc_dir: &Path) -> bool {
    fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Whether process `pid` runs.
pub fn pid_alive(pid: u64) -> bool {
    alive(Path::new(&format!("/proc/{pid}")))
}

/// No process mentions `needle` within 10 s (a graceful stop may take a provider plugin a moment).
pub fn no_process_left(needle: &str) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let left = processes_mentioning(needle);
        if left.is_empty() {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err(format!("processes left running: {left:#?}"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// xtask's work folder: `.work/`, or `XTASK_WORK_DIR` (`cargo xtask ci` gives these tests one of their own).
pub fn work() -> PathBuf {
    match std::env::var_os("XTASK_WORK_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root().join(".work"),
    }
}

/// `.work/<pattern>/`.
pub fn work_root(pattern: &str) -> PathBuf {
    work().join(pattern)
}

pub fn work_dir(pattern: &str, iac: &str) -> PathBuf {
    work_root(pattern).join(format!("local-{iac}"))
}

/// The local cloud's ready file, `.work/local/local-cloud.json` (pids and ports).
pub fn ready_file() -> Value {
    let text = fs::read_to_string(work().join("local/local-cloud.json"))
        .expect("the local cloud's ready file");
    serde_json::from_str(&text).unwrap()
}

/// A folder of scratch copies of `tests/faults-pattern/` (each renamed), removed when dropped; xtask finds them
/// with [`Patterns::xtask`].
pub struct Patterns {
    pub dir: PathBuf,
}

impl Patterns {
    pub fn new(names: &[&str]) -> Patterns {
        let dir = root()
            .join("target/xtask")
            .join(format!("faults-{}", std::process::id()))
            .join("patterns");
        let _ = fs::remove_dir_all(&dir);
        let patterns = Patterns { dir };
        for name in names {
            patterns.restore(name);
        }
        patterns
    }

    /// (Re)writes pattern `name` as the fixture, with its name.
    pub fn restore(&self, name: &str) {
        let fixture = root().join("tests/faults-pattern");
        let to = self.dir.join(name);
        let _ = fs::remove_dir_all(&to);
        fs::create_dir_all(&to).unwrap();
        for entry in fs::read_dir(&fixture).unwrap().flatten() {
            let text = fs::read_to_string(entry.path()).unwrap();
            fs::write(
                to.join(entry.file_name()),
                text.replace("faults-pattern", name),
            )
            .unwrap();
        }
    }

    /// Replaces `from` (which must occur) with `to` in file `file` of pattern `name`.
    pub fn corrupt(&self, name: &str, file: &str, from: &str, to: &str) {
        let path = self.dir.join(name).join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} of {name} has no {from:?}");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    /// `xtask args` run on these patterns.
    pub fn xtask(&self, args: &[&str]) -> Output {
        xtask(args)
            .env("XTASK_PATTERNS_DIR", &self.dir)
            .output()
            .expect("running xtask")
    }
}

impl Drop for Patterns {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(self.dir.parent().unwrap());
    }
}
