//! Shared by the integration tests: the case runner ([`Cases`]), moto and calls to it ([`moto`]), functions and
//! roles ([`functions`]), Cognito users signed in ([`cognito`]), the data plane in front of moto ([`cloud`]), networks and load balancers
//! ([`network`]), the REST API -> VPC link -> NLB -> ALB -> Lambda deployment ([`chain`]), CloudFormation
//! stacks ([`stacks`]) and the private-ALB template ([`private_alb`]), SQS event source mappings ([`sqs`]), SNS
//! topics delivering to queues ([`sns`]), the `local-cloud serve` daemon ([`daemon`]) and the AWS CLI that drives it ([`aws_cli`]), function pools without
//! moto ([`pool`]) and the binaries they run, built beside xtask ([`build`]).
pub mod aws_cli;
pub mod build;
pub mod cases;
pub mod chain;
pub mod cloud;
pub mod cognito;
pub mod daemon;
pub mod functions;
pub mod http;
pub mod moto;
pub mod network;
pub mod pool;
pub mod private_alb;
pub mod sns;
pub mod sqs;
pub mod stacks;

pub use cases::Cases;

use std::path::{Path, PathBuf};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .canonicalize()
        .unwrap()
}

/// The python that has moto: the project venv's (`cargo xtask setup`) if present, else python3, as
/// `cargo xtask local up` picks.
pub fn python() -> String {
    let venv = repo_root().join(".venv/bin/python");
    if venv.exists() {
        venv.display().to_string()
    } else {
        "python3".into()
    }
}

/// A fresh temporary directory under the system temp dir.
pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
