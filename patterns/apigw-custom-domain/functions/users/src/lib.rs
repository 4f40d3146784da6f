//! The users service, one REST API of its own (Lambda proxy integration) published under the custom domain's
//! `/users` base path: `GET /` lists the users, `GET /{id}` reads one. API Gateway strips the base path before
//! it picks the route, so the API knows nothing of `/users`; the event's `path` still has it (the path the client
//! sent), which the answer shows beside the domain name the client used.

use aws_lambda_events::{
    apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse},
    encodings::Body,
    http::{HeaderMap, HeaderValue, header::CONTENT_TYPE},
};
use serde_json::{Value, json};

pub fn handle(request: &ApiGatewayProxyRequest) -> ApiGatewayProxyResponse {
    let mut body = match request.path_parameters.get("id") {
        Some(id) => {
            json!({ "service": "users", "user": { "id": id, "name": format!("User {id}") } })
        }
        None => json!({ "service": "users", "users": [{ "id": "ada", "name": "User ada" }] }),
    };
    body["path"] = json!(request.path);
    body["domain"] = json!(request.request_context.domain_name);
    json_response(200, &body)
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
