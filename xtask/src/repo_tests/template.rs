//! The cargo-generate template (`template/`), as tests: every combination of trigger, IaC and table generates a
//! pattern with nothing unrendered, only the files it needs, rustfmt- and `terraform fmt`-clean code, valid
//! metadata, README and verify checks, and no finding of the rules `cargo xtask validate` applies; bad values
//! are refused before anything is written. Fast (no build, no deploy): `.github/scripts/template-matrix.sh`
//! builds, tests and deploys the combinations.
//!
//! Needs cargo-generate at the pinned version (`cargo xtask setup`): without it the tests fail with the install
//! command. The `terraform fmt` check needs Terraform, as `cargo xtask validate` does.

use std::{
    fs,
    path::{Path, PathBuf},
};

use xshell::{Shell, cmd};

use crate::{
    cargo_generate,
    flags::{Architecture, Iac, IacChoice, NewArgs, Trigger},
    new,
    pattern::Pattern,
};

const TRIGGERS: [Trigger; 5] = [
    Trigger::RestApi,
    Trigger::Alb,
    Trigger::Sqs,
    Trigger::Eventbridge,
    Trigger::S3,
];
const IACS: [IacChoice; 3] = [IacChoice::Terraform, IacChoice::Sam, IacChoice::Both];

/// A fresh folder under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("xtask-template-{label}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn shell() -> Shell {
    let sh = Shell::new().unwrap();
    if let Err(err) = cargo_generate::require(&sh) {
        panic!("the template tests generate patterns with cargo-generate: {err:#}");
    }
    sh
}

fn args(name: &str, trigger: Trigger, iac: IacChoice, dynamodb: bool) -> NewArgs {
    NewArgs {
        name: name.to_owned(),
        iac,
        trigger,
        dynamodb,
        arch: if dynamodb {
            Architecture::Arm64
        } else {
            Architecture::X86_64
        },
        memory: if dynamodb { 1024 } else { 128 },
        description: String::new(),
        author: "Template Tests".to_owned(),
    }
}

/// Every file under `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Lines where Liquid was left unrendered (`{{`, `{%`), GitHub Actions' `${{ ... }}` aside.
fn unrendered(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in files(dir) {
        let text = fs::read_to_string(dir.join(&file)).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.replace("${{", "").contains("{{") || line.contains("{%") {
                found.push(format!("{file}:{}: {line}", i + 1));
            }
        }
    }
    found
}

/// The module file and fixture a trigger's crate has (and the others' must not).
fn trigger_files(trigger: Trigger) -> [&'static str; 2] {
    match trigger {
        Trigger::RestApi => [
            "functions/handler/src/http.rs",
            "functions/handler/tests/fixtures/apigw-rest-post-items.json",
        ],
        Trigger::Alb => [
            "functions/handler/src/http.rs",
            "functions/handler/tests/fixtures/alb-post-items.json",
        ],
        Trigger::Sqs => [
            "functions/handler/src/queue.rs",
            "functions/handler/tests/fixtures/sqs-event.json",
        ],
        Trigger::Eventbridge => [
            "functions/handler/src/events.rs",
            "functions/handler/tests/fixtures/eventbridge-event.json",
        ],
        Trigger::S3 => [
            "functions/handler/src/objects.rs",
            "functions/handler/tests/fixtures/s3-event.json",
        ],
    }
}

/// The problems of one generated combination.
fn problems(sh: &Shell, dir: &Path, args: &NewArgs) -> Vec<String> {
    let mut problems: Vec<String> = unrendered(dir)
        .into_iter()
        .map(|l| format!("unrendered Liquid: {l}"))
        .collect();
    let files = files(dir);
    let has = |f: &str| files.iter().any(|x| x == f);
    let with_tf = args.iac != IacChoice::Sam;
    let with_sam = args.iac != IacChoice::Terraform;
    let mut expected = vec![
        ("terraform/lambda.tf".to_owned(), with_tf),
        ("template.yaml".to_owned(), with_sam),
        ("terraform/dynamodb.tf".to_owned(), with_tf && args.dynamodb),
    ];
    let mut specific: Vec<&str> = TRIGGERS.into_iter().flat_map(trigger_files).collect();
    specific.sort_unstable();
    specific.dedup();
    for file in specific {
        expected.push((file.to_owned(), trigger_files(args.trigger).contains(&file)));
    }
    for (file, wanted) in expected {
        if has(&file) != wanted {
            problems.push(format!(
                "{file} is {}",
                if wanted {
                    "missing"
                } else {
                    "there but not needed"
                }
            ));
        }
    }
    if has("hooks/name.rhai") || has("cargo-generate.toml") {
        problems.push("the template's own files were copied".to_owned());
    }
    match Pattern::load(dir) {
        Ok(pattern) => {
            let iac: Vec<Iac> = [(Iac::Terraform, with_tf), (Iac::Sam, with_sam)]
                .into_iter()
                .filter_map(|(i, on)| on.then_some(i))
                .collect();
            if pattern.manifest.iac != iac {
                problems.push(format!("pattern.toml iac is {:?}", pattern.manifest.iac));
            }
            if pattern.lambdas.first().map(|l| l.package.as_str()) != Some(args.name.as_str()) {
                problems.push("the crate is not named after the pattern".to_owned());
            }
            match crate::verify::checks(&pattern) {
                Ok(checks) if checks.is_empty() => problems.push("no verify checks".to_owned()),
                Ok(_) => {}
                Err(err) => problems.push(format!("verify checks: {err:#}")),
            }
            match crate::validate::check_without_tools(&pattern) {
                Ok(findings) => problems.extend(findings.iter().map(|f| f.to_string())),
                Err(err) => problems.push(format!("validate: {err:#}")),
            }
        }
        Err(err) => problems.push(format!("pattern.toml: {err:#}")),
    }
    let main = dir.join("functions/handler/src/main.rs");
    if let Err(err) = cmd!(sh, "rustfmt --edition 2024 --check {main}")
        .quiet()
        .ignore_stdout()
        .output()
        .map_err(anyhow::Error::from)
        .and_then(|o| {
            o.status
                .success()
                .then_some(())
                .ok_or_else(|| anyhow::anyhow!("{}", String::from_utf8_lossy(&o.stdout)))
        })
    {
        problems.push(format!("rustfmt: {err:#}"));
    }
    if with_tf {
        let tf = dir.join("terraform");
        let out = cmd!(sh, "terraform fmt -check -diff -recursive {tf}")
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .quiet()
            .ignore_status()
            .output()
            .expect("terraform is on PATH (`cargo xtask setup` checks it)");
        if !out.status.success() {
            problems.push(format!(
                "terraform fmt:\n{}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    problems
}

#[test]
fn every_combination_generates_a_complete_valid_pattern() {
    shell(); // fails first, with the install command, when cargo-generate is missing
    let root = TempDir::new("matrix");
    let mut combinations = Vec::new();
    for trigger in TRIGGERS {
        for iac in IACS {
            for dynamodb in [false, true] {
                let name = format!("combination-{}", combinations.len());
                combinations.push(args(&name, trigger, iac, dynamodb));
            }
        }
    }
    // Four at a time: cargo-generate, rustfmt and terraform are separate processes.
    let report: Vec<String> = std::thread::scope(|scope| {
        let chunks: Vec<_> = combinations
            .chunks(combinations.len().div_ceil(4))
            .map(|chunk| {
                let root = &root.0;
                scope.spawn(move || {
                    let sh = &Shell::new().unwrap();
                    let mut report = Vec::new();
                    for args in chunk {
                        let label = format!(
                            "{:?}/{:?}/dynamodb={}",
                            args.trigger, args.iac, args.dynamodb
                        );
                        match new::cargo_generate(sh, args, root) {
                            Ok(dir) => report.extend(
                                problems(sh, &dir, args)
                                    .into_iter()
                                    .map(|p| format!("{label}: {p}")),
                            ),
                            Err(err) => report.push(format!("{label}: {err:#}")),
                        }
                    }
                    report
                })
            })
            .collect();
        chunks.into_iter().flat_map(|c| c.join().unwrap()).collect()
    });
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn workflow_expressions_survive_liquid() {
    let sh = shell();
    let root = TempDir::new("raw");
    let dir = new::cargo_generate(
        &sh,
        &args("raw-check", Trigger::Sqs, IacChoice::Sam, false),
        &root.0,
    )
    .unwrap();
    let readme = fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(
        readme.contains("group: raw-check-${{ github.ref }}\n"),
        "the README's GitHub Actions snippet keeps its `${{{{ }}}}` expression"
    );
    assert!(!readme.contains("{% raw %}") && !readme.contains("{% endraw %}"));
}

#[test]
fn the_template_refuses_bad_names_and_impossible_combinations() {
    let sh = shell();
    let root = TempDir::new("refuse");
    for (name, trigger, why) in [
        ("Orders_Queue", Trigger::Sqs, "kebab-case"),
        ("orders--queue", Trigger::Sqs, "'--'"),
        (
            "an-alb-pattern-with-a-long-name",
            Trigger::Alb,
            "at most 28",
        ),
    ] {
        let err = new::cargo_generate(&sh, &args(name, trigger, IacChoice::Sam, false), &root.0)
            .expect_err(name);
        assert!(format!("{err:#}").contains(why), "{name}: {err:#}");
        assert!(
            !root.0.join(name).join("pattern.toml").exists(),
            "{name}: no pattern was written"
        );
    }
}
