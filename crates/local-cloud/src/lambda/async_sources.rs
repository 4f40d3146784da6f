//! The invocations AWS services make asynchronously (S3 notifications, SNS subscriptions, EventBridge rule
//! targets), which the launcher sends to `POST /_local/lambda/async/{function arn}` naming the source: as on
//! AWS, the function's resource policy must let that service principal in for that source (a
//! `lambda:InvokeFunction` permission, with its `SourceArn`/`SourceAccount` conditions), else nothing runs and
//! the daemon's log says why; an allowed event goes on the function's queue ([`super::async_queue`]).

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};

use super::{
    FunctionRef,
    async_queue::{self, AsyncEvent},
    policy,
};
use crate::{SharedCloud, contract::routes, edge::json_response};

/// The answer to the launcher: 202 (queued, `x-amzn-requestid` the event's request id), 403 (the source may not
/// invoke the function), 400 (a malformed call) or 502 (the policy could not be read).
pub async fn invoke_from_source(
    cloud: &SharedCloud,
    function: &str,
    headers: &HeaderMap,
    payload: Bytes,
) -> Response<Bytes> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(principal) = header(routes::SOURCE_PRINCIPAL) else {
        let msg = format!("{} is required", routes::SOURCE_PRINCIPAL);
        return error(StatusCode::BAD_REQUEST, "ValidationException", &msg);
    };
    if let Err(e) = FunctionRef::parse(function) {
        return error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            &format!("{e:#}"),
        );
    }
    let caller = policy::Caller {
        principal,
        source_arn: header(routes::SOURCE_ARN),
        source_account: header(routes::SOURCE_ACCOUNT),
    };
    let source = match caller.source_arn {
        Some(arn) => format!("{principal} for {arn}"),
        None => principal.to_owned(),
    };
    match policy::may_invoke(cloud, function, &caller).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(
                function,
                "{source} may not invoke the function: its resource policy has no lambda:InvokeFunction \
                 permission for {principal} and this source (add an aws_lambda_permission / \
                 AWS::Lambda::Permission); not invoked, as on AWS"
            );
            let msg = format!("{principal} is not authorized to invoke {function}");
            return error(StatusCode::FORBIDDEN, "AccessDeniedException", &msg);
        }
        Err(e) => {
            tracing::error!(function, "an event from {source}: {e:#}");
            return error(
                StatusCode::BAD_GATEWAY,
                "ServiceException",
                &format!("{e:#}"),
            );
        }
    }
    let event = AsyncEvent::new(function, payload, source);
    let request_id = event.request_id.clone();
    match async_queue::enqueue(cloud, event) {
        Ok(()) => Response::builder()
            .status(StatusCode::ACCEPTED)
            .header("x-amzn-requestid", request_id)
            .body(Bytes::new())
            .expect("valid response parts"),
        Err(e) => error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            &format!("{e:#}"),
        ),
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    json_response(
        status,
        &serde_json::json!({"__type": code, "message": message}),
    )
}
