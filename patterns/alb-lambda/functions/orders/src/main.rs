//! The orders function: the target of a target group with multi-value headers on, so a repeated query key
//! arrives as a list (`multiValueQueryStringParameters`) and the answer's headers go in `multiValueHeaders`.

use aws_lambda_events::alb::{AlbTargetGroupRequest, AlbTargetGroupResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header::CONTENT_TYPE};
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

/// Answers with what the load balancer sent: the path and every value of every query key.
fn handle(request: &AlbTargetGroupRequest) -> AlbTargetGroupResponse {
    let mut query = serde_json::Map::new();
    for (key, value) in request.multi_value_query_string_parameters.iter() {
        let values = query.entry(key).or_insert_with(|| json!([]));
        values.as_array_mut().expect("a list").push(json!(value));
    }
    let body = json!({ "function": "orders", "path": request.path, "query": query });
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut response = AlbTargetGroupResponse::default();
    response.status_code = 200;
    response.status_description = Some("200 OK".to_owned());
    response.multi_value_headers = headers;
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
    fn every_value_of_a_repeated_key_is_answered_in_multi_value_headers() {
        let response = handle(&fixture("alb-multi-value.json"));
        assert_eq!(response.status_code, 200);
        assert!(response.headers.is_empty());
        assert_eq!(
            response.multi_value_headers[CONTENT_TYPE],
            "application/json"
        );
        let Some(Body::Text(body)) = response.body else {
            panic!("a text body")
        };
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            json!({ "function": "orders", "path": "/orders", "query": { "tag": ["a", "b"] } })
        );
    }
}
