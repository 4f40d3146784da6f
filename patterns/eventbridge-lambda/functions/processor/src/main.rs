//! Lambda entry point: starts logging, connects to the orders table, then runs `handler::handle` on each event
//! (an order shaped by the rule's input transformer, or the scheduled rule's event).

mod handler;
mod store;

use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let table = store::Table::from_env().await?;
    let table = &table;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<handler::Input>| async move {
            handler::handle(table, event.payload).await
        },
    ))
    .await
}
