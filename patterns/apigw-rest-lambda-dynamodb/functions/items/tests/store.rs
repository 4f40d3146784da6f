//! The DynamoDB store against a real DynamoDB API: each test starts its own moto server (`support/moto.rs`),
//! creates the table and runs the store's operations, including version conflicts and pagination, and finally
//! the HTTP routes over the real store.

#[path = "support/event.rs"]
mod event;
#[path = "support/moto.rs"]
mod moto;

use std::collections::BTreeSet;

use event::{DELETE_ITEM, Event, GET_ITEM, LIST_ITEMS, POST_ITEMS, PUT_ITEM};
use items_api::store::{ItemInput, ItemStore, Store, UpdateOutcome};
use lambda_http::http::StatusCode;
use moto::Moto;
use serde_json::{Value, json};

const TABLE: &str = "items";

fn input(name: &str, attributes: Value) -> ItemInput {
    let Value::Object(attributes) = attributes else {
        panic!("attributes must be an object")
    };
    ItemInput {
        name: name.to_owned(),
        attributes,
    }
}

async fn store(moto: &Moto) -> Store {
    Store::new(moto.create_table(TABLE).await, TABLE)
}

#[tokio::test]
async fn create_get_update_delete() {
    let moto = Moto::start();
    let store = store(&moto).await;

    let created = store
        .create(input("widget", json!({ "color": "red" })))
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.name, "widget");
    assert_eq!(
        uuid::Uuid::parse_str(&created.id)
            .unwrap()
            .get_version_num(),
        4
    );
    assert_eq!(store.get(&created.id).await.unwrap(), Some(created.clone()));

    let outcome = store
        .update_if_version(
            &created.id,
            1,
            input("widget v2", json!({ "color": "blue" })),
        )
        .await
        .unwrap();
    let UpdateOutcome::Updated(updated) = outcome else {
        panic!("expected an update, got {outcome:?}")
    };
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.version, 2);
    assert_eq!(updated.name, "widget v2");
    assert_eq!(
        Value::Object(updated.attributes.clone()),
        json!({ "color": "blue" })
    );
    assert_eq!(store.get(&created.id).await.unwrap(), Some(updated));

    assert!(store.delete(&created.id).await.unwrap());
    assert_eq!(store.get(&created.id).await.unwrap(), None);
    assert!(!store.delete(&created.id).await.unwrap(), "already gone");
}

#[tokio::test]
async fn an_update_with_a_stale_version_is_a_conflict_and_changes_nothing() {
    let moto = Moto::start();
    let store = store(&moto).await;
    let item = store.create(input("widget", json!({}))).await.unwrap();
    let first = store
        .update_if_version(&item.id, 1, input("first writer", json!({})))
        .await
        .unwrap();
    assert!(
        matches!(first, UpdateOutcome::Updated(ref i) if i.version == 2),
        "{first:?}"
    );

    // A second writer that also read version 1 loses.
    let second = store
        .update_if_version(&item.id, 1, input("second writer", json!({})))
        .await
        .unwrap();
    assert_eq!(second, UpdateOutcome::Conflict { current_version: 2 });
    let stored = store.get(&item.id).await.unwrap().unwrap();
    assert_eq!((stored.name.as_str(), stored.version), ("first writer", 2));

    // A version from the future conflicts too.
    let ahead = store
        .update_if_version(&item.id, 7, input("x", json!({})))
        .await
        .unwrap();
    assert_eq!(ahead, UpdateOutcome::Conflict { current_version: 2 });
}

#[tokio::test]
async fn updating_or_deleting_a_missing_item_is_not_found_and_creates_nothing() {
    let moto = Moto::start();
    let store = store(&moto).await;
    let missing = "00000000-0000-4000-8000-000000000000";
    let outcome = store
        .update_if_version(missing, 1, input("ghost", json!({})))
        .await
        .unwrap();
    assert_eq!(outcome, UpdateOutcome::NotFound);
    assert_eq!(store.get(missing).await.unwrap(), None, "no upsert");
    assert!(!store.delete(missing).await.unwrap());
}

#[tokio::test]
async fn attributes_round_trip_as_dynamodb_maps() {
    let moto = Moto::start();
    let store = store(&moto).await;
    let attributes = json!({
        "text": "grüße ✓", "empty": "", "int": 42, "negative": -7, "float": 2.5, "big": 9_007_199_254_740_993_u64,
        "flag": false, "nothing": null, "list": [1, "two", [3], { "four": 4 }], "nested": { "a": { "b": {} } }
    });
    let item = store
        .create(input("rich", attributes.clone()))
        .await
        .unwrap();
    let stored = store.get(&item.id).await.unwrap().unwrap();
    assert_eq!(Value::Object(stored.attributes), attributes);

    // And they really are native DynamoDB types, not a JSON string.
    let raw = moto
        .client()
        .get_item()
        .table_name(TABLE)
        .key(
            "id",
            aws_sdk_dynamodb::types::AttributeValue::S(item.id.clone()),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let map = raw["attributes"].as_m().expect("attributes is a map");
    assert_eq!(map["int"].as_n().unwrap(), "42");
    assert!(map["list"].as_l().is_ok());
    assert_eq!(raw["version"].as_n().unwrap(), "1");
}

#[tokio::test]
async fn list_pages_through_every_item_exactly_once() {
    let moto = Moto::start();
    let store = store(&moto).await;
    let mut created = BTreeSet::new();
    for i in 0..7 {
        let item = store
            .create(input(&format!("item {i}"), json!({ "i": i })))
            .await
            .unwrap();
        created.insert(item.id);
    }

    let mut seen = Vec::new();
    let mut start_after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store.list(3, start_after.as_deref()).await.unwrap();
        assert!(
            page.items.len() <= 3,
            "{} items in a page of 3",
            page.items.len()
        );
        seen.extend(page.items.into_iter().map(|item| item.id));
        pages += 1;
        assert!(pages <= 5, "pagination does not end");
        match page.last_id {
            Some(last) => start_after = Some(last),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "no item twice: {seen:?}");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), created);

    let everything = store.list(100, None).await.unwrap();
    assert_eq!(everything.items.len(), 7);
    assert_eq!(
        everything.last_id, None,
        "a page that is not full is the last"
    );
}

#[tokio::test]
async fn a_missing_table_is_an_error_naming_the_table_and_operation() {
    let moto = Moto::start();
    let store = Store::new(moto.client(), "no-such-table");
    let err = store
        .get("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("GetItem") && message.contains("no-such-table"),
        "{message}"
    );
    assert!(message.contains("ResourceNotFound"), "{message}");
}

/// The HTTP API end to end over the real store: create, read, list, update, conflict, delete.
#[tokio::test]
async fn routes_over_dynamodb() {
    let moto = Moto::start();
    let store = store(&moto).await;

    let created = Event::fixture(POST_ITEMS).send(&store).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/items/{id}");

    let got = Event::fixture(GET_ITEM).at("GET", &path).send(&store).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, created.body);

    let listed = Event::fixture(LIST_ITEMS).send(&store).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["items"], json!([created.body]));
    assert_eq!(listed.body["next"], Value::Null);

    let updated = Event::fixture(PUT_ITEM).at("PUT", &path).send(&store).await;
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");
    assert_eq!(updated.body["version"], 2);

    // The fixture still says version 1: a lost update, refused.
    let conflict = Event::fixture(PUT_ITEM).at("PUT", &path).send(&store).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{conflict:?}");
    assert_eq!(conflict.body["currentVersion"], 2);

    let deleted = Event::fixture(DELETE_ITEM)
        .at("DELETE", &path)
        .send(&store)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = Event::fixture(GET_ITEM).at("GET", &path).send(&store).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let put_gone = Event::fixture(PUT_ITEM).at("PUT", &path).send(&store).await;
    assert_eq!(put_gone.status, StatusCode::NOT_FOUND);
}
