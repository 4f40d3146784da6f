//! `cargo xtask`: builds, validates, deploys, verifies and destroys the patterns of this repository.
//!
//! One binary, plain subcommands; see `cargo xtask --help` and CONTRIBUTING.md. The command line is in
//! [`flags`]; each command is the module named after it, the repository's own tests are in `repo_tests/`, and
//! this file only dispatches.

mod aws;
mod bench;
mod build;
mod cargo;
mod cargo_generate;
mod cdk;
mod cfn;
mod changed;
mod ci;
mod deploy;
mod destroy;
mod diagram;
mod export;
mod flags;
mod interrupt;
mod list;
mod local;
mod local_env;
mod logs;
mod new;
mod outputs;
mod pattern;
#[cfg(test)]
mod repo_tests;
mod sam_cli;
mod setup;
mod test;
mod tools;
mod validate;
mod verify;

use clap::Parser;

use flags::Command;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("XTASK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    // ureq's TLS uses the crypto provider the AWS SDK builds anyway (xtask/Cargo.toml); `Err` only means one
    // is installed already.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let command = flags::Cli::parse().command;
    if command.changes_state() {
        interrupt::install();
    }
    let result = match command {
        Command::List { json } => list::run(json),
        Command::Build { selection, arm64 } => build::run(&selection, arm64),
        Command::Validate { selection, json } => validate::run(&selection, json),
        Command::Deploy { pattern, args } => deploy::run(&pattern, &args),
        Command::Verify {
            pattern,
            args,
            json,
        } => verify::run(&pattern, &args, json),
        Command::Destroy { pattern, args } => destroy::run(&pattern, &args),
        Command::Outputs {
            pattern,
            args,
            json,
        } => outputs::run(&pattern, &args, json),
        Command::Logs {
            pattern,
            args,
            since,
            follow,
            json,
        } => logs::run(&pattern, &args, since, follow, json),
        Command::Test {
            selection,
            args,
            jobs,
        } => test::run(&selection, &args, jobs.into()),
        Command::Bench(args) => bench::run(&args),
        Command::New(args) => new::run(&args),
        Command::Cdk(args) => cdk::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Diagram(args) => diagram::run(&args),
        Command::Setup => setup::run(),
        Command::Ci => ci::run(),
        Command::Changed { base, json } => changed::run(&base, json),
        Command::Local { cmd } => local::run(cmd),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) if interrupt::requested() || interrupt::is_interrupt(&err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(130)
        }
        Err(err) => {
            // The chain of contexts, without a backtrace: errors here are for users, not for debugging.
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
