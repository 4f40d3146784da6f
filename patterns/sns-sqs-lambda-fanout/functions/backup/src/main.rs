//! Lambda entry point: starts logging, connects to the backup bucket, then runs `backup::handle` on each batch of
//! the backup queue.

mod backup;
mod bucket;

use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let bucket = bucket::Bucket::from_env().await?;
    let bucket = &bucket;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, Error>(backup::handle(bucket, event.payload).await)
    }))
    .await
}
