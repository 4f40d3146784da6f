//! Test fixture: answers `{"crate": "greeter", "backtrace": <RUST_BACKTRACE>}`, so a test sees which crate's binary
//! runs and what the template's `RUST_BACKTRACE: 1` became.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

async fn handler(_event: LambdaEvent<Value>) -> Result<Value, Error> {
    let backtrace = std::env::var("RUST_BACKTRACE").ok();
    Ok(json!({ "crate": "greeter", "backtrace": backtrace }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}
