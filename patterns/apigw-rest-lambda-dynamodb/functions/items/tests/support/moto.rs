//! A private moto server for one test: it picks its own free port (`-p 0`, read back from its log, so two tests
//! starting at once cannot meet on one port), stopped when the guard is dropped (also when the test panics).
//! Uses the repository's `.venv/bin/python` when there is one (`cargo xtask setup`), else `python3`.

use std::{
    fs::{self, File},
    net::{SocketAddr, TcpStream},
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
    addr: Option<SocketAddr>,
    log: PathBuf,
}

impl Moto {
    /// Starts moto and waits until it accepts connections; panics with the server's output and a hint if it
    /// cannot start.
    pub fn start() -> Moto {
        let python = python();
        let log = tempfile_in(Path::new(env!("CARGO_TARGET_TMPDIR")));
        let out =
            File::create(&log).unwrap_or_else(|err| panic!("creating {}: {err}", log.display()));
        let err = out.try_clone().expect("duplicating the log file handle");
        let child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}; {HINT}", python.display()));
        // From here on the guard owns the process: a panic below still kills it.
        let mut moto = Moto {
            child,
            addr: None,
            log,
        };
        moto.wait_until_ready(&python);
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr.expect("moto is ready"))
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

    /// Waits for werkzeug's `Running on http://127.0.0.1:<port>` line, then for the port to accept connections.
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
            if self.addr.is_none() {
                self.addr = listening_on(&fs::read_to_string(&self.log).unwrap_or_default());
            }
            if let Some(addr) = self.addr
                && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "moto was not serving within 30 s; its output is in {}",
                self.log.display()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The address in werkzeug's start-up line ` * Running on http://127.0.0.1:34769`.
fn listening_on(output: &str) -> Option<SocketAddr> {
    let (_, rest) = output.split_once("Running on http://")?;
    let addr = rest.split_whitespace().next()?;
    addr.parse().ok()
}

/// A new, empty log file path in `dir`, unique to this process and call.
fn tempfile_in(dir: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("moto-{}-{n}.log", std::process::id()))
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
