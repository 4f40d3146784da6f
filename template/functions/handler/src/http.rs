//! HTTP routing for the function: `POST /items` with a JSON body `{"id": "..."}` records the item and answers
//! `200 {"id": ..., "status": "processed"}`. Bad input is a `400`, another method a `405`, another path a `404`,
//! a failure to record a `500`: every answer is JSON.

use lambda_http::{
    Body, Request, RequestExt, Response,
    http::{Method, StatusCode, header},
    tracing,
};
use serde_json::{Value, json};

use crate::record::{Item, Recorder};

#[cfg(test)]
mod tests;

/// Answers one request. Never fails: every problem becomes a JSON error response.
pub async fn handle(recorder: &impl Recorder, request: &Request) -> Response<Body> {
    if request.raw_http_path() != "/items" {
        return respond(StatusCode::NOT_FOUND, json!({ "error": "not found" }));
    }
    if request.method() != Method::POST {
        let mut response = respond(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "error": "only POST is allowed on /items" }),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    let item = match std::str::from_utf8(request.body())
        .map_err(|_| "the body is not UTF-8".to_owned())
        .and_then(Item::from_json)
    {
        Ok(item) => item,
        Err(error) => return respond(StatusCode::BAD_REQUEST, json!({ "error": error })),
    };
    match recorder.record(&item).await {
        Ok(()) => respond(
            StatusCode::OK,
            json!({ "id": item.id, "status": "processed" }),
        ),
        Err(err) => {
            tracing::error!(id = %item.id, error = %err, "the item could not be recorded");
            respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "the item could not be recorded" }),
            )
        }
    }
}

fn respond(status: StatusCode, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body.to_string()))
        .expect("a status and a static header make a valid response")
}
