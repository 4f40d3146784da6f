//! CloudFront distributions, served at `http://{id}.cloudfront.localhost:{port}/` for `{id}.cloudfront.net`
//! ([`crate::contract::urls::cloudfront`]), configured from moto's CloudFront state.
//!
//! [`model`] is what moto holds (read once per generation, bumped by CloudFront and S3 writes); [`serve`] runs a
//! viewer request: path normalisation, cache behaviour by path-pattern precedence, the edge cache ([`cache`],
//! `x-cache` as CloudFront sends it), origin groups, custom error responses and the response headers policy;
//! [`origin`] fetches from S3 (Origin Access Control: the bucket policy decides, as S3 does) or a custom origin
//! (API Gateway and others on the edge, with origin path and custom headers).

pub mod cache;
pub mod model;
pub mod origin;
pub mod serve;

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http::Request;

use crate::{
    SharedCloud,
    contract::urls::CLOUDFRONT_HOST_SUFFIX,
    service::{Handled, Service, Write},
    shared::{cache::Generation, http_client},
};

/// The data plane's state on [`crate::Cloud`].
#[derive(Default)]
pub struct State {
    pub generation: Generation,
    model: Mutex<Option<(u64, Arc<model::Model>)>>,
    pub cache: cache::EdgeCache,
}

/// Distributions as the edge sees them: requests whose host is `{id}.cloudfront.localhost`.
pub const SERVICE: Service = Service {
    name: "cloudfront",
    handle: |cloud, req| -> Handled<'_> {
        Box::pin(async move {
            match distribution_id(&req) {
                Some(id) => Ok(serve::handle(cloud, &id, req).await),
                None => Err(req),
            }
        })
    },
    written,
};

/// The distribution id of a request to `{id}.cloudfront.localhost[:port]`.
pub fn distribution_id(req: &Request<Bytes>) -> Option<String> {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())?;
    let host = host.split(':').next().unwrap_or(host);
    let id = host.strip_suffix(CLOUDFRONT_HOST_SUFFIX)?;
    (!id.is_empty() && !id.contains('.')).then(|| id.to_ascii_lowercase())
}

fn written(cloud: &SharedCloud, write: &Write<'_>) {
    // Not S3: bucket policies and objects are read per origin request, and an object written to S3 stays cached
    // at the edge until its TTL ends, as on AWS (a data-plane write must not reload the model).
    if write.touches(&["cloudfront"]) {
        cloud.cloudfront.generation.bump();
    }
    // CreateInvalidation: `/2020-05-31/distribution/{id}/invalidation`. The paths are in the body, which the edge
    // does not hand on: the whole distribution's cache goes, a superset of what AWS drops.
    if write.api == Some("cloudfront")
        && write.status.is_success()
        && let Some(rest) = write.path.strip_prefix("/2020-05-31/distribution/")
        && let Some((id, "invalidation")) = rest.split_once('/')
    {
        cloud.cloudfront.cache.invalidate(id);
    }
}

/// The deployed model for the current generation (read from moto when it moved on).
pub async fn model(cloud: &SharedCloud) -> Result<Arc<model::Model>> {
    let generation = cloud.cloudfront.generation.get();
    if let Some((g, m)) = &*cloud
        .cloudfront
        .model
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        && *g == generation
    {
        return Ok(m.clone());
    }
    let body = moto_get(cloud, "distributions")
        .await?
        .context("moto has no /_local/cloudfront/distributions route")?;
    let model: Arc<model::Model> =
        Arc::new(serde_json::from_slice(&body).context("reading moto's CloudFront model")?);
    *cloud
        .cloudfront
        .model
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some((generation, model.clone()));
    Ok(model)
}

/// `GET {moto}/_local/cloudfront/{path}`: the body, or `None` on a 404.
pub async fn moto_get(cloud: &SharedCloud, path: &str) -> Result<Option<Bytes>> {
    let (resp, _) = moto_get_full(cloud, path).await?;
    Ok(resp)
}

/// Like [`moto_get`], with the response headers.
pub async fn moto_get_full(
    cloud: &SharedCloud,
    path: &str,
) -> Result<(Option<Bytes>, http::HeaderMap)> {
    let url = format!("{}/_local/cloudfront/{path}", cloud.config.moto_url());
    let req = Request::get(&url)
        .body(Bytes::new())
        .context("building the request to moto")?;
    let resp = http_client::send(req, std::time::Duration::from_secs(30))
        .await
        .map_err(|e| anyhow::anyhow!("GET {url}: {e}"))?;
    match resp.status().as_u16() {
        200 => {
            let (parts, body) = resp.into_parts();
            Ok((Some(body), parts.headers))
        }
        404 => Ok((None, resp.headers().clone())),
        other => anyhow::bail!("GET {url}: status {other}"),
    }
}
