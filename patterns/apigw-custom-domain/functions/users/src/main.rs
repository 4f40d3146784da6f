//! Lambda entry point: each request of the users API (Lambda proxy integration) goes to `custom_domain_users::handle`.

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayProxyRequest>| async move {
            let response = custom_domain_users::handle(&event.payload);
            tracing::info!(
                path = event.payload.path.as_deref().unwrap_or(""),
                status = response.status_code,
                "handled request"
            );
            Ok::<_, Error>(response)
        },
    ))
    .await
}
