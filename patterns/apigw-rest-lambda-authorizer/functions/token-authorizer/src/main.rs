//! Lambda entry point: each authorization request of the REST API's TOKEN authorizer goes to
//! `rest_token_authorizer::handle`.

use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayCustomAuthorizerRequest>| async move {
            let outcome = rest_token_authorizer::handle(&event.payload, &event.context.request_id);
            tracing::info!(
                method_arn = event.payload.method_arn.as_deref().unwrap_or(""),
                authorized = outcome.is_ok(),
                "authorizer invoked"
            );
            outcome.map_err(Error::from)
        },
    ))
    .await
}
