//! Lambda entry point: starts logging, then runs `item::process` on each task input the state machine's Map state
//! sends (one item and the attempt's retry count); its errors reach Step Functions as the error names that the
//! state's `Retry` and `Catch` match.

mod item;

use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|event: LambdaEvent<item::Task>| async move {
        item::process(&event.payload)
    }))
    .await
}
