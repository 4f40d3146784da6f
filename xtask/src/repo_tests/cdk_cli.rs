//! The CDK CLI as a user drives it against the local cloud (issue 14): the app `cargo xtask cdk` generates (its
//! assets the functions' local builds), then the project's pinned `cdk bootstrap` (the real bootstrap stack,
//! `CDKToolkit`), `cdk deploy` and `cdk destroy` with only `cargo xtask local env`'s variables set. The CLI assumes the bootstrap roles, uploads its assets to the
//! staging bucket (whose policy denies requests without TLS: the local cloud stands for S3's HTTPS endpoint,
//! `python/local_moto/s3.py`), reads the bootstrap version (`ssm.py`: `Fn::GetAtt` of a parameter) and deploys
//! through a change set whose `TemplateURL` is on the local S3 endpoint (`cloudformation.py`,
//! `cloudformation_change_sets.py`). The stack then passes the pattern's own checks, run by the standalone runner
//! that `cargo xtask export` ships (`crates/pattern-checks`), at the URLs the CLI printed.

use std::fs;

use xshell::{Shell, cmd};

use crate::{
    build::{self, Arch},
    flags::CdkLang,
    pattern::{self, project_root},
};

/// A SAM pattern with an API and a Cognito sign-in, x86_64 (the only Rust target here).
const PATTERN: &str = "apigw-http-api-lambda";

#[test]
fn a_generated_cdk_app_bootstraps_deploys_and_destroys_with_the_cdk_cli() {
    let pattern = pattern::one(PATTERN).unwrap();
    // The functions' code is their local build, as `cargo xtask test --iac cdk` deploys it: the AWS build
    // (`lambda-release`) would compile the crate's whole tree again (~100 CPU-seconds) for nothing this test checks.
    let zips = build::build(&pattern.lambdas, Arch::Local)
        .unwrap()
        .into_iter()
        .map(|a| (a.package, a.zip))
        .collect();
    let dir = project_root().join("target/tmp/cdk-cli-test");
    let _ = fs::remove_dir_all(&dir);
    crate::cdk::write_app_with(&pattern, CdkLang::Typescript, &dir, false, zips).unwrap();
    // `npm ci` of the app's own manifest installs what the project's toolchain holds (the same pins): linked.
    let modules = crate::cdk::toolchain::ensure(true).unwrap();
    std::os::unix::fs::symlink(&modules, dir.join("node_modules")).unwrap();
    let cdk = modules.join(".bin/cdk");
    let runner = super::exported_checks::runner();
    let sh = Shell::new().unwrap();

    let _cloud = crate::local::TestUse::hold();
    let cloud = crate::local::ensure_up(None).unwrap();
    sh.change_dir(&dir);
    for (name, value) in crate::local_env::variables(&cloud, None) {
        sh.set_var(name, value);
    }
    sh.set_var("CDK_DISABLE_CLI_TELEMETRY", "true");
    let quiet = ["--no-notices", "--no-version-reporting"];

    // The CLI writes its messages to stderr, or to stdout when `CI` is set (as CI services set it): both are read.
    let bootstrapped = cmd!(sh, "{cdk} bootstrap {quiet...}")
        .quiet()
        .output()
        .unwrap();
    let printed = [bootstrapped.stdout, bootstrapped.stderr].concat();
    let printed = String::from_utf8_lossy(&printed);
    assert!(printed.contains("bootstrapped"), "{printed}");
    let stack = PATTERN;
    let deployed = cmd!(
        sh,
        "{cdk} deploy {stack} --require-approval never --outputs-file outputs.json {quiet...}"
    )
    .quiet()
    .ignore_stdout()
    .ignore_stderr()
    .run();
    let checked = deployed.map_err(anyhow::Error::from).and_then(|()| {
        // What the CLI printed (and wrote) is AWS's URL form, which the runner sends to the local cloud.
        let written = fs::read_to_string(dir.join("outputs.json"))?;
        anyhow::ensure!(
            written.contains(".execute-api.us-east-1.amazonaws.com"),
            "{written}"
        );
        let checks = pattern.manifest_path();
        let report = cmd!(sh, "{runner} --stack {stack} --checks {checks}")
            .ignore_status()
            .output()?;
        let text = String::from_utf8_lossy(&report.stdout);
        let total = pattern.manifest.verify.len();
        anyhow::ensure!(
            report.status.success()
                && text
                    .trim_end()
                    .ends_with(&format!("{total} passed, 0 failed")),
            "{text}{}",
            String::from_utf8_lossy(&report.stderr)
        );
        Ok(())
    });
    let destroyed = cmd!(sh, "{cdk} destroy {stack} --force {quiet...}")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run();
    checked.unwrap();
    destroyed.unwrap();
    super::sam_cli::assert_stack_deleted(&sh, stack);
    let _ = fs::remove_dir_all(&dir);
}
