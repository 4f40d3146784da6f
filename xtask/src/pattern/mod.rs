//! Pattern discovery: every folder under `patterns/` with a `pattern.toml` is a pattern.
//!
//! `pattern.toml` is the one place that declares what xtask needs to know about a pattern: its IaC
//! flavours, its Lambda crates, the Terraform variables that receive build artifacts, and its verify checks.
//! Finding the patterns (and the ones whose `pattern.toml` does not load) is [`discover`]'s.

pub mod binaries;
pub mod discover;
mod manifest;
mod manifest_error;

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use serde::Serialize;

pub use discover::{Discovery, discover, one, select};
pub use manifest::{Architecture, Manifest};

use crate::flags::Iac;

/// A Lambda crate of a pattern.
#[derive(Debug, Clone, Serialize)]
pub struct LambdaCrate {
    /// Cargo package name (the binary may be named otherwise: see `bins`).
    pub package: String,
    /// Crate folder.
    pub dir: PathBuf,
    /// The folder as `pattern.toml` names it (`.` or `functions/hello`).
    pub named: String,
    /// The binaries the crate builds (`validate` asks for exactly one).
    #[serde(skip)]
    pub bins: Vec<binaries::BinTarget>,
}

/// A discovered pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub name: String,
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub lambdas: Vec<LambdaCrate>,
}

impl Pattern {
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join("pattern.toml")
    }

    pub fn terraform_dir(&self) -> PathBuf {
        self.dir.join(&self.manifest.terraform.dir)
    }

    pub fn sam_template(&self) -> PathBuf {
        self.dir.join(&self.manifest.sam.template)
    }

    /// Whether the pattern has the flavour `iac`: the ones `pattern.toml` lists, and `cdk` wherever `sam` is.
    pub fn has(&self, iac: Iac) -> bool {
        match iac {
            Iac::Cdk => self.manifest.iac.contains(&Iac::Sam),
            _ => self.manifest.iac.contains(&iac),
        }
    }

    /// Every flavour the pattern has: those `pattern.toml` lists, then `cdk` when one of them is `sam`.
    pub fn flavours(&self) -> Vec<Iac> {
        let mut all = self.manifest.iac.clone();
        if self.has(Iac::Cdk) {
            all.push(Iac::Cdk);
        }
        all
    }

    /// The `title` from `example-pattern.json`, if it can be read.
    pub fn title(&self) -> Option<String> {
        let text = fs::read_to_string(self.dir.join("example-pattern.json")).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json.get("title")?.as_str().map(str::to_owned)
    }

    pub fn load(dir: &Path) -> Result<Pattern> {
        let name = dir
            .file_name()
            .and_then(|it| it.to_str())
            .with_context(|| format!("{}: pattern folder name is not UTF-8", dir.display()))?
            .to_owned();
        let manifest_path = dir.join("pattern.toml");
        let text = fs::read_to_string(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let manifest: Manifest = toml::from_str(&text)
            .map_err(|err| anyhow::anyhow!(manifest_error::message(&manifest_path, &text, &err)))?;
        if manifest.iac.contains(&Iac::Cdk) {
            bail!(
                "{}: field `iac` lists \"cdk\", which every pattern with \"sam\" has without listing it (converted \
                 from the SAM template); fix: list \"sam\" instead",
                manifest_path.display()
            );
        }
        if manifest.iac.is_empty() {
            bail!(
                "{}: field `iac` is empty; fix: list at least one of \"terraform\", \"sam\"",
                manifest_path.display()
            );
        }
        let mut lambdas = Vec::new();
        for rel in &manifest.lambdas {
            // `.` (the upstream collection's layout: the crate at the pattern root) or a folder below it.
            let crate_dir = normalize(&dir.join(rel));
            let cargo_toml = crate_dir.join("Cargo.toml");
            let text = fs::read_to_string(&cargo_toml).with_context(|| {
                format!(
                    "{}: field `lambdas` names `{rel}`, but {} cannot be read; fix: point it at a crate folder",
                    manifest_path.display(),
                    cargo_toml.display()
                )
            })?;
            let cargo: toml::Table = toml::from_str(&text)
                .with_context(|| format!("parsing {}", cargo_toml.display()))?;
            let package = cargo
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
                .with_context(|| format!("{}: no `package.name`", cargo_toml.display()))?
                .to_owned();
            let bins = binaries::bin_targets(&crate_dir, &package, &cargo);
            lambdas.push(LambdaCrate {
                package,
                bins,
                dir: crate_dir,
                named: rel.clone(),
            });
        }
        Ok(Pattern {
            name,
            dir: dir.to_owned(),
            manifest,
            lambdas,
        })
    }

    /// The Cargo packages of the pattern's Lambdas, to build; each must be a workspace member, or cargo cannot build
    /// it (checked here, where a build needs it, not at load: a pattern is listed and validated wherever it is).
    pub fn packages(&self) -> Result<Vec<String>> {
        let members = workspace_members()?;
        let manifest_path = self.dir.join("pattern.toml");
        self.lambdas
            .iter()
            .map(|lambda| {
                let in_root = lambda.dir.strip_prefix(project_root()).unwrap_or(&lambda.dir);
                let at_a_pattern_root = in_root
                    .strip_prefix("patterns")
                    .is_ok_and(|rest| rest.components().count() == 1);
                let is_member = members.iter().any(|m| member_matches(m, in_root));
                if !is_member && at_a_pattern_root {
                    // The upstream collection's layout (the crate at the pattern's root): listed as `cargo new`
                    // lists a package it creates inside a workspace.
                    let member = in_root.to_string_lossy().replace('\\', "/");
                    add_member(&project_root().join("Cargo.toml"), &member)?;
                    println!(
                        "added \"{member}\" to `members` in Cargo.toml: a crate at a pattern's root is listed by \
                         name (commit the change with the pattern)"
                    );
                } else if !is_member {
                    bail!(
                        "{}: field `lambdas` names `{}` ({}), a crate that is not a member of the workspace, so it \
                         cannot be built; fix: add \"{}\" to `members` in Cargo.toml (crates under a pattern's \
                         `functions/` are members already)",
                        manifest_path.display(),
                        lambda.named,
                        in_root.display(),
                        in_root.display()
                    );
                }
                Ok(lambda.package.clone())
            })
            .collect()
    }
}

/// Lists `member` in the `members = [...]` line of the workspace manifest at `manifest`, keeping the rest of the
/// file as it is; an error names the file when it has no such line.
fn add_member(manifest: &Path, member: &str) -> Result<()> {
    let text =
        fs::read_to_string(manifest).with_context(|| format!("reading {}", manifest.display()))?;
    let mut done = false;
    let edited: Vec<String> = text
        .lines()
        .map(|line| match line.strip_prefix("members = [") {
            Some(rest) if !done && rest.trim_end().ends_with(']') => {
                done = true;
                let close = line.rfind(']').unwrap_or(line.len());
                format!("{}, \"{member}\"]", &line[..close])
            }
            _ => line.to_owned(),
        })
        .collect();
    if !done {
        bail!(
            "{}: no one-line `members = [...]` to add \"{member}\" to; fix: add it to `members` by hand",
            manifest.display()
        );
    }
    fs::write(manifest, edited.join("\n") + "\n")
        .with_context(|| format!("writing {}", manifest.display()))
}

/// `workspace.members` of the root Cargo.toml (paths and globs).
fn workspace_members() -> Result<Vec<String>> {
    let path = project_root().join("Cargo.toml");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let root: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(root
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .map(|m| {
            m.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Whether the member entry `member` (`*` matches one path segment, as cargo's globs do here) names `path`.
fn member_matches(member: &str, path: &Path) -> bool {
    let want: Vec<&str> = member.trim_end_matches('/').split('/').collect();
    let have: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    want.len() == have.len()
        && want.iter().zip(&have).all(|(w, h)| {
            *w == "*"
                || w == h
                || (w.contains('*') && local_cloud::shared::matchers::wildcard(w, h, false))
        })
}

/// Lexically resolves `.` and `..` and drops a trailing separator (the path need not exist).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The repository root (the parent of `xtask/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Cargo's target directory (`CARGO_TARGET_DIR` when set).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

/// The folder of patterns: `patterns/`, or the folder `XTASK_PATTERNS_DIR` names (the fault tests run xtask on
/// scratch copies of a pattern there). Work directories stay in [`work_root`] either way.
pub fn patterns_dir() -> PathBuf {
    match std::env::var_os(PATTERNS_DIR_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => project_root().join("patterns"),
    }
}

/// The environment variable that points xtask at another folder of patterns.
pub const PATTERNS_DIR_VAR: &str = "XTASK_PATTERNS_DIR";

/// What xtask keeps between commands: each deployment's work directory (`<pattern>/<target>-<iac>/`: its
/// Terraform state, outputs, lock), the local cloud's state (`local/`) and `local env`'s files: `.work/`, or the
/// folder `XTASK_WORK_DIR` names. Two such folders with two `LOCAL_CLOUD_PORT`s are two independent local clouds
/// and deployments in one checkout (`cargo xtask ci` runs its fault tests in one of their own beside the others).
pub fn work_root() -> PathBuf {
    match std::env::var_os(WORK_DIR_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => project_root().join(".work"),
    }
}

/// The environment variable that points xtask at another [`work_root`].
pub const WORK_DIR_VAR: &str = "XTASK_WORK_DIR";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_globs_match_one_segment_per_star() {
        let p = Path::new("patterns/a/functions/hello");
        assert!(member_matches("patterns/*/functions/*", p));
        assert!(!member_matches("patterns/*", p));
        assert!(member_matches(
            "tests/upstream-layout",
            Path::new("tests/upstream-layout")
        ));
        assert!(!member_matches(
            "patterns/*/functions/*",
            Path::new("patterns/a")
        ));
    }

    /// `cdk` is every SAM pattern's flavour without being listed; listing it is refused with the fix.
    #[test]
    fn the_cdk_flavour_comes_with_sam_and_is_never_listed() {
        let dir = std::env::temp_dir().join(format!("xtask-cdk-flavour-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let load = |iac: &str| {
            fs::write(dir.join("pattern.toml"), format!("iac = {iac}\n")).unwrap();
            Pattern::load(&dir)
        };
        let sam = load("[\"terraform\", \"sam\"]").unwrap();
        assert_eq!(sam.flavours(), [Iac::Terraform, Iac::Sam, Iac::Cdk]);
        assert!(sam.has(Iac::Cdk));
        let terraform = load("[\"terraform\"]").unwrap();
        assert_eq!(terraform.flavours(), [Iac::Terraform]);
        assert!(!terraform.has(Iac::Cdk));
        let err = format!("{:#}", load("[\"sam\", \"cdk\"]").unwrap_err());
        fs::remove_dir_all(&dir).unwrap();
        assert!(
            err.contains("field `iac` lists \"cdk\"") && err.contains("fix: list \"sam\" instead"),
            "{err}"
        );
    }

    #[test]
    fn a_member_is_added_to_the_one_line_members_list_and_nothing_else_changes() {
        let dir = std::env::temp_dir().join(format!("xtask-members-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        let before = "[workspace]\n# a comment\nmembers = [\"xtask\", \"patterns/*/functions/*\"]\nexclude = [\"x\"]\n";
        fs::write(&manifest, before).unwrap();
        add_member(&manifest, "patterns/alb-lambda-rust").unwrap();
        let after = fs::read_to_string(&manifest).unwrap();
        assert_eq!(
            after,
            before.replace(
                "\"patterns/*/functions/*\"]",
                "\"patterns/*/functions/*\", \"patterns/alb-lambda-rust\"]"
            )
        );
        let parsed: toml::Table = toml::from_str(&after).unwrap();
        assert_eq!(parsed["workspace"]["members"].as_array().unwrap().len(), 3);
        fs::write(&manifest, "[workspace]\nmembers = [\n  \"a\",\n]\n").unwrap();
        let err = add_member(&manifest, "patterns/p").unwrap_err().to_string();
        fs::remove_dir_all(&dir).unwrap();
        assert!(err.contains("by hand"), "{err}");
    }

    #[test]
    fn a_lambda_crate_outside_the_workspace_is_refused_with_the_fix() {
        let dir = std::env::temp_dir().join(format!("xtask-root-crate-{}", std::process::id()));
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::write(
            dir.join("pattern.toml"),
            "iac = [\"sam\"]\nlambdas = [\".\"]\n",
        )
        .unwrap();
        fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"outside\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        let err = format!("{:#}", Pattern::load(&dir).unwrap().packages().unwrap_err());
        fs::remove_dir_all(&dir).unwrap();
        assert!(
            err.contains("pattern.toml: field `lambdas` names `.`")
                && err.contains("not a member of the workspace")
                && err.contains("to `members` in Cargo.toml"),
            "{err}"
        );
    }
}
