//! HTTP APIs' own answers (they differ from REST APIs': `Not Found` rather than `Missing Authentication
//! Token`, `Internal Server Error` with capitals, no gateway responses to customise).

use bytes::Bytes;
use http::{Response, StatusCode};

use crate::edge::json_response;

fn message(status: StatusCode, text: &str) -> Response<Bytes> {
    json_response(status, &serde_json::json!({"message": text}))
}

/// No stage or no route matches (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
pub fn not_found() -> Response<Bytes> {
    message(StatusCode::NOT_FOUND, "Not Found")
}

/// The integration failed: a function error, a malformed response, a missing invoke permission.
pub fn internal_server_error() -> Response<Bytes> {
    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// The integration did not answer within its timeout (at most 30 s for HTTP APIs).
pub fn service_unavailable() -> Response<Bytes> {
    message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
}

/// A JWT authorizer refused the request (no token, or a bad one).
pub fn unauthorized() -> Response<Bytes> {
    message(StatusCode::UNAUTHORIZED, "Unauthorized")
}

/// A JWT authorizer accepted the token but it lacks the route's scopes.
pub fn forbidden() -> Response<Bytes> {
    message(StatusCode::FORBIDDEN, "Forbidden")
}
