//! `pattern-checks`: runs the pattern's checks (`checks.toml`) against a deployment, on AWS or, with
//! `AWS_ENDPOINT_URL` set, on the local cloud. `cargo run -p pattern-checks -- --terraform terraform` (or
//! `--stack <name>`, or `--outputs outputs.json`).

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, Result, bail};
use pattern_checks::{
    deployment::Source,
    runner::{self, Outcome},
};

const USAGE: &str = "usage: pattern-checks (--terraform <dir> | --stack <name> | --outputs <file.json>) \
                     [--checks <checks.toml>] [--json]";

fn main() -> ExitCode {
    // HTTPS to AWS through aws-lc-rs (the provider the rest of the tree builds).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut source = None;
    let mut checks = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("checks.toml");
    let mut json = false;
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{arg} needs a value; {USAGE}"))
        };
        match arg.as_str() {
            "--terraform" => source = Some(Source::Terraform(value()?.into())),
            "--stack" => source = Some(Source::Stack(value()?)),
            "--outputs" => source = Some(Source::File(value()?.into())),
            "--checks" => checks = value()?.into(),
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument `{other}`; {USAGE}"),
        }
    }
    let source = source.with_context(|| format!("which deployment? {USAGE}"))?;
    let results = runner::run(&checks, &source, |r| {
        if !json {
            let mark = match r.outcome {
                Outcome::Passed => "PASS",
                Outcome::Failed => "FAIL",
                Outcome::NotChecked => "SKIP",
            };
            println!("{mark}  {}  ({})", r.name, r.detail);
        }
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    let summary = runner::summary(&results)?;
    println!("{summary}");
    Ok(())
}
