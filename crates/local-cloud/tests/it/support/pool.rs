//! Function pools of the real `fidelity-fn` without moto: a [`FunctionPool`] of one function (its mode, timeouts
//! and instance cap given), invocation requests, and reading their outputs.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use local_cloud::{
    config::Config,
    lambda::{
        FunctionConfig, Invocation, InvokeOutput, InvokeRequest,
        instance::{InstanceSpec, ProcessRegistry},
        pool::{FunctionPool, LogSink, PoolSpec},
    },
};
use serde_json::Value;

pub const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:fidelity";

pub struct Setup {
    pub pool: Arc<FunctionPool>,
    pub registry: Arc<ProcessRegistry>,
    pub code_dir: std::path::PathBuf,
    pub state_dir: std::path::PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.code_dir);
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

pub fn setup(mode: &str, timeout: Duration, init_timeout: Duration, max_instances: usize) -> Setup {
    setup_in(
        super::functions::fidelity_code_dir(),
        mode,
        timeout,
        init_timeout,
        max_instances,
    )
}

pub fn setup_in(
    code_dir: std::path::PathBuf,
    mode: &str,
    timeout: Duration,
    init_timeout: Duration,
    max_instances: usize,
) -> Setup {
    let config = Config {
        edge_port: 4566,
        moto_port: 5000,
        state_dir: super::temp_dir("lc-state"),
        region: "us-east-1".into(),
    };
    let function = FunctionConfig {
        name: "fidelity".into(),
        version: "$LATEST".into(),
        arn: ARN.into(),
        runtime: Some("provided.al2023".into()),
        handler: Some("bootstrap".into()),
        package_type: "Zip".into(),
        timeout,
        memory_mb: 128,
        environment: [
            ("FIDELITY_MODE".to_owned(), mode.to_owned()),
            ("FROM_FUNCTION_CONFIG".to_owned(), "yes".to_owned()),
        ]
        .into(),
        code_sha256: String::new(),
        last_modified: String::new(),
        log_group: "/aws/lambda/fidelity".into(),
        log_format: None,
        application_log_level: None,
        system_log_level: None,
    };
    let registry = Arc::new(ProcessRegistry::default());
    let spec = PoolSpec {
        function_name: function.name.clone(),
        version: function.version.clone(),
        runtime: "provided.al2023".into(),
        timeout,
        memory_mb: function.memory_mb,
        log_group: function.log_group.clone(),
        instance: InstanceSpec {
            function_name: function.name.clone(),
            version: function.version.clone(),
            env: function.instance_env(&config, &code_dir),
            code_dir: code_dir.clone(),
            init_timeout,
        },
    };
    let sink = Arc::new(LogSink {
        recent: Default::default(),
        shipper: None,
    });
    Setup {
        pool: Arc::new(FunctionPool::new(
            spec,
            max_instances,
            registry.clone(),
            sink,
        )),
        registry,
        code_dir,
        state_dir: config.state_dir.clone(),
    }
}

pub fn request(payload: Value) -> InvokeRequest {
    InvokeRequest {
        payload: Bytes::from(payload.to_string()),
        invoked_arn: ARN.into(),
        client_context: None,
        request_id: None,
    }
}

pub fn ok_json(output: &InvokeOutput) -> Value {
    match &output.invocation {
        Invocation::Ok(body) => serde_json::from_slice(body).expect("response is JSON"),
        other => panic!(
            "expected a response, got {other:?}\nlogs:\n{}",
            output.log_lines.join("\n")
        ),
    }
}

pub fn function_error(output: &InvokeOutput) -> (String, Value) {
    match &output.invocation {
        Invocation::FunctionError {
            error_type,
            payload,
        } => (
            error_type.clone(),
            serde_json::from_slice(payload).expect("error payload is JSON"),
        ),
        other => panic!(
            "expected a function error, got {other:?}\nlogs:\n{}",
            output.log_lines.join("\n")
        ),
    }
}

pub fn position(lines: &[String], needle: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no log line contains {needle:?}:\n{}", lines.join("\n")))
}

pub const SECOND: Duration = Duration::from_secs(1);
pub const TEN_SECONDS: Duration = Duration::from_secs(10);
