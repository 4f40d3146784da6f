//! The command line of `cargo xtask`: every subcommand, option and value it accepts, in one place.
//!
//! Only types here; each command module (`list.rs`, `deploy/`, `test.rs`, ...) takes the ones it needs and
//! `main.rs` dispatches to it.
//! Over 400 lines: every command's flags stay in one place (rust-analyzer's xtask style), with their value parsers.

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, validate, deploy and test the serverless patterns"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
        args: DeployArgs,
    },
    /// Run a deployed pattern's checks (pattern.toml `[[verify]]`) against its outputs.
    Verify {
        pattern: String,
        #[command(flatten)]
        args: DeployArgs,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Destroy a deployed pattern and clean its work directory.
    Destroy {
        pattern: String,
        #[command(flatten)]
        args: DeployArgs,
    },
    /// Print the saved outputs of a deployment.
    Outputs {
        pattern: String,
        #[command(flatten)]
        args: DeployArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Print the recent output of a deployment's functions (their CloudWatch Logs groups), local or AWS alike.
    Logs {
        pattern: String,
        #[command(flatten)]
        args: DeployArgs,
        /// How far back: a number with s, m, h or d (`90s`, `15m`, `2h`, `1d`).
        #[arg(long, default_value = "15m", value_parser = since)]
        since: std::time::Duration,
        /// Keep printing new events (Ctrl-C to stop).
        #[arg(long, short)]
        follow: bool,
        /// One JSON object per event (group, stream, timestamp in ms, message) on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Deploy, verify and destroy each IaC flavour pattern.toml lists (or the one --iac names, `cdk` too); destroy
    /// always runs unless --keep.
    Test {
        #[command(flatten)]
        selection: Selection,
        #[command(flatten)]
        args: DeployArgs,
        /// With several patterns: how many are tested at once, each in its own `cargo xtask test <pattern>`
        /// (its flavours in turn), all in one local cloud; 1 tests them one after the other with live output.
        #[arg(long, short, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=16))]
        jobs: u16,
    },
    /// Measure cold start, warm latency and throughput of the local cloud (see docs/benchmarks.md).
    Bench(BenchArgs),
    /// A new pattern in patterns/<name> from the cargo-generate template (template/), without questions.
    New(NewArgs),
    /// The pattern as an AWS CDK app, converted from its SAM template by cdk-from-cfn (see docs/cdk.md).
    Cdk(CdkArgs),
    /// The pattern as a standalone project in DIR: its crates with the tested Cargo.lock, no reference back.
    Export(ExportArgs),
    /// The deployed architecture as Mermaid, drawn from what the local cloud holds (`--check`: against the README's).
    Diagram(DiagramArgs),
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
        cmd: LocalCmd,
    },
}

impl Command {
    /// Commands that create or remove things: they handle Ctrl-C and SIGTERM by cleaning up
    /// (xtask/src/interrupt.rs); the others stop at once as any program does.
    pub fn changes_state(&self) -> bool {
        matches!(
            self,
            Command::Deploy { .. }
                | Command::Destroy { .. }
                | Command::Test { .. }
                | Command::Bench(_)
                | Command::Local {
                    cmd: LocalCmd::Up { .. } | LocalCmd::Down
                }
        )
    }
}

/// Which patterns a command acts on (`build`, `validate`, `test`): some by name, or `--all`.
#[derive(clap::Args)]
pub struct Selection {
    /// Pattern names (folders under patterns/).
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Every pattern.
    #[arg(long)]
    pub all: bool,
}

/// Where a pattern is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The local cloud (moto + the local data plane) on 127.0.0.1.
    Local,
    /// The AWS account of the current credentials (AWS_PROFILE / AWS_REGION as usual).
    Aws,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Local => "local",
            Target::Aws => "aws",
        }
    }
}

/// The IaC flavours a pattern can ship: `--iac`, and the `iac` list of `pattern.toml` (same spelling).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Iac {
    Terraform,
    Sam,
    /// The SAM template as an AWS CDK app (cdk-from-cfn): every pattern with `sam` has it; never listed in
    /// `pattern.toml`.
    Cdk,
}

impl Iac {
    pub fn as_str(self) -> &'static str {
        match self {
            Iac::Terraform => "terraform",
            Iac::Sam => "sam",
            Iac::Cdk => "cdk",
        }
    }
}

/// Options shared by deploy, destroy, verify and test.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployArgs {
    /// Where to deploy.
    #[arg(long, value_enum, default_value = "local")]
    pub target: Target,
    /// Which IaC flavour, where a pattern has several (default: the first in its pattern.toml; `test`: each).
    #[arg(long, value_enum)]
    pub iac: Option<Iac>,
    /// Keep what was created after a failure (and, for `test`, after the run).
    #[arg(long)]
    pub keep: bool,
    /// Build the functions optimised as for AWS (`lambda-release`) also for the local target: slower to build,
    /// faster to run; what `cargo xtask bench` measures.
    #[arg(long)]
    pub release: bool,
}

/// `cargo xtask bench`: how much to measure.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub cmd: Option<BenchCmd>,
    /// Requests per measured series.
    #[arg(long, default_value_t = 5000)]
    pub requests: usize,
    /// Concurrent clients for the throughput series.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Cold starts to measure.
    #[arg(long, default_value_t = 20)]
    pub cold_starts: usize,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `cargo xtask bench <cmd>`: benchmarks other than the latency series.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCmd {
    /// Repeated deploy+verify+destroy cycles, then a long run of requests through the flagship's chain, with
    /// the RSS of moto, the daemon and the function instances along the way and every error (docs/benchmarks.md).
    Soak(SoakArgs),
    /// Only the event series (SQS, SNS -> SQS, EventBridge -> Lambda, Step Functions; docs/benchmarks.md), without
    /// deploying the flagship.
    Events,
    /// The API and web series: HTTP API -> Lambda, REST with a cached Lambda authorizer, CloudFront -> S3 and
    /// CloudFront -> API Gateway -> Lambda, each pattern deployed (release builds) and destroyed
    /// (docs/benchmarks.md).
    Apis,
}

/// `cargo xtask bench soak`: how long to soak.
#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// Deploy+verify+destroy cycles of `--pattern` (`cargo xtask test`, one IaC flavour).
    #[arg(long, default_value_t = 100)]
    pub cycles: usize,
    /// Requests through the flagship's chain (API Gateway -> VPC link -> NLB -> ALB -> Lambda) after the cycles.
    #[arg(long, default_value_t = 100_000)]
    pub requests: usize,
    /// Concurrent clients for the requests.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// The pattern the cycles deploy, verify and destroy.
    #[arg(long, default_value = "apigw-rest-lambda-dynamodb")]
    pub pattern: String,
    /// Its IaC flavour (default: its first).
    #[arg(long, value_enum)]
    pub iac: Option<Iac>,
    /// Sample the RSS every this many cycles, and this many times during the requests.
    #[arg(long, default_value_t = 10)]
    pub sample_every: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `cargo xtask new`: the values the template asks for, all given up front.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The pattern's name and folder under patterns/: kebab-case, 3 to 40 characters (e.g. orders-queue).
    pub name: String,
    /// The infrastructure as code.
    #[arg(long, value_enum, default_value = "terraform")]
    pub iac: IacChoice,
    /// What invokes the function.
    #[arg(long, value_enum, default_value = "rest-api")]
    pub trigger: Trigger,
    /// The function records each item it processed in a DynamoDB table (PutItem only).
    #[arg(long)]
    pub dynamodb: bool,
    /// The function's architecture (local deploys always run a build for this machine).
    #[arg(long, value_enum, default_value = "x86_64")]
    pub arch: Architecture,
    /// The function's memory in MB, 128 to 10240.
    #[arg(long, default_value_t = 128)]
    pub memory: u32,
    /// One sentence for example-pattern.json and README.md (at most 150 characters; default: from the trigger).
    #[arg(long, default_value = "")]
    pub description: String,
    /// The author shown in example-pattern.json.
    #[arg(long, default_value = "serverless-rust-patterns contributors")]
    pub author: String,
}

/// `cargo xtask export`: which pattern, where.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The pattern (a folder name under patterns/).
    pub pattern: String,
    /// The folder to write it to (new or empty).
    pub dir: std::path::PathBuf,
    /// Write into a folder that is not empty (its files of the same names are replaced).
    #[arg(long)]
    pub force: bool,
}

/// `cargo xtask diagram`: which deployment, and what to print.
#[derive(Debug, clap::Args)]
pub struct DiagramArgs {
    /// The pattern (deployed to the local cloud).
    pub pattern: String,
    #[command(flatten)]
    pub deploy: DeployArgs,
    /// Compare with the README's diagram (same resources and wiring, names aside); fail naming each difference.
    #[arg(long)]
    pub check: bool,
    /// Print the graph as JSON (nodes by id with kind and name; edges with labels).
    #[arg(long)]
    pub json: bool,
}

/// `cargo xtask cdk`: which pattern, in which language, where.
#[derive(Debug, clap::Args)]
pub struct CdkArgs {
    /// A pattern with a SAM template.
    pub pattern: String,
    /// The language of the app.
    #[arg(long, value_enum, default_value = "typescript")]
    pub lang: CdkLang,
    /// The folder to write the app into [default: target/cdk/<pattern>-<lang>].
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Write into a non-empty folder that holds no app `cargo xtask cdk` generated.
    #[arg(long)]
    pub force: bool,
}

/// The languages cdk-from-cfn writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CdkLang {
    Typescript,
    Python,
    Java,
    Go,
    Csharp,
}

impl CdkLang {
    pub fn as_str(self) -> &'static str {
        match self {
            CdkLang::Typescript => "typescript",
            CdkLang::Python => "python",
            CdkLang::Java => "java",
            CdkLang::Go => "go",
            CdkLang::Csharp => "csharp",
        }
    }
}

/// The IaC of the new pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IacChoice {
    Terraform,
    Sam,
    /// Terraform and SAM, deploying the same resources (one pattern.toml lists both).
    Both,
}

/// What invokes the new pattern's function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Trigger {
    /// An API Gateway REST API (POST /items, Lambda proxy integration).
    RestApi,
    /// An internet-facing Application Load Balancer (POST /items, target group of type lambda).
    Alb,
    /// An SQS queue with a dead-letter queue (event source mapping, partial batch failures).
    Sqs,
    /// A rule on a custom EventBridge bus.
    Eventbridge,
    /// Object-created notifications of a private S3 bucket.
    S3,
}

/// The Lambda architecture of the new pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Architecture {
    #[value(name = "x86_64")]
    X86_64,
    Arm64,
}

/// `cargo xtask local ...`: the local cloud's lifecycle.
#[derive(clap::Subcommand)]
pub enum LocalCmd {
    /// Start the local cloud on 127.0.0.1 (does nothing if it is already running and healthy).
    Up {
        /// The edge port, 1-65535 [default: $LOCAL_CLOUD_PORT, else 4566].
        #[arg(long, value_parser = edge_port)]
        port: Option<u16>,
    },
    /// Stop the local cloud (the daemon and moto).
    Down,
    /// Say whether the local cloud is running, stopped or degraded.
    Status {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Print what points `aws`, `terraform`, `sam` and `cdk` at the running local cloud (`eval "$(cargo xtask
    /// local env)"`).
    Env {
        /// The shell to print for (`json`: one object, for programs).
        #[arg(long, value_enum, default_value = "bash")]
        shell: EnvShell,
    },
    /// Print the ends of the daemon's and moto's logs.
    Logs {
        /// Keep printing what is appended (Ctrl-C to stop).
        #[arg(long, short)]
        follow: bool,
        /// Lines of each log to print.
        #[arg(long, short = 'n', default_value_t = 50)]
        lines: usize,
    },
}

/// `local env --shell`: the syntax the variables are printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EnvShell {
    /// `export NAME='value'` (bash, zsh, sh).
    Bash,
    /// `set -gx NAME 'value'`.
    Fish,
    /// One JSON object, name -> value.
    Json,
}

/// `logs --since`: `<number><unit>`, the unit one of s, m, h, d.
fn since(value: &str) -> Result<std::time::Duration, String> {
    let fix = || {
        format!(
            "`{value}` is not a duration; fix: a whole number with s, m, h or d, e.g. `--since 15m` or `--since 2h`"
        )
    };
    let (number, unit) = value.split_at(value.len().saturating_sub(1));
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(fix()),
    };
    let n: u64 = number.parse().map_err(|_| fix())?;
    Ok(std::time::Duration::from_secs(n * seconds))
}

/// `local up --port`: 1-65535. Port 0 would have the system choose a port, which nobody could then reach.
fn edge_port(value: &str) -> Result<u16, String> {
    match value.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!(
            "`{value}` is not a port for the local cloud (1-65535; 0 would let the system choose one nobody \
             knows); fix: give a free port such as 4566, or leave --port out"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_since_takes_a_number_and_a_unit_and_names_the_fix() {
        assert_eq!(since("90s"), Ok(std::time::Duration::from_secs(90)));
        assert_eq!(since("15m"), Ok(std::time::Duration::from_secs(900)));
        assert_eq!(since("2h"), Ok(std::time::Duration::from_secs(7200)));
        assert_eq!(since("1d"), Ok(std::time::Duration::from_secs(86_400)));
        for bad in ["", "m", "15", "15x", "-1m", "1.5h"] {
            let err = since(bad).unwrap_err();
            assert!(
                err.contains("fix: a whole number with s, m, h or d"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn local_up_refuses_port_zero_naming_the_flag_and_the_fix() {
        let parse =
            |port: &str| Cli::try_parse_from(["cargo xtask", "local", "up", "--port", port]);
        for bad in ["0", "65536", "http"] {
            let err = parse(bad).err().expect("refused").to_string();
            assert!(
                err.contains("'--port <PORT>'") && err.contains("fix: give a free port"),
                "{bad}: {err}"
            );
        }
        match parse("4620").unwrap().command {
            Command::Local {
                cmd: LocalCmd::Up { port },
            } => assert_eq!(port, Some(4620)),
            _ => panic!("not `local up`"),
        }
    }

    #[test]
    fn bench_takes_its_options_or_the_soak() {
        let parse =
            |args: &[&str]| match Cli::try_parse_from([&["cargo xtask", "bench"], args].concat())
                .map(|cli| cli.command)
            {
                Ok(Command::Bench(bench)) => bench,
                _ => panic!("not `bench`: {args:?}"),
            };
        let plain = parse(&["--requests", "10"]);
        assert!(plain.cmd.is_none() && plain.requests == 10);
        match parse(&["soak", "--cycles", "3", "--requests", "50"]).cmd {
            Some(BenchCmd::Soak(soak)) => {
                assert_eq!((soak.cycles, soak.requests), (3, 50));
                assert_eq!(soak.pattern, "apigw-rest-lambda-dynamodb");
            }
            _ => panic!("not `bench soak`"),
        }
        assert!(matches!(parse(&["events"]).cmd, Some(BenchCmd::Events)));
        assert!(matches!(parse(&["apis"]).cmd, Some(BenchCmd::Apis)));
    }
}
