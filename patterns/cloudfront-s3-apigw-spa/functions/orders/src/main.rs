//! Lambda entry point: each HTTP API request (payload format 2.0) goes to `spa_orders_api::handle`.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            let response = spa_orders_api::handle(&event.payload);
            tracing::info!(
                route = event.payload.route_key.as_deref().unwrap_or(""),
                status = response.status_code,
                "handled request"
            );
            Ok::<_, Error>(response)
        },
    ))
    .await
}
