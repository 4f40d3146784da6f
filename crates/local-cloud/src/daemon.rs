//! The daemon behind `cargo xtask local up` (the `local-cloud` binary only calls [`main`], so building it is a
//! link: every generic instantiation is compiled here, once, in the library).
//!
//! `local-cloud serve --port 4566 --state-dir DIR` binds the edge, starts moto, serves until SIGTERM/SIGINT,
//! then stops everything and removes `{state_dir}/local-cloud.json` (written once ready).

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use crate::{
    Cloud,
    aws::Clients,
    config::{Config, DEFAULT_EDGE_PORT, DEFAULT_REGION},
    contract::{READY_FILE, Ready},
    edge::{self, Edge},
    lambda::{LambdaOptions, LambdaService},
    moto::{Moto, MotoOptions},
};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tokio::{signal::unix::SignalKind, sync::watch};

/// How long moto may take to exit once asked.
const MOTO_GRACE: Duration = Duration::from_secs(5);

#[derive(Parser)]
#[command(about = "The local cloud: moto plus our own data plane behind one port")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the edge on 127.0.0.1 until SIGTERM/SIGINT.
    Serve(ServeArgs),
    /// Measure an HTTP endpoint under load (used by `cargo xtask bench`); prints a JSON summary.
    Load(crate::loadgen::LoadArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The edge port on 127.0.0.1.
    #[arg(long, default_value_t = DEFAULT_EDGE_PORT)]
    port: u16,
    /// Holds local-cloud.json, moto.log, the launcher package and unpacked Lambda code.
    #[arg(long)]
    state_dir: PathBuf,
    /// moto's port (default: a free one).
    #[arg(long)]
    moto_port: Option<u16>,
    #[arg(long, default_value = DEFAULT_REGION)]
    region: String,
    /// A python3 that has moto 5.2.1.
    #[arg(long, default_value = "python3")]
    python: String,
    /// How many times faster than AWS asynchronous invocations wait: AWS retries a failed event after 60 s
    /// and 120 s and keeps it up to MaximumEventAgeInSeconds; here those times are divided by this (the
    /// default 60 retries after 1 s and 2 s; 1 waits as long as AWS).
    #[arg(long, env = "LOCAL_CLOUD_ASYNC_SPEEDUP", default_value_t = crate::lambda::async_queue::DEFAULT_SPEEDUP, value_parser = clap::value_parser!(u32).range(1..))]
    async_speedup: u32,
}

/// Parses the command line and runs the daemon (or the load generator) to the end.
pub fn main() -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?
        .block_on(run())
}

async fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match Cli::parse().cmd {
        Cmd::Serve(args) => serve(args).await.inspect_err(|e| tracing::error!("{e:#}")),
        Cmd::Load(args) => {
            let summary = crate::loadgen::run(args).await?;
            println!("{}", serde_json::to_string(&summary)?);
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    std::fs::create_dir_all(&args.state_dir)
        .with_context(|| format!("creating {}", args.state_dir.display()))?;
    let state_dir = args.state_dir.canonicalize()?;
    let listener = edge::bind(args.port).await?;
    let mut config = Config {
        edge_port: args.port,
        // Without --moto-port, moto binds any free port and reports it (set below).
        moto_port: args.moto_port.unwrap_or(0),
        state_dir: state_dir.clone(),
        region: args.region,
    };

    let mut moto = Moto::start(&MotoOptions {
        python: args.python,
        port: config.moto_port,
        edge_url: config.edge_url(),
        region: config.region.clone(),
        state_dir: state_dir.clone(),
    })
    .await?;
    config.moto_port = moto.port();
    let aws = Clients::new(&config.moto_url(), &config.region).await;
    let options = LambdaOptions {
        async_speedup: args.async_speedup,
        ..LambdaOptions::default()
    };
    let lambda = LambdaService::with_options(&config, aws.clone(), options);
    let cloud = Arc::new(Cloud::new(config, aws, lambda));

    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let ready = Ready {
        pid: std::process::id(),
        edge_port: args.port,
        moto_port: moto.port(),
        moto_pid: moto.pid(),
        moto_version: moto.version().to_owned(),
        started_at,
        instance: uuid::Uuid::new_v4().simple().to_string(),
    };
    let edge = Edge::new(cloud.clone(), serde_json::to_value(&ready)?);
    let (stop_tx, stop_rx) = watch::channel(false);
    let server = tokio::spawn(edge.serve(listener, stop_rx));
    let state_file = state_dir.join(READY_FILE);
    write_atomically(&state_file, &serde_json::to_vec_pretty(&ready)?)?;
    tracing::info!(
        edge = cloud.config.edge_url(),
        moto = cloud.config.moto_url(),
        "local cloud ready"
    );

    let signal = wait_for_signal(&mut moto).await?;
    tracing::info!("{signal}: stopping");
    let _ = stop_tx.send(true);
    let _ = server.await;
    cloud.event_sources.shutdown();
    cloud.lambda.shutdown().await;
    moto.stop(MOTO_GRACE).await;
    if let Err(e) = std::fs::remove_file(&state_file) {
        tracing::warn!("removing {}: {e}", state_file.display());
    }
    tracing::info!("local cloud stopped");
    Ok(())
}

/// Waits for SIGTERM or SIGINT; if moto dies first, says so and keeps waiting (status reports it degraded).
async fn wait_for_signal(moto: &mut Moto) -> Result<&'static str> {
    let mut term = tokio::signal::unix::signal(SignalKind::terminate())?;
    let mut int = tokio::signal::unix::signal(SignalKind::interrupt())?;
    let mut moto_died = false;
    loop {
        tokio::select! {
            _ = term.recv() => return Ok("SIGTERM"),
            _ = int.recv() => return Ok("SIGINT"),
            status = moto.exited(), if !moto_died => {
                tracing::error!(pid = moto.pid(), ?status, "moto exited unexpectedly: the local cloud is degraded; run `cargo xtask local up` to restart it");
                moto_died = true;
            }
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}
