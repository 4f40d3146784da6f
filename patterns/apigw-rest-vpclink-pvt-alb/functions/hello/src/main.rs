//! Lambda entry point: wires the pure router in `handler` to the Lambda runtime.
//!
//! Everything about requests and responses lives in `handler`; this file only starts logging and the runtime loop.

mod handler;

use lambda_http::{Error, Request, RequestExt, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    lambda_http::run(service_fn(|request: Request| async move {
        let response = handler::handle(&request);
        tracing::info!(
            method = %request.method(),
            path = request.raw_http_path(),
            status = response.status().as_u16(),
            "handled request"
        );
        Ok::<_, Error>(response)
    }))
    .await
}
