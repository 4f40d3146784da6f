//! API Gateway's own error responses (bodies, status codes and `x-amzn-ErrorType` as AWS sends them).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

fn error(
    status: StatusCode,
    body: &'static str,
    error_type: Option<&'static str>,
) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from_static(body.as_bytes()));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(t) = error_type {
        h.insert("x-amzn-errortype", HeaderValue::from_static(t));
    }
    resp
}

/// 403: no resource/method matches (API Gateway's answer instead of a 404), or an unsigned request to an
/// `AWS_IAM` method.
pub fn missing_authentication_token() -> Response<Bytes> {
    error(
        StatusCode::FORBIDDEN,
        r#"{"message":"Missing Authentication Token"}"#,
        Some("MissingAuthenticationTokenException"),
    )
}

/// 403: unknown API, unknown stage, or a missing API key.
pub fn forbidden() -> Response<Bytes> {
    error(
        StatusCode::FORBIDDEN,
        r#"{"message":"Forbidden"}"#,
        Some("ForbiddenException"),
    )
}

/// 500: a configuration error (missing invoke permission, bad integration URI, unreachable VPC link, ...).
pub fn internal_server_error() -> Response<Bytes> {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"message": "Internal server error"}"#,
        Some("InternalServerErrorException"),
    )
}

/// 502: the Lambda function failed or returned a malformed proxy response.
pub fn bad_gateway() -> Response<Bytes> {
    error(
        StatusCode::BAD_GATEWAY,
        r#"{"message": "Internal server error"}"#,
        None,
    )
}

/// 504: the integration did not answer within `timeoutInMillis`.
pub fn endpoint_timed_out() -> Response<Bytes> {
    error(
        StatusCode::GATEWAY_TIMEOUT,
        r#"{"message": "Endpoint request timed out"}"#,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let r = missing_authentication_token();
        assert_eq!(r.status(), 403);
        assert_eq!(
            r.headers()["x-amzn-ErrorType"],
            "MissingAuthenticationTokenException"
        );
        assert_eq!(r.headers()["content-type"], "application/json");
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["message"], "Missing Authentication Token");
        for (r, status, message) in [
            (forbidden(), 403, "Forbidden"),
            (internal_server_error(), 500, "Internal server error"),
            (bad_gateway(), 502, "Internal server error"),
            (endpoint_timed_out(), 504, "Endpoint request timed out"),
        ] {
            assert_eq!(r.status(), status);
            let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
            assert_eq!(v["message"], message);
        }
    }
}
