//! Test fixture: answers `{"layout": "pattern root", "echo": <event>}`.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(json!({ "layout": "pattern root", "echo": event.payload }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}
