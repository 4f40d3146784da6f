//! Lambda entry point: starts logging, connects to the two queues, then runs `replay::handle` on each request.

mod queues;
mod replay;

use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let queues = queues::Sqs::from_env().await?;
    let queues = &queues;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        replay::handle(queues, event.payload).await
    }))
    .await
}
