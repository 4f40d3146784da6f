//! AWS query-protocol answers (XML) as JSON, the shape AWS services give API Gateway's AWS integrations,
//! which ask for JSON: `<SendMessageResponse><SendMessageResult><MessageId>x</MessageId>...` becomes
//! `{"SendMessageResponse": {"SendMessageResult": {"MessageId": "x", ...}}}`. Elements with child elements
//! become objects (a name repeated among siblings, such as `member`, an array), the others strings.

use serde_json::{Map, Value};

/// The document as JSON, or `None` when it is not the XML this reads.
pub fn to_json(xml: &str) -> Option<Value> {
    let mut rest = xml.trim_start();
    while let Some(r) = rest.strip_prefix("<?").or_else(|| rest.strip_prefix("<!")) {
        rest = r.split_once('>')?.1.trim_start();
    }
    let (name, value, _) = element(rest)?;
    let mut root = Map::new();
    root.insert(name, value);
    Some(Value::Object(root))
}

/// One element at the start of `s`: its name, value and the text after it.
fn element(s: &str) -> Option<(String, Value, &str)> {
    let s = s.strip_prefix('<')?;
    let (tag, after) = s.split_once('>')?;
    let self_closing = tag.ends_with('/');
    let name = tag
        .trim_end_matches('/')
        .split_whitespace()
        .next()?
        .to_owned();
    if self_closing {
        return Some((name, Value::String(String::new()), after));
    }
    let close = format!("</{name}>");
    let mut rest = after;
    let mut children: Vec<(String, Value)> = Vec::new();
    let mut text = String::new();
    loop {
        if let Some(r) = rest.strip_prefix(close.as_str()) {
            let value = if children.is_empty() {
                Value::String(unescape(&text))
            } else {
                group(children)
            };
            return Some((name, value, r));
        }
        if rest.starts_with("</") {
            return None;
        }
        if rest.starts_with('<') {
            let (n, v, r) = element(rest)?;
            children.push((n, v));
            rest = r;
        } else {
            let end = rest.find('<')?;
            text.push_str(&rest[..end]);
            rest = &rest[end..];
        }
    }
}

fn group(children: Vec<(String, Value)>) -> Value {
    let mut map = Map::new();
    for (name, value) in children {
        match map.get_mut(&name) {
            Some(Value::Array(items)) => items.push(value),
            Some(first) => {
                let first = std::mem::take(first);
                map.insert(name, Value::Array(vec![first, value]));
            }
            None => {
                map.insert(name, value);
            }
        }
    }
    Value::Object(map)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The items of a list element (`<member>`s): one is an object, several an array.
pub fn members(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn query_answers_become_json() {
        let xml = r#"<?xml version="1.0"?>
<SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
  <SendMessageResult>
    <MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody>
    <MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId>
  </SendMessageResult>
  <ResponseMetadata><RequestId>27daac76-34dd-47df-bd01-1f6e873584a0</RequestId></ResponseMetadata>
</SendMessageResponse>"#;
        assert_eq!(
            to_json(xml).unwrap(),
            json!({"SendMessageResponse": {
                "SendMessageResult": {"MD5OfMessageBody": "fafb00f5732ab283681e124bf8747ed1",
                                      "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274"},
                "ResponseMetadata": {"RequestId": "27daac76-34dd-47df-bd01-1f6e873584a0"}}})
        );
        let list = to_json("<R><Names><member>a&amp;b</member><member>c</member></Names><E/></R>")
            .unwrap();
        assert_eq!(
            members(list["R"]["Names"].get("member")),
            vec![json!("a&b"), json!("c")]
        );
        assert_eq!(list["R"]["E"], json!(""));
        assert!(to_json("<a><b></a>").is_none());
    }
}
