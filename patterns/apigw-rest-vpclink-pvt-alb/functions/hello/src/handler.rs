//! HTTP routing for the function: a pure `Request -> Response<Body>` mapping with JSON bodies.
//!
//! Works on whatever event lambda_http decoded (ALB, API Gateway REST or HTTP API) and reports that event source in every body.

use lambda_http::{
    Body, Request, RequestExt, Response,
    http::{HeaderValue, StatusCode, header},
    request::RequestContext,
};
use serde_json::{Value, json};

#[cfg(test)]
mod tests;

/// Longest item id accepted by `GET /items/{id}`.
const MAX_ID_LEN: usize = 64;

/// A route this function serves.
enum Route<'a> {
    Hello,
    Item(&'a str),
    Echo,
}

/// Maps a path to its route and the one method that route accepts.
fn route(path: &str) -> Option<(Route<'_>, &'static str)> {
    match path {
        "/hello" => Some((Route::Hello, "GET")),
        "/echo" => Some((Route::Echo, "POST")),
        _ => path
            .strip_prefix("/items/")
            .map(|id| (Route::Item(id), "GET")),
    }
}

/// Answers one request. Never fails: every problem becomes a JSON error response.
pub fn handle(request: &Request) -> Response<Body> {
    let origin = Origin::of(request);
    // The path without any API Gateway stage prefix, exactly as the client sent it.
    let path = request.raw_http_path();
    let Some((route, allowed)) = route(path) else {
        return origin.reply(
            StatusCode::NOT_FOUND,
            json!({ "error": "not found", "path": path }),
        );
    };
    let method = request.method().as_str();
    if method != allowed {
        let error = format!("method {method} is not allowed on {path}; use {allowed}");
        let mut response = origin.reply(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "error": error, "path": path }),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allowed));
        return response;
    }
    match route {
        Route::Hello => hello(request, &origin),
        Route::Item(id) => item(id, &origin),
        Route::Echo => echo(request, &origin),
    }
}

/// `GET /hello?name=x`: a greeting, `world` when no name is given.
fn hello(request: &Request, origin: &Origin) -> Response<Body> {
    let name = request
        .query_string_parameters_ref()
        .and_then(|query| query.first("name"))
        .filter(|name| !name.is_empty())
        .unwrap_or("world");
    origin.reply(
        StatusCode::OK,
        json!({ "message": format!("Hello, {name}!") }),
    )
}

/// `GET /items/{id}`: a made-up item, after checking the id.
fn item(id: &str, origin: &Origin) -> Response<Body> {
    let valid = (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        let error = format!(
            "invalid item id {id:?}: use 1 to {MAX_ID_LEN} characters from A-Z, a-z, 0-9, '_' and '-'"
        );
        return origin.reply(StatusCode::BAD_REQUEST, json!({ "error": error }));
    }
    origin.reply(
        StatusCode::OK,
        json!({ "id": id, "name": format!("item-{id}") }),
    )
}

/// `POST /echo`: returns the JSON body it was sent.
fn echo(request: &Request, origin: &Origin) -> Response<Body> {
    let body: &[u8] = request.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        let error = "request body is empty; send a JSON document";
        return origin.reply(StatusCode::BAD_REQUEST, json!({ "error": error }));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(parsed) => origin.reply(StatusCode::OK, json!({ "echo": parsed })),
        Err(err) => {
            let error = format!("request body is not valid JSON: {err}");
            origin.reply(StatusCode::BAD_REQUEST, json!({ "error": error }))
        }
    }
}

/// Where the request came from, as told by the event's request context.
struct Origin {
    /// `alb`, `apigateway-rest`, `apigateway-http`, or `unknown`.
    source: &'static str,
    /// The ALB target group that invoked the function (ALB events only).
    target_group_arn: Option<String>,
}

impl Origin {
    fn of(request: &Request) -> Origin {
        let (source, target_group_arn) = match request.request_context_ref() {
            Some(RequestContext::Alb(context)) => ("alb", context.elb.target_group_arn.clone()),
            Some(RequestContext::ApiGatewayV1(_)) => ("apigateway-rest", None),
            Some(RequestContext::ApiGatewayV2(_)) => ("apigateway-http", None),
            // Other event kinds exist only when another crate enables their lambda_http features.
            Some(_) | None => ("unknown", None),
        };
        Origin {
            source,
            target_group_arn,
        }
    }

    /// A JSON response: `fields` plus the `source` (and `targetGroupArn`) of this request.
    fn reply(&self, status: StatusCode, mut fields: Value) -> Response<Body> {
        if let Value::Object(map) = &mut fields {
            map.insert("source".to_owned(), self.source.into());
            if let Some(arn) = &self.target_group_arn {
                map.insert("targetGroupArn".to_owned(), arn.as_str().into());
            }
        }
        let mut response = Response::new(Body::Text(fields.to_string()));
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}
