//! Stage variables in integration settings (`${stageVariables.x}`) and request parameter mappings
//! (`integration.request.path.proxy` = `method.request.path.proxy`, `'literal'`, ...).

use std::collections::BTreeMap;

use http::HeaderMap;

use crate::shared::url::query_pairs;

/// Replaces `${stageVariables.name}` with the stage's value (unknown names become empty, as on AWS).
pub fn render_stage_variables(text: &str, vars: &BTreeMap<String, String>) -> String {
    const OPEN: &str = "${stageVariables.";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        match after.find('}') {
            Some(end) => {
                out.push_str(vars.get(&after[..end]).map_or("", String::as_str));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// What mapping expressions can read from a method request.
pub struct Sources<'a> {
    /// Path parameters as sent (percent-encoded).
    pub path: &'a BTreeMap<String, String>,
    /// The raw query string.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub stage_variables: &'a BTreeMap<String, String>,
    pub request_id: &'a str,
    pub stage: &'a str,
    pub api_id: &'a str,
}

impl Sources<'_> {
    /// The value of a mapping expression, `None` when the request does not carry it.
    pub fn value(&self, expr: &str) -> Option<String> {
        let expr = expr.trim();
        if let Some(lit) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            return Some(lit.to_owned());
        }
        if let Some(name) = expr.strip_prefix("method.request.path.") {
            return self.path.get(name).cloned();
        }
        if let Some(name) = expr.strip_prefix("method.request.querystring.") {
            return query_pairs(self.query)
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v.to_owned())
                .last();
        }
        if let Some(name) = expr.strip_prefix("method.request.header.") {
            return self
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
        }
        if let Some(name) = expr.strip_prefix("stageVariables.") {
            return self.stage_variables.get(name).cloned();
        }
        match expr {
            "context.requestId" => Some(self.request_id.to_owned()),
            "context.stage" => Some(self.stage.to_owned()),
            "context.apiId" => Some(self.api_id.to_owned()),
            _ => None,
        }
    }
}

/// Integration request parameters after mapping.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Mapped {
    /// URI placeholder -> value (already URL-safe).
    pub path: BTreeMap<String, String>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
}

/// Applies the integration's `requestParameters` to a method request.
pub fn map_request(request_parameters: &BTreeMap<String, String>, sources: &Sources<'_>) -> Mapped {
    let mut mapped = Mapped::default();
    for (dest, expr) in request_parameters {
        let Some(value) = sources.value(expr) else {
            continue;
        };
        if let Some(name) = dest.strip_prefix("integration.request.path.") {
            mapped.path.insert(name.to_owned(), value);
        } else if let Some(name) = dest.strip_prefix("integration.request.querystring.") {
            mapped.query.push((name.to_owned(), value));
        } else if let Some(name) = dest.strip_prefix("integration.request.header.") {
            mapped.headers.push((name.to_owned(), value));
        }
    }
    mapped
}

/// Fills `{name}` (and `{name+}`) placeholders of an integration URI with mapped path values; a placeholder
/// without a mapping stays in the URI percent-encoded, as AWS sends it.
pub fn render_uri(uri: &str, path: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        match path.get(name.trim_end_matches('+')) {
            Some(value) => out.push_str(value),
            None => {
                out.push_str("%7B");
                out.push_str(name);
                out.push_str("%7D");
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The method request as mapping templates' `$input` sees it: body, path, query string and headers.
pub fn template_input(
    path: &BTreeMap<String, String>,
    parts: &http::request::Parts,
    body: &[u8],
) -> super::vtl::Input {
    let strings = |pairs: &mut dyn Iterator<Item = (String, String)>| {
        pairs
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect::<serde_json::Map<_, _>>()
    };
    let path = strings(&mut path.clone().into_iter());
    let query = strings(&mut url_query(parts.uri.query().unwrap_or("")).into_iter());
    let headers =
        strings(&mut parts.headers.iter().filter_map(|(k, v)| {
            Some((canonical_header(k.as_str()), v.to_str().ok()?.to_owned()))
        }));
    super::vtl::Input::new(
        String::from_utf8_lossy(body).into_owned(),
        path,
        query,
        headers,
    )
}

/// A query string's parameters, decoded (the last value of a repeated name, as `$input.params()` has it).
fn url_query(query: &str) -> Vec<(String, String)> {
    use super::vtl::{eval::to_text, input::util};
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| to_text(&util("urlDecode", &[serde_json::Value::from(s)]));
            (decode(k), decode(v))
        })
        .collect()
}

/// `content-type` as clients write it (`Content-Type`): HTTP/1.1 headers reach API Gateway with their case.
fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        [
            ("fn".to_owned(), "hello".to_owned()),
            ("link".to_owned(), "vl1".to_owned()),
        ]
        .into()
    }

    #[test]
    fn stage_variables() {
        let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:${stageVariables.fn}/invocations";
        assert!(render_stage_variables(uri, &vars()).contains("function:hello/invocations"));
        assert_eq!(
            render_stage_variables("${stageVariables.link}", &vars()),
            "vl1"
        );
        assert_eq!(
            render_stage_variables("a${stageVariables.nope}b", &vars()),
            "ab"
        );
        assert_eq!(
            render_stage_variables("a${stageVariables.open", &vars()),
            "a${stageVariables.open"
        );
    }

    #[test]
    fn request_parameter_mapping() {
        let path: BTreeMap<String, String> = [("proxy".to_owned(), "a/b%20c".to_owned())].into();
        let mut headers = HeaderMap::new();
        headers.insert("x-tenant", "t1".parse().unwrap());
        let sv = vars();
        let sources = Sources {
            path: &path,
            query: "q=1&q=2",
            headers: &headers,
            stage_variables: &sv,
            request_id: "rid",
            stage: "dev",
            api_id: "api",
        };
        let params: BTreeMap<String, String> = [
            (
                "integration.request.path.proxy",
                "method.request.path.proxy",
            ),
            (
                "integration.request.querystring.q",
                "method.request.querystring.q",
            ),
            (
                "integration.request.header.X-Tenant",
                "method.request.header.x-tenant",
            ),
            ("integration.request.header.X-Static", "'fixed'"),
            ("integration.request.header.X-Stage", "stageVariables.fn"),
            (
                "integration.request.header.X-Missing",
                "method.request.header.nope",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let m = map_request(&params, &sources);
        assert_eq!(m.path["proxy"], "a/b%20c");
        assert_eq!(m.query, vec![("q".to_owned(), "2".to_owned())]);
        let mut h = m.headers.clone();
        h.sort();
        assert_eq!(
            h,
            vec![
                ("X-Stage".to_owned(), "hello".to_owned()),
                ("X-Static".to_owned(), "fixed".to_owned()),
                ("X-Tenant".to_owned(), "t1".to_owned())
            ]
        );
        assert_eq!(
            render_uri("http://nlb.example.com/{proxy}", &m.path),
            "http://nlb.example.com/a/b%20c"
        );
        assert_eq!(
            render_uri("http://h/{proxy+}/x", &m.path),
            "http://h/a/b%20c/x"
        );
        assert_eq!(
            render_uri("http://h/{other}", &m.path),
            "http://h/%7Bother%7D"
        );
    }
}
