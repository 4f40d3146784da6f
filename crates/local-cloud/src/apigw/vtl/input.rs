//! `$input` (the request's body, JSONPath selections and parameters), `$util` and the String methods of the
//! VTL subset, as <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html>
//! documents them.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::eval::to_text;

/// The method request as `$input` shows it.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// The raw payload (`$input.body`).
    pub body: String,
    /// `{"path": {..}, "querystring": {..}, "header": {..}}` (`$input.params()`).
    pub params: Value,
}

impl Input {
    pub fn new(
        body: String,
        path: Map<String, Value>,
        query: Map<String, Value>,
        header: Map<String, Value>,
    ) -> Input {
        let params = serde_json::json!({"path": path, "querystring": query, "header": header});
        Input { body, params }
    }

    fn document(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// `$input.path(x)`: the JSONPath's value, as an object to use in the template.
    pub fn path(&self, path: &str) -> Value {
        select(&self.document(), path)
    }

    /// `$input.json(x)`: the JSONPath's value as JSON text.
    pub fn json(&self, path: &str) -> String {
        select(&self.document(), path).to_string()
    }

    /// `$input.params(x)`: the parameter from the path, then the query string, then the headers.
    pub fn param(&self, name: &str) -> Value {
        ["path", "querystring", "header"]
            .iter()
            .find_map(|k| self.params.get(k).and_then(|m| m.get(name)).cloned())
            .unwrap_or(Value::Null)
    }
}

/// The value a JSONPath selects: `$`, `.name`, `['name']`, `[n]`, `[*]` / `.*` (a list of all).
pub fn select(doc: &Value, path: &str) -> Value {
    let path = path.trim();
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    let mut current = vec![doc.clone()];
    let mut many = false;
    while !rest.is_empty() {
        let (step, after) = if let Some(r) = rest.strip_prefix("[") {
            let end = r.find(']').unwrap_or(r.len());
            (
                r[..end].trim().trim_matches(['\'', '"']).to_owned(),
                r.get(end + 1..).unwrap_or(""),
            )
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            (r[..end].to_owned(), &r[end..])
        } else {
            return Value::Null;
        };
        rest = after;
        current = current
            .into_iter()
            .flat_map(|v| match (step.as_str(), v) {
                ("*", Value::Array(a)) => a,
                ("*", Value::Object(m)) => m.into_iter().map(|(_, v)| v).collect(),
                (key, Value::Object(mut m)) => m.remove(key).into_iter().collect(),
                (n, Value::Array(mut a)) => match n.parse::<usize>() {
                    Ok(i) if i < a.len() => vec![a.swap_remove(i)],
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            })
            .collect();
        many |= step == "*";
    }
    if many {
        Value::Array(current)
    } else {
        current.into_iter().next().unwrap_or(Value::Null)
    }
}

/// `$util.<name>(args)`.
pub fn util(name: &str, args: &[Value]) -> Value {
    let s = args.first().map(to_text).unwrap_or_default();
    let text = |t: String| Value::String(t);
    match name {
        "escapeJavaScript" => text(escape_javascript(&s)),
        "parseJson" => serde_json::from_str(&s).unwrap_or(Value::Null),
        "urlEncode" => text(url_encode(&s)),
        "urlDecode" => text(percent_decode(&s.replace('+', " ")).unwrap_or(s)),
        "base64Encode" => text(base64::engine::general_purpose::STANDARD.encode(s.as_bytes())),
        "base64Decode" => base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .map_or(Value::Null, text),
        _ => {
            tracing::warn!(
                function = name,
                "$util.{name} is not in the local cloud's VTL subset: null"
            );
            Value::Null
        }
    }
}

/// Java's `StringEscapeUtils.escapeJavaScript`: quotes, backslash, slash and control characters.
pub fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Java's `URLEncoder.encode(s, "UTF-8")`: letters, digits and `.-*_` kept, space as `+`.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The methods of Java's String that templates call.
pub fn string_method(s: &str, name: &str, args: &[Value]) -> Value {
    let arg = |i: usize| args.get(i).map(to_text).unwrap_or_default();
    let int = |i: usize| args.get(i).and_then(Value::as_u64).map(|n| n as usize);
    let chars: Vec<char> = s.chars().collect();
    match name {
        "length" | "size" => Value::from(chars.len()),
        "isEmpty" | "getEmpty" => Value::Bool(s.is_empty()),
        "toLowerCase" => Value::String(s.to_lowercase()),
        "toUpperCase" => Value::String(s.to_uppercase()),
        "trim" => Value::String(s.trim().to_owned()),
        "toString" => Value::String(s.to_owned()),
        "contains" => Value::Bool(s.contains(&arg(0))),
        "startsWith" => Value::Bool(s.starts_with(&arg(0))),
        "endsWith" => Value::Bool(s.ends_with(&arg(0))),
        "equals" => Value::Bool(s == arg(0)),
        "equalsIgnoreCase" => Value::Bool(s.eq_ignore_ascii_case(&arg(0))),
        "indexOf" => Value::from(
            s.find(&arg(0))
                .map_or(-1, |i| s[..i].chars().count() as i64),
        ),
        "replace" => Value::String(s.replace(&arg(0), &arg(1))),
        "replaceAll" => match regex::Regex::new(&arg(0)) {
            Ok(re) => Value::String(re.replace_all(s, java_replacement(&arg(1))).into_owned()),
            Err(_) => Value::Null,
        },
        "split" => match regex::Regex::new(&arg(0)) {
            Ok(re) => re.split(s).map(|p| Value::String(p.to_owned())).collect(),
            Err(_) => Value::Null,
        },
        "substring" => {
            let start = int(0).unwrap_or(0).min(chars.len());
            let end = int(1).unwrap_or(chars.len()).clamp(start, chars.len());
            Value::String(chars[start..end].iter().collect())
        }
        "charAt" => int(0)
            .and_then(|i| chars.get(i))
            .map_or(Value::Null, |c| Value::String(c.to_string())),
        _ => Value::Null,
    }
}

/// A Java replacement string (`$1`, `\$`) for the regex crate (`${1}`, `$$`).
fn java_replacement(r: &str) -> String {
    let mut out = String::new();
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(x) => out.push(x),
                None => {}
            },
            '$' => {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                out.push_str(&format!("${{{n}}}"));
            }
            c => out.push(c),
        }
    }
    out
}
