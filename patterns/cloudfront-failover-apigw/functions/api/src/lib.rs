//! One HTTP API request (payload format 2.0) to an origin of the failover pair: `GET /hello` answers with the
//! origin's role, or 503 while the primary's maintenance switch is on; `PUT /maintenance` (`{"failing": true}`) sets
//! the switch, on the primary only (the secondary has none and answers 404).

pub mod aws;

use std::future::Future;

use aws_lambda_events::{
    apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse},
    encodings::Body,
    http::{HeaderMap, HeaderValue, header},
};
use serde_json::{Value, json};

/// Where the primary keeps its maintenance switch.
pub trait Switch {
    fn failing(&self) -> impl Future<Output = anyhow::Result<bool>> + Send;
    fn set_failing(&self, failing: bool) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The answer to one request to the origin `role` (`primary`, `secondary`); `switch` is the primary's.
pub async fn handle<S: Switch + Sync>(
    role: &str,
    switch: Option<&S>,
    event: &ApiGatewayV2httpRequest,
) -> anyhow::Result<ApiGatewayV2httpResponse> {
    let method = event.request_context.http.method.as_str();
    let path = event.raw_path.as_deref().unwrap_or("/");
    Ok(match (method, path, switch) {
        ("GET", "/hello", switch) => {
            let failing = match switch {
                Some(s) => s.failing().await?,
                None => false,
            };
            if failing {
                json_response(503, &json!({ "error": "in maintenance", "origin": role }))
            } else {
                json_response(
                    200,
                    &json!({ "origin": role, "message": format!("Hello from the {role} origin") }),
                )
            }
        }
        ("PUT", "/maintenance", Some(switch)) => {
            let Some(failing) = event
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .and_then(|b| b.get("failing").and_then(Value::as_bool))
            else {
                return Ok(json_response(
                    400,
                    &json!({ "error": "the body must be {\"failing\": true|false}" }),
                ));
            };
            switch.set_failing(failing).await?;
            json_response(200, &json!({ "origin": role, "failing": failing }))
        }
        _ => json_response(404, &json!({ "error": "no such route", "path": path })),
    })
}

fn json_response(status: i64, body: &Value) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Never kept by a cache: the answer shows which origin served it, now.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response
}
