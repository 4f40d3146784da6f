//! The SAM CLI as a user drives it against the local cloud (issue 14): a pattern exported with `cargo xtask
//! export`, then `sam build --beta-features`, `sam deploy --resolve-s3 ...` and `sam delete` with only `cargo
//! xtask local env`'s variables set. `sam deploy` sends the SAM template itself through change sets and creates
//! its managed stack `aws-sam-cli-managed-default` (an S3 bucket and its policy); the local cloud runs the SAM
//! transform server-side (`python/local_moto/cloudformation_transforms.py`), executes change sets as stack
//! operations (`cloudformation_change_sets.py`), reads the path-style `TemplateURL` the CLI builds from
//! `AWS_ENDPOINT_URL` (`cloudformation.py`) and evaluates the managed bucket's `aws:SecureTransport` condition
//! (`s3.py`). The deployed API then passes the pattern's own `[[verify]]` checks, at the execute-api URL the stack
//! prints, mapped to the edge as `cargo xtask verify` maps it.

use std::{env, fs};

use serde_json::Value;
use xshell::{Shell, cmd};

use crate::{
    cargo::without_run_env,
    deploy::{Deployment, Outputs},
    flags::{Iac, Target},
    pattern::{self, project_root},
};

/// A SAM pattern with an API, whose template builds here: `Architecture` defaults to x86_64, the only Rust target
/// of this machine.
const PATTERN: &str = "apigw-http-api-lambda";

#[test]
fn an_exported_sam_pattern_deploys_with_the_sam_cli_and_passes_its_checks() {
    let pattern = pattern::one(PATTERN).unwrap();
    let dir = project_root().join("target/tmp/sam-cli-test");
    let _ = fs::remove_dir_all(&dir);
    let dir = crate::export::export(&pattern, &dir, false).unwrap();
    let sam_bin = crate::sam_cli::ensure(true).unwrap();
    let _cloud = crate::local::TestUse::hold();
    let cloud = crate::local::ensure_up(None).unwrap();

    // A user's shell: the SAM CLI (and cargo-lambda) on PATH, then `eval "$(cargo xtask local env)"`.
    let sh = Shell::new().unwrap();
    sh.change_dir(&dir);
    let path = env::var_os("PATH").unwrap_or_default();
    let path = env::join_paths(std::iter::once(sam_bin).chain(env::split_paths(&path))).unwrap();
    sh.set_var("PATH", path);
    for (name, value) in crate::local_env::variables(&cloud, None) {
        sh.set_var(name, value);
    }
    // Shares the compiled dependencies with the repository's builds (a user's own target dir works the same).
    sh.set_var("CARGO_TARGET_DIR", project_root().join("target"));

    // Exactly the commands STANDALONE.md gives, with a stack name of this run.
    let stack = format!("sam-cli-{}", std::process::id());
    let [build, deploy, delete] = standalone_sam_commands(&dir, &pattern.name, &stack);
    assert_eq!(build, ["build", "--beta-features"]);
    assert!(
        deploy.starts_with(&["deploy".into(), "--resolve-s3".into()]),
        "{deploy:?}"
    );
    assert!(delete.contains(&"--no-prompts".to_owned()), "{delete:?}");

    // `BuildMethod: rust-cargolambda` runs `cargo lambda build --release --bin messages-api` for x86_64: native
    // here. cargo-lambda's PyPI package brings Zig (the `ziglang` wheel), which it links with; nothing is
    // downloaded at build time. Compiled quick (`QUICK_RELEASE`: the exported release profile's thin LTO and single
    // codegen unit cost ~50 CPU-seconds more for a function this test calls a few times).
    without_run_env(cmd!(sh, "sam {build...}"))
        .envs(crate::cargo::QUICK_RELEASE)
        .quiet()
        .ignore_stdout()
        .run()
        .unwrap();
    assert!(dir.join(".aws-sam/build/template.yaml").is_file());

    let deployed = cmd!(sh, "sam {deploy...}").quiet().read();
    let checked = deployed
        .map_err(anyhow::Error::from)
        .and_then(|printed| check(&sh, &pattern, &stack, &printed));
    // The artifacts `sam delete` must remove: the code zip the CLI uploaded, named in the original template.
    let code_uri = original_code_uri(&sh, &stack);
    let deleted = cmd!(sh, "sam {delete...}").quiet().ignore_stdout().run();
    checked.unwrap();
    deleted.unwrap();

    // Nothing of the stack is left: its status, its function, its API, its artifacts.
    assert_stack_deleted(&sh, &stack);
    let function = format!("{stack}-messages");
    assert!(
        cmd!(sh, "aws lambda get-function --function-name {function}")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .is_err(),
        "the function is gone"
    );
    let apis = cmd!(
        sh,
        "aws apigatewayv2 get-apis --query Items[].Name --output text"
    )
    .read()
    .unwrap();
    assert!(
        !apis.contains(&stack),
        "no API of the stack is left: {apis}"
    );
    let (bucket, key) = code_uri.unwrap();
    assert!(
        cmd!(sh, "aws s3api head-object --bucket {bucket} --key {key}")
            .quiet()
            .ignore_stdout()
            .ignore_stderr()
            .run()
            .is_err(),
        "sam delete removed s3://{bucket}/{key}"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// Every stack named `stack` that CloudFormation lists is `DELETE_COMPLETE` (the SAM and CDK CLIs' tests).
pub(super) fn assert_stack_deleted(sh: &Shell, stack: &str) {
    let query = format!("StackSummaries[?StackName=='{stack}'].StackStatus");
    let status = cmd!(
        sh,
        "aws cloudformation list-stacks --query {query} --output text"
    )
    .read()
    .unwrap();
    assert!(
        status.split_whitespace().all(|s| s == "DELETE_COMPLETE"),
        "{status}"
    );
}

/// The `sam build`, `sam deploy` and `sam delete` lines of STANDALONE.md's SAM block, split into the arguments
/// after `sam` (no comments), with `stack` for the stack name it gives (`name`, the pattern's).
fn standalone_sam_commands(dir: &std::path::Path, name: &str, stack: &str) -> [Vec<String>; 3] {
    let text = fs::read_to_string(dir.join("STANDALONE.md")).unwrap();
    let command = |verb: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("sam {verb} ")))
            .unwrap_or_else(|| panic!("STANDALONE.md has no `sam {verb}` line:\n{text}"));
        let line = line.split(" #").next().unwrap_or(line);
        line.split_whitespace()
            .skip(1)
            .map(|arg| if arg == name { stack } else { arg }.to_owned())
            .collect()
    };
    [command("build"), command("deploy"), command("delete")]
}

/// The stack is there as `sam deploy` printed it, and its API passes the pattern's checks.
fn check(sh: &Shell, pattern: &pattern::Pattern, stack: &str, printed: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        printed.contains(&format!("Successfully created/updated stack - {stack}")),
        "sam deploy said: {printed}"
    );
    let described = cmd!(
        sh,
        "aws cloudformation describe-stacks --stack-name {stack} --output json"
    )
    .read()?;
    let described: Value = serde_json::from_str(&described)?;
    let mut outputs = Outputs::new();
    for output in described["Stacks"][0]["Outputs"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (Some(key), Some(value)) =
            (output["OutputKey"].as_str(), output["OutputValue"].as_str())
        else {
            continue;
        };
        outputs.insert(key.to_owned(), value.into());
    }
    let url = outputs
        .get("ApiUrl")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    // What the CLI printed is AWS's URL form, the one users copy.
    anyhow::ensure!(
        url.starts_with("https://") && url.contains(".execute-api.us-east-1.amazonaws.com"),
        "ApiUrl: {url}"
    );
    anyhow::ensure!(printed.contains(&url), "sam deploy printed the API's URL");
    // Only AWS resolves `*.execute-api.amazonaws.com`: the URL is mapped to the edge as `cargo xtask deploy` maps
    // a local deployment's outputs.
    let edge_url = crate::local::ensure_up(None)?.edge_url;
    let outputs = crate::deploy::local_urls::map_outputs(outputs, &edge_url);
    let dep = Deployment {
        pattern,
        target: Target::Local,
        iac: Iac::Sam,
        release: false,
    };
    crate::verify::run_checks(&dep, &outputs, false)
}

/// `(bucket, key)` of the function's code, from the template as `sam deploy` sent it (GetTemplate's Original
/// stage: the packaged SAM template, `CodeUri: s3://...`).
fn original_code_uri(sh: &Shell, stack: &str) -> Option<(String, String)> {
    let stage = "Original";
    let body = cmd!(
        sh,
        "aws cloudformation get-template --stack-name {stack} --template-stage {stage} --query TemplateBody --output text"
    )
    .read()
    .ok()?;
    let uri = body
        .lines()
        .find_map(|line| line.trim().strip_prefix("CodeUri: s3://"))?;
    let (bucket, key) = uri.trim_matches(['"', '\'']).split_once('/')?;
    Some((bucket.to_owned(), key.to_owned()))
}
