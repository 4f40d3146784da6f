//! The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) answered as AWS does, and the
//! launcher's `POST /_local/lambda/invoke/{arn}` (invocations moto makes), both run by our Lambda runtime.

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use crate::{SharedCloud, config::ACCOUNT_ID, edge::json_response, lambda::Invocation};

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
    let name = req.uri().path().strip_prefix("/2015-03-31/functions/")?.strip_suffix("/invocations")?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let qualifier = req.uri().query().into_iter().flat_map(|q| q.split('&')).find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "Qualifier").then(|| percent_decode(v))
    });
    Some(InvokeTarget { function: percent_decode(name), qualifier })
}

/// Answers an Invoke API call: RequestResponse (200), Event (202, run in the background), DryRun (204).
pub async fn invoke_api(cloud: &SharedCloud, req: &Request<Bytes>, target: InvokeTarget) -> Response<Bytes> {
    let invocation_type = header(req, "x-amz-invocation-type").unwrap_or("RequestResponse");
    if !matches!(invocation_type, "RequestResponse" | "Event" | "DryRun") {
        let msg = format!("1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]");
        return aws_error(StatusCode::BAD_REQUEST, "InvalidParameterValueException", &msg);
    }
    let executed_version = match cloud
        .aws
        .lambda
        .get_function()
        .function_name(&target.function)
        .set_qualifier(target.qualifier.clone())
        .send()
        .await
    {
        Ok(f) => f.configuration.and_then(|c| c.version).unwrap_or_else(|| "$LATEST".into()),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => {
            let msg = format!("Function not found: {}", function_arn(cloud, &target));
            return aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &msg);
        }
        Err(e) => {
            let msg = format!("looking up {} in moto: {}", target.function, aws_sdk_lambda::error::DisplayErrorContext(e));
            return aws_error(StatusCode::INTERNAL_SERVER_ERROR, "ServiceException", &msg);
        }
    };
    let function = match &target.qualifier {
        Some(q) => format!("{}:{q}", target.function),
        None => target.function.clone(),
    };
    match invocation_type {
        "DryRun" => status_only(StatusCode::NO_CONTENT),
        "Event" => {
            let (cloud, payload) = (cloud.clone(), req.body().clone());
            tokio::spawn(async move {
                match cloud.lambda.invoke(&function, payload).await {
                    Ok(Invocation::Ok(_)) => {}
                    Ok(Invocation::FunctionError { error_type, .. }) => {
                        tracing::warn!(function, error_type, "asynchronous invocation failed")
                    }
                    Err(e) => tracing::error!(function, "asynchronous invocation: {e:#}"),
                }
            });
            status_only(StatusCode::ACCEPTED)
        }
        _ => match cloud.lambda.invoke(&function, req.body().clone()).await {
            Ok(inv) => invocation_response(inv, &executed_version),
            Err(e) => aws_error(StatusCode::INTERNAL_SERVER_ERROR, "ServiceException", &format!("{e:#}")),
        },
    }
}

/// Answers the launcher: the raw payload, `X-Amz-Function-Error` on a function error, 502 when the
/// runtime could not run the function at all.
pub async fn local_invoke(cloud: &SharedCloud, arn: &str, payload: Bytes) -> Response<Bytes> {
    match cloud.lambda.invoke(arn, payload).await {
        Ok(inv) => invocation_response(inv, "$LATEST"),
        Err(e) => {
            tracing::error!(arn, "invocation from moto: {e:#}");
            let body = serde_json::json!({"errorMessage": format!("{e:#}"), "errorType": "LocalCloudError"});
            json_response(StatusCode::BAD_GATEWAY, &body)
        }
    }
}

fn invocation_response(inv: Invocation, executed_version: &str) -> Response<Bytes> {
    let builder = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("x-amz-executed-version", executed_version)
        .header("x-amzn-requestid", uuid::Uuid::new_v4().to_string());
    let (builder, payload) = match inv {
        Invocation::Ok(payload) => (builder, payload),
        Invocation::FunctionError { payload, .. } => (builder.header("x-amz-function-error", "Unhandled"), payload),
    };
    builder.body(payload).expect("valid response parts")
}

/// The ARN AWS names in "Function not found" (a bare name is completed with our region and account).
fn function_arn(cloud: &SharedCloud, target: &InvokeTarget) -> String {
    let base = if target.function.starts_with("arn:") {
        target.function.clone()
    } else {
        format!("arn:aws:lambda:{}:{ACCOUNT_ID}:function:{}", cloud.config.region, target.function)
    };
    match &target.qualifier {
        Some(q) if !base.ends_with(&format!(":{q}")) => format!("{base}:{q}"),
        _ => base,
    }
}

/// An AWS JSON error, as the SDKs parse it (`X-Amzn-ErrorType` plus `__type`/`message`).
fn aws_error(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    let mut resp = json_response(status, &serde_json::json!({"__type": code, "message": message, "Type": "User"}));
    resp.headers_mut().insert("x-amzn-errortype", code.parse().expect("error codes are ASCII"));
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

/// Decodes `%XX` escapes (function names in paths may be URL-encoded ARNs); other bytes pass through.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (bytes.get(i + 1).and_then(|&b| hex(b)), bytes.get(i + 2).and_then(|&b| hex(b)))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, uri: &str) -> Request<Bytes> {
        Request::builder().method(method).uri(uri).body(Bytes::new()).unwrap()
    }

    #[test]
    fn recognises_invoke_calls_by_name_and_arn() {
        let t = invoke_api_target(&req(Method::POST, "/2015-03-31/functions/my-fn/invocations")).unwrap();
        assert_eq!(t, InvokeTarget { function: "my-fn".into(), qualifier: None });
        let t = invoke_api_target(&req(
            Method::POST,
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations?Qualifier=live",
        ))
        .unwrap();
        assert_eq!(t.function, "arn:aws:lambda:us-east-1:123456789012:function:f");
        assert_eq!(t.qualifier.as_deref(), Some("live"));
    }

    #[test]
    fn leaves_other_lambda_calls_to_moto() {
        assert!(invoke_api_target(&req(Method::GET, "/2015-03-31/functions/f/invocations")).is_none());
        assert!(invoke_api_target(&req(Method::POST, "/2015-03-31/functions/f")).is_none());
        assert!(invoke_api_target(&req(Method::POST, "/2015-03-31/functions/f/policy")).is_none());
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%3Ab%2"), "a:b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
