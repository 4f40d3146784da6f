//! Pattern discovery: every folder under `patterns/` with a `pattern.toml` is a pattern.
//!
//! `pattern.toml` is the one place that declares what xtask needs to know about a pattern: its IaC
//! flavours, its Lambda crates, the Terraform variables that receive build artifacts, and its verify checks.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::flags::{Iac, Selection};

/// The instruction set a pattern's functions run on in AWS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Architecture {
    #[default]
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

/// `patterns/<name>/pattern.toml`, as written by the pattern author.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// IaC flavours, in order of preference: the first is the default for `--iac`.
    pub iac: Vec<Iac>,
    /// Lambda crates, as paths relative to the pattern folder.
    #[serde(default)]
    pub lambdas: Vec<String>,
    /// What the functions run on in AWS (the IaC's default): `arm64` makes `--target aws` build them for AWS
    /// Graviton through cargo-lambda. The local target always runs a build for this machine.
    #[serde(default)]
    pub architecture: Architecture,
    #[serde(default)]
    pub terraform: TerraformSection,
    #[serde(default)]
    pub sam: SamSection,
    /// Checks run by `cargo xtask verify` against the deployed outputs.
    #[serde(default)]
    pub verify: Vec<toml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerraformSection {
    /// Folder holding the root module, relative to the pattern.
    #[serde(default = "default_tf_dir")]
    pub dir: String,
    /// Terraform variables set by xtask. `{zip:<crate>}` expands to that crate's artifact.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
}

impl Default for TerraformSection {
    fn default() -> Self {
        TerraformSection {
            dir: default_tf_dir(),
            vars: BTreeMap::new(),
        }
    }
}

fn default_tf_dir() -> String {
    "terraform".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamSection {
    /// The SAM template, relative to the pattern.
    #[serde(default = "default_sam_template")]
    pub template: String,
}

impl Default for SamSection {
    fn default() -> Self {
        SamSection {
            template: default_sam_template(),
        }
    }
}

fn default_sam_template() -> String {
    "template.yaml".to_owned()
}

/// A Lambda crate of a pattern.
#[derive(Debug, Clone, Serialize)]
pub struct LambdaCrate {
    /// Cargo package name (also the binary name).
    pub package: String,
    /// Crate folder.
    pub dir: PathBuf,
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

    pub fn has(&self, iac: Iac) -> bool {
        self.manifest.iac.contains(&iac)
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
        let manifest: Manifest = toml::from_str(&text).map_err(|err| {
            anyhow::anyhow!(
                "{}: {}",
                manifest_path.display(),
                err.to_string().trim_end()
            )
        })?;
        if manifest.iac.is_empty() {
            bail!(
                "{}: field `iac` is empty; fix: list at least one of \"terraform\", \"sam\"",
                manifest_path.display()
            );
        }
        let mut lambdas = Vec::new();
        for rel in &manifest.lambdas {
            let crate_dir = dir.join(rel);
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
            lambdas.push(LambdaCrate {
                package,
                dir: crate_dir,
            });
        }
        Ok(Pattern {
            name,
            dir: dir.to_owned(),
            manifest,
            lambdas,
        })
    }
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

pub fn patterns_dir() -> PathBuf {
    project_root().join("patterns")
}

/// Every pattern, sorted by name.
pub fn discover() -> Result<Vec<Pattern>> {
    let mut patterns = Vec::new();
    let dir = patterns_dir();
    for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.join("pattern.toml").is_file() {
            patterns.push(Pattern::load(&path)?);
        }
    }
    patterns.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(patterns)
}

/// Resolves the patterns a command acts on: one by name, or all of them.
pub fn select(selection: &Selection) -> Result<Vec<Pattern>> {
    let patterns = discover()?;
    match (selection.pattern.as_deref(), selection.all) {
        (Some(_), true) => bail!("give a pattern name or --all, not both"),
        (None, false) => bail!("give a pattern name or --all (see `cargo xtask list`)"),
        (None, true) => Ok(patterns),
        (Some(name), false) => Ok(vec![find(&patterns, name)?]),
    }
}

/// The pattern named `name`, or an error listing the closest names.
pub fn one(name: &str) -> Result<Pattern> {
    find(&discover()?, name)
}

/// Finds a pattern by name; an unknown name is an error listing the closest names.
pub fn find(patterns: &[Pattern], name: &str) -> Result<Pattern> {
    if let Some(p) = patterns.iter().find(|p| p.name == name) {
        return Ok(p.clone());
    }
    let mut scored: Vec<(f64, &str)> = patterns
        .iter()
        .map(|p| (strsim::jaro_winkler(name, &p.name), p.name.as_str()))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let close: Vec<&str> = scored
        .iter()
        .filter(|(s, _)| *s > 0.7)
        .take(3)
        .map(|(_, n)| *n)
        .collect();
    if close.is_empty() {
        bail!("unknown pattern `{name}`; `cargo xtask list` shows the patterns")
    }
    bail!(
        "unknown pattern `{name}`; did you mean: {}?",
        close.join(", ")
    )
}
