//! The single-page app's API, on API Gateway's payload format 2.0, reached through CloudFront's `/api/*`
//! behaviour (the same origin as the page, so the browser sends no CORS preflight): `GET /api/orders/{id}`
//! answers an order, every other `/api/...` path a JSON 404.

use aws_lambda_events::{
    apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse},
    encodings::Body,
    http::{HeaderMap, HeaderValue, header},
};
use serde_json::{Value, json};

/// Answers one request by its route key (`METHOD /path` as declared on the API).
pub fn handle(request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    match request.route_key.as_deref() {
        Some("GET /api/orders/{id}") => order(request),
        _ => json_response(
            404,
            &json!({
                "error": "no such route",
                "path": request.raw_path.as_deref().unwrap_or("/"),
            }),
        ),
    }
}

fn order(request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    // API Gateway has decoded the path parameter already.
    let id = request.path_parameters.get("id").map_or("", String::as_str);
    if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return json_response(
            400,
            &json!({ "error": "an order id is 1 to 32 letters or digits" }),
        );
    }
    // A stand-in for a real store: the same order for the same id.
    let status = ["received", "packed", "shipped", "delivered"][id.len() % 4];
    json_response(
        200,
        &json!({
            "id": id,
            "status": status,
            "items": [
                { "name": "Rust in Action", "quantity": 1 },
                { "name": "Ferris plush", "quantity": id.len() },
            ],
        }),
    )
}

fn json_response(status: i64, body: &Value) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Answers depend on the request: no shared cache may keep them (CloudFront's API behaviour caches nothing).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response
}
