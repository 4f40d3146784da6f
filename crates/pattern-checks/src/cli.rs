//! The AWS CLI as the checks' client: `aws <service> <operation> ... --output json`, answers parsed as JSON.
//! The CLI reads the user's credentials, profile and region as it always does; with `AWS_ENDPOINT_URL` set (the
//! local cloud: `eval "$(cargo xtask local env)"`) every call names that endpoint, as AWS CLI v1 needs for SQS.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::Value;
use xshell::{Shell, cmd};

/// Runs `aws` with the caller's environment.
pub struct Cli {
    sh: Shell,
    endpoint: Option<String>,
    scratch: PathBuf,
}

impl Cli {
    pub fn new() -> Result<Cli> {
        let sh = Shell::new()?;
        let endpoint = std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|e| !e.is_empty());
        let scratch = std::env::temp_dir().join(format!("pattern-checks-{}", std::process::id()));
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("creating {}", scratch.display()))?;
        Ok(Cli {
            sh,
            endpoint,
            scratch,
        })
    }

    /// The endpoint every call names (the local cloud), if any.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// `aws <service> <operation> <args...> --output json`: the answer as JSON (`null` when the CLI prints
    /// nothing); an error names the call and carries the CLI's own message.
    pub fn call(&self, service: &str, operation: &str, args: &[String]) -> Result<Value> {
        let endpoint: Vec<String> = self
            .endpoint
            .iter()
            .flat_map(|e| ["--endpoint-url".to_owned(), e.clone()])
            .collect();
        let out = cmd!(
            self.sh,
            "aws {service} {operation} {args...} {endpoint...} --output json"
        )
        .quiet()
        .ignore_status()
        .output()
        .with_context(|| {
            format!("running `aws {service} {operation}`; fix: install the AWS CLI (https://aws.amazon.com/cli/)")
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        anyhow::ensure!(
            out.status.success(),
            "aws {service} {operation}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        if stdout.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&stdout)
            .with_context(|| format!("aws {service} {operation} printed no JSON: {stdout}"))
    }

    /// A file in this run's scratch folder holding `content` (what the CLI reads with `fileb://`).
    pub fn file(&self, name: &str, content: &[u8]) -> Result<PathBuf> {
        let path = self.scratch.join(name);
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// The scratch path `name` (for a file the CLI writes).
    pub fn path(&self, name: &str) -> PathBuf {
        self.scratch.join(name)
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// `args!["--queue-url", queue, ...]`: an array of CLI arguments from anything that is a string.
#[macro_export]
macro_rules! args {
    ($($arg:expr),* $(,)?) => { [$(String::from($arg)),*] };
}
