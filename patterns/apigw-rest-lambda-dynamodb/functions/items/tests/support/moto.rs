//! A private moto server for one test: started on a free port, stopped when the guard is dropped (also when the
//! test panics). Uses the repository's `.venv/bin/python` when there is one (`cargo xtask setup`), else `python3`.

use std::{
    fs::{self, File},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType},
};

const HINT: &str = "the store tests need moto's server: run `cargo xtask setup` in the repository \
                    (or `pip install 'moto[server]'` for the python3 on PATH)";

/// A running moto server; dropping it kills the process.
pub struct Moto {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Moto {
    /// Starts moto and waits until it accepts connections; panics with the server's output and a hint if it
    /// cannot start.
    pub fn start() -> Moto {
        let python = python();
        let addr = free_addr();
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{}.log", addr.port()));
        let out =
            File::create(&log).unwrap_or_else(|err| panic!("creating {}: {err}", log.display()));
        let err = out.try_clone().expect("duplicating the log file handle");
        let child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
            .arg(addr.port().to_string())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}; {HINT}", python.display()));
        // From here on the guard owns the process: a panic below still kills it.
        let mut moto = Moto { child, addr, log };
        moto.wait_until_ready(&python);
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A DynamoDB client for this server, with dummy credentials.
    pub fn client(&self) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .endpoint_url(self.endpoint())
            .build();
        Client::from_conf(config)
    }

    /// Creates the items table as `template.yaml` declares it: partition key `id` (string), on demand.
    pub async fn create_table(&self, name: &str) -> Client {
        let client = self.client();
        client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_or_else(|err| panic!("CreateTable {name} on moto: {err:?}"));
        client
    }

    fn wait_until_ready(&mut self, python: &Path) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("polling moto") {
                let output = fs::read_to_string(&self.log).unwrap_or_default();
                panic!(
                    "moto ({} -m moto.server) exited with {status} before serving:\n{}\n{HINT}",
                    python.display(),
                    output.trim()
                );
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "moto did not listen on {} within 30 s; its output is in {}",
                self.addr,
                self.log.display()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Keep the log of a failed test for debugging.
        if !thread::panicking() {
            let _ = fs::remove_file(&self.log);
        }
    }
}

/// The Python with moto: the nearest `.venv/bin/python` above this crate (the repository's), else `python3`.
fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join(".venv/bin/python"))
        .find(|python| python.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// A loopback address with a port nothing listens on right now.
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("finding a free port on 127.0.0.1")
}
