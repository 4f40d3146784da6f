//! The `local-cloud serve` daemon, started for one test on a free port with its own state directory, the AWS
//! CLI pointed at its edge, and bare HTTP requests to the edge. Needs python3 with moto 5.2.1 and the AWS CLI.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

use serde_json::Value;

use super::python;

/// The daemon's binary ([`super::build`]).
pub fn bin() -> &'static std::path::Path {
    &super::build::binaries().daemon
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A daemon started for one test; killed (by pid) if the test fails before stopping it.
pub struct Daemon {
    child: Mutex<Child>,
    pid: u32,
    pub port: u16,
    pub dir: PathBuf,
    /// Its ready file, `local-cloud.json`.
    pub ready: Value,
}

impl Daemon {
    pub fn start() -> Daemon {
        Daemon::start_with_env(&[])
    }

    /// A daemon with these variables in its environment (e.g. `LOCAL_CLOUD_SCHEDULE_SPEEDUP`).
    pub fn start_with_env(env: &[(&str, &str)]) -> Daemon {
        let (port, dir) = (free_port(), super::temp_dir("local-cloud-test"));
        let log = std::fs::File::create(dir.join("local-cloud.log")).unwrap();
        let child = Command::new(bin())
            .envs(env.iter().copied())
            .args(["serve", "--port", &port.to_string(), "--python", &python()])
            .arg("--state-dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawning local-cloud");
        let mut daemon = Daemon {
            pid: child.id(),
            child: Mutex::new(child),
            port,
            dir,
            ready: Value::Null,
        };
        // Longer than moto's own start timeout (`moto::START_TIMEOUT`), so the daemon's error is the one reported.
        let deadline = Instant::now() + Duration::from_secs(60);
        let state_file = daemon.dir.join("local-cloud.json");
        while !state_file.exists() {
            if let Some(status) = daemon.try_wait() {
                panic!(
                    "local-cloud exited ({status}) before it was ready:\n{}",
                    daemon.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "local-cloud not ready after 30 s:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        daemon.ready = serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
        daemon
    }

    fn try_wait(&self) -> Option<ExitStatus> {
        self.child.lock().unwrap().try_wait().unwrap()
    }

    pub fn log(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        format!(
            "--- local-cloud.log\n{}\n--- moto.log\n{}",
            read("local-cloud.log"),
            read("moto.log")
        )
    }

    pub fn moto_pid(&self) -> u32 {
        self.ready["moto_pid"]
            .as_u64()
            .expect("moto_pid in local-cloud.json") as u32
    }

    /// Runs the AWS CLI against the edge.
    pub fn aws(&self, args: &[&str]) -> Output {
        let endpoint = format!("http://127.0.0.1:{}", self.port);
        let mut line = vec!["--endpoint-url".to_owned(), endpoint];
        line.extend(["--output", "json"].map(String::from));
        line.extend(args.iter().map(|a| a.to_string()));
        super::aws_cli::run(
            &line,
            &[
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
                ("AWS_DEFAULT_REGION", "us-east-1"),
                ("AWS_MAX_ATTEMPTS", "1"),
            ],
        )
    }

    /// Runs an AWS CLI command that must succeed; returns its JSON output (Null when empty).
    pub fn aws_ok(&self, args: &[&str]) -> Value {
        let out = self.aws(args);
        assert!(
            out.status.success(),
            "aws {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&out.stdout).unwrap()
        }
    }

    /// `GET /_local/status`, which must answer 200 with JSON.
    pub fn status(&self) -> Value {
        let (code, body) = http_get(self.port, "/_local/status");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {sig} {}", self.pid);
    }

    pub fn wait_exit(&self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "local-cloud still running after {within:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        if child.try_wait().ok().flatten().is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // moto exits when the daemon does; this is for a moto that did not (checked to be ours first).
        if let Some(pid) = self.ready["moto_pid"].as_u64()
            && process_alive(pid as u32)
            && std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.contains("local_moto"))
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Alive and not a zombie (an orphan's zombie may linger if PID 1 does not reap).
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits up to `within` for process `pid` to be gone; whether it is.
pub fn wait_gone(pid: u32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while process_alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// A bare HTTP/1.0 GET to the edge: (status, body).
pub fn http_get(port: u16, path: &str) -> (u16, String) {
    http(port, "GET", path)
}

/// A bare HTTP/1.0 request without a body to the edge: (status, body).
pub fn http(port: u16, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.split(' ').nth(1).unwrap().parse().unwrap();
    (
        status,
        resp.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default(),
    )
}

/// Waits up to `within` for a line containing `needle` in the events file the echo function appends to;
/// returns the whole file.
pub fn wait_for_event(file: &std::path::Path, needle: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let events = std::fs::read_to_string(file).unwrap_or_default();
        if events.contains(needle) {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "no event with {needle:?} after {within:?}; events so far:\n{events}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
