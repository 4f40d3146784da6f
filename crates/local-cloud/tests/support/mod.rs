//! Shared by the Lambda runtime tests: builds the `fidelity-fn` test function once and lays it out as unpacked
//! Lambda code (`<dir>/bootstrap`).

#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

/// The `fidelity-fn` binary, built with `cargo build -p fidelity-fn` on first use. Panics (failing the test)
/// when it cannot be built.
pub fn fidelity_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = Command::new(&cargo)
            .args([
                "build",
                "-p",
                "fidelity-fn",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap_or_else(|e| panic!("running `{cargo} build -p fidelity-fn`: {e}"));
        assert!(
            output.status.success(),
            "`cargo build -p fidelity-fn` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let executable = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|msg| {
                msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "fidelity-fn"
            })
            .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
            .expect("`cargo build -p fidelity-fn` reported no fidelity-fn executable");
        assert!(
            executable.is_file(),
            "{} is missing after the build",
            executable.display()
        );
        executable
    })
}

/// A fresh temporary directory under the system temp dir.
pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A code directory whose `bootstrap` is `fidelity-fn` (a symlink to the built binary).
pub fn fidelity_code_dir() -> PathBuf {
    let dir = temp_dir("lc-fidelity-code");
    std::os::unix::fs::symlink(fidelity_binary(), dir.join("bootstrap")).unwrap();
    dir
}

/// A deployment package (zip) whose `bootstrap` is `fidelity-fn`.
pub fn fidelity_zip() -> Vec<u8> {
    use std::io::Write;
    let binary = std::fs::read(fidelity_binary()).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    writer
        .start_file(
            "bootstrap",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(0o755),
        )
        .unwrap();
    writer.write_all(&binary).unwrap();
    writer.finish().unwrap();
    out.into_inner()
}

/// Whether process `pid` exists (a zombie counts as gone).
pub fn process_exists(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) => !status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z')),
        Err(_) => false,
    }
}

/// The python that has moto: the project venv's (`cargo xtask setup`) if present, else python3, as
/// `cargo xtask local up` picks.
pub fn python() -> String {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if venv.exists() {
        venv.display().to_string()
    } else {
        "python3".into()
    }
}

/// Starts moto through the real launcher on a free port, with a fresh state directory named after `prefix`,
/// and the `Config` of a local cloud in front of it (its `state_dir` is the one to remove at the end).
pub async fn start_moto(prefix: &str) -> (local_cloud::moto::Moto, local_cloud::config::Config) {
    const REGION: &str = "us-east-1";
    let state_dir = temp_dir(prefix);
    let moto = local_cloud::moto::Moto::start(&local_cloud::moto::MotoOptions {
        python: python(),
        port: 0,
        edge_url: "http://127.0.0.1:9".into(),
        region: REGION.into(),
        state_dir: state_dir.clone(),
    })
    .await
    .expect("moto (python3 with moto 5.2.1) must start for this test");
    let config = local_cloud::config::Config {
        edge_port: 4566,
        moto_port: moto.port(),
        state_dir,
        region: REGION.into(),
    };
    (moto, config)
}

/// Percent-encodes a form value (AWS query APIs).
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of every `<tag>` element, in order.
pub fn xml_all(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|part| part.split(&close).next().map(str::to_owned))
        .collect()
}

/// Tells the services that deployed state changed behind the edge's back (the test wrote to moto directly,
/// where a write through the edge would have done it).
#[allow(dead_code)] // not every test file writes to moto directly
pub fn state_changed(cloud: &local_cloud::SharedCloud) {
    local_cloud::edge::written(
        cloud,
        &local_cloud::service::Write {
            api: Some("cloudformation"),
            method: &http::Method::POST,
            path: "/",
            status: http::StatusCode::OK,
        },
    );
}
