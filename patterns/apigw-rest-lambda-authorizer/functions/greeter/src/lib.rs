//! The backend behind both authorizers (REST API, Lambda proxy integration): by the time it runs, API Gateway
//! has authorized the request, and the authorizer's `principalId` and context are in
//! `requestContext.authorizer` (context values arrive as strings). It greets the principal and returns that
//! context, so a caller sees what the authorizer decided.

use aws_lambda_events::{
    apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse},
    encodings::Body,
    http::{HeaderMap, HeaderValue, header::CONTENT_TYPE},
};
use serde_json::{Value, json};

pub fn handle(request: &ApiGatewayProxyRequest) -> ApiGatewayProxyResponse {
    let authorizer = &request.request_context.authorizer.fields;
    let Some(principal) = authorizer.get("principalId").and_then(Value::as_str) else {
        // Only reachable if the method lost its authorizer: never answer an anonymous caller.
        return json_response(401, &json!({ "error": "no authorized principal" }));
    };
    json_response(
        200,
        &json!({
            "message": format!("Hello, {principal}!"),
            "route": request.resource.as_deref().unwrap_or("/"),
            "authorizer": authorizer,
        }),
    )
}

fn json_response(status: i64, body: &Value) -> ApiGatewayProxyResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response
}
