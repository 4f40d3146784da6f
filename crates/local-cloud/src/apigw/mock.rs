//! MOCK integrations: the status code from the request template (`{"statusCode": 200}`), then the
//! integration response selected for it (selection pattern, else the default) with its response
//! parameters (`'literal'` headers) and response template ([`respond_with`], which AWS integrations use too).
//! Templates are rendered by [`super::vtl`]; one that does not parse answers 500 and the log names the
//! template and the position.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode, header};

use super::{
    errors,
    model::{Integration, IntegrationResponse},
    selection::Pattern,
    vtl,
};

/// Values `$context.x` and `$stageVariables.x` resolve to.
pub struct TemplateVars<'a> {
    pub context: BTreeMap<&'static str, String>,
    pub stage_variables: &'a BTreeMap<String, String>,
}

impl TemplateVars<'_> {
    /// What a mapping template sees: `$context` (a key `a.b` as `$context.a.b`), `$stageVariables` and `input`.
    pub fn env(&self, input: vtl::Input) -> vtl::Env {
        let mut context = serde_json::Map::new();
        for (key, value) in &self.context {
            let mut parts: Vec<&str> = key.split('.').collect();
            let last = parts.pop().unwrap_or_default();
            let mut node = &mut context;
            for p in parts {
                let entry = node
                    .entry(p.to_owned())
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
                if !entry.is_object() {
                    *entry = serde_json::Value::Object(serde_json::Map::new());
                }
                node = entry.as_object_mut().expect("an object");
            }
            node.insert(last.to_owned(), serde_json::Value::String(value.clone()));
        }
        vtl::Env {
            input,
            context: serde_json::Value::Object(context),
            stage_variables: serde_json::to_value(self.stage_variables).unwrap_or_default(),
        }
    }
}

/// Renders a template that sees no request (`$input` empty): gateway responses'.
pub fn render(template: &str, vars: &TemplateVars<'_>) -> Result<String, vtl::SyntaxError> {
    vtl::render(template, &vars.env(vtl::Input::default()))
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

/// A template of an integration that does not parse: logged with which template it is, for a 500.
pub fn syntax_error(which: &str, err: &vtl::SyntaxError) -> Response<Bytes> {
    tracing::error!(template = which, error = %err, "the mapping template has a syntax error ({which}, {err}): 500");
    errors::internal_server_error()
}

/// Serves a MOCK integration.
pub fn respond(
    integration: &Integration,
    content_type: Option<&str>,
    env: &vtl::Env,
) -> Response<Bytes> {
    let rendered = match pick_template_entry(&integration.request_templates, content_type) {
        Some((ct, t)) => match vtl::render(t, env) {
            Ok(r) => r,
            Err(err) => return syntax_error(&format!("request template {ct}"), &err),
        },
        None => String::new(),
    };
    let status = match requested_status(&rendered) {
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
    respond_with(chosen, env, "application/json", Bytes::new())
}

/// The method response an integration response makes: its status, its response template rendered (JSON
/// unless it has only another type; without one the integration's body passes through) and its
/// `'literal'` header parameters.
pub fn respond_with(
    chosen: &IntegrationResponse,
    env: &vtl::Env,
    passthrough_type: &str,
    passthrough: Bytes,
) -> Response<Bytes> {
    let (body_type, body): (String, Bytes) =
        match pick_template_entry(&chosen.response_templates, Some("application/json")) {
            Some((ct, t)) => match vtl::render(t, env) {
                Ok(body) => (ct.to_owned(), Bytes::from(body)),
                Err(err) => {
                    return syntax_error(
                        &format!("integration response {} template {ct}", chosen.status_code),
                        &err,
                    );
                }
            },
            None => (passthrough_type.to_owned(), passthrough),
        };
    let mut resp = Response::new(body);
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

pub fn pick_template_entry<'a>(
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
                ("identity.sourceIp", "192.0.2.1".to_owned()),
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
                r#"{"id": "$context.requestId", "env": "${stageVariables.env}", "cost": "$5", "ip": "$context.identity.sourceIp", "x": "$input.body"}"#,
                &v
            )
            .unwrap(),
            r#"{"id": "rid-1", "env": "test", "cost": "$5", "ip": "192.0.2.1", "x": ""}"#
        );
        assert!(render("#if(", &v).is_err());
        assert_eq!(requested_status(r#"{"statusCode": 200}"#), Ok(200));
        assert_eq!(requested_status(r#"{"statusCode": "404"}"#), Ok(404));
        assert_eq!(requested_status(""), Ok(200));
        assert!(requested_status("not json").is_err());
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
        let resp = respond(&integration, None, &vars(&sv).env(vtl::Input::default()));
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.body().as_ref(), br#"{"ok": true}"#);
        assert_eq!(resp.headers()["x-mock"], "yes");
        assert_eq!(resp.headers()["content-type"], "application/json");

        let none = Integration {
            responses: vec![response("404", Some("404"), "")],
            ..integration.clone()
        };
        assert_eq!(
            respond(&none, None, &vars(&sv).env(vtl::Input::default())).status(),
            500
        );
    }
}
