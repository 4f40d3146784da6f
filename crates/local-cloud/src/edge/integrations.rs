//! API Gateway integration fields that moto drops (`connectionId`, `integrationTarget`) or cannot update,
//! kept by the edge as it forwards the calls: recorded from PutIntegration, patched by UpdateIntegration
//! (which moto 5.2.1 cannot do, so a patch of only these fields is answered here), laid over moto's
//! GetIntegration/GetMethod answers (so Terraform sees no drift), removed with the integration, method,
//! resource or API. Persisted to `{state_dir}/integrations.json`.

use std::{collections::HashMap, path::Path};

use anyhow::{Context, Result};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    json_response,
    proxy::{MotoProxy, signing_service},
};
use crate::{SharedCloud, state::IntegrationKey};

/// The integration fields the edge keeps (moto keeps some of them, but cannot patch any).
pub const EXTRA_FIELDS: [&str; 4] = [
    "connectionType",
    "connectionId",
    "integrationTarget",
    "timeoutInMillis",
];
/// Where the fields are persisted, under the state directory.
pub const FILE: &str = "integrations.json";

/// An API Gateway call that touches integrations.
#[derive(Debug, PartialEq)]
enum Call {
    Integration(IntegrationKey),
    Method(IntegrationKey),
    Resource(String, String),
    RestApi(String),
    /// `POST /moto-api/reset`: moto forgets everything, so do we.
    Reset,
}

fn classify(path: &str) -> Option<Call> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let key =
        |api: &str, rid: &str, m: &str| (api.to_owned(), rid.to_owned(), m.to_ascii_uppercase());
    Some(match segs.as_slice() {
        ["restapis", api] => Call::RestApi(api.to_string()),
        ["restapis", api, "resources", rid] => Call::Resource(api.to_string(), rid.to_string()),
        ["restapis", api, "resources", rid, "methods", m] => Call::Method(key(api, rid, m)),
        [
            "restapis",
            api,
            "resources",
            rid,
            "methods",
            m,
            "integration",
        ] => Call::Integration(key(api, rid, m)),
        _ => return None,
    })
}

/// Forwards `req` to moto, bumping the state generation for control-plane writes and keeping the
/// integration fields moto drops.
pub async fn forward(
    cloud: &SharedCloud,
    proxy: &MotoProxy,
    req: Request<Bytes>,
) -> Response<Bytes> {
    let call = if req.uri().path() == "/moto-api/reset" {
        Some(Call::Reset)
    } else {
        (signing_service(&req) == Some("apigateway"))
            .then(|| classify(req.uri().path()))
            .flatten()
    };
    let method = req.method().clone();
    if let (Some(Call::Integration(key)), &Method::PATCH) = (&call, &method)
        && let Some(ops) = extras_only_patch(req.body())
    {
        return patch_locally(cloud, proxy, req, key, &ops).await;
    }
    let body = req.body().clone();
    let resp = match proxy.forward(req).await {
        Ok(resp) => resp,
        Err(e) => {
            return json_response(
                StatusCode::BAD_GATEWAY,
                &serde_json::json!({"message": format!("{e:#}")}),
            );
        }
    };
    match call {
        Some(call) if resp.status().is_success() => after_moto(cloud, call, &method, &body, resp),
        _ => resp,
    }
}

/// Updates the kept fields after moto accepted `method` on `call`, and lays them over its answer.
fn after_moto(
    cloud: &SharedCloud,
    call: Call,
    method: &Method,
    body: &Bytes,
    resp: Response<Bytes>,
) -> Response<Bytes> {
    let mut extras = cloud
        .state
        .integration_extras
        .lock()
        .expect("integration extras lock");
    let before = extras.clone();
    let resp = match (call, method) {
        (Call::Integration(key), &Method::PUT) => {
            let fields = pick_fields(body);
            if fields.is_empty() {
                extras.remove(&key);
            } else {
                extras.insert(key.clone(), Value::Object(fields));
            }
            overlay(resp, extras.get(&key), None)
        }
        (Call::Integration(key), &Method::PATCH) => {
            let ops = patch_ops(body).unwrap_or_default();
            apply_patch(
                extras
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new())),
                &ops,
            );
            overlay(resp, extras.get(&key), None)
        }
        (Call::Integration(key), &Method::GET) => overlay(resp, extras.get(&key), None),
        (Call::Method(key), &Method::GET) => {
            overlay(resp, extras.get(&key), Some("methodIntegration"))
        }
        (Call::Integration(key) | Call::Method(key), &Method::DELETE) => {
            extras.remove(&key);
            resp
        }
        (Call::Resource(api, rid), &Method::DELETE) => {
            extras.retain(|(a, r, _), _| !(*a == api && *r == rid));
            resp
        }
        (Call::RestApi(api), &Method::DELETE) => {
            extras.retain(|(a, _, _), _| *a != api);
            resp
        }
        (Call::Reset, &Method::POST) => {
            extras.clear();
            resp
        }
        _ => resp,
    };
    if *extras != before {
        save_logged(&cloud.config.state_dir, &extras);
    }
    resp
}

/// UpdateIntegration touching only [`EXTRA_FIELDS`]: checked against moto (the integration must exist),
/// applied here, answered with moto's integration plus the kept fields.
async fn patch_locally(
    cloud: &SharedCloud,
    proxy: &MotoProxy,
    req: Request<Bytes>,
    key: &IntegrationKey,
    ops: &[Value],
) -> Response<Bytes> {
    let (mut parts, _) = req.into_parts();
    parts.method = Method::GET;
    parts.headers.remove(header::CONTENT_TYPE);
    let current = match proxy
        .forward(Request::from_parts(parts, Bytes::new()))
        .await
    {
        Ok(resp) if resp.status().is_success() => resp,
        Ok(resp) => return resp,
        Err(e) => {
            return json_response(
                StatusCode::BAD_GATEWAY,
                &serde_json::json!({"message": format!("{e:#}")}),
            );
        }
    };
    let mut extras = cloud
        .state
        .integration_extras
        .lock()
        .expect("integration extras lock");
    apply_patch(
        extras
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new())),
        ops,
    );
    save_logged(&cloud.config.state_dir, &extras);
    let write = crate::service::Write {
        api: Some("apigateway"),
        method: &Method::PATCH,
        path: &format!(
            "/restapis/{}/resources/{}/methods/{}/integration",
            key.0, key.1, key.2
        ),
        status: StatusCode::OK,
    };
    super::written(cloud, &write);
    overlay(current, extras.get(key), None)
}

/// The [`EXTRA_FIELDS`] present in a PutIntegration body.
fn pick_fields(body: &Bytes) -> Map<String, Value> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Map::new();
    };
    body.into_iter()
        .filter(|(k, v)| EXTRA_FIELDS.contains(&k.as_str()) && !v.is_null())
        .collect()
}

fn patch_ops(body: &Bytes) -> Option<Vec<Value>> {
    let body: Value = serde_json::from_slice(body).ok()?;
    body.get("patchOperations")?.as_array().cloned()
}

/// The patch operations when every one of them is a replace/add/remove of an [`EXTRA_FIELDS`] path.
fn extras_only_patch(body: &Bytes) -> Option<Vec<Value>> {
    let ops = patch_ops(body)?;
    let ours = |op: &Value| {
        let field = op["path"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('/');
        EXTRA_FIELDS.contains(&field)
            && matches!(op["op"].as_str(), Some("replace" | "add" | "remove"))
    };
    (!ops.is_empty() && ops.iter().all(ours)).then_some(ops)
}

/// Applies the patch operations on [`EXTRA_FIELDS`] to `fields` (others are moto's business).
fn apply_patch(fields: &mut Value, ops: &[Value]) {
    let Some(fields) = fields.as_object_mut() else {
        return;
    };
    for op in ops {
        let field = op["path"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('/');
        if !EXTRA_FIELDS.contains(&field) {
            continue;
        }
        match (op["op"].as_str(), &op["value"]) {
            (Some("remove"), _) => {
                fields.remove(field);
            }
            (Some("replace" | "add"), Value::String(v)) if field == "timeoutInMillis" => {
                let n = v
                    .parse::<u64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::from(v.as_str()));
                fields.insert(field.to_owned(), n);
            }
            (Some("replace" | "add"), v) if !v.is_null() => {
                fields.insert(field.to_owned(), v.clone());
            }
            _ => {}
        }
    }
}

/// `resp` with `fields` laid over its JSON body (or over `body[member]`).
fn overlay(resp: Response<Bytes>, fields: Option<&Value>, member: Option<&str>) -> Response<Bytes> {
    let Some(Value::Object(fields)) = fields else {
        return resp;
    };
    let (mut parts, body) = resp.into_parts();
    let Ok(mut json) = serde_json::from_slice::<Value>(&body) else {
        return Response::from_parts(parts, body);
    };
    let target = match member {
        Some(m) => json.get_mut(m),
        None => Some(&mut json),
    };
    let Some(Value::Object(target)) = target else {
        return Response::from_parts(parts, body);
    };
    target.extend(fields.clone());
    let body = Bytes::from(json.to_string());
    parts
        .headers
        .insert(header::CONTENT_LENGTH, body.len().into());
    Response::from_parts(parts, body)
}

/// One kept integration, as stored in [`FILE`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    rest_api_id: String,
    resource_id: String,
    http_method: String,
    fields: Value,
}

/// Reads `{state_dir}/integrations.json` (empty when absent).
pub fn load(state_dir: &Path) -> Result<HashMap<IntegrationKey, Value>> {
    let path = state_dir.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let entries: Vec<Entry> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a list of {{restApiId, resourceId, httpMethod, fields}}: it is the local cloud's record of \
             API Gateway integration fields moto drops; delete it (and redeploy your APIs) to start afresh",
            path.display()
        )
    })?;
    Ok(entries
        .into_iter()
        .map(|e| ((e.rest_api_id, e.resource_id, e.http_method), e.fields))
        .collect())
}

/// Writes `{state_dir}/integrations.json` atomically (a temporary file renamed over it).
pub fn save(state_dir: &Path, extras: &HashMap<IntegrationKey, Value>) -> Result<()> {
    let mut entries: Vec<Entry> = extras
        .iter()
        .map(|((api, rid, m), fields)| Entry {
            rest_api_id: api.clone(),
            resource_id: rid.clone(),
            http_method: m.clone(),
            fields: fields.clone(),
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.rest_api_id, &a.resource_id, &a.http_method).cmp(&(
            &b.rest_api_id,
            &b.resource_id,
            &b.http_method,
        ))
    });
    let path = state_dir.join(FILE);
    let tmp = state_dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&entries)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

fn save_logged(state_dir: &Path, extras: &HashMap<IntegrationKey, Value>) {
    if let Err(e) = save(state_dir, extras) {
        tracing::error!("keeping integration fields: {e:#}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(api: &str, rid: &str, m: &str) -> IntegrationKey {
        (api.into(), rid.into(), m.into())
    }

    #[test]
    fn classifies_integration_paths() {
        assert_eq!(
            classify("/restapis/a1/resources/r1/methods/get/integration"),
            Some(Call::Integration(key("a1", "r1", "GET")))
        );
        assert_eq!(
            classify("/restapis/a1/resources/r1/methods/ANY"),
            Some(Call::Method(key("a1", "r1", "ANY")))
        );
        assert_eq!(
            classify("/restapis/a1/resources/r1"),
            Some(Call::Resource("a1".into(), "r1".into()))
        );
        assert_eq!(classify("/restapis/a1/"), Some(Call::RestApi("a1".into())));
        assert_eq!(
            classify("/restapis/a1/resources/r1/methods/GET/integration/responses/200"),
            None
        );
        assert_eq!(classify("/restapis/a1/prod/_user_request_/x"), None);
    }

    #[test]
    fn picks_only_the_kept_fields() {
        let body = Bytes::from(
            r#"{"type":"HTTP_PROXY","connectionType":"VPC_LINK","connectionId":"v1","uri":"http://x","timeoutInMillis":5000}"#,
        );
        let fields = pick_fields(&body);
        assert_eq!(
            Value::Object(fields),
            serde_json::json!({"connectionType":"VPC_LINK","connectionId":"v1","timeoutInMillis":5000})
        );
    }

    #[test]
    fn patches_are_ours_only_when_every_op_is() {
        let ours = Bytes::from(
            r#"{"patchOperations":[{"op":"replace","path":"/connectionId","value":"v2"},{"op":"replace","path":"/timeoutInMillis","value":"3000"}]}"#,
        );
        let ops = extras_only_patch(&ours).expect("extras-only patch");
        let mut fields = serde_json::json!({"connectionId":"v1","integrationTarget":"arn:x"});
        apply_patch(&mut fields, &ops);
        assert_eq!(
            fields,
            serde_json::json!({"connectionId":"v2","integrationTarget":"arn:x","timeoutInMillis":3000})
        );
        let mixed = Bytes::from(
            r#"{"patchOperations":[{"op":"replace","path":"/connectionId","value":"v2"},{"op":"replace","path":"/uri","value":"http://y"}]}"#,
        );
        assert!(extras_only_patch(&mixed).is_none());
        let remove =
            Bytes::from(r#"{"patchOperations":[{"op":"remove","path":"/integrationTarget"}]}"#);
        apply_patch(&mut fields, &extras_only_patch(&remove).unwrap());
        assert!(fields.get("integrationTarget").is_none());
    }

    #[test]
    fn overlays_fields_on_integration_and_method_answers() {
        let fields = serde_json::json!({"connectionId":"v1"});
        let resp = Response::new(Bytes::from(r#"{"type":"HTTP_PROXY"}"#));
        let out = overlay(resp, Some(&fields), None);
        assert_eq!(
            out.headers()[header::CONTENT_LENGTH],
            out.body().len().to_string().as_str()
        );
        assert_eq!(
            serde_json::from_slice::<Value>(out.body()).unwrap()["connectionId"],
            "v1"
        );
        let resp = Response::new(Bytes::from(
            r#"{"httpMethod":"GET","methodIntegration":{"type":"HTTP"}}"#,
        ));
        let out = overlay(resp, Some(&fields), Some("methodIntegration"));
        assert_eq!(
            serde_json::from_slice::<Value>(out.body()).unwrap()["methodIntegration"]["connectionId"],
            "v1"
        );
    }

    #[test]
    fn persists_and_reloads() {
        let dir = std::env::temp_dir().join(format!("lc-integrations-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(load(&dir).unwrap().is_empty());
        let extras = HashMap::from([(
            key("a", "r", "GET"),
            serde_json::json!({"connectionId":"v1"}),
        )]);
        save(&dir, &extras).unwrap();
        assert_eq!(load(&dir).unwrap(), extras);
        std::fs::write(dir.join(FILE), "{oops").unwrap();
        let err = format!("{:#}", load(&dir).unwrap_err());
        assert!(
            err.contains("integrations.json") && err.contains("delete it"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
