//! MOCK integrations: the status code from the request template (`{"statusCode": 200}`), then the
//! integration response selected for it (selection pattern, else the default) with its response
//! parameters (`'literal'` headers) and response template. Templates are rendered minimally: only
//! `$context.*` and `$stageVariables.*` references are substituted (no VTL directives).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode, header};

use super::{
    errors,
    model::{Integration, IntegrationResponse},
    selection::Pattern,
};

/// Values `$context.x` and `$stageVariables.x` resolve to.
pub struct TemplateVars<'a> {
    pub context: BTreeMap<&'static str, String>,
    pub stage_variables: &'a BTreeMap<String, String>,
}

/// Substitutes `$context.name` / `${context.name}` and `$stageVariables.name` references; anything else is
/// left as written.
pub fn render(template: &str, vars: &TemplateVars<'_>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let (braced, body) = match after.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, after),
        };
        let len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(body.len());
        let name = body[..len].trim_end_matches('.');
        let closed = !braced || body[name.len()..].starts_with('}');
        let value = if let Some(key) = name.strip_prefix("context.") {
            vars.context.get(key).cloned()
        } else if let Some(key) = name.strip_prefix("stageVariables.") {
            vars.stage_variables.get(key).cloned()
        } else {
            None
        };
        match value {
            Some(v) if closed => {
                out.push_str(&v);
                rest = &body[name.len() + usize::from(braced)..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The status code a rendered request template asks for (200 when it names none).
pub fn requested_status(rendered: &str) -> Result<u16, String> {
    if rendered.trim().is_empty() {
        return Ok(200);
    }
    let value: serde_json::Value = serde_json::from_str(rendered)
        .map_err(|e| format!("the request template is not JSON: {e}"))?;
    match value.get("statusCode") {
        None => Ok(200),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| format!("statusCode {n} is not a status code")),
        Some(serde_json::Value::String(s)) => s
            .parse()
            .map_err(|_| format!("statusCode {s:?} is not a number")),
        Some(other) => Err(format!("statusCode {other} is not a number")),
    }
}

/// The integration response for `status`: the first whose selection pattern matches, else the default one.
pub fn select_response<'a>(
    responses: &'a [IntegrationResponse],
    status: &str,
) -> Option<&'a IntegrationResponse> {
    responses
        .iter()
        .find(|r| {
            r.selection_pattern.as_deref().is_some_and(|p| match Pattern::compile(p) {
                Ok(p) => p.matches(status),
                Err(err) => {
                    tracing::warn!(pattern = p, error = %err, "selection pattern not understood; skipped");
                    false
                }
            })
        })
        .or_else(|| responses.iter().find(|r| r.selection_pattern.is_none()))
}

/// Serves a MOCK integration.
pub fn respond(
    integration: &Integration,
    content_type: Option<&str>,
    vars: &TemplateVars<'_>,
) -> Response<Bytes> {
    let template = pick_template(&integration.request_templates, content_type);
    let status = match requested_status(&template.map(|t| render(t, vars)).unwrap_or_default()) {
        Ok(s) => s,
        Err(why) => {
            tracing::warn!(why, "MOCK integration: bad request template: 500");
            return errors::internal_server_error();
        }
    };
    let Some(chosen) = select_response(&integration.responses, &status.to_string()) else {
        tracing::warn!(
            status,
            "MOCK integration: no integration response matches and there is no default (put an integration \
             response): 500"
        );
        return errors::internal_server_error();
    };
    let (body_type, body) =
        match pick_template_entry(&chosen.response_templates, Some("application/json")) {
            Some((ct, t)) => (ct.to_owned(), render(t, vars)),
            None => ("application/json".to_owned(), String::new()),
        };
    let mut resp = Response::new(Bytes::from(body));
    *resp.status_mut() = StatusCode::from_u16(chosen.status_code.parse().unwrap_or(500))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(&body_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    for (dest, expr) in &chosen.response_parameters {
        let Some(name) = dest.strip_prefix("method.response.header.") else {
            continue;
        };
        let Some(value) = expr
            .trim()
            .strip_prefix('\'')
            .and_then(|e| e.strip_suffix('\''))
        else {
            continue;
        };
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().insert(n, v);
        }
    }
    resp
}

fn pick_template<'a>(
    templates: &'a BTreeMap<String, String>,
    content_type: Option<&str>,
) -> Option<&'a str> {
    pick_template_entry(templates, content_type).map(|(_, t)| t)
}

fn pick_template_entry<'a>(
    templates: &'a BTreeMap<String, String>,
    content_type: Option<&str>,
) -> Option<(&'a str, &'a str)> {
    let ct = content_type.map(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    ct.and_then(|ct| templates.get_key_value(&ct))
        .or_else(|| templates.get_key_value("application/json"))
        .or_else(|| templates.iter().next())
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(stage_variables: &BTreeMap<String, String>) -> TemplateVars<'_> {
        TemplateVars {
            context: [
                ("requestId", "rid-1".to_owned()),
                ("stage", "dev".to_owned()),
            ]
            .into(),
            stage_variables,
        }
    }

    fn response(code: &str, pattern: Option<&str>, template: &str) -> IntegrationResponse {
        IntegrationResponse {
            status_code: code.into(),
            selection_pattern: pattern.map(Into::into),
            response_parameters: [(
                "method.response.header.X-Mock".to_owned(),
                "'yes'".to_owned(),
            )]
            .into(),
            response_templates: [("application/json".to_owned(), template.to_owned())].into(),
        }
    }

    #[test]
    fn rendering() {
        let sv: BTreeMap<String, String> = [("env".to_owned(), "test".to_owned())].into();
        let v = vars(&sv);
        assert_eq!(
            render(
                r#"{"id": "$context.requestId", "env": "${stageVariables.env}", "cost": "$5", "x": "$input.body"}"#,
                &v
            ),
            r#"{"id": "rid-1", "env": "test", "cost": "$5", "x": "$input.body"}"#
        );
        assert_eq!(requested_status(r#"{"statusCode": 200}"#), Ok(200));
        assert_eq!(requested_status(r#"{"statusCode": "404"}"#), Ok(404));
        assert_eq!(requested_status(""), Ok(200));
        assert!(requested_status("#set($x = 1)").is_err());
    }

    #[test]
    fn selection_and_response() {
        let responses = vec![
            response("200", None, r#"{"ok": true}"#),
            response("404", Some("4\\d{2}"), "{}"),
        ];
        assert_eq!(
            select_response(&responses, "200").unwrap().status_code,
            "200"
        );
        assert_eq!(
            select_response(&responses, "404").unwrap().status_code,
            "404"
        );
        assert_eq!(
            select_response(&responses, "503").unwrap().status_code,
            "200"
        );
        assert!(select_response(&responses[1..], "200").is_none());

        let sv = BTreeMap::new();
        let integration = Integration {
            request_templates: [(
                "application/json".to_owned(),
                r#"{"statusCode": 200}"#.to_owned(),
            )]
            .into(),
            responses,
            ..Integration::default()
        };
        let resp = respond(&integration, None, &vars(&sv));
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.body().as_ref(), br#"{"ok": true}"#);
        assert_eq!(resp.headers()["x-mock"], "yes");
        assert_eq!(resp.headers()["content-type"], "application/json");

        let none = Integration {
            responses: vec![response("404", Some("404"), "")],
            ..integration.clone()
        };
        assert_eq!(respond(&none, None, &vars(&sv)).status(), 500);
    }
}
