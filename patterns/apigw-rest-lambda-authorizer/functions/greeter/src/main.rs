//! Lambda entry point: each authorized request (Lambda proxy integration) goes to `rest_authorized_greeter::handle`.

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayProxyRequest>| async move {
            let response = rest_authorized_greeter::handle(&event.payload);
            tracing::info!(
                resource = event.payload.resource.as_deref().unwrap_or(""),
                status = response.status_code,
                "handled request"
            );
            Ok::<_, Error>(response)
        },
    ))
    .await
}
