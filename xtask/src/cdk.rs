//! `cargo xtask cdk <pattern> [--lang ...] [--out DIR]`: the pattern as a complete AWS CDK app, converted from its
//! SAM template by cdk-from-cfn (docs/cdk.md).
//!
//! The SAM template is transformed offline and resolved for the converter ([`convert`], [`resolve`]), cdk-from-cfn
//! writes the stack ([`converter`], the on-demand `crates/cdk-gen` binary), and the app around it is written
//! ([`app`], [`lang`]). The TypeScript app is what `cargo xtask test --iac cdk` synthesizes with the project's
//! toolchain ([`toolchain`]), compares with the source ([`compare`]) and deploys (xtask/src/deploy/cdk.rs).

pub mod app;
pub mod compare;
pub mod convert;
pub mod converter;
pub mod lang;
pub mod resolve;
pub mod toolchain;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::Result;

use crate::{
    build,
    flags::{CdkArgs, CdkLang},
    pattern::{self, Architecture, Pattern, project_root, target_dir},
};

/// `cargo xtask cdk`: writes the app and says what to run next.
pub fn run(args: &CdkArgs) -> Result<()> {
    let pattern = pattern::one(&args.pattern)?;
    let out = match &args.out {
        Some(dir) => app::absolute(dir)?,
        None => target_dir()
            .join("cdk")
            .join(format!("{}-{}", pattern.name, args.lang.as_str())),
    };
    let app = write_app(&pattern, args.lang, &out, args.force)?;
    let rel = out.strip_prefix(project_root()).unwrap_or(&out);
    println!(
        "wrote the {} CDK app of `{}` to {} ({} files; see its README.md)",
        args.lang.as_str(),
        pattern.name,
        rel.display(),
        app.files.len()
    );
    if !app.unbuilt.is_empty() {
        println!(
            "the code of {} is not built yet: run `{}` before `cdk synth`",
            app.unbuilt.join(", "),
            app.build_command
        );
    }
    Ok(())
}

/// What [`write_app`] wrote.
pub struct Written {
    /// The files, relative to the app folder.
    pub files: Vec<String>,
    /// The crates whose zip is not built yet.
    pub unbuilt: Vec<String>,
    /// What builds them.
    pub build_command: String,
}

/// The app of `pattern` in `lang`, in `out`: its functions' code the zips `cargo xtask build` makes for AWS. Nothing
/// is written when the template cannot be converted faithfully.
pub fn write_app(pattern: &Pattern, lang: CdkLang, out: &Path, force: bool) -> Result<Written> {
    let zips = zips(pattern, aws_arch(pattern));
    write_app_with(pattern, lang, out, force, zips)
}

/// [`write_app`] with the functions' code taken from `zips` (crate -> zip): the local builds, in the test of the
/// CDK CLI against the local cloud.
pub fn write_app_with(
    pattern: &Pattern,
    lang: CdkLang,
    out: &Path,
    force: bool,
    zips: BTreeMap<String, PathBuf>,
) -> Result<Written> {
    app::check_out_dir(out, force)?;
    // The SAM transform runs on the project's Python with aws-sam-translator.
    crate::setup::python_tools(true)?;
    let scratch = target_dir()
        .join("xtask")
        .join("cdk-work")
        .join(&pattern.name);
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".to_owned());
    let source = convert::source(pattern, &scratch, &region);
    let _ = std::fs::remove_dir_all(&scratch);
    let source = source?;
    let build_command = match aws_arch(pattern) {
        build::Arch::Arm64 => format!("cargo xtask build {} --arm64", pattern.name),
        _ => format!("cargo xtask build {}", pattern.name),
    };
    let files = generate(
        pattern,
        &source,
        lang,
        out,
        zips.clone(),
        build_command.clone(),
    )?;
    let unbuilt = source
        .functions
        .values()
        .filter(|package| zips.get(*package).is_some_and(|zip| !zip.exists()))
        .cloned()
        .collect();
    Ok(Written {
        files,
        unbuilt,
        build_command,
    })
}

/// What `cargo xtask build` makes of the pattern's functions for AWS.
fn aws_arch(pattern: &Pattern) -> build::Arch {
    match pattern.manifest.architecture {
        Architecture::Arm64 => build::Arch::Arm64,
        Architecture::X86_64 => build::Arch::Host,
    }
}

/// Every Lambda crate's zip for `arch`.
pub fn zips(pattern: &Pattern, arch: build::Arch) -> BTreeMap<String, PathBuf> {
    pattern
        .lambdas
        .iter()
        .map(|l| (l.package.clone(), build::zip_path(&l.package, arch)))
        .collect()
}

/// Converts `source` and writes the app in `lang` into `out`; returns the files written.
pub fn generate(
    pattern: &Pattern,
    source: &convert::Source,
    lang: CdkLang,
    out: &Path,
    zips: BTreeMap<String, PathBuf>,
    build_command: String,
) -> Result<Vec<String>> {
    let class = convert::class_name(&pattern.name);
    let what = format!("the SAM template of `{}` (transformed)", pattern.name);
    let stack_source = convert::stack_source(source, lang, &class, &what)?;
    app::write(
        out,
        &app::Spec {
            pattern,
            source,
            lang,
            stack_source,
            class,
            zips,
            build_command,
        },
    )
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::validate::test_support::Scratch;

    fn scratch_out(name: &str) -> PathBuf {
        let dir = target_dir()
            .join("xtask/test-scratch")
            .join(format!("cdk-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    /// A template with what cdk-from-cfn 0.162.0 would get wrong: refused, each construct named with its resource,
    /// and no app written. Runs the real SAM transform (the project's Python).
    #[test]
    fn a_template_the_converter_cannot_take_is_refused_and_nothing_is_written() {
        let scratch = Scratch::from_fixture("good", "cdk-refused");
        scratch.edit(
            "template.yaml",
            "Resources:\n",
            "Conditions:\n  InUsEast1: !Equals [!Ref AWS::Region, us-east-1]\n\nResources:\n",
        );
        scratch.edit(
            "template.yaml",
            "  Nlb:\n    Type: AWS::ElasticLoadBalancingV2::LoadBalancer\n",
            "  Nlb:\n    Type: AWS::ElasticLoadBalancingV2::LoadBalancer\n    Condition: InUsEast1\n",
        );
        let out = scratch_out("refused");
        let err = match write_app(&scratch.pattern(), CdkLang::Typescript, &out, false) {
            Ok(_) => panic!("converted"),
            Err(err) => format!("{err:#}"),
        };
        for needle in [
            "cdk-from-cfn 0.162.0 cannot convert faithfully, so no app was written",
            "Conditions: ",
            "Resources.Nlb.Condition: ",
            "Parameters.SubnetIds: has no Default",
            "fix: ",
        ] {
            assert!(err.contains(needle), "no `{needle}` in: {err}");
        }
        assert!(!out.exists(), "nothing is written");
    }

    /// The CRUD pattern in every language: the stack with its logical ids, the app entry giving each function the
    /// zip `cargo xtask build` makes, the manifest pinning aws-cdk-lib, a README. Builds the converter.
    #[test]
    fn the_crud_pattern_becomes_an_app_in_every_language() {
        let pattern = pattern::one("apigw-rest-lambda-dynamodb").unwrap();
        for lang in [
            CdkLang::Typescript,
            CdkLang::Python,
            CdkLang::Java,
            CdkLang::Go,
            CdkLang::Csharp,
        ] {
            let out = scratch_out(lang.as_str());
            let written = write_app(&pattern, lang, &out, false).unwrap();
            let stack = fs::read_to_string(
                out.join(lang::stack_file(lang, "ApigwRestLambdaDynamodbStack")),
            )
            .unwrap();
            let all: String = written
                .files
                .iter()
                .map(|f| fs::read_to_string(out.join(f)).unwrap())
                .collect();
            let _ = fs::remove_dir_all(&out);
            for needle in ["ApigwRestLambdaDynamodbStack", "'ItemsTable'", "ItemsApi"] {
                let needle = if lang == CdkLang::Typescript || lang == CdkLang::Python {
                    needle.to_owned()
                } else {
                    needle.replace('\'', "\"")
                };
                assert!(
                    stack.contains(&needle),
                    "{lang:?} stack lacks {needle}:\n{stack}"
                );
            }
            for needle in [
                "\"ItemsFunction\"",
                "../../lambda/items-api/bootstrap.zip",
                lang::CDK_LIB,
                app::MARKER,
                lang::app_command(lang),
            ] {
                assert!(all.contains(needle), "{lang:?} app lacks {needle}");
            }
        }
    }

    #[test]
    fn an_existing_folder_of_other_files_is_refused_before_anything_runs() {
        let out = scratch_out("occupied");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("mine.txt"), "keep").unwrap();
        let pattern = pattern::one("apigw-rest-lambda-dynamodb").unwrap();
        let err = write_app(&pattern, CdkLang::Python, &out, false)
            .err()
            .expect("refused")
            .to_string();
        let kept = fs::read_to_string(out.join("mine.txt")).unwrap();
        let _ = fs::remove_dir_all(&out);
        assert!(err.contains("--force"), "{err}");
        assert_eq!(kept, "keep");
    }
}
