//! `cargo xtask local env`: the environment that points the user's own tools (`aws`, `terraform`, `sam`, `cdk`,
//! any AWS SDK) at the running local cloud, unchanged: `eval "$(cargo xtask local env)"`.
//!
//! Every one of those tools reads `AWS_ENDPOINT_URL` (the AWS SDKs' shared setting), so the edge's URL, test
//! credentials and the region are all it takes; Terraform also gets the CLI configuration that installs the
//! AWS provider from this machine's mirror, where there is one (as `cargo xtask deploy` does).

use std::{collections::BTreeMap, path::PathBuf};

use anyhow::{Result, bail};
use local_cloud::config::DEFAULT_REGION;

use crate::{flags::EnvShell, local::LocalCloud, tools};

/// `cargo xtask local env --shell <shell>`: prints the variables, or says the local cloud is not running.
pub fn run(shell: EnvShell) -> Result<()> {
    let Some(cloud) = crate::local::running() else {
        bail!(
            "the local cloud is not running, so there is nothing to point the tools at; fix: `cargo xtask local up` \
             (or deploy a pattern), then `eval \"$(cargo xtask local env)\"`"
        );
    };
    let terraform_config = tools::terraform_cli_config(&work_dir())?;
    print!("{}", render(&variables(&cloud, terraform_config), shell)?);
    Ok(())
}

/// Where the generated Terraform CLI configuration is kept.
fn work_dir() -> PathBuf {
    crate::pattern::work_root().join("local-env")
}

/// The variables, by name.
pub(crate) fn variables(
    cloud: &LocalCloud,
    terraform_config: Option<PathBuf>,
) -> BTreeMap<&'static str, String> {
    let mut vars = BTreeMap::from([
        ("AWS_ENDPOINT_URL", cloud.edge_url.clone()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", DEFAULT_REGION.to_owned()),
        // The AWS CLI v1 and older SDKs read only this one.
        ("AWS_DEFAULT_REGION", DEFAULT_REGION.to_owned()),
    ]);
    if let Some(config) = terraform_config {
        vars.insert("TF_CLI_CONFIG_FILE", config.display().to_string());
    }
    vars
}

/// A comment for the shells: the one tool that ignores `AWS_ENDPOINT_URL` somewhere (AWS CLI v1's
/// `overridesslcommonname.py` sets SQS's endpoint itself).
const CLI_V1_NOTE: &str = "# AWS CLI v1 only: `aws sqs` ignores AWS_ENDPOINT_URL; add --endpoint-url \"$AWS_ENDPOINT_URL\"\n";

/// The variables in `shell`'s syntax, values quoted so that any text survives.
fn render(vars: &BTreeMap<&'static str, String>, shell: EnvShell) -> Result<String> {
    let quote = |value: &str| format!("'{}'", value.replace('\'', r"'\''"));
    Ok(match shell {
        EnvShell::Bash => vars
            .iter()
            .map(|(name, value)| format!("export {name}={}\n", quote(value)))
            .chain([CLI_V1_NOTE.to_owned()])
            .collect(),
        EnvShell::Fish => vars
            .iter()
            .map(|(name, value)| {
                format!(
                    "set -gx {name} '{}'\n",
                    value.replace('\\', r"\\").replace('\'', r"\'")
                )
            })
            .chain([CLI_V1_NOTE.to_owned()])
            .collect(),
        EnvShell::Json => format!("{}\n", serde_json::to_string_pretty(vars)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud() -> LocalCloud {
        LocalCloud {
            edge_url: "http://127.0.0.1:4566".into(),
            edge_port: 4566,
            moto_port: 40000,
            pid: 1,
            moto_pid: 2,
            instance: "i".into(),
        }
    }

    #[test]
    fn each_shell_gets_its_own_syntax() {
        let vars = variables(&cloud(), Some(PathBuf::from("/w/it's.tfrc")));
        let bash = render(&vars, EnvShell::Bash).unwrap();
        assert!(
            bash.contains("export AWS_ENDPOINT_URL='http://127.0.0.1:4566'\n"),
            "{bash}"
        );
        assert!(
            bash.contains(r"export TF_CLI_CONFIG_FILE='/w/it'\''s.tfrc'"),
            "{bash}"
        );
        let fish = render(&vars, EnvShell::Fish).unwrap();
        assert!(fish.contains("set -gx AWS_REGION 'us-east-1'\n"), "{fish}");
        assert!(
            fish.contains(r"set -gx TF_CLI_CONFIG_FILE '/w/it\'s.tfrc'"),
            "{fish}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(&vars, EnvShell::Json).unwrap()).unwrap();
        assert_eq!(json["AWS_SECRET_ACCESS_KEY"], "test");
        assert_eq!(json["AWS_DEFAULT_REGION"], "us-east-1");
    }

    #[test]
    fn without_a_provider_mirror_terraform_needs_no_setting() {
        let vars = variables(&cloud(), None);
        assert!(!vars.contains_key("TF_CLI_CONFIG_FILE"));
        assert_eq!(vars["AWS_ENDPOINT_URL"], "http://127.0.0.1:4566");
    }

    /// What the command promises, with the tools themselves: the AWS CLI and a plain `terraform apply` (no
    /// override file, no provider settings) reach the local cloud with only the printed variables.
    #[test]
    fn the_aws_cli_and_plain_terraform_reach_the_local_cloud_with_only_these_variables() {
        let _cloud = crate::local::TestUse::hold();
        let cloud = crate::local::ensure_up(None).unwrap();
        let sh = xshell::Shell::new().unwrap();
        tools::require(&sh, tools::Tool::Terraform).unwrap();
        let dir = crate::pattern::project_root().join("target/tmp/local-env-test");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, value) in variables(&cloud, tools::terraform_cli_config(&dir).unwrap()) {
            sh.set_var(name, value);
        }
        sh.change_dir(&dir);
        let suffix = std::process::id();
        let bucket = format!("local-env-{suffix}");
        xshell::cmd!(sh, "aws s3api create-bucket --bucket {bucket}")
            .quiet()
            .ignore_stdout()
            .run()
            .unwrap();
        // Seen by the local cloud, not by anything else the CLI could have reached.
        let status = ureq::get(&format!("{}/{bucket}", cloud.edge_url))
            .call()
            .unwrap()
            .status();
        assert_eq!(
            status, 200,
            "the bucket the CLI created is in the local cloud"
        );
        xshell::cmd!(sh, "aws s3api delete-bucket --bucket {bucket}")
            .quiet()
            .run()
            .unwrap();

        let queue = format!("local-env-{suffix}");
        std::fs::write(
            dir.join("main.tf"),
            format!(
                "terraform {{\n  required_providers {{\n    aws = {{ source = \"hashicorp/aws\" }}\n  }}\n}}\n\n\
                 provider \"aws\" {{}}\n\nresource \"aws_sqs_queue\" \"probe\" {{\n  name = \"{queue}\"\n}}\n\n\
                 output \"url\" {{\n  value = aws_sqs_queue.probe.url\n}}\n"
            ),
        )
        .unwrap();
        let cache = crate::tools::terraform_init_lock().unwrap();
        xshell::cmd!(sh, "terraform init -input=false -no-color")
            .quiet()
            .ignore_stdout()
            .run()
            .unwrap();
        drop(cache);
        xshell::cmd!(sh, "terraform apply -auto-approve -input=false -no-color")
            .quiet()
            .ignore_stdout()
            .run()
            .unwrap();
        let url = xshell::cmd!(sh, "terraform output -raw url")
            .read()
            .unwrap();
        let edge = &cloud.edge_url;
        let listed = xshell::cmd!(
            sh,
            "aws sqs list-queues --queue-name-prefix {queue} --endpoint-url {edge} --output text"
        )
        .read()
        .unwrap();
        assert!(
            listed.contains(&queue),
            "terraform's queue {url} is in the local cloud: {listed}"
        );
        xshell::cmd!(sh, "terraform destroy -auto-approve -input=false -no-color")
            .quiet()
            .ignore_stdout()
            .run()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
