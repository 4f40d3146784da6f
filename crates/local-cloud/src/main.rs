//! `local-cloud`: the daemon behind `cargo xtask local up`; its code is [`local_cloud::daemon`], so building this
//! binary is only a link.

fn main() -> anyhow::Result<()> {
    local_cloud::daemon::main()
}
