//! The data plane in front of a real moto, as the edge runs it: a [`LocalCloud`] (moto, SDK clients and the
//! `Cloud`), requests to API Gateway's execute-api and to the `/_elb/` route, and telling the services that the
//! test wrote to moto behind the edge's back.

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, atomic::AtomicUsize},
    time::Duration,
};

use bytes::Bytes;
use http::{Request, Response};
use local_cloud::{Cloud, SharedCloud, aws::Clients, lambda::LambdaService, moto::Moto};
use serde_json::Value;

use super::REGION;

/// A moto and the data plane in front of it.
pub struct LocalCloud {
    pub moto: Moto,
    pub url: String,
    /// Clients straight to moto: what the test deploys with, and what the Lambda runtime reads.
    pub aws: Clients,
    pub cloud: SharedCloud,
    pub state_dir: PathBuf,
}

impl LocalCloud {
    /// Starts moto (its state directory named after `prefix`) and a data plane reading it.
    pub async fn start(prefix: &str) -> LocalCloud {
        let (cloud, _) = Self::start_inner(prefix, false).await;
        cloud
    }

    /// As [`LocalCloud::start`], but the data plane's clients (not the Lambda runtime's) go through a proxy
    /// that counts the AWS API calls they make.
    pub async fn start_counted(prefix: &str) -> (LocalCloud, Arc<AtomicUsize>) {
        let (cloud, count) = Self::start_inner(prefix, true).await;
        (cloud, count.unwrap())
    }

    async fn start_inner(prefix: &str, counted: bool) -> (LocalCloud, Option<Arc<AtomicUsize>>) {
        let (moto, config) = super::moto::start(prefix).await;
        let url = moto.url();
        let aws = Clients::new(&url, REGION).await;
        let (data_plane, count) = if counted {
            let (proxy_url, count) = super::moto::counting_proxy(url.clone()).await;
            (Clients::new(&proxy_url, REGION).await, Some(count))
        } else {
            (aws.clone(), None)
        };
        let cloud: SharedCloud = Arc::new(Cloud::new(
            config.clone(),
            data_plane,
            LambdaService::new(&config, aws.clone()),
        ));
        let state_dir = config.state_dir;
        let local = LocalCloud {
            moto,
            url,
            aws,
            cloud,
            state_dir,
        };
        (local, count)
    }

    /// Stops the functions and moto; removes the state directory when `clean` (keep it, with moto's log, for
    /// a failed test).
    pub async fn stop(self, clean: bool) {
        self.cloud.lambda.shutdown().await;
        self.moto.stop(Duration::from_secs(5)).await;
        if clean {
            let _ = std::fs::remove_dir_all(&self.state_dir);
        }
    }
}

/// A request to execute-api (`host` names the API, or is the edge's for the path form) from 10.9.8.7; panics
/// when API Gateway does not take it.
pub async fn execute_api(
    cloud: &SharedCloud,
    method: &str,
    host: &str,
    path: &str,
) -> Response<Bytes> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
        .header("user-agent", "local-cloud-test")
        .body(Bytes::new())
        .unwrap();
    req.extensions_mut()
        .insert("10.9.8.7:50000".parse::<SocketAddr>().unwrap());
    match local_cloud::apigw::handle(cloud, req).await {
        Ok(resp) => resp,
        Err(req) => panic!(
            "{} {} was not taken as execute-api traffic",
            req.method(),
            req.uri()
        ),
    }
}

/// A GET from the host through the edge's `/_elb/` route.
pub async fn from_host(cloud: &SharedCloud, path: &str) -> Response<Bytes> {
    let req = Request::get(path)
        .header("host", "127.0.0.1:4566")
        .body(Bytes::new())
        .unwrap();
    local_cloud::elb::public::handle(cloud, req).await
}

/// The JSON body of a response, which must be JSON.
pub fn json_body(resp: &Response<Bytes>) -> Value {
    serde_json::from_slice(resp.body())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(resp.body())))
}

/// Tells the services that deployed state changed behind the edge's back (the test wrote to moto directly,
/// where a write through the edge would have done it).
pub fn state_changed(cloud: &SharedCloud) {
    local_cloud::edge::written(
        cloud,
        &local_cloud::service::Write {
            api: Some("cloudformation"),
            method: &http::Method::POST,
            path: "/",
            status: http::StatusCode::OK,
        },
    );
}
