//! Calls to moto as an AWS service receives them: a request carrying a SigV4-shaped `Authorization` whose
//! credential scope names the service (moto routes by it; it checks no signature).

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, header};

use super::http_client;
use crate::SharedCloud;

/// Sends `method path?query` with `headers` and `body` to moto as a call to `service` (`sqs`, `iam`, ...); a
/// form body without a content type is sent as `application/x-www-form-urlencoded`.
pub async fn send(
    cloud: &SharedCloud,
    service: &str,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: Bytes,
) -> anyhow::Result<Response<Bytes>> {
    let region = &cloud.config.region;
    let mut uri = format!(
        "{}{}",
        cloud.config.moto_url(),
        if path.is_empty() { "/" } else { path }
    );
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(query);
    }
    let date = chrono::Utc::now().format("%Y%m%d");
    let mut req = Request::builder().method(method).uri(&uri).header(
        header::AUTHORIZATION,
        format!(
            "AWS4-HMAC-SHA256 Credential=test/{date}/{region}/{service}/aws4_request, \
                 SignedHeaders=host, Signature=0"
        ),
    );
    let mut typed = false;
    for (k, v) in headers {
        typed |= k.eq_ignore_ascii_case("content-type");
        req = req.header(k.as_str(), v.as_str());
    }
    if !typed {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let req = req.body(body)?;
    http_client::send(req, Duration::from_secs(30))
        .await
        .map_err(|e| anyhow::anyhow!("{service} {method} {uri}: {e:?}"))
}
