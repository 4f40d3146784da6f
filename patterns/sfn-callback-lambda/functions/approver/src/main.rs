//! Lambda entry point: starts logging, creates the Step Functions client, then runs `approval::handle` on each
//! batch of SQS messages (each one a task token and the order it waits on).

mod approval;

use aws_sdk_sfn::Client;
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = aws_config::load_from_env().await;
    let states = approval::StepFunctions(Client::new(&config));
    let states = &states;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, Error>(approval::handle(states, event.payload).await)
    }))
    .await
}
