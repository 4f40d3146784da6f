//! `cargo xtask local`: the local cloud's lifecycle (placeholder until the local cloud lands).

#[derive(clap::Subcommand)]
pub enum LocalCmd {
    /// Start the local cloud.
    Up,
}

pub fn run(cmd: LocalCmd) -> anyhow::Result<()> {
    match cmd {
        LocalCmd::Up => anyhow::bail!("the local cloud is not available yet"),
    }
}

pub struct LocalCloud {
    pub edge_url: String,
}

pub fn ensure_up(port: Option<u16>) -> anyhow::Result<LocalCloud> {
    let _ = port;
    anyhow::bail!("the local cloud is not available yet")
}
