//! Lambda entry point: each function URL request (payload format 2.0) goes to `cf_url_hello::handle`.

use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<LambdaFunctionUrlRequest>| async move {
            let response = cf_url_hello::handle(&event.payload);
            tracing::info!(
                path = event.payload.raw_path.as_deref().unwrap_or(""),
                status = response.status_code,
                "handled request"
            );
            Ok::<_, Error>(response)
        },
    ))
    .await
}
