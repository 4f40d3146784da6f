//! The project's CDK toolchain for TypeScript apps: the CDK CLI (npm `aws-cdk`), `aws-cdk-lib`, `constructs`,
//! TypeScript and ts-node at the versions of `xtask/src/cdk/typescript/package-lock.json`, installed with `npm ci`
//! into `target/xtask/cdk-toolchain/` (never globally; once, then one file compare), and `cdk synth` with it.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xshell::{Shell, cmd};

use super::lang::{CDK_CLI, CDK_LIB, PACKAGE_JSON, PACKAGE_LOCK};
use crate::{pattern::target_dir, tools};

/// The oldest Node.js `aws-cdk-lib` runs on (its `engines`).
const NODE_MIN: u64 = 20;

const NODE_HINT: &str =
    "install Node.js 20 or newer with npm (Debian: `apt-get install nodejs npm`)";

/// Where the toolchain is installed.
pub fn dir() -> PathBuf {
    target_dir().join("xtask").join("cdk-toolchain")
}

/// The installed `node_modules`.
fn node_modules() -> PathBuf {
    dir().join("node_modules")
}

/// Installs the toolchain unless the installed one is from the same lock; returns its `node_modules`.
/// `quiet`: print nothing when it is up to date.
pub fn ensure(quiet: bool) -> Result<PathBuf> {
    let sh = Shell::new()?;
    require_node(&sh)?;
    let dir = dir();
    let stamp = dir.join("installed-lock.json");
    let cli = node_modules().join(".bin").join("cdk");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(PACKAGE_LOCK) && cli.exists() {
        if !quiet {
            println!("cdk toolchain: up to date (aws-cdk {CDK_CLI}, aws-cdk-lib {CDK_LIB})");
        }
        return Ok(node_modules());
    }
    println!(
        "installing the CDK toolchain (aws-cdk {CDK_CLI}, aws-cdk-lib {CDK_LIB}, TypeScript) into {}",
        dir.display()
    );
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let _ = fs::remove_file(&stamp);
    fs::write(dir.join("package.json"), PACKAGE_JSON)?;
    fs::write(dir.join("package-lock.json"), PACKAGE_LOCK)?;
    sh.change_dir(&dir);
    cmd!(sh, "npm ci --no-audit --no-fund --loglevel=error")
        .run()
        .with_context(|| {
            format!(
                "installing the CDK toolchain with `npm ci` in {}; fix: check that the npm registry is \
                 reachable (npm's own configuration), then run `cargo xtask setup` again",
                dir.display()
            )
        })?;
    if !cli.exists() {
        bail!(
            "`npm ci` in {} installed no {}",
            dir.display(),
            cli.display()
        );
    }
    fs::write(&stamp, PACKAGE_LOCK).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(node_modules())
}

/// Fails, with the install hint, unless `node` (new enough) and `npm` are on PATH.
fn require_node(sh: &Shell) -> Result<()> {
    tools::require_program(sh, "node", NODE_HINT)?;
    tools::require_program(sh, "npm", NODE_HINT)?;
    let version = cmd!(sh, "node --version")
        .quiet()
        .read()
        .context("running `node --version`")?;
    let major: u64 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .with_context(|| format!("`node --version` printed `{version}`"))?;
    if major < NODE_MIN {
        bail!(
            "Node.js {} is too old for aws-cdk-lib {CDK_LIB}; fix: {NODE_HINT}",
            version.trim()
        );
    }
    Ok(())
}

/// What `cdk synth` wrote: the stack's template and the file assets it needs uploaded.
pub struct Synthesized {
    pub template_path: PathBuf,
    pub template: Value,
    pub assets: Vec<FileAsset>,
}

/// One file asset of the asset manifest: its file, and where it goes (with `${AWS::AccountId}`-style
/// placeholders).
#[derive(Debug, Clone)]
pub struct FileAsset {
    pub path: PathBuf,
    pub bucket: String,
    pub key: String,
}

/// Runs `cdk synth` for the TypeScript app in `app_dir` with the project's toolchain (linked in as its
/// `node_modules`), into `app_dir/cdk.out`. No telemetry, notices or version check: it only synthesizes.
pub fn synth(app_dir: &Path) -> Result<Synthesized> {
    let modules = ensure(true)?;
    let link = app_dir.join("node_modules");
    if fs::symlink_metadata(&link).is_err() {
        std::os::unix::fs::symlink(&modules, &link)
            .with_context(|| format!("linking {} to {}", link.display(), modules.display()))?;
    }
    let out = app_dir.join("cdk.out");
    let _ = fs::remove_dir_all(&out);
    let cli = modules.join(".bin").join("cdk");
    let sh = Shell::new()?;
    sh.change_dir(app_dir);
    let run = cmd!(
        sh,
        "{cli} synth --no-version-reporting --no-notices --quiet --output cdk.out"
    )
    .env("CDK_DISABLE_CLI_TELEMETRY", "true")
    .env("CDK_DISABLE_VERSION_CHECK", "true")
    .quiet()
    .ignore_status()
    .output()
    .with_context(|| format!("running {}", cli.display()))?;
    if !run.status.success() {
        bail!(
            "`cdk synth` of the app in {} failed ({}):\n{}{}",
            app_dir.display(),
            run.status,
            String::from_utf8_lossy(&run.stdout).trim_end(),
            String::from_utf8_lossy(&run.stderr).trim_end()
        );
    }
    read_assembly(&out)
}

/// The one stack of the cloud assembly in `out`, and its file assets.
fn read_assembly(out: &Path) -> Result<Synthesized> {
    let read = |path: &Path| -> Result<Value> {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    };
    let manifest = read(&out.join("manifest.json"))?;
    let artifacts = manifest["artifacts"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let of_type = |kind: &str| -> Vec<String> {
        artifacts
            .values()
            .filter(|a| a["type"] == kind)
            .filter_map(|a| {
                a["properties"]["file"]
                    .as_str()
                    .or(a["properties"]["templateFile"].as_str())
            })
            .map(str::to_owned)
            .collect()
    };
    let templates = of_type("aws:cloudformation:stack");
    let [template_file] = templates.as_slice() else {
        bail!(
            "the cloud assembly in {} has {} stacks; the app must define exactly one",
            out.display(),
            templates.len()
        );
    };
    let template_path = out.join(template_file);
    let template = read(&template_path)?;
    let mut assets = Vec::new();
    for file in of_type("cdk:asset-manifest") {
        let asset_manifest = read(&out.join(&file))?;
        for (hash, asset) in asset_manifest["files"].as_object().into_iter().flatten() {
            let source = &asset["source"];
            if source["packaging"].as_str().unwrap_or("file") != "file" {
                bail!(
                    "asset {hash} of {} is a folder (`{}`); the app's assets are the built zips, files",
                    file,
                    source["path"]
                );
            }
            let path = out.join(source["path"].as_str().unwrap_or_default());
            for destination in asset["destinations"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, d)| d)
            {
                assets.push(FileAsset {
                    path: path.clone(),
                    bucket: destination["bucketName"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    key: destination["objectKey"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                });
            }
        }
    }
    Ok(Synthesized {
        template_path,
        template,
        assets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cloud assembly as `cdk synth` writes one (manifest, template, asset manifest), read back.
    #[test]
    fn the_assembly_gives_the_template_and_the_file_assets() {
        let out = target_dir()
            .join("xtask/test-scratch")
            .join(format!("cdk-assembly-{}", std::process::id()));
        let _ = fs::remove_dir_all(&out);
        fs::create_dir_all(&out).unwrap();
        fs::write(
            out.join("manifest.json"),
            r#"{"version": "48.0.0", "artifacts": {
                "p.assets": {"type": "cdk:asset-manifest", "properties": {"file": "p.assets.json"}},
                "p": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "p.template.json"}},
                "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}}"#,
        )
        .unwrap();
        fs::write(out.join("p.template.json"), r#"{"Resources": {}}"#).unwrap();
        fs::write(
            out.join("p.assets.json"),
            r#"{"files": {"abc": {"source": {"path": "asset.abc.zip", "packaging": "file"},
                "destinations": {"current_account-current_region": {
                    "bucketName": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}", "objectKey": "abc.zip"}}}},
                "dockerImages": {}}"#,
        )
        .unwrap();
        let assembly = read_assembly(&out).unwrap();
        fs::remove_dir_all(&out).unwrap();
        assert_eq!(assembly.template, serde_json::json!({"Resources": {}}));
        assert!(assembly.template_path.ends_with("p.template.json"));
        assert_eq!(assembly.assets.len(), 1);
        assert!(assembly.assets[0].path.ends_with("asset.abc.zip"));
        assert_eq!(
            assembly.assets[0].bucket,
            "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"
        );
        assert_eq!(assembly.assets[0].key, "abc.zip");
    }
}
