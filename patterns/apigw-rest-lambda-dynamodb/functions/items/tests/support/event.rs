//! API Gateway REST proxy events for the tests: load a fixture from `tests/fixtures/`, adjust the method, path,
//! query or body where API Gateway puts them, decode it as the Lambda runtime does and send it to the router.
// Shared by two test crates, each of which uses a part of it.
#![allow(dead_code)]

use std::{fs, path::Path};

use items_api::{routes, store::ItemStore};
use lambda_http::http::{StatusCode, header};
use serde_json::{Value, json};

pub const POST_ITEMS: &str = "apigw-rest-post-items.json";
pub const GET_ITEM: &str = "apigw-rest-get-item.json";
pub const PUT_ITEM: &str = "apigw-rest-put-item.json";
pub const DELETE_ITEM: &str = "apigw-rest-delete-item.json";
pub const LIST_ITEMS: &str = "apigw-rest-list-items.json";

/// The item id in the `/items/{id}` fixtures.
pub const FIXTURE_ID: &str = "6f1c2a9e-3b4d-4e8f-9a0b-1c2d3e4f5a6b";

/// An event fixture being adjusted before it is sent.
pub struct Event(pub Value);

/// What the router answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    /// The `Allow` header, if any.
    pub allow: Option<String>,
    /// The JSON body; `Null` when the body is empty.
    pub body: Value,
}

impl Event {
    pub fn fixture(name: &str) -> Event {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
        Event(serde_json::from_str(&text).expect("fixture is valid JSON"))
    }

    /// Sets the method and path (and the matching API Gateway resource and path parameters).
    pub fn at(mut self, method: &str, path: &str) -> Event {
        let id = path
            .strip_prefix("/items/")
            .filter(|id| !id.is_empty() && !id.contains('/'));
        let (resource, params) = match id {
            Some(id) => ("/items/{id}", json!({ "id": id })),
            None => (path, Value::Null),
        };
        let stage = self.0["requestContext"]["stage"]
            .as_str()
            .expect("stage")
            .to_owned();
        self.0["httpMethod"] = json!(method);
        self.0["path"] = json!(path);
        self.0["resource"] = json!(resource);
        self.0["pathParameters"] = params;
        self.0["requestContext"]["httpMethod"] = json!(method);
        self.0["requestContext"]["resourcePath"] = json!(resource);
        self.0["requestContext"]["path"] = json!(format!("/{stage}{path}"));
        self
    }

    /// Sets the query string parameters (`null` when there are none, as API Gateway sends it).
    pub fn query(mut self, query: Value) -> Event {
        let multi = query.as_object().map(|map| {
            map.iter()
                .map(|(key, value)| (key.clone(), json!([value])))
                .collect::<serde_json::Map<_, _>>()
        });
        self.0["multiValueQueryStringParameters"] = json!(multi);
        self.0["queryStringParameters"] = query;
        self
    }

    pub fn body(mut self, body: &str) -> Event {
        self.0["body"] = json!(body);
        self.0["isBase64Encoded"] = json!(false);
        self
    }

    pub fn json(self, body: Value) -> Event {
        self.body(&body.to_string())
    }

    /// Decodes the event as the runtime does and returns the router's answer.
    pub async fn send(self, store: &impl ItemStore) -> Answer {
        let request = lambda_http::request::from_str(&self.0.to_string())
            .expect("lambda_http accepts the event");
        let response = routes::handle(store, &request).await;
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let body = if response.body().is_empty() {
            Value::Null
        } else {
            assert_eq!(
                header(header::CONTENT_TYPE).as_deref(),
                Some("application/json"),
                "a response with a body is JSON"
            );
            serde_json::from_slice(response.body()).expect("response body is JSON")
        };
        Answer {
            status: response.status(),
            allow: header(header::ALLOW),
            body,
        }
    }
}
