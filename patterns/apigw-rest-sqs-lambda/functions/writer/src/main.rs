//! Lambda entry point: starts logging, connects to the orders table, then runs `batch::handle` on each batch of
//! SQS messages the API queued.

mod batch;
mod store;

use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let table = store::Table::from_env().await?;
    let table = &table;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, Error>(batch::handle(table, event.payload).await)
    }))
    .await
}
