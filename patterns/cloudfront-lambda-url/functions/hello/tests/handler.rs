//! The handler on function URL events as Lambda sends them when CloudFront (Origin Access Control) calls.

use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use serde_json::Value;

fn event(name: &str) -> LambdaFunctionUrlRequest {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn body(response: &aws_lambda_events::lambda_function_urls::LambdaFunctionUrlResponse) -> Value {
    serde_json::from_str(response.body.as_deref().unwrap()).unwrap()
}

#[test]
fn get_hello_greets_by_the_query_name() {
    let response = cf_url_hello::handle(&event("function-url-get-hello.json"));
    assert_eq!(response.status_code, 200);
    assert_eq!(response.headers["content-type"], "application/json");
    assert_eq!(response.headers["cache-control"], "no-store");
    let body = body(&response);
    assert_eq!(body["message"], "Hello, Ada!");
    assert_eq!(
        body["domain"],
        "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
    );
}

#[test]
fn without_a_name_it_greets_the_world() {
    let mut e = event("function-url-get-hello.json");
    e.query_string_parameters.clear();
    assert_eq!(body(&cf_url_hello::handle(&e))["message"], "Hello, world!");
}

#[test]
fn other_methods_and_paths_are_not_found() {
    let response = cf_url_hello::handle(&event("function-url-post-unknown.json"));
    assert_eq!(response.status_code, 404);
    assert_eq!(
        body(&response),
        serde_json::json!({"error": "no such route", "path": "/admin"})
    );
}
