//! The users service on a REST proxy event as API Gateway sends it through the custom domain
//! (`tests/fixtures/custom-domain-get-request.json`: AWS's example event shipped with aws_lambda_events, as a
//! `GET https://api.example.com/users/ada`: route `/{id}`, the base path kept in `path`).

use aws_lambda_events::{apigw::ApiGatewayProxyRequest, encodings::Body};
use serde_json::{Value, json};

fn fixture() -> ApiGatewayProxyRequest {
    let path = format!(
        "{}/tests/fixtures/custom-domain-get-request.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn body(r: &aws_lambda_events::apigw::ApiGatewayProxyResponse) -> Value {
    match &r.body {
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

#[test]
fn reads_the_user_of_the_route_and_shows_the_path_the_client_sent() {
    let r = custom_domain_users::handle(&fixture());
    assert_eq!(r.status_code, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(
        body(&r),
        json!({
            "service": "users",
            "user": {"id": "ada", "name": "User ada"},
            "path": "/users/ada",
            "domain": "api.example.com",
        })
    );
}

#[test]
fn the_api_root_lists_the_users() {
    let mut request = fixture();
    request.path_parameters.clear();
    request.resource = Some("/".into());
    request.path = Some("/users".into());
    let b = body(&custom_domain_users::handle(&request));
    assert_eq!(b["users"][0]["id"], "ada");
    assert_eq!(b["path"], "/users");
}
