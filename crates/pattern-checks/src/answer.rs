//! How an answer is judged: JSON subset matching, `json` and `body_contains` against a text, and DynamoDB's
//! attribute-value JSON turned into plain JSON (and a TOML item into it) for the checks that read or write items.

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::{Check, Values, placeholders};

/// `actual` contains `expected`: objects by subset, everything else by equality. Err = the first differing path.
pub fn contains(actual: &Value, expected: &Value, path: &str) -> Result<(), String> {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (key, e_value) in e {
                let path = format!("{path}.{key}");
                match a.get(key) {
                    Some(a_value) => contains(a_value, e_value, &path)?,
                    None => return Err(path),
                }
            }
            Ok(())
        }
        _ if actual == expected => Ok(()),
        _ => Err(if path.is_empty() {
            ".".to_owned()
        } else {
            path.to_owned()
        }),
    }
}

/// `json` (a subset of the text as JSON) and `body_contains` of `check`, against a text: a function's answer or
/// an S3 object.
pub fn answer_matches(check: &Check, text: &str, values: &Values) -> Result<()> {
    if let Some(expected) = &check.json {
        let expected = placeholders::expand_json(&serde_json::to_value(expected)?, values)?;
        let actual: Value =
            serde_json::from_str(text).with_context(|| format!("not JSON: {}", shorten(text)))?;
        if let Err(path) = contains(&actual, &expected, "") {
            bail!("differs at `{path}`; expected {expected}, got {actual}");
        }
    }
    if let Some(needle) = &check.body_contains {
        let needle = placeholders::expand(needle, values)?;
        if !text.contains(&needle) {
            bail!("does not contain {needle:?}: {}", shorten(text));
        }
    }
    Ok(())
}

/// Whether a queue message's body is the one `queue_holds` looks for: it contains `text` and, with `json`, is a
/// JSON document containing it (a subset match, as the other checks' `json`).
pub fn message_matches(body: &str, text: &str, json: Option<&Value>) -> bool {
    body.contains(text)
        && json.is_none_or(|expected| {
            serde_json::from_str::<Value>(body)
                .is_ok_and(|body| contains(&body, expected, "").is_ok())
        })
}

/// The first 200 characters of a text, for messages.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_owned(),
    }
}

/// A DynamoDB number as JSON: an integer, else a float, else the text.
pub fn number(n: &str) -> Value {
    n.parse::<i64>()
        .map(Value::from)
        .or_else(|_| n.parse::<f64>().map(Value::from))
        .unwrap_or_else(|_| Value::String(n.to_owned()))
}

/// An item in DynamoDB's attribute-value JSON (`{"id": {"S": "a"}, "n": {"N": "1"}}`, as the AWS CLI prints it)
/// as plain JSON (`{"id": "a", "n": 1}`): sets and lists as arrays, binary as its text.
pub fn item_json(item: &Map<String, Value>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), attribute_json(v)))
            .collect(),
    )
}

fn attribute_json(value: &Value) -> Value {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return Value::Null;
    };
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let items = |v: &Value| v.as_array().cloned().unwrap_or_default();
    match kind.as_str() {
        "S" | "B" => Value::String(text(inner)),
        "N" => number(&text(inner)),
        "BOOL" => inner.clone(),
        "M" => item_json(inner.as_object().unwrap_or(&Map::new())),
        "L" => Value::Array(items(inner).iter().map(attribute_json).collect()),
        "SS" | "BS" => Value::Array(items(inner)),
        "NS" => Value::Array(items(inner).iter().map(|n| number(&text(n))).collect()),
        _ => Value::Null,
    }
}

/// A TOML value (`send.item`, `dynamodb.key`) in DynamoDB's attribute-value JSON, strings expanded: strings
/// become `S`, numbers `N`, booleans `BOOL`, arrays `L`, tables `M`.
pub fn attribute(value: &toml::Value, values: &Values) -> Result<Value> {
    Ok(match value {
        toml::Value::String(s) => serde_json::json!({ "S": placeholders::expand(s, values)? }),
        toml::Value::Integer(n) => serde_json::json!({ "N": n.to_string() }),
        toml::Value::Float(n) => serde_json::json!({ "N": n.to_string() }),
        toml::Value::Boolean(b) => serde_json::json!({ "BOOL": b }),
        toml::Value::Array(items) => serde_json::json!({
            "L": items.iter().map(|v| attribute(v, values)).collect::<Result<Vec<_>>>()?
        }),
        toml::Value::Table(fields) => serde_json::json!({ "M": item(fields, values)? }),
        toml::Value::Datetime(d) => serde_json::json!({ "S": d.to_string() }),
    })
}

/// A TOML table as a DynamoDB item (or key) in attribute-value JSON.
pub fn item(fields: &toml::Table, values: &Values) -> Result<Map<String, Value>> {
    fields
        .iter()
        .map(|(name, value)| Ok((name.clone(), attribute(value, values)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_subset_matching_reports_the_differing_path() {
        let actual = serde_json::json!({"message": "hi", "source": "alb", "n": [1, 2]});
        assert!(contains(&actual, &serde_json::json!({"source": "alb"}), "").is_ok());
        assert_eq!(
            contains(&actual, &serde_json::json!({"source": "apigw"}), ""),
            Err(".source".into())
        );
        assert_eq!(
            contains(&actual, &serde_json::json!({"missing": 1}), ""),
            Err(".missing".into())
        );
    }

    #[test]
    fn attribute_value_json_becomes_plain_json_and_back() {
        // As `aws dynamodb get-item --output json` prints an item.
        let printed = serde_json::json!({
            "key": {"S": "uploads/a.txt"}, "size": {"N": "10"}, "ratio": {"N": "0.5"}, "ok": {"BOOL": true},
            "tags": {"SS": ["a", "b"]}, "sizes": {"NS": ["1", "2"]},
            "meta": {"M": {"by": {"S": "me"}, "list": {"L": [{"N": "3"}, {"S": "x"}]}}}, "none": {"NULL": true}
        });
        assert_eq!(
            item_json(printed.as_object().unwrap()),
            serde_json::json!({
                "key": "uploads/a.txt", "size": 10, "ratio": 0.5, "ok": true, "tags": ["a", "b"], "sizes": [1, 2],
                "meta": {"by": "me", "list": [3, "x"]}, "none": null
            })
        );
        let values: Values = [("id".to_owned(), serde_json::json!("a-1"))].into();
        let fields: toml::Table =
            toml::from_str("id = \"{id}\"\nn = 2\nok = false\nl = [1]\nm = { s = \"t\" }").unwrap();
        assert_eq!(
            Value::Object(item(&fields, &values).unwrap()),
            serde_json::json!({
                "id": {"S": "a-1"}, "n": {"N": "2"}, "ok": {"BOOL": false}, "l": {"L": [{"N": "1"}]},
                "m": {"M": {"s": {"S": "t"}}}
            })
        );
    }

    #[test]
    fn an_answer_is_judged_by_json_subset_and_text() {
        let check: Check = toml::from_str(
            "name = \"c\"\ninvoke = { function = \"f\" }\njson = { id = \"{id}\" }\nbody_contains = \"ok\"",
        )
        .unwrap();
        let values: Values = [("id".to_owned(), serde_json::json!("a-1"))].into();
        answer_matches(&check, r#"{"id":"a-1","status":"ok"}"#, &values).unwrap();
        let err = answer_matches(&check, r#"{"id":"b","status":"ok"}"#, &values).unwrap_err();
        assert!(err.to_string().contains("differs at `.id`"), "{err}");
        let err = answer_matches(&check, r#"{"id":"a-1"}"#, &values).unwrap_err();
        assert!(err.to_string().contains("does not contain"), "{err}");
    }
}
