//! Items to and from DynamoDB records, and JSON values to and from `AttributeValue`s
//! (objects as maps `M`, arrays as lists `L`, numbers as `N`, so attributes stay queryable in DynamoDB).

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Map, Number, Value};

use super::Item;

pub type Record = HashMap<String, AttributeValue>;

pub fn to_record(item: &Item) -> Record {
    HashMap::from([
        ("id".to_owned(), AttributeValue::S(item.id.clone())),
        ("name".to_owned(), AttributeValue::S(item.name.clone())),
        ("attributes".to_owned(), map_value(&item.attributes)),
        (
            "version".to_owned(),
            AttributeValue::N(item.version.to_string()),
        ),
    ])
}

/// Reads an item back; a record this API did not write is an error naming the attribute.
pub fn from_record(record: &Record) -> Result<Item> {
    let string = |name: &str| -> Result<String> {
        record
            .get(name)
            .and_then(|value| value.as_s().ok())
            .cloned()
            .with_context(|| format!("stored item has no string attribute `{name}`"))
    };
    let id = string("id")?;
    let context = || format!("stored item {id}");
    let version = record
        .get("version")
        .and_then(|value| value.as_n().ok())
        .and_then(|n| n.parse::<u64>().ok())
        .with_context(|| format!("{}: `version` is not a whole number", context()))?;
    let attributes = match record.get("attributes") {
        None => Map::new(),
        Some(value) => {
            match to_json(value).with_context(|| format!("{}: `attributes`", context()))? {
                Value::Object(map) => map,
                _ => bail!("{}: `attributes` is not a map", context()),
            }
        }
    };
    Ok(Item {
        name: string("name").with_context(context)?,
        id,
        attributes,
        version,
    })
}

/// A JSON object as a DynamoDB map.
pub fn map_value(map: &Map<String, Value>) -> AttributeValue {
    AttributeValue::M(
        map.iter()
            .map(|(key, value)| (key.clone(), to_attribute(value)))
            .collect(),
    )
}

pub fn to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_attribute).collect()),
        Value::Object(map) => map_value(map),
    }
}

/// The JSON form of a stored value. Sets and binaries (never written by this API, but possible if someone
/// edits the table) become arrays and base64 strings.
pub fn to_json(value: &AttributeValue) -> Result<Value> {
    Ok(match value {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(n) => Value::Number(number(n)?),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::B(blob) => Value::String(STANDARD.encode(blob.as_ref())),
        AttributeValue::L(items) => Value::Array(items.iter().map(to_json).collect::<Result<_>>()?),
        AttributeValue::M(map) => Value::Object(
            map.iter()
                .map(|(key, value)| Ok((key.clone(), to_json(value)?)))
                .collect::<Result<_>>()?,
        ),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::Ns(items) => Value::Array(
            items
                .iter()
                .map(|n| number(n).map(Value::Number))
                .collect::<Result<_>>()?,
        ),
        AttributeValue::Bs(items) => Value::Array(
            items
                .iter()
                .map(|blob| Value::String(STANDARD.encode(blob.as_ref())))
                .collect(),
        ),
        other => bail!("unsupported DynamoDB value {other:?}"),
    })
}

/// A DynamoDB number (a decimal string) as a JSON number: exact for integers that fit 64 bits, else an `f64`.
fn number(n: &str) -> Result<Number> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = n.parse::<u64>() {
        return Ok(u.into());
    }
    n.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .with_context(|| format!("DynamoDB number {n:?} is not a finite number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_attribute_values() {
        let value = json!({
            "s": "text", "empty": "", "n": 42, "neg": -7, "big": u64::MAX, "f": 1.5, "tiny": 1e-100,
            "t": true, "null": null, "list": [1, "two", [3], {"four": 4}], "nested": {"a": {"b": {}}},
            "unicode": "grüße ✓"
        });
        assert_eq!(to_json(&to_attribute(&value)).unwrap(), value);
    }

    #[test]
    fn numbers_as_dynamodb_normalises_them_still_parse() {
        // DynamoDB drops trailing zeros and exponents: what it sends back must still read as a JSON number.
        assert_eq!(number("100").unwrap(), Number::from(100));
        assert_eq!(number("0.5").unwrap(), Number::from_f64(0.5).unwrap());
        assert_eq!(
            number(&format!("1{}", "0".repeat(100))).unwrap(),
            Number::from_f64(1e100).unwrap()
        );
        assert!(number("abc").is_err());
    }

    #[test]
    fn records_round_trip_and_bad_records_name_the_attribute() {
        let item = Item {
            id: "0b4f7c1e-8a51-4c39-9f0e-2d6b1a7c3e55".into(),
            name: "widget".into(),
            attributes: json!({"color": "red", "sizes": [1, 2]})
                .as_object()
                .unwrap()
                .clone(),
            version: 3,
        };
        let mut record = to_record(&item);
        assert_eq!(from_record(&record).unwrap(), item);

        record.insert("version".into(), AttributeValue::S("3".into()));
        let err = format!("{:#}", from_record(&record).unwrap_err());
        assert!(err.contains("`version`") && err.contains(&item.id), "{err}");

        record.remove("name");
        record.insert("version".into(), AttributeValue::N("3".into()));
        let err = format!("{:#}", from_record(&record).unwrap_err());
        assert!(err.contains("`name`"), "{err}");
    }

    #[test]
    fn sets_and_binaries_written_by_others_read_as_arrays_and_base64() {
        let value = AttributeValue::M(HashMap::from([
            (
                "ss".into(),
                AttributeValue::Ss(vec!["a".into(), "b".into()]),
            ),
            (
                "ns".into(),
                AttributeValue::Ns(vec!["1".into(), "2.5".into()]),
            ),
            ("b".into(), AttributeValue::B(vec![1u8, 2, 3].into())),
        ]));
        assert_eq!(
            to_json(&value).unwrap(),
            json!({"ss": ["a", "b"], "ns": [1, 2.5], "b": "AQID"})
        );
    }
}
