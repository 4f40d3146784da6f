//! Reads a deployed HTTP API (the API, its routes, integrations, stages and authorizers) from moto's API
//! Gateway v2 REST API (`GET /v2/apis/{id}...`, plain HTTP: the crate has no v2 SDK, and needs none) into
//! the [`model`](super::model), once per generation of deployed state.

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use serde_json::Value;

use super::model::{Authorizer, Cors, DEFAULT_TIMEOUT, HttpApi, Integration, Route, Stage};
use crate::{
    SharedCloud,
    shared::cache::{GenCache, Generation},
};

/// The HTTP APIs as last read, held on the [`Cloud`](crate::Cloud): valid for one generation (bumped by
/// API Gateway and CloudFormation writes). An id that is not an HTTP API (a REST API's) is cached as `None`.
#[derive(Default)]
pub struct Snapshots {
    pub generation: Generation,
    apis: GenCache<String, Option<Arc<HttpApi>>>,
    /// JWKS documents by URL, for JWT authorizers.
    pub(crate) jwks: crate::shared::jwt::JwksCache,
}

/// The HTTP API `api_id` as deployed (`None` if there is none, or it is a WebSocket API); reloaded only when
/// deployed state changed.
pub async fn api(cloud: &SharedCloud, api_id: &str) -> anyhow::Result<Option<Arc<HttpApi>>> {
    let cache = &cloud.apigwv2;
    let generation = cache.generation.get();
    if let Some(hit) = cache.apis.get(generation, &api_id.to_owned()) {
        return Ok(hit);
    }
    let moto = Moto::of(cloud);
    let api = load_api(&moto, api_id)
        .await
        .with_context(|| format!("reading HTTP API {api_id} from moto"))?
        .map(Arc::new);
    tracing::debug!(
        api_id,
        generation,
        found = api.is_some(),
        "loaded HTTP API snapshot"
    );
    cache
        .apis
        .insert(generation, api_id.to_owned(), api.clone());
    Ok(api)
}

/// moto's REST-style APIs, read with plain HTTP.
pub(crate) struct Moto {
    url: String,
    region: String,
}

impl Moto {
    pub(crate) fn of(cloud: &SharedCloud) -> Moto {
        Moto {
            url: cloud.config.moto_url(),
            region: cloud.config.region.clone(),
        }
    }

    /// `GET {moto}{path}` as an `apigateway`-signed call; `None` on 404.
    async fn get(&self, path: &str) -> anyhow::Result<Option<Value>> {
        self.get_as("apigateway", path).await
    }

    /// `GET {moto}{path}` signed for `service` (moto routes by the SigV4 credential scope); `None` on 404.
    pub(crate) async fn get_as(&self, service: &str, path: &str) -> anyhow::Result<Option<Value>> {
        use http_body_util::{BodyExt, Empty};
        use hyper_util::{client::legacy::Client, rt::TokioExecutor};

        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
        let request = http::Request::get(format!("{}{path}", self.url))
            .header(
                http::header::AUTHORIZATION,
                format!(
                    "AWS4-HMAC-SHA256 Credential=local-cloud/20260101/{}/{service}/aws4_request, \
                     SignedHeaders=host, Signature=0",
                    self.region
                ),
            )
            .body(Empty::new())?;
        let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
            .await
            .context("moto did not answer within 10 s")??;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status == http::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            anyhow::bail!(
                "GET {path}: moto answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(Some(
            serde_json::from_slice(&body).with_context(|| format!("GET {path}: not JSON"))?,
        ))
    }

    /// The `items` of the list call `/v2/apis/{api_id}/{what}`.
    async fn items(&self, api_id: &str, what: &str) -> anyhow::Result<Vec<Value>> {
        Ok(
            match self.get(&format!("/v2/apis/{api_id}/{what}")).await? {
                Some(Value::Object(mut map)) => match map.remove("items") {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            },
        )
    }
}

async fn load_api(moto: &Moto, api_id: &str) -> anyhow::Result<Option<HttpApi>> {
    // API ids are alphanumeric: anything else names no API (and must not reach the URL unescaped).
    if api_id.is_empty() || !api_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let Some(api) = moto.get(&format!("/v2/apis/{api_id}")).await? else {
        return Ok(None);
    };
    if api["protocolType"].as_str() != Some("HTTP") {
        return Ok(None);
    }
    let (routes, integrations, stages, authorizers) = tokio::try_join!(
        moto.items(api_id, "routes"),
        moto.items(api_id, "integrations"),
        moto.items(api_id, "stages"),
        moto.items(api_id, "authorizers"),
    )?;
    Ok(Some(http_api_from_json(
        api_id,
        &api,
        &routes,
        &integrations,
        &stages,
        &authorizers,
    )))
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Value::String(s) => s.split(',').map(|s| s.trim().to_owned()).collect(),
        _ => Vec::new(),
    }
}

/// `key` of `obj`, matched case-insensitively (the API answers `allowOrigins`, CloudFormation says
/// `AllowOrigins`).
fn field<'a>(obj: &'a Value, key: &str) -> &'a Value {
    obj.as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
        .map_or(&Value::Null, |(_, v)| v)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The model of the answers to GetApi, GetRoutes, GetIntegrations, GetStages and GetAuthorizers.
pub fn http_api_from_json(
    api_id: &str,
    api: &Value,
    routes: &[Value],
    integrations: &[Value],
    stages: &[Value],
    authorizers: &[Value],
) -> HttpApi {
    let cors = api
        .get("corsConfiguration")
        .filter(|c| c.is_object())
        .map(|c| Cors {
            allow_origins: strings(field(c, "allowOrigins")),
            allow_methods: strings(field(c, "allowMethods")),
            allow_headers: strings(field(c, "allowHeaders")),
            expose_headers: strings(field(c, "exposeHeaders")),
            allow_credentials: match field(c, "allowCredentials") {
                Value::Bool(b) => *b,
                Value::String(s) => s.eq_ignore_ascii_case("true"),
                _ => false,
            },
            max_age: match field(c, "maxAge") {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            },
        });
    HttpApi {
        id: api_id.to_owned(),
        name: api["name"].as_str().unwrap_or_default().to_owned(),
        cors,
        routes: routes
            .iter()
            .map(|r| Route {
                id: r["routeId"].as_str().unwrap_or_default().to_owned(),
                key: r["routeKey"].as_str().unwrap_or_default().to_owned(),
                authorization_type: r["authorizationType"].as_str().unwrap_or("NONE").to_owned(),
                authorizer_id: text(&r["authorizerId"]),
                authorization_scopes: strings(&r["authorizationScopes"]),
                integration_id: r["target"]
                    .as_str()
                    .and_then(|t| t.strip_prefix("integrations/"))
                    .map(str::to_owned),
            })
            .collect(),
        integrations: integrations
            .iter()
            .map(|i| {
                let id = i["integrationId"].as_str().unwrap_or_default().to_owned();
                let timeout = match i["timeoutInMillis"].as_u64() {
                    Some(ms) if ms > 0 => Duration::from_millis(ms),
                    _ => DEFAULT_TIMEOUT,
                };
                let integration = Integration {
                    id: id.clone(),
                    kind: i["integrationType"].as_str().unwrap_or_default().to_owned(),
                    uri: text(&i["integrationUri"]),
                    payload_format_version: i["payloadFormatVersion"]
                        .as_str()
                        .unwrap_or("2.0")
                        .to_owned(),
                    credentials: text(&i["credentialsArn"]),
                    timeout,
                };
                (id, integration)
            })
            .collect(),
        stages: stages
            .iter()
            .filter_map(|s| {
                let name = s["stageName"].as_str()?.to_owned();
                let variables = s["stageVariables"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                            .collect()
                    })
                    .unwrap_or_default();
                Some((name.clone(), Stage { name, variables }))
            })
            .collect(),
        authorizers: authorizers
            .iter()
            .map(|a| {
                let id = a["authorizerId"].as_str().unwrap_or_default().to_owned();
                let jwt = &a["jwtConfiguration"];
                let authorizer = Authorizer {
                    id: id.clone(),
                    kind: a["authorizerType"].as_str().unwrap_or_default().to_owned(),
                    identity_source: strings(&a["identitySource"]),
                    issuer: text(field(jwt, "issuer")),
                    audience: strings(field(jwt, "audience")),
                };
                (id, authorizer)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn moto_answers_become_the_model() {
        let api = json!({"apiId": "abcdefgh", "name": "notes", "protocolType": "HTTP",
            "corsConfiguration": {"AllowOrigins": ["https://example.com"], "allowMethods": ["GET", "POST"],
                                  "allowHeaders": ["authorization"], "maxAge": 300, "allowCredentials": true}});
        let routes = [
            json!({"routeId": "r1", "routeKey": "GET /notes/{id}", "authorizationType": "NONE",
                   "target": "integrations/i1"}),
            json!({"routeId": "r2", "routeKey": "POST /notes", "authorizationType": "JWT",
                   "authorizerId": "a1", "authorizationScopes": null, "target": "integrations/i1"}),
        ];
        let integrations = [
            json!({"integrationId": "i1", "integrationType": "AWS_PROXY",
            "integrationUri": "arn:aws:lambda:us-east-1:123456789012:function:notes",
            "payloadFormatVersion": "2.0", "timeoutInMillis": 30000}),
        ];
        let stages = [json!({"stageName": "$default", "stageVariables": {"a": "b"}})];
        let authorizers = [json!({"authorizerId": "a1", "authorizerType": "JWT",
            "identitySource": ["$request.header.Authorization"],
            "jwtConfiguration": {"Audience": ["client"], "Issuer": "https://issuer"}})];
        let m = http_api_from_json(
            "abcdefgh",
            &api,
            &routes,
            &integrations,
            &stages,
            &authorizers,
        );
        assert_eq!(m.name, "notes");
        let cors = m.cors.unwrap();
        assert_eq!(cors.allow_origins, ["https://example.com"]);
        assert_eq!(cors.allow_methods, ["GET", "POST"]);
        assert_eq!((cors.max_age, cors.allow_credentials), (Some(300), true));
        assert_eq!(m.routes[0].method_and_path(), Some(("GET", "/notes/{id}")));
        assert_eq!(m.routes[1].authorizer_id.as_deref(), Some("a1"));
        assert_eq!(m.routes[1].integration_id.as_deref(), Some("i1"));
        assert_eq!(m.integrations["i1"].payload_format_version, "2.0");
        assert_eq!(m.stages["$default"].variables["a"], "b");
        assert_eq!(
            m.authorizers["a1"].issuer.as_deref(),
            Some("https://issuer")
        );
        assert_eq!(m.authorizers["a1"].audience, ["client"]);
    }
}
