//! A deployed function as the runtime sees it: the reference a caller gives (name, ARN, `:qualifier`), the
//! configuration read from GetFunction, and the environment its `bootstrap` gets.

use std::{collections::BTreeMap, path::Path, time::Duration};

use anyhow::{Context, bail};

use crate::config::{ACCOUNT_ID, Config};

/// The runtimes run natively: OS-only runtimes whose `bootstrap` is the function itself.
pub const NATIVE_RUNTIMES: [&str; 3] = ["provided.al2023", "provided.al2", "provided"];

/// What a caller names: a function and, optionally, a version or alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    pub name: String,
    /// `None` for the unqualified function (`$LATEST`).
    pub qualifier: Option<String>,
}

impl FunctionRef {
    /// Parses `name`, `name:qualifier`, `123456789012:function:name[:qualifier]` and
    /// `arn:<partition>:lambda:<region>:<account>:function:name[:qualifier]`.
    pub fn parse(reference: &str) -> anyhow::Result<FunctionRef> {
        let parts: Vec<&str> = reference.split(':').collect();
        let (name, qualifier) = match parts.as_slice() {
            [name] => (*name, None),
            [name, qualifier] => (*name, Some(*qualifier)),
            [_, "function", name] => (*name, None),
            [_, "function", name, qualifier] => (*name, Some(*qualifier)),
            ["arn", _, "lambda", _, _, "function", name] => (*name, None),
            ["arn", _, "lambda", _, _, "function", name, qualifier] => (*name, Some(*qualifier)),
            _ => bail!(
                "invalid function reference {reference:?}: expected a function name, `name:qualifier`, or a function ARN \
                 `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`"
            ),
        };
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_name {
            bail!(
                "invalid function name {name:?} in {reference:?}: use 1-64 letters, digits, `-` or `_`"
            );
        }
        let qualifier = match qualifier {
            None => None,
            Some(q)
                if q == "$LATEST"
                    || (!q.is_empty()
                        && q.len() <= 128
                        && q.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')) =>
            {
                Some(q.to_owned())
            }
            Some(q) => bail!(
                "invalid qualifier {q:?} in {reference:?}: use $LATEST, a version number or an alias name"
            ),
        };
        Ok(FunctionRef {
            name: name.to_owned(),
            qualifier,
        })
    }

    /// The ARN the function is invoked as (`Lambda-Runtime-Invoked-Function-Arn`): qualified when the caller qualified it.
    pub fn invoked_arn(&self, region: &str) -> String {
        let base = format!(
            "arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{}",
            self.name
        );
        match &self.qualifier {
            Some(q) => format!("{base}:{q}"),
            None => base,
        }
    }

    /// The cache key: `$LATEST` and no qualifier are the same function.
    pub fn key(&self) -> String {
        match self.qualifier.as_deref() {
            None | Some("$LATEST") => format!("{}:$LATEST", self.name),
            Some(q) => format!("{}:{q}", self.name),
        }
    }
}

/// A function's configuration, from GetFunction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionConfig {
    pub name: String,
    /// `$LATEST` or a version number (what an alias resolved to).
    pub version: String,
    pub arn: String,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub package_type: String,
    pub timeout: Duration,
    pub memory_mb: u32,
    pub environment: BTreeMap<String, String>,
    /// Base64 SHA-256 of the deployment package, as Lambda reports it.
    pub code_sha256: String,
    pub last_modified: String,
    pub log_group: String,
    /// `LoggingConfig.LogFormat` (`Text` | `JSON`) and levels, when set.
    pub log_format: Option<String>,
    pub application_log_level: Option<String>,
    pub system_log_level: Option<String>,
}

impl FunctionConfig {
    pub fn from_sdk(
        c: &aws_sdk_lambda::types::FunctionConfiguration,
    ) -> anyhow::Result<FunctionConfig> {
        let name = c
            .function_name()
            .context("GetFunction returned no FunctionName")?
            .to_owned();
        let logging = c.logging_config();
        Ok(FunctionConfig {
            version: c.version().unwrap_or("$LATEST").to_owned(),
            arn: c.function_arn().unwrap_or_default().to_owned(),
            runtime: c.runtime().map(|r| r.as_str().to_owned()),
            handler: c.handler().map(str::to_owned),
            package_type: c
                .package_type()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "Zip".to_owned()),
            timeout: Duration::from_secs(
                u64::try_from(c.timeout().unwrap_or(3)).unwrap_or(3).max(1),
            ),
            memory_mb: u32::try_from(c.memory_size().unwrap_or(128)).unwrap_or(128),
            environment: c
                .environment()
                .and_then(|e| e.variables())
                .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            code_sha256: c
                .code_sha256()
                .context("GetFunction returned no CodeSha256")?
                .to_owned(),
            last_modified: c.last_modified().unwrap_or_default().to_owned(),
            log_group: logging
                .and_then(|l| l.log_group())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("/aws/lambda/{name}")),
            log_format: logging
                .and_then(|l| l.log_format())
                .map(|f| f.as_str().to_owned()),
            application_log_level: logging
                .and_then(|l| l.application_log_level())
                .map(|f| f.as_str().to_owned()),
            system_log_level: logging
                .and_then(|l| l.system_log_level())
                .map(|f| f.as_str().to_owned()),
            name,
        })
    }

    /// Why this function cannot run natively, as (error type, message); `None` when it can.
    pub fn unsupported(&self) -> Option<(String, String)> {
        if self.package_type != "Zip" {
            return Some((
                "Runtime.InvalidRuntime".to_owned(),
                format!(
                    "function {} is a {} package; the local cloud runs only .zip functions with an OS-only runtime ({})",
                    self.name,
                    self.package_type,
                    NATIVE_RUNTIMES.join(", ")
                ),
            ));
        }
        match self.runtime.as_deref() {
            Some(runtime) if NATIVE_RUNTIMES.contains(&runtime) => None,
            other => Some((
                "Runtime.InvalidRuntime".to_owned(),
                format!(
                    "function {} has runtime {}; the local cloud runs only OS-only runtimes natively ({}): \
                     deploy the function as a `bootstrap` on provided.al2023",
                    self.name,
                    other.unwrap_or("(none)"),
                    NATIVE_RUNTIMES.join(", ")
                ),
            )),
        }
    }

    /// The environment of an instance (all but `AWS_LAMBDA_RUNTIME_API` and `AWS_LAMBDA_LOG_STREAM_NAME`): the
    /// function's variables, then the reserved ones Lambda sets, which win.
    pub fn instance_env(&self, config: &Config, code_dir: &Path) -> Vec<(String, String)> {
        let task_root = code_dir.display().to_string();
        let mut env: BTreeMap<String, String> = self.environment.clone();
        let reserved = [
            ("AWS_LAMBDA_FUNCTION_NAME", self.name.clone()),
            ("AWS_LAMBDA_FUNCTION_VERSION", self.version.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.memory_mb.to_string(),
            ),
            ("AWS_LAMBDA_LOG_GROUP_NAME", self.log_group.clone()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
            ("_HANDLER", self.handler.clone().unwrap_or_default()),
            ("LAMBDA_TASK_ROOT", task_root.clone()),
            ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_owned()),
            ("LD_LIBRARY_PATH", format!("{task_root}:{task_root}/lib")),
            ("AWS_REGION", config.region.clone()),
            ("AWS_DEFAULT_REGION", config.region.clone()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_SESSION_TOKEN", "test".to_owned()),
            ("AWS_ENDPOINT_URL", config.edge_url()),
            ("TZ", ":UTC".to_owned()),
            ("LANG", "en_US.UTF-8".to_owned()),
            ("PATH", "/usr/local/bin:/usr/bin:/bin".to_owned()),
        ];
        env.extend(reserved.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let logging = [
            ("AWS_LAMBDA_LOG_FORMAT", &self.log_format),
            ("AWS_LAMBDA_LOG_LEVEL", &self.application_log_level),
        ];
        for (key, value) in logging {
            if let Some(value) = value {
                env.insert(key.to_owned(), value.clone());
            }
        }
        env.into_iter().collect()
    }

    /// What identifies the deployed code and configuration: instances are reused only while it is unchanged.
    pub fn revision(&self) -> (&str, &str, &str) {
        (&self.code_sha256, &self.last_modified, &self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_arns_and_qualifiers() {
        let plain = FunctionRef::parse("hello").unwrap();
        assert_eq!(
            plain,
            FunctionRef {
                name: "hello".into(),
                qualifier: None
            }
        );
        assert_eq!(
            plain.invoked_arn("us-east-1"),
            "arn:aws:lambda:us-east-1:123456789012:function:hello"
        );
        assert_eq!(
            FunctionRef::parse("hello:live")
                .unwrap()
                .qualifier
                .as_deref(),
            Some("live")
        );
        let arn =
            FunctionRef::parse("arn:aws:lambda:eu-west-1:123456789012:function:my_fn:7").unwrap();
        assert_eq!(
            (arn.name.as_str(), arn.qualifier.as_deref()),
            ("my_fn", Some("7"))
        );
        assert_eq!(arn.key(), "my_fn:7");
        let partial = FunctionRef::parse("123456789012:function:f").unwrap();
        assert_eq!(partial.name, "f");
        assert_eq!(
            FunctionRef::parse("f:$LATEST").unwrap().key(),
            FunctionRef::parse("f").unwrap().key()
        );
    }

    #[test]
    fn rejects_bad_references_with_the_reason() {
        let err = FunctionRef::parse("a:b:c:d:e").unwrap_err().to_string();
        assert!(err.contains("invalid function reference"), "{err}");
        let err = FunctionRef::parse("has space").unwrap_err().to_string();
        assert!(err.contains("invalid function name"), "{err}");
        let err = FunctionRef::parse("f:bad/qualifier")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid qualifier"), "{err}");
    }

    fn config() -> FunctionConfig {
        FunctionConfig {
            name: "f".into(),
            version: "$LATEST".into(),
            arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            runtime: Some("provided.al2023".into()),
            handler: Some("bootstrap".into()),
            package_type: "Zip".into(),
            timeout: Duration::from_secs(3),
            memory_mb: 256,
            environment: [
                ("TABLE".to_owned(), "t".to_owned()),
                ("AWS_REGION".to_owned(), "evil".to_owned()),
            ]
            .into(),
            code_sha256: "x".into(),
            last_modified: "y".into(),
            log_group: "/aws/lambda/f".into(),
            log_format: None,
            application_log_level: None,
            system_log_level: None,
        }
    }

    #[test]
    fn environment_has_function_variables_and_reserved_ones_win() {
        let cfg = Config {
            edge_port: 4566,
            moto_port: 5000,
            state_dir: "/tmp/x".into(),
            region: "us-east-1".into(),
        };
        let env: BTreeMap<String, String> = config()
            .instance_env(&cfg, Path::new("/code"))
            .into_iter()
            .collect();
        assert_eq!(env["TABLE"], "t");
        assert_eq!(env["AWS_REGION"], "us-east-1");
        assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:4566");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
        assert_eq!(env["LAMBDA_TASK_ROOT"], "/code");
        assert_eq!(env["TZ"], ":UTC");
        assert!(!env.contains_key("HOME"));
    }

    #[test]
    fn only_os_only_runtimes_run() {
        assert!(config().unsupported().is_none());
        let python = FunctionConfig {
            runtime: Some("python3.12".into()),
            ..config()
        };
        let (error_type, message) = python.unsupported().unwrap();
        assert_eq!(error_type, "Runtime.InvalidRuntime");
        assert!(message.contains("python3.12"), "{message}");
    }
}
