//! HTTP routing for the items API: method and path to a store call, and its result to a JSON response.
//!
//! Pure apart from the `ItemStore` it is given: the tests drive it with API Gateway REST event fixtures and an
//! in-memory store, and `tests/store.rs` with the DynamoDB store against moto.

pub mod input;

use lambda_http::{
    Body, Request, RequestExt, Response,
    http::{HeaderValue, StatusCode, header},
    tracing,
};
use serde_json::{Value, json};

use crate::store::{ItemStore, UpdateOutcome};
use input::Invalid;

/// A handler's result: the response, or why the request ends early (so `?` works on validation and store errors).
type Reply = Result<Response<Body>, Rejection>;

/// Why a request ends early; `into_response` renders it as JSON.
enum Rejection {
    Invalid(Invalid),
    ItemNotFound(String),
    Conflict {
        current: u64,
        expected: u64,
    },
    /// The store failed: logged in full, answered without internals.
    Internal(anyhow::Error),
}

impl From<Invalid> for Rejection {
    fn from(invalid: Invalid) -> Rejection {
        Rejection::Invalid(invalid)
    }
}

impl From<anyhow::Error> for Rejection {
    fn from(err: anyhow::Error) -> Rejection {
        Rejection::Internal(err)
    }
}

impl Rejection {
    fn into_response(self) -> Response<Body> {
        match self {
            Rejection::Invalid(Invalid { field, message }) => json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": message, "field": field }),
            ),
            Rejection::ItemNotFound(id) => json(
                StatusCode::NOT_FOUND,
                &json!({ "error": "item not found", "id": id }),
            ),
            Rejection::Conflict { current, expected } => json(
                StatusCode::CONFLICT,
                &json!({
                    "error": format!(
                        "version conflict: the item is at version {current}, the request expected {expected}; \
                         read it again and retry"
                    ),
                    "field": "version",
                    "currentVersion": current,
                }),
            ),
            Rejection::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "store request failed");
                json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({ "error": "internal error; see the function's logs" }),
                )
            }
        }
    }
}

/// The resources this API serves.
enum Route<'a> {
    /// `/items`
    Items,
    /// `/items/{id}`, the id as it appears in the path.
    Item(&'a str),
}

impl Route<'_> {
    fn parse(path: &str) -> Option<Route<'_>> {
        match path.strip_prefix("/items")? {
            "" | "/" => Some(Route::Items),
            rest => rest
                .strip_prefix('/')
                .filter(|id| !id.is_empty() && !id.contains('/'))
                .map(Route::Item),
        }
    }

    /// The methods the resource accepts, for `Allow`.
    fn allowed(&self) -> &'static str {
        match self {
            Route::Items => "GET, POST",
            Route::Item(_) => "GET, PUT, DELETE",
        }
    }
}

/// Answers one request. Never fails: every problem becomes a JSON error response.
pub async fn handle<S: ItemStore>(store: &S, request: &Request) -> Response<Body> {
    // The path without any API Gateway stage prefix.
    let path = request.raw_http_path();
    let reply = match (Route::parse(path), request.method().as_str()) {
        (Some(Route::Items), "GET") => list(store, request).await,
        (Some(Route::Items), "POST") => create(store, request.body()).await,
        (Some(Route::Item(id)), "GET") => get(store, id).await,
        (Some(Route::Item(id)), "PUT") => replace(store, id, request.body()).await,
        (Some(Route::Item(id)), "DELETE") => delete(store, id).await,
        (Some(route), method) => Ok(method_not_allowed(method, path, route.allowed())),
        (None, _) => Ok(json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "not found", "path": path }),
        )),
    };
    reply.unwrap_or_else(Rejection::into_response)
}

/// `GET /items?limit=&next=`
async fn list<S: ItemStore>(store: &S, request: &Request) -> Reply {
    let query = request.query_string_parameters_ref();
    let (limit, start_after) = input::page(
        query.and_then(|q| q.first("limit")),
        query.and_then(|q| q.first("next")),
    )?;
    let page = store.list(limit, start_after.as_deref()).await?;
    let next = page.last_id.as_deref().map(input::encode_next);
    Ok(json(
        StatusCode::OK,
        &json!({ "items": page.items, "next": next }),
    ))
}

/// `POST /items`
async fn create<S: ItemStore>(store: &S, body: &[u8]) -> Reply {
    let item = store.create(input::new_item(body)?).await?;
    Ok(json(StatusCode::CREATED, &json!(item)))
}

/// `GET /items/{id}`
async fn get<S: ItemStore>(store: &S, id: &str) -> Reply {
    let id = existing(id)?;
    match store.get(id).await? {
        Some(item) => Ok(json(StatusCode::OK, &json!(item))),
        None => Err(Rejection::ItemNotFound(id.to_owned())),
    }
}

/// `PUT /items/{id}`: replaces name and attributes if the item is still at the version the client read.
async fn replace<S: ItemStore>(store: &S, id: &str, body: &[u8]) -> Reply {
    let id = existing(id)?;
    let (expected, input) = input::replacement(body, id)?;
    match store.update_if_version(id, expected, input).await? {
        UpdateOutcome::Updated(item) => Ok(json(StatusCode::OK, &json!(item))),
        UpdateOutcome::NotFound => Err(Rejection::ItemNotFound(id.to_owned())),
        UpdateOutcome::Conflict { current_version } => Err(Rejection::Conflict {
            current: current_version,
            expected,
        }),
    }
}

/// `DELETE /items/{id}`
async fn delete<S: ItemStore>(store: &S, id: &str) -> Reply {
    let id = existing(id)?;
    if !store.delete(id).await? {
        return Err(Rejection::ItemNotFound(id.to_owned()));
    }
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// An id this API could have issued; anything else cannot exist, so it is a 404 without asking the store.
fn existing(id: &str) -> Result<&str, Rejection> {
    input::item_id(id).ok_or_else(|| Rejection::ItemNotFound(id.to_owned()))
}

fn method_not_allowed(method: &str, path: &str, allowed: &'static str) -> Response<Body> {
    let mut response = json(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({ "error": format!("method {method} is not allowed on {path}; use {allowed}") }),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

fn json(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
