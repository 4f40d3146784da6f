//! API Gateway v2 HTTP APIs (execute-api traffic), configured only from the APIs deployed in moto.
//!
//! HTTP APIs share execute-api's URL forms with REST APIs (`crate::apigw::url`): this service, asked
//! before [`crate::apigw`], serves the ids that are HTTP APIs and hands every other request back. [`load`]
//! reads a deployed API into [`model`] (cached per generation); [`routing`] picks stage and route;
//! [`crate::shared::cors`] (function URLs use it too) answers preflights and decorates responses; [`jwt`] is the
//! JWT authorizer; [`lambda_proxy`] with [`event`] serves AWS_PROXY integrations (payload 2.0 and 1.0); [`errors`] are API Gateway's own answers.

pub mod errors;
pub mod event;
pub mod jwt;
pub mod lambda_proxy;
pub mod load;
pub mod model;
pub mod routing;

use std::{net::IpAddr, time::Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderValue, Request, Response, header, request::Parts};

use crate::{
    SharedCloud,
    apigw::url,
    service::{Handled, Service, Write},
    shared::cors,
};
use model::{DEFAULT, HttpApi, Integration, Stage};
use routing::Matched;

/// HTTP APIs as the edge sees them: execute-api traffic for API ids that are HTTP APIs; snapshots are stale
/// after API Gateway writes (v2 signs as `apigateway` too).
pub const SERVICE: Service = Service {
    name: "apigatewayv2",
    handle: |cloud, req| -> Handled<'_> { Box::pin(handle(cloud, req)) },
    written,
};

fn written(cloud: &SharedCloud, write: &Write<'_>) {
    if write.touches(&["apigateway"]) {
        cloud.apigwv2.generation.bump();
    }
}

/// An execute-api request located: the API and the whole path (a named stage's segment included).
struct Located {
    api_id: String,
    path: String,
}

fn locate(req: &Request<Bytes>) -> Option<Located> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host());
    if let Some(api_id) = host.and_then(url::api_id_from_host) {
        return Some(Located {
            api_id,
            path: req.uri().path().to_owned(),
        });
    }
    // The path form names a stage segment, which for an HTTP API is just the first segment of its path (the
    // `$default` stage has none): `/restapis/{id}/{first}/_user_request_/{rest}` is `/{first}/{rest}`.
    let t = url::parse(host, req.uri().path())?;
    // (`/restapis/{id}/{first}/_user_request_/` is `/{first}`: clients map `https://{id}.../{first}` so.)
    let path = match t.stage.as_deref() {
        None | Some(DEFAULT | "%24default") => t.path,
        Some(first) if t.path == "/" => format!("/{first}"),
        Some(first) => format!("/{first}{}", t.path),
    };
    Some(Located {
        api_id: t.api_id,
        path,
    })
}

/// Serves `req` if it is execute-api traffic for an HTTP API; otherwise gives it back (to REST APIs).
pub async fn handle(
    cloud: &SharedCloud,
    req: Request<Bytes>,
) -> Result<Response<Bytes>, Request<Bytes>> {
    let Some(located) = locate(&req) else {
        return Err(req);
    };
    let api = match load::api(cloud, &located.api_id).await {
        Ok(Some(api)) => api,
        Ok(None) => return Err(req),
        Err(err) => {
            tracing::warn!(api_id = %located.api_id, error = format!("{err:#}"), "cannot read HTTP APIs: handing the request to REST APIs");
            return Err(req);
        }
    };
    let started = Instant::now();
    let request_id = crate::apigw::apigw_id();
    let method = req.method().clone();
    let mut resp = serve(cloud, &api, &located, req, &request_id).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("apigw-requestid", v);
    }
    tracing::info!(
        api_id = %api.id,
        %method,
        path = %located.path,
        status = resp.status().as_u16(),
        elapsed_us = started.elapsed().as_micros() as u64,
        request_id,
        "execute-api (HTTP API)"
    );
    Ok(resp)
}

async fn serve(
    cloud: &SharedCloud,
    api: &HttpApi,
    located: &Located,
    req: Request<Bytes>,
    request_id: &str,
) -> Response<Bytes> {
    let Some((stage, path)) = routing::stage(api, &located.path) else {
        return errors::not_found();
    };
    // rawPath: the path as sent, with the stage segment of a named stage.
    let raw_path = located.path.clone();
    let source_ip = crate::apigw::source_ip(&req);
    let domain = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let (parts, body) = req.into_parts();
    if let Some(cors) = &api.cors
        && cors::is_preflight(&parts)
    {
        return cors::preflight(cors, &parts);
    }
    let mut resp = 'resp: {
        let Some(matched) = routing::route(api, parts.method.as_str(), &path) else {
            break 'resp errors::not_found();
        };
        let authorizer = match matched.route.authorization_type.as_str() {
            "NONE" => None,
            "JWT" => match jwt::authorize(cloud, api, matched.route, &parts).await {
                Ok(context) => Some(context),
                Err(resp) => break 'resp resp,
            },
            other => {
                tracing::error!(authorization = other, route = %matched.route.key, "HTTP API authorization type {other} is not supported by the local cloud yet: 500");
                break 'resp errors::internal_server_error();
            }
        };
        let Some(integration) = matched
            .route
            .integration_id
            .as_ref()
            .and_then(|id| api.integrations.get(id))
        else {
            tracing::warn!(route = %matched.route.key, "route has no integration: 500");
            break 'resp errors::internal_server_error();
        };
        let call = Call {
            cloud,
            api,
            stage,
            matched: &matched,
            integration,
            parts: &parts,
            body: &body,
            path: &path,
            raw_path: &raw_path,
            source_ip,
            request_id,
            domain: &domain,
            received: Utc::now(),
            authorizer,
        };
        match integration.kind.as_str() {
            "AWS_PROXY" => lambda_proxy::invoke(&call).await,
            other => {
                tracing::error!(
                    integration = other,
                    "HTTP API integration type {other} is not supported by the local cloud yet: 500"
                );
                errors::internal_server_error()
            }
        }
    };
    if let Some(cors) = &api.cors {
        cors::decorate(cors, &parts.headers, &mut resp);
    }
    resp
}

/// One HTTP API request being served: everything integrations need.
pub struct Call<'a> {
    pub cloud: &'a SharedCloud,
    pub api: &'a HttpApi,
    pub stage: &'a Stage,
    pub matched: &'a Matched<'a>,
    pub integration: &'a Integration,
    pub parts: &'a Parts,
    pub body: &'a Bytes,
    /// The path below the stage, as sent.
    pub path: &'a str,
    /// The path as sent, with a named stage's segment (`rawPath`).
    pub raw_path: &'a str,
    pub source_ip: IpAddr,
    pub request_id: &'a str,
    pub domain: &'a str,
    pub received: DateTime<Utc>,
    /// `requestContext.authorizer`, if an authorizer ran.
    pub authorizer: Option<serde_json::Value>,
}

impl Call<'_> {
    pub fn event_context(&self) -> event::EventContext<'_> {
        event::EventContext {
            api_id: &self.api.id,
            stage: &self.stage.name,
            stage_variables: &self.stage.variables,
            route_key: &self.matched.route.key,
            path_parameters: &self.matched.params,
            raw_path: self.raw_path,
            source_ip: self.source_ip,
            request_id: self.request_id,
            domain: self.domain,
            received: self.received,
            authorizer: self.authorizer.clone(),
        }
    }
}
