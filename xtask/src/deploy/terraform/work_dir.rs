//! The Terraform work directory's own files: the state (read as `terraform state list` would), the copy of the
//! pattern, and the digest that tells whether `terraform init` must run again.

use std::{fs, path::Path};

use anyhow::{Context, Result};

/// The `resources` of the Terraform state at `path`: None without a file; an error when it does not parse or has
/// no list of resources.
fn state_resources(path: &Path) -> Result<Option<Vec<serde_json::Value>>> {
    let Ok(text) = fs::read_to_string(path) else {
        return Ok(None);
    };
    let state: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    match state.get("resources").and_then(|r| r.as_array()) {
        Some(resources) => Ok(Some(resources.clone())),
        None => anyhow::bail!("{}: no `resources` list", path.display()),
    }
}

/// Whether the Terraform state at `path` records any resource (no file: none; a file that does not parse counts
/// as one: `terraform destroy` judges it).
pub fn state_has_resources(path: &Path) -> bool {
    state_resources(path).map_or(true, |resources| resources.is_some_and(|r| !r.is_empty()))
}

/// The resource addresses a Terraform state file records (none when there is no file), as `terraform state
/// list` prints them.
pub(super) fn state_addresses(path: &Path) -> Result<Vec<String>> {
    let resources = state_resources(path)?.unwrap_or_default();
    Ok(resources
        .iter()
        .map(|r| {
            let prefix = match r["mode"].as_str() {
                Some("data") => "data.",
                _ => "",
            };
            let module = r["module"]
                .as_str()
                .map(|m| format!("{m}."))
                .unwrap_or_default();
            format!(
                "{module}{prefix}{}.{}",
                r["type"].as_str().unwrap_or("?"),
                r["name"].as_str().unwrap_or("?")
            )
        })
        .collect())
}

/// The dependency lock file `terraform init` writes into the module folder.
pub(super) const LOCK_FILE: &str = ".terraform.lock.hcl";

/// A digest of the configuration `terraform init` reads, taken before init: every file under the module folder
/// (its path and bytes; the pattern's own lock file, if it has one, included).
pub(super) fn config_fingerprint(dir: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    fn walk(root: &Path, dir: &Path, hash: &mut Sha256) -> Result<()> {
        let mut entries = fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .collect::<Result<Vec<_>, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            if entry.file_name() == ".terraform" {
                continue;
            }
            if entry.file_type()?.is_dir() {
                walk(root, &path, hash)?;
            } else {
                hash.update(
                    path.strip_prefix(root)
                        .unwrap_or(&path)
                        .to_string_lossy()
                        .as_bytes(),
                );
                hash.update([0]);
                hash.update(
                    fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
                );
                hash.update([0]);
            }
        }
        Ok(())
    }
    let mut hash = Sha256::new();
    walk(dir, dir, &mut hash)?;
    Ok(hex::encode(hash.finalize()))
}

/// Copies a pattern folder, without build output and Terraform's local state.
pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let skip = matches!(
            name.to_str(),
            Some("target" | ".terraform" | "terraform.tfstate")
        );
        if skip {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_addresses_read_as_terraform_state_list_prints_them() {
        let dir = crate::tools::tests::scratch("tf-state-addresses");
        let path = dir.join("terraform.tfstate");
        assert!(state_addresses(&path).unwrap().is_empty(), "no file: none");
        let state = serde_json::json!({"version": 4, "resources": [
            {"mode": "managed", "type": "aws_sqs_queue", "name": "dlq", "instances": [{}]},
            {"mode": "data", "type": "aws_iam_policy_document", "name": "p", "instances": [{}]},
            {"module": "module.api", "mode": "managed", "type": "aws_lambda_function", "name": "f", "instances": [{}]}
        ]});
        fs::write(&path, state.to_string()).unwrap();
        assert_eq!(
            state_addresses(&path).unwrap(),
            [
                "aws_sqs_queue.dlq",
                "data.aws_iam_policy_document.p",
                "module.api.aws_lambda_function.f"
            ]
        );
        fs::write(&path, "{not json").unwrap();
        let err = state_addresses(&path).unwrap_err();
        assert!(format!("{err:#}").contains("terraform.tfstate"), "{err:#}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_init_fingerprint_changes_with_any_file_of_the_module() {
        let dir = crate::tools::tests::scratch("tf-fingerprint");
        fs::create_dir_all(dir.join("modules/api")).unwrap();
        fs::write(dir.join("main.tf"), "terraform {}\n").unwrap();
        fs::write(dir.join("modules/api/main.tf"), "# api\n").unwrap();
        let first = config_fingerprint(&dir).unwrap();
        assert_eq!(config_fingerprint(&dir).unwrap(), first, "stable");
        fs::write(dir.join("modules/api/main.tf"), "# api v2\n").unwrap();
        let second = config_fingerprint(&dir).unwrap();
        assert_ne!(second, first, "a module's file changed");
        fs::write(dir.join(LOCK_FILE), "# lock\n").unwrap();
        assert_ne!(
            config_fingerprint(&dir).unwrap(),
            second,
            "the pattern's own lock file counts"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
