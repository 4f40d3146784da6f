//! The edge: one port on 127.0.0.1 that serves execute-api traffic and the Lambda Invoke API, and forwards
//! every other AWS API call to moto.
//!
//! Order per request: each service of [`SERVICES`] (CloudFront distributions and Lambda function URLs by host, execute-api: HTTP APIs, then REST APIs; the Lambda Invoke API and `/_local/lambda`
//! routes, internet-facing load balancers at `/_elb/...`), the edge's `/_local/status`, then [`proxy`] to
//! moto. Each write moto accepts is told to every service ([`Service::written`]), which drops what it made
//! stale. What moto lacks is added to moto itself (`python/local_moto`), never recorded on the side here.

pub mod proxy;

use std::{convert::Infallible, sync::Arc, time::Duration};

use anyhow::{Context, Result};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::watch, task::JoinSet};

use crate::{
    SharedCloud,
    contract::routes,
    service::{Service, Write},
};

/// The services with a data plane on the edge, in the order they are asked.
pub const SERVICES: &[Service] = &[
    // First: it serves only requests whose host is `{id}.cloudfront.localhost`.
    crate::cloudfront::SERVICE,
    // It serves only requests whose host is `{url_id}.lambda-url.localhost`.
    crate::lambda::urls::SERVICE,
    // Before REST APIs: it serves the execute-api ids that are HTTP APIs and hands the others on.
    crate::apigwv2::SERVICE,
    crate::apigw::SERVICE,
    crate::lambda::service::SERVICE,
    crate::lambda::event_sources::SERVICE,
    crate::elb::SERVICE,
];

/// Tells every service of a control-plane write moto accepted (the edge calls it for each one it forwards).
pub fn written(cloud: &SharedCloud, write: &Write<'_>) {
    for service in SERVICES {
        (service.written)(cloud, write);
    }
}

/// How long in-flight requests may run once shutdown starts.
const DRAIN: Duration = Duration::from_secs(5);

/// Binds the edge's port, with the error a user can act on when it is taken.
pub async fn bind(port: u16) -> Result<TcpListener> {
    match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "port {port} on 127.0.0.1 is in use (by another program): stop it or choose another port with \
             --port/LOCAL_CLOUD_PORT"
        ),
        Err(e) => Err(e).with_context(|| format!("binding 127.0.0.1:{port}")),
    }
}

/// The edge's shared parts.
pub struct Edge {
    pub cloud: SharedCloud,
    proxy: proxy::MotoProxy,
    /// Facts about the daemon for `/_local/status` (pid, moto pid, start time).
    info: serde_json::Value,
}

impl Edge {
    pub fn new(cloud: SharedCloud, info: serde_json::Value) -> Arc<Edge> {
        let proxy = proxy::MotoProxy::new(&cloud.config.moto_url());
        Arc::new(Edge { cloud, proxy, info })
    }

    /// Serves connections from `listener` until `shutdown` turns true, then drains for up to [`DRAIN`].
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let edge = self.clone();
                        conns.spawn(serve_connection(edge, stream, shutdown.clone()));
                    }
                    Err(e) => tracing::warn!("accept: {e}"),
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
                _ = shutdown.changed() => break,
            }
        }
        drop(listener);
        let drained =
            tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} });
        if drained.await.is_err() {
            tracing::warn!(
                "{} connection(s) still busy after {DRAIN:?}: closing them",
                conns.len()
            );
            conns.abort_all();
        }
    }

    /// One request: each service in [`SERVICES`] order, the edge's own status, then moto; every write moto
    /// accepted is told to each service.
    async fn handle(self: Arc<Self>, mut req: Request<Bytes>) -> Response<Bytes> {
        for service in SERVICES {
            req = match (service.handle)(&self.cloud, req).await {
                Ok(resp) => return resp,
                Err(req) => req,
            };
        }
        if req.uri().path() == routes::STATUS && req.method() == Method::GET {
            return self.status().await;
        }
        let api = proxy::signing_service(&req).map(str::to_owned);
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        let resp = match self.proxy.forward(req).await {
            Ok(resp) => resp,
            Err(e) => {
                return json_response(
                    StatusCode::BAD_GATEWAY,
                    &serde_json::json!({"message": format!("{e:#}")}),
                );
            }
        };
        let write = Write {
            api: api.as_deref(),
            method: &method,
            path: &path,
            status: resp.status(),
        };
        written(&self.cloud, &write);
        resp
    }

    async fn status(&self) -> Response<Bytes> {
        let config = &self.cloud.config;
        let moto = match crate::moto::health(&config.moto_url()).await {
            Ok(health) => serde_json::json!({"healthy": true, "version": health.version}),
            Err(e) => serde_json::json!({"healthy": false, "error": format!("{e:#}")}),
        };
        let mut body = serde_json::json!({
            "edge_url": config.edge_url(),
            "edge_port": config.edge_port,
            "moto_url": config.moto_url(),
            "moto_port": config.moto_port,
            "region": config.region,
            "state_dir": config.state_dir,
            "generation": self.cloud.generation(),
            "moto": moto,
        });
        if let (Some(body), Some(info)) = (body.as_object_mut(), self.info.as_object()) {
            body.extend(info.clone());
        }
        json_response(StatusCode::OK, &body)
    }
}

async fn serve_connection(
    edge: Arc<Edge>,
    stream: tokio::net::TcpStream,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = service_fn(move |req: Request<Incoming>| {
        let edge = edge.clone();
        async move {
            let (parts, body) = req.into_parts();
            let resp = match body.collect().await {
                Ok(body) => {
                    edge.handle(Request::from_parts(parts, body.to_bytes()))
                        .await
                }
                Err(e) => text_response(
                    StatusCode::BAD_REQUEST,
                    &format!("reading the request body: {e}"),
                ),
            };
            Ok::<_, Infallible>(resp.map(Full::new))
        }
    });
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!("connection: {e}");
    }
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("static response parts")
}

/// A plain-text response.
pub fn text_response(status: StatusCode, text: &str) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Bytes::from(text.to_owned()))
        .expect("static response parts")
}
