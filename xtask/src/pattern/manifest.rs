//! `pattern.toml` as read: its sections and their defaults (what each field means is in CONTRIBUTING.md).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::flags::Iac;

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
    /// Values of the template's parameters, per target (`deploy/sam/parameters.rs`).
    #[serde(default)]
    pub parameters: SamParameters,
    /// A folder uploaded to a bucket of the stack after each deploy (`deploy/upload.rs`).
    #[serde(default)]
    pub upload: Option<SamUpload>,
}

impl Default for SamSection {
    fn default() -> Self {
        SamSection {
            template: default_sam_template(),
            parameters: SamParameters::default(),
            upload: None,
        }
    }
}

/// `[sam.upload]`: the files of `dir` (relative to the pattern) put into `bucket` (an output placeholder such as
/// `{bucket_name}`) after the stack is deployed, for the SAM and CDK flavours.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamUpload {
    pub bucket: String,
    pub dir: String,
}

/// `[sam.parameters.local]` and `[sam.parameters.aws]`: parameter name -> value, as `sam deploy
/// --parameter-overrides` gives them; local values may use the local cloud's placeholders
/// (`{local:default_vpc}`, `{local:default_subnets}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamParameters {
    #[serde(default)]
    pub local: BTreeMap<String, String>,
    #[serde(default)]
    pub aws: BTreeMap<String, String>,
}

fn default_sam_template() -> String {
    "template.yaml".to_owned()
}
