//! `cargo xtask export <pattern> <dir>`: the pattern as a standalone project outside this repository: its folder,
//! a workspace manifest of its own with the profiles it was tested with, a `Cargo.lock` holding exactly the
//! versions this repository tested (the repository's lock, pruned by cargo to what the crates use), its checks
//! as a runnable crate (`checks/`: `crates/pattern-checks` and the pattern's `[[verify]]` tables) and
//! `STANDALONE.md` on building, testing, deploying and checking it with the user's own tools.

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use crate::{
    cargo::without_run_env,
    deploy::terraform::copy_tree,
    flags::{ExportArgs, Iac},
    pattern::{self, Pattern, project_root},
};

/// `cargo xtask export`.
pub fn run(args: &ExportArgs) -> Result<()> {
    let pattern = pattern::one(&args.pattern)?;
    let dir = export(&pattern, &args.dir, args.force)?;
    println!(
        "exported `{}` to {}: `cd {} && cargo test --locked`, then STANDALONE.md",
        pattern.name,
        dir.display(),
        dir.display()
    );
    Ok(())
}

/// Writes the project into `dir` (refused when it holds anything, unless `force`); returns `dir`.
pub fn export(pattern: &Pattern, dir: &Path, force: bool) -> Result<PathBuf> {
    if dir.exists() {
        let has_entries = fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some();
        if has_entries && !force {
            bail!(
                "{} is not empty: nothing was exported; fix: choose a new or empty folder, or pass --force to \
                 write over what it holds",
                dir.display()
            );
        }
    }
    if dir.starts_with(project_root().join("patterns")) {
        bail!(
            "{}: a folder under patterns/ would become a pattern of this repository; fix: choose a folder \
             outside patterns/",
            dir.display()
        );
    }
    copy_tree(&pattern.dir, dir)?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))?;
    write_checks(pattern, &dir.join(CHECKS_DIR))?;
    fs::write(dir.join("Cargo.toml"), workspace_manifest(pattern)?)?;
    fs::copy(project_root().join("Cargo.lock"), dir.join("Cargo.lock"))
        .context("copying the repository's Cargo.lock")?;
    // cargo drops from the lock what the exported crates do not use and keeps every version it holds.
    let sh = Shell::new()?;
    sh.change_dir(&dir);
    without_run_env(cmd!(sh, "cargo update --workspace --offline"))
        .quiet()
        .ignore_stdout()
        .run()
        .context(
            "pruning Cargo.lock to the exported crates (cargo update --workspace --offline)",
        )?;
    fs::write(dir.join("STANDALONE.md"), standalone_readme(pattern))?;
    Ok(dir)
}

/// The folder of the exported project that holds its checks.
const CHECKS_DIR: &str = "checks";

/// `checks/`: the runner crate (`crates/pattern-checks`, which builds on its own) and `checks.toml`, the pattern's
/// `[[verify]]` tables.
fn write_checks(pattern: &Pattern, dir: &Path) -> Result<()> {
    if dir.exists() {
        bail!(
            "{}: the pattern has a `{CHECKS_DIR}/` folder of its own, where export writes the checks; fix: rename it",
            pattern.dir.join(CHECKS_DIR).display()
        );
    }
    let crate_dir = project_root().join("crates/pattern-checks");
    copy_tree(&crate_dir, dir)?;
    let mut checks = toml::Table::new();
    checks.insert(
        "verify".into(),
        toml::Value::Array(pattern.manifest.verify.clone()),
    );
    let text = format!(
        "# The checks of `{}` (its pattern.toml's `[[verify]]`), as the collection runs them after each deploy.\n\
         # `{{name}}` placeholders are the deployment's outputs (matched ignoring case and `_`), `{{run_id}}` is \
         unique per run,\n# `{{resource:X}}` a resource of the deployment. See STANDALONE.md, \"Checks\".\n\n{}",
        pattern.name,
        toml::to_string(&checks)?
    );
    fs::write(dir.join("checks.toml"), text).context("writing checks/checks.toml")?;
    Ok(())
}

/// The root manifest: the crates as members, and the repository's profiles (those naming a package only when the
/// crates use it), so that a build here is the build that was tested.
fn workspace_manifest(pattern: &Pattern) -> Result<String> {
    let root_path = project_root().join("Cargo.toml");
    let root: toml::Table = toml::from_str(&fs::read_to_string(&root_path)?)
        .with_context(|| format!("parsing {}", root_path.display()))?;
    let members: Vec<String> = pattern
        .lambdas
        .iter()
        .map(|l| l.named.trim_end_matches('/').to_owned())
        .chain([CHECKS_DIR.to_owned()])
        .collect();
    let mut out = format!(
        "# Exported from serverless-rust-patterns (`cargo xtask export {}`): a workspace of its own.\n\
         [workspace]\nresolver = \"3\"\nmembers = {}\n",
        pattern.name,
        toml::Value::from(members.clone())
    );
    let used = used_packages(pattern)?;
    let profiles = root.get("profile").and_then(|p| p.as_table());
    for (name, profile) in profiles.into_iter().flatten() {
        let Some(profile) = profile.as_table() else {
            continue;
        };
        let mut own = profile.clone();
        let packages = own.remove("package");
        // `cargo lambda build --release` (the README's build) uses `release`: the size-tuned profile is it.
        let name = if name == "lambda-release" {
            "release"
        } else {
            name
        };
        if name == "release" {
            own.remove("inherits");
        }
        writeln!(
            out,
            "\n[profile.{name}]\n{}",
            toml::to_string(&own)?.trim_end()
        )?;
        for (package, settings) in packages
            .as_ref()
            .and_then(|p| p.as_table())
            .into_iter()
            .flatten()
        {
            if package == "*" || used.contains(package) {
                writeln!(
                    out,
                    "\n[profile.{name}.package.{}]\n{}",
                    toml::Value::from(package.as_str()),
                    toml::to_string(settings)?.trim_end()
                )?;
            }
        }
    }
    Ok(out)
}

/// The names of every package the pattern's crates depend on, directly or not (from the repository's lock).
fn used_packages(pattern: &Pattern) -> Result<std::collections::BTreeSet<String>> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let mut used = std::collections::BTreeSet::new();
    let packages = pattern.lambdas.iter().map(|l| l.package.as_str());
    for package in packages.chain(["pattern-checks"]) {
        let format = "{p}";
        let tree = without_run_env(cmd!(
            sh,
            "cargo tree --offline -p {package} --prefix none --format {format} -e normal,build,dev"
        ))
        .quiet()
        .read()
        .with_context(|| format!("listing the dependencies of {package}"))?;
        used.extend(
            tree.lines()
                .filter_map(|l| l.split_whitespace().next())
                .map(str::to_owned),
        );
    }
    Ok(used)
}

/// STANDALONE.md: how to build, test and deploy the exported project without this repository.
fn standalone_readme(pattern: &Pattern) -> String {
    let name = &pattern.name;
    let mut text = format!(
        "# {name}, standalone\n\n\
         Exported from serverless-rust-patterns with `cargo xtask export {name}`: the pattern's folder, a workspace\n\
         manifest of its own and a `Cargo.lock` with the crate versions the collection tested. Nothing here refers\n\
         back to the repository. The pattern's own README.md describes what it does.\n\n\
         ## Build and test\n\n\
         ```bash\n\
         cargo test --locked                                   # the handlers' tests on real event fixtures\n\
         cargo lambda build --release --arm64 --output-format zip   # pip install cargo-lambda; or drop --arm64 for x86_64\n\
         ```\n\n\
         `cargo lambda` writes `target/lambda/<binary>/bootstrap.zip`; the `release` profile of `Cargo.toml` is the\n\
         size-tuned one the collection deploys. Set the function's architecture to match the build (`arm64` with\n\
         `--arm64`).\n\n\
         ## Deploy\n\n"
    );
    if !pattern.has(Iac::Terraform) {
        text.push_str("This pattern has no Terraform flavour.\n\n");
    } else {
        let tf = &pattern.manifest.terraform.dir;
        text.push_str(&format!(
            "Terraform (`{tf}/`):\n\n```bash\nterraform -chdir={tf} init\nterraform -chdir={tf} apply"
        ));
        for (var, template) in &pattern.manifest.terraform.vars {
            if let Some(package) = template
                .strip_prefix("{zip:")
                .and_then(|s| s.strip_suffix('}'))
            {
                let bin = pattern
                    .lambdas
                    .iter()
                    .find(|l| l.package == package)
                    .and_then(|l| l.bins.first().map(|b| b.name.clone()))
                    .unwrap_or_else(|| package.to_owned());
                text.push_str(&format!(
                    " -var {var}=$PWD/target/lambda/{bin}/bootstrap.zip"
                ));
            }
        }
        text.push_str(&format!(
            "\nterraform -chdir={tf} destroy   # cleanup, with the same -var flags\n```\n\n"
        ));
    }
    if pattern.has(Iac::Sam) {
        // The commands `repo_tests/sam_cli.rs` runs (it reads them from here), against the local cloud too.
        text.push_str(&format!(
            "SAM (`{}`; `BuildMethod: rust-cargolambda` builds with cargo lambda; `pip install aws-sam-cli \
             cargo-lambda`):\n\n```bash\nsam build --beta-features\n\
             sam deploy --resolve-s3 --stack-name {name} --capabilities CAPABILITY_IAM --no-confirm-changeset\n\
             sam delete --stack-name {name} --no-prompts   # cleanup: the stack and the artifacts it uploaded\n```\n\n\
             (`sam deploy --guided` asks for the same settings and can save them in `samconfig.toml`.)\n\n",
            pattern.manifest.sam.template
        ));
    }
    text.push_str(
        "To try it without an AWS account, run the collection's local cloud and point the same commands at it:\n\
         `eval \"$(cargo xtask local env)\"` in a clone of serverless-rust-patterns prints the variables. The URLs\n\
         a deploy prints are AWS's: the local cloud serves `https://{api-id}.execute-api.{region}.amazonaws.com/...`\n\
         at `http://{api-id}.execute-api.localhost:4566/...` (4566: its port).\n\n\
         ## Checks\n\n\
         `checks/` runs what the collection verified after each deploy (`checks/checks.toml`: the pattern's\n\
         `[[verify]]` checks) against your deployment, through the AWS CLI as you configured it (profile, region;\n\
         `AWS_ENDPOINT_URL` for a local cloud, whose URLs it sends to the local cloud):\n\n\
         ```bash\n",
    );
    if pattern.has(Iac::Terraform) {
        text.push_str(&format!(
            "cargo run -p pattern-checks -- --terraform {}      # after terraform apply\n",
            pattern.manifest.terraform.dir
        ));
    }
    if pattern.has(Iac::Sam) {
        text.push_str("cargo run -p pattern-checks -- --stack <stack name>   # after sam deploy\n");
    }
    text.push_str(
        "```\n\nEach check prints PASS or FAIL with what it saw; a check that needs a browser is listed as SKIP with \
         what to look\nfor. The checks:\n\n",
    );
    for check in &pattern.manifest.verify {
        if let Some(name) = check.get("name").and_then(|n| n.as_str()) {
            text.push_str(&format!("- {name}\n"));
        }
    }
    text
}
