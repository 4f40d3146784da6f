//! `cargo xtask export` as a user would use it: the exported project builds and tests `--locked` and offline with
//! nothing of the repository, deploys with a plain `terraform apply` (only `cargo xtask local env`'s variables)
//! to the local cloud, and passes the pattern's checks as its own `checks/` runs them (and fails them when the
//! deployment is not what they expect).

use std::fs;

use anyhow::Context;
use xshell::{Shell, cmd};

use crate::{
    build::{Compression, package},
    cargo::without_run_env,
    pattern::{self, project_root},
    tools::{self, Tool},
};

/// An HTTP API with a Cognito sign-in: its function needs no AWS SDK, so the exported build (which shares no
/// artifact with the workspace's: another profile, other features) compiles the least.
const PATTERN: &str = "apigw-http-api-lambda";
const FUNCTION: &str = "messages-api";

#[test]
fn an_exported_pattern_builds_offline_and_deploys_with_plain_terraform() {
    let pattern = pattern::one(PATTERN).unwrap();
    let dir = project_root().join("target/tmp/export-test");
    let _ = fs::remove_dir_all(&dir);
    let dir = crate::export::export(&pattern, &dir, false).unwrap();

    // Standalone: no path dependency, and only versions the repository's lock holds.
    for lambda in &pattern.lambdas {
        let manifest = fs::read_to_string(dir.join(&lambda.named).join("Cargo.toml")).unwrap();
        assert!(!manifest.contains("path ="), "{manifest}");
    }
    let repo_lock = fs::read_to_string(project_root().join("Cargo.lock")).unwrap();
    let lock = fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    let entries = |text: &str| -> Vec<String> {
        text.split("[[package]]")
            .skip(1)
            .map(|p| p.lines().take(3).collect::<Vec<_>>().join("\n"))
            .collect()
    };
    let tested = entries(&repo_lock);
    let exported = entries(&lock);
    // Pruned to the pattern's crates: nothing of the repository's own tools.
    assert!(exported.len() < tested.len());
    for tool in ["xtask", "local-cloud", "clap"] {
        assert!(
            !lock.contains(&format!("name = \"{tool}\"\n")),
            "{tool} is in the exported lock"
        );
    }
    for entry in &exported {
        assert!(
            tested.contains(entry) || entry.contains(FUNCTION),
            "not tested: {entry}"
        );
    }
    // Refused a second time into the same (now full) folder.
    let again = crate::export::export(&pattern, &dir, false)
        .unwrap_err()
        .to_string();
    assert!(
        again.contains("is not empty") && again.contains("--force"),
        "{again}"
    );

    // Builds and tests locked and offline, outside the workspace, into a target dir of its own: it could share
    // nothing with the workspace's (no profile settings, other features), and its binaries carry the names of
    // the workspace's (`pattern-checks`, the function's), which other tests build and read at the same time.
    let sh = Shell::new().unwrap();
    sh.change_dir(&dir);
    let target = project_root().join("target/tmp/export-test-target");
    sh.set_var("CARGO_TARGET_DIR", &target);
    without_run_env(cmd!(sh, "cargo test --locked --offline"))
        .quiet()
        .run()
        .unwrap();
    without_run_env(cmd!(sh, "cargo build --locked --offline"))
        .quiet()
        .run()
        .unwrap();
    let binary = target.join("debug").join(FUNCTION);
    let zip = target.join("bootstrap.zip");
    package(&binary, &zip, FUNCTION, Compression::Fast).unwrap();

    // Deploys with the plain tool and only the printed variables, then behaves as its checks say.
    let _cloud = crate::local::TestUse::hold();
    let cloud = crate::local::ensure_up(None).unwrap();
    tools::require(&sh, Tool::Terraform).unwrap();
    for (name, value) in
        crate::local_env::variables(&cloud, tools::terraform_cli_config(&dir).unwrap())
    {
        sh.set_var(name, value);
    }
    sh.change_dir(dir.join("terraform"));
    let prefix = format!("export-{}", std::process::id());
    let vars = [
        format!("lambda_zip={}", zip.display()),
        format!("name_prefix={prefix}"),
    ];
    let var_flags: Vec<String> = vars
        .iter()
        .flat_map(|v| ["-var".to_owned(), v.clone()])
        .collect();
    let apply_flags = var_flags.clone();
    let cache = crate::tools::terraform_init_lock().unwrap();
    cmd!(sh, "terraform init -input=false -no-color")
        .quiet()
        .ignore_stdout()
        .run()
        .unwrap();
    drop(cache);
    let applied = cmd!(
        sh,
        "terraform apply -auto-approve -input=false -no-color {apply_flags...}"
    )
    .quiet()
    .ignore_stdout()
    .run();
    // The pattern's own checks, as the exported `checks/` runs them: with only the printed variables, the
    // AWS URLs and names Terraform printed, and the AWS CLI.
    let checked = applied.map_err(anyhow::Error::from).and_then(|()| {
        sh.change_dir(&dir);
        let report = without_run_env(cmd!(
            sh,
            "cargo run --quiet --locked --offline -p pattern-checks -- --terraform terraform"
        ))
        .read()?;
        let total = pattern.manifest.verify.len();
        anyhow::ensure!(
            report.ends_with(&format!("{total} passed, 0 failed")),
            "{report}"
        );
        // And they can fail: the same checks against an API that does not exist.
        let wrong = target.join("wrong-outputs.json");
        let output = |name: &str| cmd!(sh, "terraform -chdir=terraform output -raw {name}").read();
        let api_url = output("api_url")?;
        let (scheme, rest) = api_url.split_once("://").context("api_url has no scheme")?;
        let (_id, host) = rest.split_once('.').context("api_url has no API id")?;
        let mut outputs = serde_json::Map::new();
        for name in ["user_pool_id", "user_pool_client_id", "function_name"] {
            outputs.insert(name.into(), output(name)?.into());
        }
        outputs.insert(
            "api_url".into(),
            format!("{scheme}://nosuchapi0.{host}").into(),
        );
        fs::write(&wrong, serde_json::Value::Object(outputs).to_string())?;
        let wrong = wrong.display().to_string();
        let failed = without_run_env(cmd!(
            sh,
            "cargo run --quiet --locked --offline -p pattern-checks -- --outputs {wrong}"
        ))
        .ignore_status()
        .output()?;
        let out = String::from_utf8_lossy(&failed.stdout);
        anyhow::ensure!(
            !failed.status.success() && out.contains("FAIL  the public route reaches the function"),
            "{out}{}",
            String::from_utf8_lossy(&failed.stderr)
        );
        Ok(())
    });
    // From the Terraform folder whatever the checks did (a failed check once left the destroy in the wrong folder).
    sh.change_dir(dir.join("terraform"));
    let destroyed = cmd!(
        sh,
        "terraform destroy -auto-approve -input=false -no-color {var_flags...}"
    )
    .quiet()
    .ignore_stdout()
    .run();
    checked.unwrap();
    destroyed.unwrap();
    let _ = fs::remove_dir_all(&dir);
}
