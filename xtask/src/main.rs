//! `cargo xtask`: builds, validates, deploys, verifies and destroys the patterns of this repository.
//!
//! One binary, plain subcommands; see `cargo xtask --help` and CONTRIBUTING.md.

mod bench;
mod build;
mod cargo;
mod cargo_generate;
mod changed;
mod ci;
mod deploy;
mod lifecycle;
mod list;
mod local;
mod new;
mod pattern;
mod setup;
mod tools;
mod validate;
mod verify;

#[cfg(test)]
mod feature_pins;
#[cfg(test)]
mod fidelity;
#[cfg(test)]
mod template_tests;
#[cfg(test)]
mod tidy;
#[cfg(test)]
mod workflows_lint;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, validate, deploy and test the serverless patterns"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which patterns a command acts on.
#[derive(clap::Args)]
struct Selection {
    /// A pattern name (folder under patterns/).
    pattern: Option<String>,
    /// Every pattern.
    #[arg(long)]
    all: bool,
}

impl Selection {
    fn resolve(&self) -> Result<Vec<pattern::Pattern>> {
        pattern::select(self.pattern.as_deref(), self.all)
    }
}

#[derive(Subcommand)]
enum Command {
    /// List the patterns with their title, IaC flavours and Lambda crates.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Build each Lambda of the patterns into target/lambda/<crate>/bootstrap.zip.
    Build {
        #[command(flatten)]
        selection: Selection,
        /// Build for AWS Graviton (aarch64) through cargo-lambda instead of the host.
        #[arg(long)]
        arm64: bool,
    },
    /// Check metadata, README, references, IaC formatting and the rules AWS enforces.
    Validate {
        #[command(flatten)]
        selection: Selection,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Build, validate and deploy a pattern (to the local cloud unless --target aws); prints its outputs.
    Deploy {
        pattern: String,
        #[command(flatten)]
        args: deploy::DeployArgs,
    },
    /// Run a deployed pattern's checks (pattern.toml `[[verify]]`) against its outputs.
    Verify {
        pattern: String,
        #[command(flatten)]
        args: deploy::DeployArgs,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Destroy a deployed pattern and clean its work directory.
    Destroy {
        pattern: String,
        #[command(flatten)]
        args: deploy::DeployArgs,
    },
    /// Print the saved outputs of a deployment.
    Outputs {
        pattern: String,
        #[command(flatten)]
        args: deploy::DeployArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Deploy, verify and destroy each IaC flavour (or the one --iac names); destroy always runs unless --keep.
    Test {
        #[command(flatten)]
        selection: Selection,
        #[command(flatten)]
        args: deploy::DeployArgs,
    },
    /// Measure cold start, warm latency and throughput of the local cloud (see docs/benchmarks.md).
    Bench(bench::BenchArgs),
    /// A new pattern in patterns/<name> from the cargo-generate template (template/), without questions.
    New(new::NewArgs),
    /// Install the project's tools that are missing (Python tools into .venv, cargo-generate), idempotently.
    Setup,
    /// Run the project's test command: fmt, clippy, tests, validation.
    Ci,
    /// The patterns changed since the merge-base of a git ref and HEAD, uncommitted work included (CI's matrix).
    Changed {
        /// The ref to compare with, e.g. `origin/main` or `HEAD~1`.
        #[arg(long)]
        base: String,
        /// Print `{"patterns": [...], "all": bool, "reason": "..."}` on one line instead of one name a line.
        #[arg(long)]
        json: bool,
    },
    /// Manage the local cloud (moto + the local data plane).
    Local {
        #[command(subcommand)]
        cmd: local::LocalCmd,
    },
}

/// The pattern named `name`, or an error listing the closest names.
fn one(name: &str) -> Result<pattern::Pattern> {
    pattern::find(&pattern::discover()?, name)
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("XTASK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // The chain of contexts, without a backtrace: errors here are for users, not for debugging.
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::List { json } => list::run(json),
        Command::Build { selection, arm64 } => {
            let arch = if arm64 {
                build::Arch::Arm64
            } else {
                build::Arch::Host
            };
            build::run(&selection.resolve()?, arch).map(drop)
        }
        Command::Validate { selection, json } => validate::run(&selection.resolve()?, json),
        Command::Deploy { pattern, args } => {
            let p = one(&pattern)?;
            deploy::deploy(&deploy::Deployment::new(&p, &args)?, args.keep).map(drop)
        }
        Command::Verify {
            pattern,
            args,
            json,
        } => {
            let p = one(&pattern)?;
            let outputs = deploy::Deployment::new(&p, &args)?.saved_outputs()?;
            verify::run(&p, &outputs, args.target, json)
        }
        Command::Destroy { pattern, args } => {
            let p = one(&pattern)?;
            deploy::destroy(&deploy::Deployment::new(&p, &args)?)
        }
        Command::Outputs {
            pattern,
            args,
            json,
        } => {
            let p = one(&pattern)?;
            let outputs = deploy::Deployment::new(&p, &args)?.saved_outputs()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&outputs)?);
            } else {
                deploy::print_outputs(&outputs);
            }
            Ok(())
        }
        Command::Test { selection, args } => lifecycle::test(&selection.resolve()?, &args),
        Command::Bench(args) => bench::run(&args),
        Command::New(args) => new::run(&args),
        Command::Setup => setup::run(),
        Command::Ci => ci::run(),
        Command::Changed { base, json } => changed::run(&base, json),
        Command::Local { cmd } => local::run(cmd),
    }
}
