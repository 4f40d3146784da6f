//! The API's routes, on API Gateway's payload format 2.0: `GET /hello/{name}` (public), `POST /messages`
//! (behind the JWT authorizer: API Gateway has checked the token, its claims are in the request context) and
//! the `$default` route for everything else.

use aws_lambda_events::{
    apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse},
    encodings::Body,
    http::{HeaderMap, HeaderValue, header::CONTENT_TYPE},
};
use serde::Deserialize;
use serde_json::{Value, json};

/// The longest message text accepted, in characters.
pub const MAX_TEXT: usize = 280;

/// Answers one request by its route key (`METHOD /path` as declared on the API, or `$default`).
pub fn handle(request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    match request.route_key.as_deref() {
        Some("GET /hello/{name}") => hello(request),
        Some("POST /messages") => post_message(request),
        _ => json_response(
            404,
            &json!({
                "error": "no such route",
                "method": request.request_context.http.method.as_str(),
                "path": request.raw_path.as_deref().unwrap_or("/"),
            }),
        ),
    }
}

fn hello(request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    // API Gateway has decoded the path parameter already.
    let name = request
        .path_parameters
        .get("name")
        .map_or("world", String::as_str);
    json_response(200, &json!({ "message": format!("Hello, {name}!") }))
}

#[derive(Deserialize)]
struct NewMessage {
    text: String,
}

fn post_message(request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    // The JWT authorizer ran before us: its claims name the signed-in user.
    let claims = &request
        .request_context
        .authorizer
        .as_ref()
        .and_then(|a| a.jwt.as_ref());
    let Some(author) = claims.and_then(|jwt| {
        jwt.claims
            .get("cognito:username")
            .or_else(|| jwt.claims.get("username"))
            .or_else(|| jwt.claims.get("sub"))
    }) else {
        // Only reachable if the route lost its authorizer: never trust an anonymous write.
        return json_response(401, &json!({ "error": "no signed-in user" }));
    };
    let body = match body_text(request) {
        Ok(body) => body,
        Err(why) => return bad_request("body", &why),
    };
    let message: NewMessage = match serde_json::from_str(&body) {
        Ok(m) => m,
        Err(e) => return bad_request("body", &format!("expected {{\"text\": \"...\"}}: {e}")),
    };
    let text = message.text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return bad_request(
            "text",
            &format!("text must have 1 to {MAX_TEXT} characters"),
        );
    }
    json_response(
        201,
        &json!({
            "author": author,
            "text": text,
            "receivedAt": request.request_context.time_epoch,
        }),
    )
}

/// The request body as text (HTTP APIs base64-encode bodies that are not text).
fn body_text(request: &ApiGatewayV2httpRequest) -> Result<String, String> {
    let body = request.body.as_deref().unwrap_or_default();
    if !request.is_base64_encoded {
        return Ok(body.to_owned());
    }
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| format!("the body is not valid base64: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "the body is not UTF-8 text".to_owned())
}

fn bad_request(field: &str, error: &str) -> ApiGatewayV2httpResponse {
    json_response(400, &json!({ "error": error, "field": field }))
}

fn json_response(status: i64, body: &Value) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response
}
