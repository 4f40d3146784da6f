//! The external tools xtask drives (terraform, cfn-lint, cargo-lambda): presence checks that fail with an
//! install hint, and the Terraform CLI configuration that lets `terraform init` work offline from a provider mirror.

use std::{
    env,
    ffi::OsStr,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// An external program some xtask command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Terraform,
    CfnLint,
    CargoLambda,
}

impl Tool {
    /// The executable's name on `PATH`.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Terraform => "terraform",
            Tool::CfnLint => "cfn-lint",
            Tool::CargoLambda => "cargo-lambda",
        }
    }

    /// How to install the tool.
    pub fn install_hint(self) -> &'static str {
        match self {
            Tool::Terraform => {
                "install Terraform >= 1.5 from https://developer.hashicorp.com/terraform/install"
            }
            Tool::CfnLint => "pip install cfn-lint",
            Tool::CargoLambda => "pip install cargo-lambda",
        }
    }
}

/// Oldest Terraform release whose `validate -json`, `init -backend=false` and lock-file behaviour xtask relies on.
const TERRAFORM_MIN: (u64, u64) = (1, 5);

/// Fails, with the install hint, unless `tool` is installed (and, for Terraform, is new enough).
pub fn require(sh: &Shell, tool: Tool) -> Result<()> {
    program_path(sh, tool)?;
    if tool == Tool::Terraform {
        let version = terraform_version(sh)?;
        if version < TERRAFORM_MIN {
            bail!(
                "terraform {}.{} is too old; fix: {}",
                version.0,
                version.1,
                tool.install_hint()
            );
        }
    }
    Ok(())
}

/// The executable to run for `tool`: the project's `.venv/bin` first for the Python tools (`cargo xtask setup`
/// installs them there), then the shell's `PATH`. Fails with the install hint when it is nowhere.
pub fn program_path(sh: &Shell, tool: Tool) -> Result<PathBuf> {
    let venv_bin = crate::pattern::project_root().join(".venv").join("bin");
    let python_tool = matches!(tool, Tool::CfnLint | Tool::CargoLambda);
    if python_tool && is_executable(&venv_bin.join(tool.program())) {
        return Ok(venv_bin.join(tool.program()));
    }
    require_program(sh, tool.program(), tool.install_hint())
}

/// Fails unless `program` is an executable on the shell's `PATH`; the error names the program and the hint.
pub fn require_program(sh: &Shell, program: &str, hint: &str) -> Result<PathBuf> {
    find_program(sh, program)
        .with_context(|| format!("`{program}` is required but was not found on PATH; fix: {hint}"))
}

/// Looks `program` up on the shell's `PATH` without running it.
pub fn find_program(sh: &Shell, program: &str) -> Option<PathBuf> {
    let path = sh.var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// `(major, minor)` of the installed Terraform.
fn terraform_version(sh: &Shell) -> Result<(u64, u64)> {
    let out = cmd!(sh, "terraform version -json")
        .env("CHECKPOINT_DISABLE", "1")
        .quiet()
        .ignore_stderr()
        .read()
        .context("running `terraform version -json`")?;
    let json: serde_json::Value =
        serde_json::from_str(&out).context("parsing `terraform version -json`")?;
    let version = json
        .get("terraform_version")
        .and_then(|v| v.as_str())
        .context("`terraform version -json` has no `terraform_version`")?;
    parse_major_minor(version).with_context(|| format!("unexpected Terraform version `{version}`"))
}

fn parse_major_minor(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The local provider mirror used when it exists (the machine has no access to registry.terraform.io).
pub const TERRAFORM_PLUGIN_MIRROR: &str = "/opt/tf-plugins";

/// Shared provider cache. With the mirror's unpacked layout Terraform links providers rather than copying them,
/// so no work directory holds its own copy of the ~700 MB AWS provider.
pub fn terraform_plugin_cache() -> PathBuf {
    crate::pattern::project_root().join("target/xtask/terraform-plugin-cache")
}

/// Holds Terraform's shared plugin cache for one `terraform init` (dropped: released). Terraform's CLI
/// configuration documents the cache as not safe for concurrent inits, and two inits of a cold cache do fail
/// ("mkdir ...: file exists"; hashicorp/terraform#31964), which `cargo xtask test --all` and `ci`'s lanes start
/// side by side: inits in this checkout take turns (a few seconds each once the cache is filled).
pub fn terraform_init_lock() -> Result<fs::File> {
    exclusive_lock(&terraform_plugin_cache().with_extension("lock"))
}

/// An exclusive lock on `path` (created, with its folder, if missing), held until the file is dropped; waits
/// while another process or thread holds it.
pub fn exclusive_lock(path: &Path) -> Result<fs::File> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.lock()
        .with_context(|| format!("locking {}", path.display()))?;
    Ok(file)
}

/// Writes `<work_dir>/terraform.rc` for `TF_CLI_CONFIG_FILE` when the provider mirror exists, and returns its path.
///
/// The providers found in the mirror are installed from it and never from the network; every other provider
/// uses the normal registry. Without a mirror this returns `None`: Terraform then uses its usual configuration.
pub fn terraform_cli_config(work_dir: &Path) -> Result<Option<PathBuf>> {
    write_cli_config(
        work_dir,
        Path::new(TERRAFORM_PLUGIN_MIRROR),
        &terraform_plugin_cache(),
    )
}

fn write_cli_config(work_dir: &Path, mirror: &Path, cache: &Path) -> Result<Option<PathBuf>> {
    if !mirror.is_dir() {
        return Ok(None);
    }
    let providers = mirrored_providers(mirror)?;
    if providers.is_empty() {
        bail!(
            "{}: the provider mirror holds no provider (expected <host>/<namespace>/<type>/<version>/<os_arch>/); \
             fix: fill it, or remove the folder to use the registry",
            mirror.display()
        );
    }
    fs::create_dir_all(work_dir).with_context(|| format!("creating {}", work_dir.display()))?;
    fs::create_dir_all(cache).with_context(|| format!("creating {}", cache.display()))?;
    let list = providers
        .iter()
        .map(|p| hcl_string(p))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "# Generated by cargo xtask: providers from the local mirror, everything else from the registry.\n\
         plugin_cache_dir = {cache}\n\
         plugin_cache_may_break_dependency_lock_file = true\n\
         provider_installation {{\n  \
           filesystem_mirror {{\n    \
             path    = {mirror}\n    \
             include = [{list}]\n  \
           }}\n  \
           direct {{\n    \
             exclude = [{list}]\n  \
           }}\n\
         }}\n",
        cache = hcl_string(&cache.to_string_lossy()),
        mirror = hcl_string(&mirror.to_string_lossy()),
    );
    let path = work_dir.join("terraform.rc");
    let current = fs::read_to_string(&path).ok();
    if current.as_deref() != Some(text.as_str()) {
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(Some(path))
}

/// `host/namespace/type` of every provider in a mirror with the unpacked layout.
fn mirrored_providers(mirror: &Path) -> Result<Vec<String>> {
    let mut providers = Vec::new();
    for host in subdirs(mirror)? {
        for namespace in subdirs(&host)? {
            for kind in subdirs(&namespace)? {
                let name = |p: &Path| {
                    p.file_name()
                        .unwrap_or(OsStr::new(""))
                        .to_string_lossy()
                        .into_owned()
                };
                providers.push(format!(
                    "{}/{}/{}",
                    name(&host),
                    name(&namespace),
                    name(&kind)
                ));
            }
        }
    }
    providers.sort();
    Ok(providers)
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            dirs.push(path);
        }
    }
    Ok(dirs)
}

/// An HCL string literal.
fn hcl_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fresh folder under `target/xtask/test-scratch/` for one test of this process.
    pub(crate) fn scratch(name: &str) -> PathBuf {
        let dir = crate::pattern::project_root()
            .join("target/xtask/test-scratch")
            .join(format!("tools-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_lock_is_held_until_its_holder_drops_it() {
        let path = scratch("lock").join("held.lock");
        let held = exclusive_lock(&path).unwrap();
        let other = fs::File::open(&path).unwrap();
        assert!(
            matches!(other.try_lock(), Err(fs::TryLockError::WouldBlock)),
            "a second holder got {} while the first held it",
            path.display()
        );
        drop(held);
        other
            .try_lock()
            .expect("the lock is released with its holder");
    }

    #[test]
    fn missing_program_fails_with_the_hint() {
        let sh = Shell::new().unwrap();
        let err = require_program(
            &sh,
            "xtask-no-such-tool-4711",
            "pip install xtask-no-such-tool",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`xtask-no-such-tool-4711` is required"),
            "{err}"
        );
        assert!(err.contains("fix: pip install xtask-no-such-tool"), "{err}");
    }

    #[test]
    fn require_fails_loudly_when_path_lacks_the_tool() {
        let sh = Shell::new().unwrap();
        sh.set_var("PATH", "/nonexistent-xtask-dir");
        let err = require(&sh, Tool::Terraform).unwrap_err().to_string();
        assert!(
            err.contains("https://developer.hashicorp.com/terraform/install"),
            "{err}"
        );
    }

    #[test]
    fn installed_tools_are_found() {
        // terraform and cfn-lint are installed on the development machine and in CI.
        let sh = Shell::new().unwrap();
        require(&sh, Tool::Terraform).unwrap();
        require(&sh, Tool::CfnLint).unwrap();
        assert!(
            program_path(&sh, Tool::CfnLint)
                .unwrap()
                .ends_with("cfn-lint")
        );
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_major_minor("1.11.4"), Some((1, 11)));
        assert_eq!(parse_major_minor("v1.5.0"), Some((1, 5)));
        assert_eq!(parse_major_minor("garbage"), None);
        assert!(parse_major_minor("1.4.7").unwrap() < TERRAFORM_MIN);
    }

    #[test]
    fn cli_config_lists_the_mirrored_providers() {
        let dir = scratch("cli-config");
        let mirror = dir.join("mirror");
        fs::create_dir_all(mirror.join("registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64"))
            .unwrap();
        let path = write_cli_config(&dir.join("work"), &mirror, &dir.join("cache"))
            .unwrap()
            .unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(&format!("path    = \"{}\"", mirror.display())),
            "{text}"
        );
        assert!(
            text.contains("include = [\"registry.terraform.io/hashicorp/aws\"]"),
            "{text}"
        );
        assert!(
            text.contains("exclude = [\"registry.terraform.io/hashicorp/aws\"]"),
            "{text}"
        );
        assert!(text.contains("plugin_cache_dir"), "{text}");
        // The generated file is valid HCL.
        hcl::edit::parser::parse_body(&text).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn no_mirror_means_no_cli_config() {
        let dir = scratch("no-mirror");
        let got =
            write_cli_config(&dir.join("work"), &dir.join("absent"), &dir.join("cache")).unwrap();
        assert_eq!(got, None);
        assert!(!dir.join("work/terraform.rc").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
