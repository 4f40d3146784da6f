//! The checks `cargo xtask export` ships (`crates/pattern-checks`, the project's `checks/`) pass against real
//! deployments as `cargo xtask verify`'s do, kind by kind: patterns whose checks cover every kind (HTTP with
//! headers, captures, `until_status` and `spread`, Cognito sign-in, SNS/SQS/S3 sends, DynamoDB items, queues,
//! S3 objects, invocations, Step Functions executions, a browser check) deployed by xtask to the local cloud, then
//! the standalone runner with only `cargo xtask local env`'s variables and the stack's name, as a user runs it.
//! (`repo_tests/export.rs` runs it against a plain `terraform apply`.)

use xshell::{Shell, cmd};

use crate::{
    deploy::{self, Deployment, Options, sam::stack_name},
    destroy::destroy,
    flags::{DeployArgs, Iac, Target},
    pattern,
};

const PATTERNS: [&str; 6] = [
    "apigw-rest-cognito-apikey",
    "alb-lambda",
    "cloudfront-s3-apigw-spa",
    "sns-sqs-lambda-fanout",
    "sqs-lambda-partial-batch",
    "sfn-map-retry-lambda",
];

/// Held by whoever builds `target/debug/pattern-checks` and copies it: cargo replaces the file at that path on
/// each build (a copy taken meanwhile could find it missing). An exported copy of the crate builds into a target
/// dir of its own (`repo_tests/export.rs`): CI once ran the workspace's binary in place of the exported one.
pub(super) static PATTERN_CHECKS_BINARY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The standalone runner's binary, built from the workspace, in a copy of its own that no other build replaces.
pub(super) fn runner() -> std::path::PathBuf {
    let _build = PATTERN_CHECKS_BINARY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Built beside xtask, so its dependencies are the ones `cargo xtask` was built with: `-p pattern-checks` alone
    // unifies other features and compiled ~60 CPU-seconds of them again.
    let built = crate::cargo::build(&crate::cargo::Build {
        what: "the standalone checks runner",
        packages: vec!["pattern-checks".into()],
        profile: "dev",
        with_xtask: true,
    })
    .unwrap()
    .into_iter()
    .find(|b| b.name == "pattern-checks")
    .expect("cargo built no pattern-checks binary")
    .path;
    let copy =
        crate::pattern::target_dir().join(format!("tmp/pattern-checks-{}", std::process::id()));
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    // Renamed into place: another test of this process may be running the previous copy (a file being run
    // cannot be written).
    let partial = copy.with_extension("partial");
    std::fs::copy(&built, &partial).unwrap();
    std::fs::rename(&partial, &copy).unwrap();
    copy
}

#[test]
fn exported_checks_pass_against_deployments_of_every_check_kind() {
    let _cloud = crate::local::TestUse::hold();
    let cloud = crate::local::ensure_up(None).unwrap();
    let runner = runner();
    let sh = Shell::new().unwrap();
    for (name, value) in crate::local_env::variables(&cloud, None) {
        sh.set_var(name, value);
    }
    let mut failures = Vec::new();
    for name in PATTERNS {
        let pattern = pattern::one(name).unwrap();
        let args = DeployArgs {
            target: Target::Local,
            iac: Some(Iac::Sam),
            keep: false,
            release: false,
        };
        let dep = Deployment::new(&pattern, &args).unwrap();
        let options = Options {
            skip_validation: true,
            ..Options::default()
        };
        let outcome = deploy::deploy_with(&dep, &options)
            .map_err(|e| format!("deploy: {e:#}"))
            .and_then(|_| {
                let (stack, checks) = (stack_name(&dep), pattern.manifest_path());
                let out = cmd!(sh, "{runner} --stack {stack} --checks {checks}")
                    .ignore_status()
                    .output()
                    .map_err(|e| e.to_string())?;
                let report = String::from_utf8_lossy(&out.stdout).into_owned();
                let total = pattern.manifest.verify.len();
                let browser = pattern
                    .manifest
                    .verify
                    .iter()
                    .filter(|c| c.get("browser").is_some())
                    .count();
                let expected = if browser > 0 {
                    format!(
                        "{} passed, 0 failed, {browser} need a browser",
                        total - browser
                    )
                } else {
                    format!("{total} passed, 0 failed")
                };
                if out.status.success() && report.trim_end().ends_with(&expected) {
                    Ok(())
                } else {
                    Err(format!("{report}{}", String::from_utf8_lossy(&out.stderr)))
                }
            });
        let destroyed = destroy(&dep);
        println!("{} {name}", if outcome.is_ok() { "PASS" } else { "FAIL" });
        if let Err(e) = outcome {
            failures.push(format!("{name}: {e}"));
        }
        if let Err(e) = destroyed {
            failures.push(format!("{name}: destroy: {e:#}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
