//! The AWS CLI for the tests that drive the daemon as a user would: one preloaded CLI (`aws_cli.py`, started on
//! first use, stopped when this process ends) forks a child per command, ~0.08 CPU-s instead of a new `aws`
//! process's ~0.6 (the integration tests run ~150 commands).

use std::{
    io::{BufRead, BufReader, Read, Write},
    os::unix::{net::UnixStream, process::ExitStatusExt},
    path::PathBuf,
    process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio},
    sync::OnceLock,
};

/// The server: its socket, and its stdin, whose end (this process's exit) stops it.
struct Server {
    socket: PathBuf,
    _stdin: ChildStdin,
    _child: Child,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let socket = super::temp_dir("aws-cli").join("aws.sock");
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("it/support/aws_cli.py");
        let mut child = Command::new(super::python())
            .arg(&script)
            .arg(&socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the AWS CLI (support/aws_cli.py); fix: `cargo xtask setup` installs awscli");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(
            ready.trim(),
            "ready",
            "support/aws_cli.py did not start (is awscli installed? fix: `cargo xtask setup`)"
        );
        Server {
            socket,
            _stdin: child.stdin.take().unwrap(),
            _child: child,
        }
    })
}

/// Runs `aws <args>` with these environment variables set; its exit status and output as a process's.
pub fn run(args: &[String], env: &[(&str, &str)]) -> Output {
    let mut conn = UnixStream::connect(&server().socket).expect("connecting to support/aws_cli.py");
    let env: serde_json::Map<String, serde_json::Value> = env
        .iter()
        .map(|(k, v)| (k.to_string(), (*v).into()))
        .collect();
    let request = serde_json::json!({ "args": args, "env": env });
    conn.write_all(request.to_string().as_bytes()).unwrap();
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    let answer: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("support/aws_cli.py answered {text:?}: {e}"));
    let bytes = |field: &str| {
        let b64 = answer[field].as_str().unwrap_or_default();
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap()
    };
    let code = answer["code"].as_i64().unwrap_or(255) as i32;
    Output {
        status: ExitStatus::from_raw((code & 0xff) << 8),
        stdout: bytes("stdout"),
        stderr: bytes("stderr"),
    }
}
