//! Routing and validation tests: real API Gateway REST proxy events (`tests/fixtures/`) sent to the router,
//! which works on an in-memory `ItemStore` here, so no DynamoDB is needed.
//! Over 400 lines: one test per route of the API, each on a real event fixture.

#[path = "support/event.rs"]
mod event;

use std::{collections::BTreeMap, sync::Mutex};

use anyhow::{Result, bail};
use event::{DELETE_ITEM, Event, FIXTURE_ID, GET_ITEM, LIST_ITEMS, POST_ITEMS, PUT_ITEM};
use items_api::store::{Item, ItemInput, ItemStore, Page, UpdateOutcome};
use lambda_http::http::StatusCode;
use serde_json::{Value, json};

/// An `ItemStore` in memory, ordered by id; `failing` makes every call fail like an unreachable table.
#[derive(Default)]
struct MemoryStore {
    items: Mutex<BTreeMap<String, Item>>,
    failing: bool,
}

impl MemoryStore {
    fn with(items: &[Item]) -> MemoryStore {
        let store = MemoryStore::default();
        for item in items {
            store.put(item.clone());
        }
        store
    }

    fn put(&self, item: Item) {
        self.items.lock().unwrap().insert(item.id.clone(), item);
    }

    fn snapshot(&self) -> Vec<Item> {
        self.items.lock().unwrap().values().cloned().collect()
    }

    fn check(&self) -> Result<()> {
        if self.failing {
            bail!("table unreachable")
        }
        Ok(())
    }
}

impl ItemStore for MemoryStore {
    async fn create(&self, input: ItemInput) -> Result<Item> {
        self.check()?;
        let item = Item {
            id: uuid::Uuid::new_v4().to_string(),
            name: input.name,
            attributes: input.attributes,
            version: 1,
        };
        self.put(item.clone());
        Ok(item)
    }

    async fn get(&self, id: &str) -> Result<Option<Item>> {
        self.check()?;
        Ok(self.items.lock().unwrap().get(id).cloned())
    }

    async fn update_if_version(
        &self,
        id: &str,
        expected: u64,
        input: ItemInput,
    ) -> Result<UpdateOutcome> {
        self.check()?;
        let mut items = self.items.lock().unwrap();
        let Some(item) = items.get_mut(id) else {
            return Ok(UpdateOutcome::NotFound);
        };
        if item.version != expected {
            return Ok(UpdateOutcome::Conflict {
                current_version: item.version,
            });
        }
        item.name = input.name;
        item.attributes = input.attributes;
        item.version += 1;
        Ok(UpdateOutcome::Updated(item.clone()))
    }

    async fn delete(&self, id: &str) -> Result<bool> {
        self.check()?;
        Ok(self.items.lock().unwrap().remove(id).is_some())
    }

    /// Like a DynamoDB Scan with `Limit`: a full page always carries a last key, even if nothing follows.
    async fn list(&self, limit: u32, start_after: Option<&str>) -> Result<Page> {
        self.check()?;
        let items: Vec<Item> = self
            .items
            .lock()
            .unwrap()
            .values()
            .filter(|item| start_after.is_none_or(|start| item.id.as_str() > start))
            .take(limit as usize)
            .cloned()
            .collect();
        let last_id = (items.len() == limit as usize).then(|| items.last().unwrap().id.clone());
        Ok(Page { items, last_id })
    }
}

fn item(id: &str, name: &str, version: u64) -> Item {
    Item {
        id: id.to_owned(),
        name: name.to_owned(),
        attributes: serde_json::Map::new(),
        version,
    }
}

/// The fixture item, at version 1.
fn fixture_item() -> Item {
    item(FIXTURE_ID, "widget", 1)
}

/// `n` items with distinct ids, in id order.
fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| {
            item(
                &format!("00000000-0000-4000-8000-{i:012}"),
                &format!("item {i}"),
                1,
            )
        })
        .collect()
}

/// Asserts a 400 whose JSON names `field` and whose message mentions `needle`.
#[track_caller]
fn assert_invalid(answer: &event::Answer, field: &str, needle: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert_eq!(answer.body["field"], field, "{answer:?}");
    let error = answer.body["error"].as_str().expect("an `error` string");
    assert!(
        error.contains(needle),
        "error {error:?} should mention {needle:?}"
    );
}

#[tokio::test]
async fn post_stores_a_new_item_with_a_uuid_and_version_1() {
    let store = MemoryStore::default();
    let answer = Event::fixture(POST_ITEMS).send(&store).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    let id = answer.body["id"].as_str().expect("an id").to_owned();
    let uuid = uuid::Uuid::parse_str(&id).expect("the id is a UUID");
    assert_eq!(uuid.get_version_num(), 4);
    assert_eq!(
        answer.body,
        json!({ "id": id, "name": "widget", "attributes": { "color": "red", "sizes": [1, 2] }, "version": 1 })
    );
    assert_eq!(store.snapshot().len(), 1);
    assert_eq!(store.snapshot()[0].id, id);
}

#[tokio::test]
async fn post_without_attributes_stores_an_empty_object() {
    let store = MemoryStore::default();
    let answer = Event::fixture(POST_ITEMS)
        .json(json!({ "name": "plain" }))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.body["attributes"], json!({}));
    assert_eq!(answer.body["version"], 1);
}

#[tokio::test]
async fn post_accepts_a_body_api_gateway_base64_encoded() {
    use base64::Engine;
    let store = MemoryStore::default();
    let mut event = Event::fixture(POST_ITEMS);
    let body = event.0["body"].as_str().unwrap().to_owned();
    event.0["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
    event.0["isBase64Encoded"] = json!(true);
    let answer = event.send(&store).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    assert_eq!(answer.body["name"], "widget");
}

#[tokio::test]
async fn post_names_the_invalid_field() {
    let long = "x".repeat(201);
    let cases: [(&str, &str, &str); 12] = [
        ("", "body", "body is empty"),
        ("{not json", "body", "not valid JSON"),
        ("[1]", "body", "must be a JSON object"),
        ("{}", "name", "`name` is required"),
        (r#"{"name":""}"#, "name", "1 to 200 characters"),
        (
            &format!(r#"{{"name":"{long}"}}"#),
            "name",
            "1 to 200 characters",
        ),
        (r#"{"name":42}"#, "name", "a string"),
        (r#"{"name":null}"#, "name", "a string"),
        (
            r#"{"name":"n","attributes":[1]}"#,
            "attributes",
            "JSON object",
        ),
        (
            r#"{"name":"n","attributes":null}"#,
            "attributes",
            "JSON object",
        ),
        (
            r#"{"name":"n","color":"red"}"#,
            "color",
            "unknown field `color`",
        ),
        (
            r#"{"name":"n","version":3}"#,
            "version",
            "unknown field `version`",
        ),
    ];
    let store = MemoryStore::default();
    for (body, field, needle) in cases {
        let answer = Event::fixture(POST_ITEMS).body(body).send(&store).await;
        assert_invalid(&answer, field, needle);
    }
    assert!(store.snapshot().is_empty(), "nothing invalid is stored");
}

#[tokio::test]
async fn name_length_counts_characters_not_bytes() {
    let store = MemoryStore::default();
    let answer = Event::fixture(POST_ITEMS)
        .json(json!({ "name": "é".repeat(200) }))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
}

#[tokio::test]
async fn get_returns_the_item_or_a_json_404() {
    let store = MemoryStore::with(&[fixture_item()]);
    let answer = Event::fixture(GET_ITEM).send(&store).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body,
        json!({ "id": FIXTURE_ID, "name": "widget", "attributes": {}, "version": 1 })
    );

    let missing = "00000000-0000-4000-8000-000000000000";
    for id in [
        missing,
        "not-a-uuid",
        "6F1C2A9E-3B4D-4E8F-9A0B-1C2D3E4F5A6B",
    ] {
        let answer = Event::fixture(GET_ITEM)
            .at("GET", &format!("/items/{id}"))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(answer.body, json!({ "error": "item not found", "id": id }));
    }
}

#[tokio::test]
async fn put_with_the_current_version_replaces_the_item_and_bumps_the_version() {
    let store = MemoryStore::with(&[fixture_item()]);
    let answer = Event::fixture(PUT_ITEM).send(&store).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(
        answer.body,
        json!({ "id": FIXTURE_ID, "name": "widget v2", "attributes": { "color": "blue" }, "version": 2 })
    );
    assert_eq!(store.snapshot()[0].version, 2);
}

#[tokio::test]
async fn put_with_a_stale_version_is_a_409_naming_the_current_version() {
    let store = MemoryStore::with(&[item(FIXTURE_ID, "widget", 3)]);
    let answer = Event::fixture(PUT_ITEM).send(&store).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{answer:?}");
    assert_eq!(answer.body["field"], "version");
    assert_eq!(answer.body["currentVersion"], 3);
    let error = answer.body["error"].as_str().unwrap();
    assert!(
        error.contains("at version 3") && error.contains("expected 1"),
        "{error}"
    );
    assert_eq!(store.snapshot()[0].name, "widget", "nothing changed");
}

#[tokio::test]
async fn put_of_a_missing_item_is_a_404() {
    let store = MemoryStore::default();
    let answer = Event::fixture(PUT_ITEM).send(&store).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.body,
        json!({ "error": "item not found", "id": FIXTURE_ID })
    );
    assert!(store.snapshot().is_empty(), "PUT never creates");
}

#[tokio::test]
async fn put_validates_version_id_and_fields() {
    let store = MemoryStore::with(&[fixture_item()]);
    let other = "00000000-0000-4000-8000-000000000000";
    let cases = [
        (json!({ "name": "n" }), "version", "`version` is required"),
        (json!({ "name": "n", "version": 0 }), "version", "1 or more"),
        (
            json!({ "name": "n", "version": "1" }),
            "version",
            "whole number",
        ),
        (
            json!({ "name": "n", "version": 1.5 }),
            "version",
            "whole number",
        ),
        (json!({ "version": 1 }), "name", "`name` is required"),
        (
            json!({ "name": "n", "version": 1, "id": other }),
            "id",
            FIXTURE_ID,
        ),
        (
            json!({ "name": "n", "version": 1, "extra": true }),
            "extra",
            "unknown field",
        ),
    ];
    for (body, field, needle) in cases {
        let answer = Event::fixture(PUT_ITEM).json(body).send(&store).await;
        assert_invalid(&answer, field, needle);
    }
    assert_eq!(store.snapshot()[0].version, 1, "nothing changed");

    // A fetched item can be sent back as is, `id` included.
    let answer = Event::fixture(PUT_ITEM)
        .json(json!({ "id": FIXTURE_ID, "name": "again", "attributes": {}, "version": 1 }))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["version"], 2);
}

#[tokio::test]
async fn delete_is_a_204_then_a_404() {
    let store = MemoryStore::with(&[fixture_item()]);
    let answer = Event::fixture(DELETE_ITEM).send(&store).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(answer.body, Value::Null, "204 has no body");
    assert!(store.snapshot().is_empty());

    let answer = Event::fixture(DELETE_ITEM).send(&store).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = Event::fixture(GET_ITEM).send(&store).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn list_pages_through_every_item_with_next_tokens() {
    let all = items(5);
    let store = MemoryStore::with(&all);
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = json!({ "limit": "2" });
        if let Some(token) = &next {
            query["next"] = json!(token);
        }
        let answer = Event::fixture(LIST_ITEMS).query(query).send(&store).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        let page = answer.body["items"].as_array().expect("`items` array");
        assert!(page.len() <= 2);
        seen.extend(
            page.iter()
                .map(|item| item["id"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        match &answer.body["next"] {
            Value::Null => break,
            Value::String(token) => next = Some(token.clone()),
            other => panic!("`next` must be a string or null, got {other}"),
        }
        assert!(pages < 10, "pagination does not end");
    }
    let expected: Vec<String> = all.iter().map(|item| item.id.clone()).collect();
    assert_eq!(seen, expected, "every item exactly once, in order");
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn list_defaults_to_20_and_says_when_there_is_no_more() {
    let store = MemoryStore::with(&items(25));
    let answer = Event::fixture(LIST_ITEMS)
        .query(Value::Null)
        .send(&store)
        .await;
    assert_eq!(answer.body["items"].as_array().unwrap().len(), 20);
    assert!(answer.body["next"].is_string());

    let store = MemoryStore::with(&items(3));
    let answer = Event::fixture(LIST_ITEMS)
        .query(Value::Null)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(answer.body["next"], Value::Null);
    assert_eq!(answer.body["items"][0]["name"], "item 0");
}

#[tokio::test]
async fn list_names_a_bad_limit_or_next() {
    let store = MemoryStore::default();
    for limit in ["0", "101", "abc"] {
        let answer = Event::fixture(LIST_ITEMS)
            .query(json!({ "limit": limit }))
            .send(&store)
            .await;
        assert_invalid(&answer, "limit", "1 to 100");
    }
    let answer = Event::fixture(LIST_ITEMS)
        .query(json!({ "next": "bm90IGEgdG9rZW4" }))
        .send(&store)
        .await;
    assert_invalid(&answer, "next", "not a token from this API");
}

#[tokio::test]
async fn unknown_paths_are_a_json_404() {
    let store = MemoryStore::default();
    for path in ["/", "/nope", "/itemsx", "/items/a/b", "/items//"] {
        let answer = Event::fixture(GET_ITEM).at("GET", path).send(&store).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.body, json!({ "error": "not found", "path": path }));
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_405_with_allow() {
    let store = MemoryStore::default();
    let item_path = format!("/items/{FIXTURE_ID}");
    for (method, path, allowed) in [
        ("PUT", "/items", "GET, POST"),
        ("DELETE", "/items", "GET, POST"),
        ("POST", item_path.as_str(), "GET, PUT, DELETE"),
        ("PATCH", item_path.as_str(), "GET, PUT, DELETE"),
    ] {
        let answer = Event::fixture(GET_ITEM).at(method, path).send(&store).await;
        assert_eq!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(answer.allow.as_deref(), Some(allowed));
        assert_eq!(
            answer.body["error"],
            format!("method {method} is not allowed on {path}; use {allowed}")
        );
    }
}

#[tokio::test]
async fn a_store_failure_is_a_500_without_internals() {
    let store = MemoryStore {
        failing: true,
        ..MemoryStore::default()
    };
    for event in [
        Event::fixture(POST_ITEMS),
        Event::fixture(GET_ITEM),
        Event::fixture(PUT_ITEM),
        Event::fixture(DELETE_ITEM),
        Event::fixture(LIST_ITEMS),
    ] {
        let answer = event.send(&store).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        let error = answer.body["error"].as_str().unwrap();
        assert!(!error.contains("unreachable"), "{error}");
    }
}
