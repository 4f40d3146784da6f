//! Settings of one local cloud: ports, work directory, region and account.

use std::path::PathBuf;

/// The default edge port (the same as LocalStack's, so existing habits carry over).
pub const DEFAULT_EDGE_PORT: u16 = 4566;
/// moto's account id.
pub const ACCOUNT_ID: &str = "123456789012";
pub const DEFAULT_REGION: &str = "us-east-1";

#[derive(Debug, Clone)]
pub struct Config {
    /// The edge port on 127.0.0.1.
    pub edge_port: u16,
    /// The port moto listens on (127.0.0.1 only; reached through the edge).
    pub moto_port: u16,
    /// Holds pid files, logs, unpacked Lambda code.
    pub state_dir: PathBuf,
    pub region: String,
}

impl Config {
    pub fn edge_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.edge_port)
    }
    pub fn moto_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.moto_port)
    }
}
