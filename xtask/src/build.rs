//! `cargo xtask build`: compiles each Lambda crate and packages it as a reproducible `bootstrap.zip`.
//!
//! Builds for AWS use plain cargo with the size-tuned `lambda-release` profile and land in
//! `target/lambda/<crate>/bootstrap.zip`; `--arm64` builds go through cargo-lambda into
//! `target/lambda-arm64/<crate>/bootstrap.zip`. Builds for the local target use the dev profile the rest of
//! the workspace shares (its request path optimised, see the root Cargo.toml), so a first local deploy
//! compiles little beyond what `cargo xtask` was built with; they land in `target/lambda-local/`.
//!
//! A crate's binary may have any name (the upstream collection's Rust patterns build `[[bin]] name = "handler"`),
//! and several crates may share one: cargo writes each binary as `target/<profile>/<name>`, so crates whose
//! binaries share a name are built in separate cargo runs, each packaged before the next overwrites the file.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};
use zip::{DateTime, ZipWriter, write::SimpleFileOptions};

use crate::{
    flags::Selection,
    pattern::{self, project_root, target_dir},
    tools::{self, Tool},
};

/// The cargo profile Lambda artifacts are built with (defined in the root Cargo.toml).
pub const PROFILE: &str = "lambda-release";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// The machine's own architecture, built with the shared dev profile: what the local target runs.
    Local,
    /// The machine's own architecture (x86_64 here), size-tuned for AWS.
    Host,
    /// aarch64 for AWS Graviton, cross-compiled by cargo-lambda.
    Arm64,
}

/// A packaged Lambda.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Artifact {
    pub package: String,
    pub zip: PathBuf,
    pub bytes: u64,
}

/// Where the zip of `package` lands.
pub fn zip_path(package: &str, arch: Arch) -> PathBuf {
    let dir = match arch {
        Arch::Local => "lambda-local",
        Arch::Host => "lambda",
        Arch::Arm64 => "lambda-arm64",
    };
    target_dir().join(dir).join(package).join("bootstrap.zip")
}

/// `cargo xtask build`: builds every Lambda of the selected patterns (for AWS Graviton with `arm64`); prints the
/// artifacts.
pub fn run(selection: &Selection, arm64: bool) -> Result<()> {
    let arch = if arm64 { Arch::Arm64 } else { Arch::Host };
    let patterns = pattern::select(selection)?;
    let mut lambdas = Vec::new();
    for p in &patterns {
        p.packages()?; // each must be a workspace member
        lambdas.extend(p.lambdas.iter().cloned());
    }
    let artifacts = build(&lambdas, arch)?;
    for a in &artifacts {
        let rel = a.zip.strip_prefix(project_root()).unwrap_or(&a.zip);
        println!(
            "{:<32} {:>9}  {}",
            a.package,
            human_size(a.bytes),
            rel.display()
        );
    }
    Ok(())
}

/// Builds and packages the crates `lambdas`.
pub fn build(lambdas: &[pattern::LambdaCrate], arch: Arch) -> Result<Vec<Artifact>> {
    if lambdas.is_empty() {
        return Ok(Vec::new());
    }
    if arch == Arch::Host && !cfg!(target_os = "linux") {
        bail!(
            "host builds make Linux binaries only on Linux; on this OS use `cargo xtask build --arm64` (cargo-lambda cross-compiles)"
        );
    }
    let packages: Vec<String> = lambdas.iter().map(|l| l.package.clone()).collect();
    // The binary each crate builds (`validate` makes sure there is exactly one).
    let names: Vec<String> = lambdas
        .iter()
        .map(|l| {
            l.bins
                .first()
                .map_or_else(|| l.package.clone(), |b| b.name.clone())
        })
        .collect();
    let mut artifacts = Vec::new();
    for group in collision_free_groups(&packages, &names) {
        let group_names: Vec<String> = group
            .iter()
            .map(|pkg| names[packages.iter().position(|p| p == pkg).unwrap()].clone())
            .collect();
        artifacts.extend(build_group(&group, &group_names, arch)?);
    }
    // In the order asked.
    artifacts.sort_by_key(|a| packages.iter().position(|p| *p == a.package));
    Ok(artifacts)
}

/// `packages` split into runs in which no two binaries share a name (`names[i]` is the binary of `packages[i]`),
/// in order: one run when all names differ.
fn collision_free_groups(packages: &[String], names: &[String]) -> Vec<Vec<String>> {
    let mut groups: Vec<(Vec<String>, Vec<&str>)> = Vec::new();
    for (pkg, name) in packages.iter().zip(names) {
        match groups
            .iter_mut()
            .find(|(_, taken)| !taken.contains(&name.as_str()))
        {
            Some((group, taken)) => {
                group.push(pkg.clone());
                taken.push(name);
            }
            None => groups.push((vec![pkg.clone()], vec![name])),
        }
    }
    groups.into_iter().map(|(group, _)| group).collect()
}

/// One cargo (or cargo-lambda) run over packages whose binaries (`names`) differ, each packaged at once.
fn build_group(packages: &[String], names: &[String], arch: Arch) -> Result<Vec<Artifact>> {
    let (profile, compression) = match arch {
        Arch::Local => ("dev", Compression::Fast),
        Arch::Host => (PROFILE, Compression::Smallest),
        Arch::Arm64 => return build_arm64(packages, names),
    };
    let binaries = crate::cargo::build(&crate::cargo::Build {
        what: &format!("the Lambda crates ({})", packages.join(", ")),
        packages: packages.to_vec(),
        profile,
        // The dev build shares xtask's artifacts; the size-tuned one is for AWS only.
        with_xtask: arch == Arch::Local,
    })?;
    packages
        .iter()
        .map(|pkg| {
            let binary = binaries
                .iter()
                .find(|b| &b.package == pkg)
                .with_context(|| format!("cargo built no binary for `{pkg}`"))?;
            package(&binary.path, &zip_path(pkg, arch), pkg, compression)
        })
        .collect()
}

/// cargo-lambda cross-compiles for Graviton; it writes each binary to `<lambda-dir>/<binary name>/bootstrap`.
fn build_arm64(packages: &[String], names: &[String]) -> Result<Vec<Artifact>> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let cargo_lambda = tools::program_path(&sh, Tool::CargoLambda)?;
    let lambda_dir = target_dir().join("lambda-arm64-build");
    let flags: Vec<String> = packages
        .iter()
        .flat_map(|p| ["-p".to_owned(), p.clone()])
        .collect();
    crate::cargo::without_run_env(cmd!(
        sh,
        "{cargo_lambda} lambda build --release --arm64 --lambda-dir {lambda_dir} {flags...}"
    ))
    .run()
    .context("building the Lambda crates for arm64 with cargo-lambda")?;
    packages
        .iter()
        .zip(names)
        .map(|(pkg, name)| {
            let binary = lambda_dir.join(name).join("bootstrap");
            package(
                &binary,
                &zip_path(pkg, Arch::Arm64),
                pkg,
                Compression::Smallest,
            )
        })
        .collect()
}

/// How hard to compress a zip: AWS artifacts are uploaded and stored, local ones are unpacked once.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Compression {
    Smallest,
    Fast,
}

/// Zips `binary` as an executable `bootstrap` with fixed timestamps and modes, so equal inputs give
/// byte-identical zips. Written to a temporary file and renamed, so a reader never sees half a zip.
pub(crate) fn package(
    binary: &Path,
    zip: &Path,
    pkg: &str,
    compression: Compression,
) -> Result<Artifact> {
    let code = fs::read(binary)
        .with_context(|| format!("reading the built binary {} of `{pkg}`", binary.display()))?;
    let dir = zip.parent().unwrap();
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // A name of this write's own: two builds packaging the same crate at once (tests deploying fixtures that share
    // a function, in parallel) each rename a complete zip into place; the last one wins.
    static WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!("bootstrap.zip.{}-{n}.tmp", std::process::id()));
    let mut writer = ZipWriter::new(fs::File::create(&tmp)?);
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(match compression {
            Compression::Smallest => 9,
            Compression::Fast => 1,
        }))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o755);
    writer.start_file("bootstrap", options)?;
    writer.write_all(&code)?;
    writer.finish()?.sync_all()?;
    fs::rename(&tmp, zip).with_context(|| format!("writing {}", zip.display()))?;
    let bytes = fs::metadata(zip)?.len();
    Ok(Artifact {
        package: pkg.to_owned(),
        zip: zip.to_owned(),
        bytes,
    })
}

pub fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.2} MiB", bytes as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_sharing_a_name_are_built_in_separate_runs() {
        let pkgs = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let packages = pkgs(&["a", "b", "c", "d"]);
        assert_eq!(
            collision_free_groups(&packages, &pkgs(&["a", "b", "c", "d"])),
            [pkgs(&["a", "b", "c", "d"])],
            "distinct names: one run"
        );
        assert_eq!(
            collision_free_groups(&packages, &pkgs(&["handler", "handler", "c", "handler"])),
            [pkgs(&["a", "c"]), pkgs(&["b"]), pkgs(&["d"])]
        );
    }

    #[test]
    fn zips_are_reproducible_and_executable() {
        let dir = std::env::temp_dir().join(format!("xtask-zip-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let binary = dir.join("bin");
        fs::write(&binary, b"\x7fELF not really a binary").unwrap();
        let first = package(
            &binary,
            &dir.join("a/bootstrap.zip"),
            "x",
            Compression::Smallest,
        )
        .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let second = package(
            &binary,
            &dir.join("b/bootstrap.zip"),
            "x",
            Compression::Smallest,
        )
        .unwrap();
        let (a, b) = (
            fs::read(&first.zip).unwrap(),
            fs::read(&second.zip).unwrap(),
        );
        assert_eq!(a, b, "two packagings of the same binary differ");

        let mut archive = zip::ZipArchive::new(fs::File::open(&first.zip).unwrap()).unwrap();
        assert_eq!(archive.len(), 1);
        let entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name().unwrap(), "bootstrap");
        assert_eq!(entry.unix_mode().unwrap() & 0o777, 0o755);
        fs::remove_dir_all(&dir).unwrap();
    }
}
