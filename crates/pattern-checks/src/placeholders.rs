//! `{name}` placeholders in checks: deployment outputs (matched ignoring case and `_`), the per-run `{run_id}`
//! and values captured from earlier responses. Text in braces that is not a name (`{"a":1}`) stays as it is.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::Values as Outputs;

/// The output a placeholder names. Names match ignoring case and `_`, so one check serves a Terraform output
/// `api_url` and a CloudFormation output `ApiUrl` (whose names must be alphanumeric).
pub fn output<'a>(outputs: &'a Outputs, name: &str) -> Option<&'a Value> {
    outputs.get(name).or_else(|| {
        outputs
            .iter()
            .find(|(k, _)| same_name(k, name))
            .map(|(_, v)| v)
    })
}

/// Whether an output named `output` serves the placeholder `{name}`: equal ignoring case and `_`.
pub fn same_name(output: &str, name: &str) -> bool {
    let key = |s: &str| s.replace('_', "").to_ascii_lowercase();
    key(output) == key(name)
}

/// The prefix of a placeholder naming a resource of the deployment (`{resource:MyFunction}`, Terraform's
/// `{resource:aws_lambda_function.this}`): its physical id.
pub const RESOURCE: &str = "resource:";

fn is_name(s: &str) -> bool {
    match s.strip_prefix(RESOURCE) {
        Some(address) => {
            !address.is_empty()
                && address
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        }
        None => !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
    }
}

/// The `{name}` placeholders of `template` in order, each with its byte range (`{` to `}`, inclusive).
fn scan(template: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(offset) = template[pos..].find('{') {
        let start = pos + offset;
        let after = &template[start + 1..];
        match after
            .find('}')
            .map(|end| &after[..end])
            .filter(|n| is_name(n))
        {
            Some(name) => {
                pos = start + name.len() + 2;
                found.push((start..pos, name));
            }
            None => pos = start + 1,
        }
    }
    found
}

/// The names of the `{name}` placeholders in `template` (what [`expand`] replaces), in order.
pub fn names(template: &str) -> Vec<&str> {
    scan(template).into_iter().map(|(_, name)| name).collect()
}

/// Replaces each `{name}` with the value `name` (see [`output`]); an unknown name is an error listing the known.
pub fn expand(template: &str, values: &Outputs) -> Result<String> {
    let mut out = String::new();
    let mut last = 0;
    for (range, name) in scan(template) {
        out.push_str(&template[last..range.start]);
        let value = output(values, name).with_context(|| {
            format!(
                "`{{{name}}}` is not an output of the deployment nor a captured value; known: {}; fix: use one of \
                 those (matched ignoring case and `_`) in the check in pattern.toml, or declare the output in the \
                 IaC and redeploy (`cargo xtask validate` finds such a placeholder before a deploy)",
                values.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        match value.as_str() {
            Some(s) => out.push_str(s),
            None => out.push_str(&value.to_string()),
        }
        last = range.end;
    }
    out.push_str(&template[last..]);
    Ok(out)
}

/// Expands placeholders in every string of a JSON value.
pub fn expand_json(value: &Value, values: &Outputs) -> Result<Value> {
    Ok(match value {
        Value::String(s) => Value::String(expand(s, values)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| expand_json(v, values))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), expand_json(v, values)?)))
                .collect::<Result<_>>()?,
        ),
        other => other.clone(),
    })
}

/// Every string in a TOML value (arrays and tables walked): where a check's placeholders may be.
pub fn strings(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        toml::Value::Table(table) => table.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The resources the checks (`[[verify]]` tables) name as `{resource:X}`: each `X` once, in order.
pub fn resources_named(checks: &[toml::Value]) -> Vec<String> {
    let mut texts = Vec::new();
    checks.iter().for_each(|v| strings(v, &mut texts));
    let mut wanted: Vec<String> = Vec::new();
    for name in texts.iter().flat_map(|t| names(t)) {
        if let Some(id) = name.strip_prefix(RESOURCE)
            && !wanted.iter().any(|w| w == id)
        {
            wanted.push(id.to_owned());
        }
    }
    wanted
}

/// A value unique to one verify run (lowercase letters, digits and `-`: valid in keys, names and URLs).
pub fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("verify-{:x}-{:x}", std::process::id(), nanos)
}

/// The value at a dotted path (`items.0.id`) of a JSON document.
pub fn at_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(doc, |v, part| match v {
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        _ => v.get(part),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_match_outputs_ignoring_case_and_underscores() {
        let outputs: Outputs = [("ApiUrl".to_owned(), serde_json::json!("https://x"))].into();
        assert_eq!(expand("{api_url}/a", &outputs).unwrap(), "https://x/a");
        assert_eq!(expand("{ApiUrl}/a", &outputs).unwrap(), "https://x/a");
        assert!(expand("{api_urls}", &outputs).is_err());
    }

    #[test]
    fn placeholders_expand_from_outputs_and_unknown_ones_are_named() {
        let mut outputs = Outputs::new();
        outputs.insert("api_url".into(), "http://x".into());
        outputs.insert("version".into(), 2.into());
        assert_eq!(
            expand("GET {api_url}/hello?v={version}", &outputs).unwrap(),
            "GET http://x/hello?v=2"
        );
        let err = expand("{nope}", &outputs).unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("api_url"), "{err}");
    }

    #[test]
    fn json_braces_are_not_placeholders() {
        let outputs: Outputs = [("id".to_owned(), serde_json::json!("a-1"))].into();
        assert_eq!(
            expand(r#"{"id":"{id}","n":{"m":{}}}"#, &outputs).unwrap(),
            r#"{"id":"a-1","n":{"m":{}}}"#
        );
        assert_eq!(expand("{ unclosed", &outputs).unwrap(), "{ unclosed");
        assert_eq!(expand("{{id}}", &outputs).unwrap(), "{a-1}");
        assert_eq!(
            names(r#"{"id":"{id}","n":{"m":{}}} {run_id}"#),
            ["id", "run_id"]
        );
        let expected = serde_json::json!({"id": "{id}", "list": ["{id}", 1]});
        assert_eq!(
            expand_json(&expected, &outputs).unwrap(),
            serde_json::json!({"id": "a-1", "list": ["a-1", 1]})
        );
    }

    #[test]
    fn dotted_paths_reach_into_objects_and_arrays() {
        let doc = serde_json::json!({"items": [{"id": "a"}, {"id": "b"}], "version": 3});
        assert_eq!(at_path(&doc, "items.1.id"), Some(&serde_json::json!("b")));
        assert_eq!(at_path(&doc, "version"), Some(&serde_json::json!(3)));
        assert_eq!(at_path(&doc, "items.9.id"), None);
        assert_eq!(at_path(&doc, "nope"), None);
    }

    #[test]
    fn run_ids_differ_between_runs() {
        let a = run_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_ne!(a, run_id());
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }
}
