//! Lambda on the edge: the Invoke API, the invocations moto makes and the `/_local/lambda/...` routes
//! ([`crate::contract::routes`]), and what a Lambda write makes stale.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use super::{async_sources, invoke};
use crate::{
    SharedCloud,
    contract::routes,
    edge::json_response,
    service::{Handled, Service, Write},
    shared::url::percent_decode,
};

/// The Lambda service as the edge sees it.
pub const SERVICE: Service = Service {
    name: "lambda",
    handle,
    written,
};

fn handle(cloud: &SharedCloud, req: Request<Bytes>) -> Handled<'_> {
    Box::pin(serve(cloud, req))
}

async fn serve(
    cloud: &SharedCloud,
    req: Request<Bytes>,
) -> Result<Response<Bytes>, Request<Bytes>> {
    if let Some(target) = invoke::invoke_api_target(&req) {
        return Ok(invoke::invoke_api(cloud, &req, target).await);
    }
    let path = req.uri().path();
    let method = req.method();
    if let Some(arn) = routes::parse_lambda_invoke(path)
        && method == Method::POST
    {
        let arn = percent_decode(arn);
        return Ok(invoke::local_invoke(cloud, &arn, req.body().clone()).await);
    }
    if let Some(arn) = routes::parse_lambda_invoke_async(path)
        && method == Method::POST
    {
        let (arn, body) = (percent_decode(arn), req.body().clone());
        return Ok(async_sources::invoke_from_source(cloud, &arn, req.headers(), body).await);
    }
    if let Some(function) = routes::parse_lambda_instances(path)
        && method == Method::DELETE
    {
        // The next invocation is a cold start (`cargo xtask bench`).
        return Ok(
            match cloud.lambda.stop_idle_instances(&percent_decode(function)) {
                Ok(stopped) => {
                    json_response(StatusCode::OK, &serde_json::json!({ "stopped": stopped }))
                }
                Err(err) => json_response(
                    StatusCode::BAD_REQUEST,
                    &serde_json::json!({ "message": format!("{err:#}") }),
                ),
            },
        );
    }
    if path == routes::LAMBDA_LOGS_FLUSH && method == Method::POST {
        // Before a stack deletes its log groups, so late lines do not create them again.
        cloud.lambda.flush_logs().await;
        return Ok(json_response(
            StatusCode::OK,
            &serde_json::json!({ "flushed": true }),
        ));
    }
    Err(req)
}

/// Lambda and CloudFormation writes: resource policies and function configurations are read again; a
/// deleted function's instances stop.
fn written(cloud: &SharedCloud, write: &Write<'_>) {
    if !write.touches(&["lambda"]) {
        return;
    }
    cloud.lambda.policies.generation.bump();
    cloud.lambda.invalidate();
    if *write.method == Method::DELETE
        && write.status.is_success()
        && let Some(function) = deleted_function(write.path)
    {
        cloud.lambda.forget(&function);
    }
}

/// The function a `DeleteFunction` call (`DELETE /2015-03-31/functions/{name}`) deletes.
fn deleted_function(path: &str) -> Option<String> {
    let name = path
        .strip_prefix("/2015-03-31/functions/")?
        .trim_end_matches('/');
    (!name.is_empty() && !name.contains('/')).then(|| percent_decode(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delete_function_call_names_its_function() {
        assert_eq!(
            deleted_function(
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af"
            ),
            Some("arn:aws:lambda:us-east-1:1:function:f".to_owned())
        );
        assert_eq!(deleted_function("/2015-03-31/functions/f/policy/s1"), None);
        assert_eq!(deleted_function("/2015-03-31/functions/"), None);
    }
}
