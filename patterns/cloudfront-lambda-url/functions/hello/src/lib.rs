//! The function behind the URL: `GET /hello?name=x` greets, anything else is a 404. CloudFront is the only caller
//! (its Origin Access Control signs each request), so the function itself checks nothing about who calls.

use aws_lambda_events::{
    http::{HeaderMap, HeaderValue, header},
    lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse},
};
use serde_json::{Value, json};

/// The answer to one request.
pub fn handle(event: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
    let method = event.request_context.http.method.as_deref().unwrap_or("");
    let path = event.raw_path.as_deref().unwrap_or("/");
    match (method, path) {
        ("GET", "/hello") => {
            let name = event
                .query_string_parameters
                .get("name")
                .map(String::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or("world");
            json_response(
                200,
                &json!({
                    "message": format!("Hello, {name}!"),
                    // The URL's own domain: CloudFront sends it as the origin's host.
                    "domain": event.request_context.domain_name,
                }),
            )
        }
        _ => json_response(404, &json!({ "error": "no such route", "path": path })),
    }
}

fn json_response(status: i64, body: &Value) -> LambdaFunctionUrlResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Answers differ per caller and query: never kept by a cache on the way.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(body.to_string());
    response
}
