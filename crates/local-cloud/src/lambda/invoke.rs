//! The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) answered as AWS does (`Event` goes on
//! the function's asynchronous queue), and the launcher's `POST /_local/lambda/invoke/{arn}` (the synchronous
//! invocations moto makes), both run by our Lambda runtime.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use crate::{
    SharedCloud,
    config::ACCOUNT_ID,
    edge::json_response,
    lambda::{
        FunctionNotFound, FunctionRef, Invocation, InvokeOptions,
        async_queue::{self, AsyncEvent},
    },
};

/// The function an Invoke API call names.
#[derive(Debug, PartialEq)]
pub struct InvokeTarget {
    /// Name, partial ARN or ARN, percent-decoded.
    pub function: String,
    /// The `Qualifier` query parameter.
    pub qualifier: Option<String>,
}

/// `Some` when `req` is a Lambda Invoke API call.
pub fn invoke_api_target(req: &Request<Bytes>) -> Option<InvokeTarget> {
    if req.method() != Method::POST {
        return None;
    }
    let name = req
        .uri()
        .path()
        .strip_prefix("/2015-03-31/functions/")?
        .strip_suffix("/invocations")?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let qualifier = req
        .uri()
        .query()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == "Qualifier").then(|| crate::shared::url::percent_decode(v))
        });
    Some(InvokeTarget {
        function: crate::shared::url::percent_decode(name),
        qualifier,
    })
}

/// Answers an Invoke API call: RequestResponse (200), Event (202, run in the background), DryRun (204).
pub async fn invoke_api(
    cloud: &SharedCloud,
    req: &Request<Bytes>,
    target: InvokeTarget,
) -> Response<Bytes> {
    let invocation_type = header(req, "x-amz-invocation-type").unwrap_or("RequestResponse");
    if !matches!(invocation_type, "RequestResponse" | "Event" | "DryRun") {
        let msg = format!(
            "1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy \
             constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
        );
        return aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            &msg,
        );
    }
    let function = match &target.qualifier {
        Some(q) => format!("{}:{q}", target.function),
        None => target.function.clone(),
    };
    if let Err(e) = FunctionRef::parse(&function) {
        return aws_error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            &format!("{e:#}"),
        );
    }
    let client_context = match header(req, "x-amz-client-context").map(decode_client_context) {
        None => None,
        Some(Some(context)) => Some(context),
        Some(None) => {
            let msg = "Client context must be a valid Base64-encoded JSON object.";
            return aws_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                msg,
            );
        }
    };
    if invocation_type != "RequestResponse" {
        // Nothing runs before the answer, so check here that the function exists.
        if let Err(resp) = require_function(cloud, &target).await {
            return resp;
        }
        if invocation_type == "DryRun" {
            return status_only(StatusCode::NO_CONTENT);
        }
        // On the function's queue, run (and retried) as AWS runs asynchronous events; the answer carries the
        // request id the function will see.
        let mut event = AsyncEvent::new(&function, req.body().clone(), "the Invoke API");
        event.client_context = client_context;
        let request_id = event.request_id.clone();
        if let Err(e) = async_queue::enqueue(cloud, event) {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                &format!("{e:#}"),
            );
        }
        let mut resp = status_only(StatusCode::ACCEPTED);
        resp.headers_mut().insert(
            "x-amzn-requestid",
            request_id.parse().expect("a uuid is a valid header value"),
        );
        return resp;
    }
    let options = InvokeOptions {
        client_context,
        ..InvokeOptions::default()
    };
    match cloud
        .lambda
        .invoke_detailed(&function, req.body().clone(), options)
        .await
    {
        Ok(out) => {
            let tail = header(req, "x-amz-log-type") == Some("Tail");
            let log_result = tail.then(|| out.log_result());
            invocation_response(
                out.invocation,
                &out.executed_version,
                &out.request_id,
                log_result,
            )
        }
        Err(e) => match e.downcast_ref::<FunctionNotFound>() {
            Some(nf) => aws_error(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                &nf.to_string(),
            ),
            None => aws_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceException",
                &format!("{e:#}"),
            ),
        },
    }
}

/// Checks with GetFunction that the target exists; the error is the API's answer.
async fn require_function(
    cloud: &SharedCloud,
    target: &InvokeTarget,
) -> Result<(), Response<Bytes>> {
    let found = cloud
        .aws
        .lambda
        .get_function()
        .function_name(&target.function)
        .set_qualifier(target.qualifier.clone())
        .send()
        .await;
    match found {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            let msg = format!("Function not found: {}", function_arn(cloud, target));
            Err(aws_error(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                &msg,
            ))
        }
        Err(e) => {
            let e = aws_sdk_lambda::error::DisplayErrorContext(e);
            let msg = format!("looking up {} in moto: {e}", target.function);
            Err(aws_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceException",
                &msg,
            ))
        }
    }
}

/// `X-Amz-Client-Context`: base64 of a JSON object; `None` when it is not.
fn decode_client_context(value: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()?
        .is_object()
        .then_some(text)
}

/// Answers the launcher: the raw payload, `X-Amz-Function-Error` on a function error, 404/502 when the
/// runtime could not run the function at all (the launcher reports those as an unhandled error).
pub async fn local_invoke(cloud: &SharedCloud, arn: &str, payload: Bytes) -> Response<Bytes> {
    match cloud
        .lambda
        .invoke_detailed(arn, payload, InvokeOptions::default())
        .await
    {
        Ok(out) => {
            invocation_response(out.invocation, &out.executed_version, &out.request_id, None)
        }
        Err(e) => {
            tracing::error!(arn, "invocation from moto: {e:#}");
            let (status, error_type) = match e.downcast_ref::<FunctionNotFound>() {
                Some(_) => (StatusCode::NOT_FOUND, "ResourceNotFoundException"),
                None => (StatusCode::BAD_GATEWAY, "LocalCloudError"),
            };
            let body =
                serde_json::json!({"errorMessage": format!("{e:#}"), "errorType": error_type});
            json_response(status, &body)
        }
    }
}

fn invocation_response(
    inv: Invocation,
    executed_version: &str,
    request_id: &str,
    log_result: Option<String>,
) -> Response<Bytes> {
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("x-amz-executed-version", executed_version)
        .header("x-amzn-requestid", request_id);
    if let Some(log_result) = log_result {
        builder = builder.header("x-amz-log-result", log_result);
    }
    let (builder, payload) = match inv {
        Invocation::Ok(payload) => (builder, payload),
        Invocation::FunctionError { payload, .. } => {
            (builder.header("x-amz-function-error", "Unhandled"), payload)
        }
    };
    builder.body(payload).expect("valid response parts")
}

/// The ARN AWS names in "Function not found" (a bare name is completed with our region and account).
fn function_arn(cloud: &SharedCloud, target: &InvokeTarget) -> String {
    let base = if target.function.starts_with("arn:") {
        target.function.clone()
    } else {
        format!(
            "arn:aws:lambda:{}:{ACCOUNT_ID}:function:{}",
            cloud.config.region, target.function
        )
    };
    match &target.qualifier {
        Some(q) if !base.ends_with(&format!(":{q}")) => format!("{base}:{q}"),
        _ => base,
    }
}

/// An AWS JSON error, as the SDKs parse it (`X-Amzn-ErrorType` plus `__type`/`message`).
fn aws_error(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    let mut resp = json_response(
        status,
        &serde_json::json!({"__type": code, "message": message, "Type": "User"}),
    );
    resp.headers_mut().insert(
        "x-amzn-errortype",
        code.parse().expect("error codes are ASCII"),
    );
    resp
}

fn status_only(status: StatusCode) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("x-amzn-requestid", uuid::Uuid::new_v4().to_string())
        .body(Bytes::new())
        .expect("valid response parts")
}

fn header<'a>(req: &'a Request<Bytes>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, uri: &str) -> Request<Bytes> {
        Request::builder()
            .method(method)
            .uri(uri)
            .body(Bytes::new())
            .unwrap()
    }

    #[test]
    fn recognises_invoke_calls_by_name_and_arn() {
        let t = invoke_api_target(&req(
            Method::POST,
            "/2015-03-31/functions/my-fn/invocations",
        ))
        .unwrap();
        assert_eq!(
            t,
            InvokeTarget {
                function: "my-fn".into(),
                qualifier: None
            }
        );
        let t = invoke_api_target(&req(
            Method::POST,
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations?Qualifier=live",
        ))
        .unwrap();
        assert_eq!(
            t.function,
            "arn:aws:lambda:us-east-1:123456789012:function:f"
        );
        assert_eq!(t.qualifier.as_deref(), Some("live"));
    }

    #[test]
    fn leaves_other_lambda_calls_to_moto() {
        assert!(
            invoke_api_target(&req(Method::GET, "/2015-03-31/functions/f/invocations")).is_none()
        );
        assert!(invoke_api_target(&req(Method::POST, "/2015-03-31/functions/f")).is_none());
        assert!(invoke_api_target(&req(Method::POST, "/2015-03-31/functions/f/policy")).is_none());
    }

    #[test]
    fn client_context_must_be_base64_json_object() {
        assert_eq!(
            decode_client_context("eyJhIjoxfQ==").as_deref(),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(
            decode_client_context("WzFd"),
            None,
            "a JSON array is refused"
        );
        assert_eq!(decode_client_context("not base64!"), None);
    }
}
