//! The deployed CloudFront state the data plane serves from, as moto's `/_local/cloudfront/distributions` route
//! answers it (`python/local_moto/cloudfront.py`): each distribution's configuration in the API's shape (lists as
//! `{"Quantity", "Items"}`), the cache, origin request and response headers policies by id, and the origin
//! access controls. Read once per generation ([`super::State`]).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

/// What `/_local/cloudfront/distributions` answers.
#[derive(Debug, Default, Deserialize)]
pub struct Model {
    pub distributions: Vec<Distribution>,
    #[serde(default)]
    pub cache_policies: HashMap<String, Value>,
    #[serde(default)]
    pub origin_request_policies: HashMap<String, Value>,
    #[serde(default)]
    pub response_headers_policies: HashMap<String, Value>,
    #[serde(default)]
    pub origin_access_controls: HashMap<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Distribution {
    pub id: String,
    #[serde(rename = "ARN")]
    pub arn: String,
    pub domain_name: String,
    pub distribution_config: Value,
}

impl Model {
    /// The distribution whose id (the first label of its `dxxxx.cloudfront.net` name) is `id`, case-insensitively
    /// as DNS names are.
    pub fn distribution(&self, id: &str) -> Option<&Distribution> {
        self.distributions.iter().find(|d| {
            d.domain_name
                .split('.')
                .next()
                .is_some_and(|label| label.eq_ignore_ascii_case(id))
                || d.id.eq_ignore_ascii_case(id)
        })
    }
}

/// `{"Quantity": n, "Items": [...]}` (or a plain list) as a slice; absent: empty.
pub fn items(value: &Value) -> &[Value] {
    match value {
        Value::Array(list) => list,
        other => other
            .get("Items")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    }
}

/// A string field, `""` when absent.
pub fn string<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// An integer field (numbers or numeric strings, as CloudFormation passes them).
pub fn int(value: &Value, key: &str) -> Option<i64> {
    match value.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A boolean field (`true`/`"true"`), false when absent.
pub fn flag(value: &Value, key: &str) -> bool {
    match value.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}
