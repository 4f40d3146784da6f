//! `cargo xtask new <name>`: a new pattern in `patterns/<name>` from the cargo-generate template (`template/`),
//! without questions.
//!
//! Every value is checked before anything is written, and the errors list what is allowed. cargo-generate writes
//! into a scratch folder next to the patterns (`patterns/.new-<name>/`, same file system), which is renamed to
//! `patterns/<name>` only once the generation succeeded: a failure leaves no half-written pattern behind.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::{
    cargo_generate,
    flags::{Architecture, IacChoice, NewArgs, Trigger},
    pattern::{patterns_dir, project_root},
};

/// Longest pattern name; with an ALB, load balancer and target group names (`<name>-alb`, at most 32) allow 28.
const MAX_NAME: usize = 40;
const MAX_NAME_ALB: usize = 28;
/// Characters that would break the JSON, TOML, YAML and HCL strings the free texts land in.
const FORBIDDEN_IN_TEXT: [char; 6] = ['"', '\\', '{', '}', '\n', '\r'];

pub fn run(args: &NewArgs) -> Result<()> {
    check(args)?;
    let dir = patterns_dir().join(&args.name);
    let sh = Shell::new()?;
    cargo_generate::require(&sh)?;
    generate(&sh, args, &dir)?;
    let rel = dir.strip_prefix(project_root()).unwrap_or(&dir);
    println!("created {}", rel.display());
    println!("next:");
    println!(
        "  cargo xtask test {}      # build, validate, deploy to the local cloud, verify, destroy",
        args.name
    );
    println!(
        "  cargo test -p {}         # the function's unit tests",
        args.name
    );
    println!(
        "  cargo test -p xtask             # adds the pattern to README.md's table; commit it with Cargo.lock"
    );
    println!("see CONTRIBUTING.md (`Add a pattern`) for the rest");
    Ok(())
}

/// Every check that needs no tool: the values themselves, and that the name is free.
pub fn check(args: &NewArgs) -> Result<()> {
    check_name(&args.name)?;
    if args.trigger == Trigger::Alb && args.name.len() > MAX_NAME_ALB {
        bail!(
            "`--trigger alb` with the name `{}` ({} characters): load balancer and target group names are limited \
             to 32 characters, so with an ALB the pattern name may have at most {MAX_NAME_ALB}; fix: choose a \
             shorter name or another trigger (rest-api, sqs, eventbridge, s3)",
            args.name,
            args.name.len()
        );
    }
    if !(128..=10240).contains(&args.memory) {
        bail!(
            "`--memory {}`: Lambda accepts 128 to 10240 MB; fix: pass a value in that range (e.g. 128, 512, 1024)",
            args.memory
        );
    }
    check_text("--description", &args.description, 0, 150)?;
    check_text("--author", &args.author, 1, 100)?;
    check_free(&args.name)
}

/// `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, 3 to 40 characters (the same rule as template/hooks/name.rhai).
fn check_name(name: &str) -> Result<()> {
    let problem = if name.len() < 3 || name.len() > MAX_NAME {
        Some(format!(
            "has {} characters, not 3 to {MAX_NAME}",
            name.chars().count()
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("does not start with a lowercase letter".to_owned())
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        Some(format!("has {c:?}; only a-z, 0-9 and '-' are allowed"))
    } else if name.contains("--") || name.ends_with('-') {
        Some("has an empty word (`--` or a trailing `-`)".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => bail!(
            "pattern name `{name}` {problem}; fix: use kebab-case, lowercase words joined by single `-` \
             (^[a-z][a-z0-9]*(-[a-z0-9]+)*$, 3 to {MAX_NAME} characters), e.g. `orders-queue`"
        ),
        None => Ok(()),
    }
}

fn check_text(flag: &str, text: &str, min: usize, max: usize) -> Result<()> {
    let len = text.chars().count();
    if len < min || len > max {
        bail!("`{flag}` has {len} characters; fix: give {min} to {max}");
    }
    if let Some(c) = text.chars().find(|c| FORBIDDEN_IN_TEXT.contains(c)) {
        bail!(
            "`{flag}` contains {c:?}; fix: leave out quotes, backslashes, braces and line breaks (the text lands \
             in JSON, TOML, YAML and HCL strings)"
        );
    }
    Ok(())
}

/// The folder must not exist and no workspace crate may have the name (the new crate is named after the pattern).
fn check_free(name: &str) -> Result<()> {
    let dir = patterns_dir().join(name);
    if dir.exists() {
        bail!(
            "patterns/{name} already exists; fix: choose another name (`cargo xtask list` shows the patterns)"
        );
    }
    if let Some(manifest) = workspace_crates()?
        .into_iter()
        .find(|(package, _)| package == name)
        .map(|(_, manifest)| manifest)
    {
        bail!(
            "the workspace already has a crate named `{name}` ({}); the new pattern's crate takes the pattern's \
             name; fix: choose another name",
            manifest
                .strip_prefix(project_root())
                .unwrap_or(&manifest)
                .display()
        );
    }
    Ok(())
}

/// `(package name, Cargo.toml)` of every workspace member (`xtask`, `crates/*`, `patterns/*/functions/*`).
fn workspace_crates() -> Result<Vec<(String, PathBuf)>> {
    let root = project_root();
    let mut manifests = vec![root.join("xtask/Cargo.toml")];
    manifests.extend(children(&root.join("crates"))?.map(|d| d.join("Cargo.toml")));
    for pattern in children(&patterns_dir())? {
        manifests.extend(children(&pattern.join("functions"))?.map(|d| d.join("Cargo.toml")));
    }
    let mut crates = Vec::new();
    for manifest in manifests.into_iter().filter(|m| m.is_file()) {
        let text = fs::read_to_string(&manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let doc: toml::Table =
            toml::from_str(&text).with_context(|| format!("parsing {}", manifest.display()))?;
        if let Some(name) = doc
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
        {
            crates.push((name.to_owned(), manifest));
        }
    }
    Ok(crates)
}

/// The sub-folders of `dir` (none when it does not exist).
fn children(dir: &Path) -> Result<impl Iterator<Item = PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries.collect::<Result<Vec<_>, _>>()?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(err) => return Err(err).with_context(|| format!("reading {}", dir.display())),
    };
    Ok(entries.into_iter().map(|e| e.path()).filter(|p| p.is_dir()))
}

/// Removes the scratch folder when dropped, whatever happened.
/// A folder removed (with what is in it) when dropped.
pub struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.0.exists()
            && let Err(err) = fs::remove_dir_all(&self.0)
        {
            eprintln!("could not remove {}: {err}", self.0.display());
        }
    }
}

/// Runs cargo-generate into `patterns/.new-<name>/` and renames the result to `dir`.
fn generate(sh: &Shell, args: &NewArgs, dir: &Path) -> Result<()> {
    let scratch = Scratch(patterns_dir().join(format!(".new-{}", args.name)));
    if scratch.0.exists() {
        // Left by an interrupted run.
        fs::remove_dir_all(&scratch.0)
            .with_context(|| format!("removing {}", scratch.0.display()))?;
    }
    fs::create_dir_all(&scratch.0).with_context(|| format!("creating {}", scratch.0.display()))?;
    let generated = cargo_generate(sh, args, &scratch.0)
        .with_context(|| format!("nothing was written to patterns/{}", args.name))?;
    fs::rename(&generated, dir)
        .with_context(|| format!("moving {} to {}", generated.display(), dir.display()))?;
    Ok(())
}

/// Runs cargo-generate on template/ with the values of `args`; returns `<destination>/<name>`.
pub fn cargo_generate(sh: &Shell, args: &NewArgs, destination: &Path) -> Result<PathBuf> {
    let template = project_root().join("template");
    let name = &args.name;
    let defines = defines(args);
    let output = cmd!(
        sh,
        "cargo-generate generate --path {template} --name {name} --destination {destination} --vcs none --silent {defines...}"
    )
    .quiet()
    .ignore_status()
    .output()
    .context("running cargo-generate")?;
    let generated = destination.join(name);
    if !output.status.success() || !generated.join("pattern.toml").is_file() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // cargo-generate follows its error with a backtrace; the lines before it say what went wrong.
        let reason: Vec<&str> = stderr
            .lines()
            .take_while(|l| !l.starts_with("Stack backtrace"))
            .filter(|l| !l.trim().is_empty())
            .collect();
        bail!("cargo-generate failed:\n{}", reason.join("\n"));
    }
    Ok(generated)
}

/// The `--define key=value` arguments: one per placeholder of template/cargo-generate.toml.
fn defines(args: &NewArgs) -> Vec<String> {
    let iac = match args.iac {
        IacChoice::Terraform => "terraform",
        IacChoice::Sam => "sam",
        IacChoice::Both => "both",
    };
    let trigger = match args.trigger {
        Trigger::RestApi => "rest-api",
        Trigger::Alb => "alb",
        Trigger::Sqs => "sqs",
        Trigger::Eventbridge => "eventbridge",
        Trigger::S3 => "s3",
    };
    let arch = match args.arch {
        Architecture::X86_64 => "x86_64",
        Architecture::Arm64 => "arm64",
    };
    [
        ("iac", iac.to_owned()),
        ("trigger", trigger.to_owned()),
        ("dynamodb", args.dynamodb.to_string()),
        ("architecture", arch.to_owned()),
        ("memory", args.memory.to_string()),
        ("description", args.description.clone()),
        ("author", args.author.clone()),
    ]
    .into_iter()
    .flat_map(|(key, value)| ["--define".to_owned(), format!("{key}={value}")])
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(name: &str) -> NewArgs {
        NewArgs {
            name: name.to_owned(),
            iac: IacChoice::Terraform,
            trigger: Trigger::RestApi,
            dynamodb: false,
            arch: Architecture::X86_64,
            memory: 128,
            description: String::new(),
            author: "someone".to_owned(),
        }
    }

    #[test]
    fn kebab_case_names_pass_and_others_are_refused_with_the_rule() {
        for good in ["orders-queue", "s3-to-lambda", "abc", "a1-b2-c3"] {
            check_name(good).unwrap();
        }
        for (bad, why) in [
            ("Orders-Queue", "lowercase letter"),
            ("orders_queue", "'_'"),
            ("orders--queue", "empty word"),
            ("orders-", "empty word"),
            ("1orders", "lowercase letter"),
            ("ab", "3 to 40"),
            (&"a".repeat(41), "3 to 40"),
        ] {
            let err = check_name(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(err.contains("kebab-case") && err.contains("fix:"), "{err}");
        }
    }

    #[test]
    fn impossible_values_are_refused_before_anything_is_written() {
        let mut long_alb = args("a-name-that-is-too-long-for-an-alb");
        long_alb.trigger = Trigger::Alb;
        let err = check(&long_alb).unwrap_err().to_string();
        assert!(err.contains("at most 28"), "{err}");

        let mut memory = args("fine-name");
        memory.memory = 64;
        assert!(
            check(&memory)
                .unwrap_err()
                .to_string()
                .contains("128 to 10240")
        );

        let mut quote = args("fine-name");
        quote.description = "say \"hi\"".to_owned();
        assert!(
            check(&quote)
                .unwrap_err()
                .to_string()
                .contains("--description")
        );

        let mut long = args("fine-name");
        long.description = "x".repeat(151);
        assert!(check(&long).unwrap_err().to_string().contains("0 to 150"));
    }

    #[test]
    fn existing_patterns_and_crate_names_are_taken() {
        let err = check(&args("apigw-rest-lambda-dynamodb"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("already exists"), "{err}");
        let err = check(&args("local-cloud")).unwrap_err().to_string();
        assert!(err.contains("crates/local-cloud/Cargo.toml"), "{err}");
    }

    #[test]
    fn every_placeholder_is_defined() {
        let defines = defines(&args("orders-queue"));
        let keys: Vec<&str> = defines
            .iter()
            .filter_map(|d| d.split_once('=').map(|(k, _)| k))
            .collect();
        let config =
            fs::read_to_string(project_root().join("template/cargo-generate.toml")).unwrap();
        let doc: toml::Table = toml::from_str(&config).unwrap();
        let mut placeholders: Vec<&str> = doc["placeholders"]
            .as_table()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        placeholders.sort_unstable();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(keys_sorted, placeholders);
    }
}
