//! Lambda entry point: starts logging, connects to the event bus, then runs `changes::handle` on each batch of
//! DynamoDB stream records.

mod bus;
mod changes;

use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let bus = bus::EventBus::from_env().await?;
    let bus = &bus;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, Error>(changes::handle(bus, event.payload).await)
    }))
    .await
}
