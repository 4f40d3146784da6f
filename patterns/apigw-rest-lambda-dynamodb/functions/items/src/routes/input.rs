//! Request validation: item bodies, the ids in paths and the `limit`/`next` query of a listing.
//!
//! Every rejection is an `Invalid` naming the field, so the client gets `{"error": ..., "field": ...}`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::store::ItemInput;

/// `name`: 1 to this many characters.
pub const NAME_MAX_CHARS: usize = 200;
/// `attributes`: at most this many bytes of JSON.
pub const ATTRIBUTES_MAX_BYTES: usize = 64 * 1024;
/// `attributes`: objects and arrays nested at most this deep (DynamoDB allows 32 levels per item).
pub const ATTRIBUTES_MAX_DEPTH: usize = 16;
/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest `limit`.
pub const MAX_LIMIT: u32 = 100;
/// Magnitudes DynamoDB numbers can hold (besides 0).
const NUMBER_RANGE: std::ops::Range<f64> = 1e-130..1e126;

/// A rejected input: the field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    fn new(field: &str, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// The id in `/items/{id}`, if it is one this API could have issued: a lowercase, hyphenated UUID.
pub fn item_id(raw: &str) -> Option<&str> {
    Uuid::try_parse(raw)
        .ok()
        .filter(|uuid| uuid.hyphenated().to_string() == raw)
        .map(|_| raw)
}

/// The body of `POST /items`: `{"name": "...", "attributes": {...}}`.
pub fn new_item(body: &[u8]) -> Result<ItemInput, Invalid> {
    let mut fields = object(body)?;
    only(&fields, &["name", "attributes"])?;
    item_input(&mut fields)
}

/// The body of `PUT /items/{id}`: `{"name": "...", "attributes": {...}, "version": n}`, with the version the
/// client last read. An `id` is allowed (so a fetched item can be sent back) but must match the path.
pub fn replacement(body: &[u8], path_id: &str) -> Result<(u64, ItemInput), Invalid> {
    let mut fields = object(body)?;
    only(&fields, &["name", "attributes", "version", "id"])?;
    if let Some(id) = fields.get("id")
        && id.as_str() != Some(path_id)
    {
        return Err(Invalid::new(
            "id",
            format!("`id` in the body must be the id in the path ({path_id}), or be left out"),
        ));
    }
    let version = match fields.get("version") {
        Some(version) => version.as_u64().filter(|v| *v >= 1),
        None => None,
    }
    .ok_or_else(|| {
        Invalid::new(
            "version",
            "`version` is required: the item's version as you last read it (a whole number, 1 or more)",
        )
    })?;
    Ok((version, item_input(&mut fields)?))
}

/// The query of `GET /items`: the page size and the id to start after.
pub fn page(limit: Option<&str>, next: Option<&str>) -> Result<(u32, Option<String>), Invalid> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                Invalid::new(
                    "limit",
                    format!("`limit` must be a whole number from 1 to {MAX_LIMIT}, not {text:?}"),
                )
            })?,
    };
    let start_after = next.map(decode_next).transpose()?;
    Ok((limit, start_after))
}

/// The `next` token for a page whose DynamoDB `LastEvaluatedKey` has this id: the key as JSON, base64url.
pub fn encode_next(last_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(json!({ "id": last_id }).to_string())
}

fn decode_next(token: &str) -> Result<String, Invalid> {
    let key: Option<Value> = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    key.as_ref()
        .and_then(Value::as_object)
        .filter(|key| key.len() == 1)
        .and_then(|key| key.get("id"))
        .and_then(Value::as_str)
        .and_then(item_id)
        .map(str::to_owned)
        .ok_or_else(|| {
            Invalid::new(
                "next",
                "`next` is not a token from this API; pass the `next` of the previous page unchanged",
            )
        })
}

/// The body as a JSON object.
fn object(body: &[u8]) -> Result<Map<String, Value>, Invalid> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Invalid::new(
            "body",
            "the request body is empty; send a JSON object such as {\"name\":\"widget\"}",
        ));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(Invalid::new(
            "body",
            "the request body must be a JSON object such as {\"name\":\"widget\"}",
        )),
        Err(err) => Err(Invalid::new(
            "body",
            format!("the request body is not valid JSON: {err}"),
        )),
    }
}

/// Rejects the first field not in `allowed`.
fn only(fields: &Map<String, Value>, allowed: &[&str]) -> Result<(), Invalid> {
    match fields.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err(Invalid::new(
            unknown,
            format!(
                "unknown field `{unknown}`; the fields are: {}",
                allowed.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// `name` (required) and `attributes` (optional, `{}` when absent).
fn item_input(fields: &mut Map<String, Value>) -> Result<ItemInput, Invalid> {
    let name = match fields.remove("name") {
        Some(Value::String(name)) if (1..=NAME_MAX_CHARS).contains(&name.chars().count()) => name,
        _ => {
            return Err(Invalid::new(
                "name",
                format!("`name` is required: a string of 1 to {NAME_MAX_CHARS} characters"),
            ));
        }
    };
    let attributes = match fields.remove("attributes") {
        None => Map::new(),
        Some(Value::Object(attributes)) => {
            check_attributes(&attributes).map_err(|why| Invalid::new("attributes", why))?;
            attributes
        }
        Some(_) => {
            return Err(Invalid::new(
                "attributes",
                "`attributes` must be a JSON object such as {\"color\":\"red\"}",
            ));
        }
    };
    Ok(ItemInput { name, attributes })
}

/// What DynamoDB (and a sane item size) would refuse: too large, too deep, empty keys, huge numbers.
fn check_attributes(attributes: &Map<String, Value>) -> Result<(), String> {
    let size = serde_json::to_vec(attributes).map_or(usize::MAX, |json| json.len());
    if size > ATTRIBUTES_MAX_BYTES {
        return Err(format!(
            "`attributes` is {size} bytes of JSON; the limit is {ATTRIBUTES_MAX_BYTES}"
        ));
    }
    fn walk_object(map: &Map<String, Value>, depth: usize) -> Result<(), String> {
        map.iter().try_for_each(|(key, value)| {
            if key.is_empty() {
                return Err(
                    "`attributes` has an empty key; keys need at least one character".to_owned(),
                );
            }
            walk(value, depth + 1)
        })
    }
    fn walk(value: &Value, depth: usize) -> Result<(), String> {
        match value {
            Value::Object(_) | Value::Array(_) if depth > ATTRIBUTES_MAX_DEPTH => Err(format!(
                "`attributes` nests objects and arrays more than {ATTRIBUTES_MAX_DEPTH} levels deep"
            )),
            Value::Object(map) => walk_object(map, depth),
            Value::Array(items) => items.iter().try_for_each(|value| walk(value, depth + 1)),
            Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() && f != 0.0 && !NUMBER_RANGE.contains(&f.abs()) => {
                    Err(format!(
                        "`attributes` holds the number {n}; DynamoDB stores magnitudes from 1e-130 to below 1e126"
                    ))
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }
    walk_object(attributes, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_canonical_uuids() {
        let id = "0b4f7c1e-8a51-4c39-9f0e-2d6b1a7c3e55";
        assert_eq!(item_id(id), Some(id));
        for bad in [
            "",
            "42",
            "0B4F7C1E-8A51-4C39-9F0E-2D6B1A7C3E55",
            "0b4f7c1e8a514c399f0e2d6b1a7c3e55",
            "{0b4f7c1e-8a51-4c39-9f0e-2d6b1a7c3e55}",
            "0b4f7c1e-8a51-4c39-9f0e-2d6b1a7c3e55x",
        ] {
            assert_eq!(item_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn next_tokens_round_trip_and_foreign_tokens_are_rejected() {
        let id = "0b4f7c1e-8a51-4c39-9f0e-2d6b1a7c3e55";
        let token = encode_next(id);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{token} is base64url without padding"
        );
        assert_eq!(
            page(None, Some(&token)).unwrap(),
            (DEFAULT_LIMIT, Some(id.to_owned()))
        );
        let forged = [
            "not base64!".to_owned(),
            URL_SAFE_NO_PAD.encode("[1]"),
            URL_SAFE_NO_PAD.encode(r#"{"id":"x"}"#),
            URL_SAFE_NO_PAD.encode(format!(r#"{{"id":"{id}","pk":"y"}}"#)),
        ];
        for token in forged {
            assert_eq!(
                page(None, Some(&token)).unwrap_err().field,
                "next",
                "{token}"
            );
        }
    }

    #[test]
    fn limit_defaults_to_20_and_must_be_1_to_100() {
        assert_eq!(page(None, None).unwrap(), (20, None));
        assert_eq!(page(Some("1"), None).unwrap().0, 1);
        assert_eq!(page(Some("100"), None).unwrap().0, 100);
        for bad in ["0", "101", "-1", "", "ten", "2.5"] {
            let err = page(Some(bad), None).unwrap_err();
            assert_eq!(err.field, "limit");
            assert!(err.message.contains("1 to 100"), "{}", err.message);
        }
    }

    #[test]
    fn attributes_within_dynamodb_limits_are_accepted() {
        let ok = serde_json::json!({"name": "n", "attributes": {"n": 1e125, "m": -2e-130, "z": 0.0, "i": u64::MAX}});
        assert_eq!(new_item(ok.to_string().as_bytes()).map(|_| ()), Ok(()));
    }

    #[test]
    fn attributes_beyond_dynamodb_limits_are_rejected() {
        let mut deep = serde_json::json!(1);
        for _ in 0..ATTRIBUTES_MAX_DEPTH {
            deep = serde_json::json!([deep]);
        }
        for (attributes, needle) in [
            (serde_json::json!({"n": 1e200}), "1e+200"),
            (serde_json::json!({"n": 1e-200}), "1e-200"),
            (serde_json::json!({"a": {"": 1}}), "empty key"),
            (serde_json::json!({"deep": deep}), "levels deep"),
            (
                serde_json::json!({"big": "x".repeat(ATTRIBUTES_MAX_BYTES)}),
                "bytes of JSON",
            ),
        ] {
            let body = serde_json::json!({"name": "n", "attributes": attributes}).to_string();
            let err = new_item(body.as_bytes()).unwrap_err();
            assert_eq!(err.field, "attributes");
            assert!(
                err.message.contains(needle),
                "{} should mention {needle}",
                err.message
            );
        }
    }
}
