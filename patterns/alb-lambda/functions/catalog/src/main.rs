//! The catalog function: the target of a target group with multi-value headers off (the default), so a repeated
//! query key arrives once, with the last value (`queryStringParameters`), and the answer's headers go in `headers`.

use aws_lambda_events::alb::{AlbTargetGroupRequest, AlbTargetGroupResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header::CONTENT_TYPE, header::HOST};
use lambda_runtime::{Error, LambdaEvent, service_fn, tracing};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<AlbTargetGroupRequest>| async move {
            Ok::<_, Error>(handle(&event.payload))
        },
    ))
    .await
}

/// Answers with what the load balancer sent: the host, the path and the query.
fn handle(request: &AlbTargetGroupRequest) -> AlbTargetGroupResponse {
    let query: serde_json::Map<_, _> = request
        .query_string_parameters
        .iter()
        .map(|(key, value)| (key.to_owned(), json!(value)))
        .collect();
    let host = request.headers.get(HOST).and_then(|h| h.to_str().ok());
    let body = json!({ "function": "catalog", "host": host, "path": request.path, "query": query });
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut response = AlbTargetGroupResponse::default();
    response.status_code = 200;
    response.status_description = Some("200 OK".to_owned());
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> AlbTargetGroupRequest {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_host_path_and_single_query_values_are_answered_in_headers() {
        let response = handle(&fixture("alb-single-value.json"));
        assert_eq!(response.status_code, 200);
        assert!(response.multi_value_headers.is_empty());
        assert_eq!(response.headers[CONTENT_TYPE], "application/json");
        let Some(Body::Text(body)) = response.body else {
            panic!("a text body")
        };
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            json!({ "function": "catalog", "host": "catalog.example.com", "path": "/", "query": { "tag": "b" } })
        );
    }
}
