//! Forwarding AWS API calls to moto unchanged (Host and Authorization included: SigV4 signs Host), and
//! reading which API a call is for (its SigV4 signing name).

use anyhow::{Context, Result};
use bytes::Bytes;
use http::{HeaderMap, Request, Response, header};
use http_body_util::{BodyExt, Full};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};

/// Headers that describe one hop, not the request; dropped in both directions.
const HOP_BY_HOP: [header::HeaderName; 6] = [
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
    header::EXPECT,
];

/// A client for moto's port.
pub struct MotoProxy {
    client: Client<HttpConnector, Full<Bytes>>,
    moto_url: String,
}

impl MotoProxy {
    pub fn new(moto_url: &str) -> MotoProxy {
        let client = Client::builder(TokioExecutor::new()).build_http();
        MotoProxy {
            client,
            moto_url: moto_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Sends `req` to moto as it came (same method, path, query, headers and body) and buffers the answer.
    pub async fn forward(&self, req: Request<Bytes>) -> Result<Response<Bytes>> {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let uri: http::Uri = format!("{}{path}", self.moto_url)
            .parse()
            .context("building moto's URI")?;
        let mut out = Request::builder()
            .method(parts.method)
            .uri(uri)
            .body(Full::new(body.clone()))?;
        *out.headers_mut() = without_hop_by_hop(parts.headers);
        out.headers_mut()
            .insert(header::CONTENT_LENGTH, body.len().into());
        let resp = self
            .client
            .request(out)
            .await
            .with_context(|| format!("moto at {} is not answering", self.moto_url))?;
        let (mut parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .context("reading moto's answer")?
            .to_bytes();
        parts.headers = without_hop_by_hop(parts.headers);
        Ok(Response::from_parts(parts, body))
    }
}

fn without_hop_by_hop(mut headers: HeaderMap) -> HeaderMap {
    for h in &HOP_BY_HOP {
        headers.remove(h);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
    headers
}

/// The service in the SigV4 credential scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`).
pub fn signing_service(req: &Request<Bytes>) -> Option<&str> {
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let scope = auth.split("Credential=").nth(1)?.split([',', ' ']).next()?;
    scope.split('/').nth(3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    fn signed(method: Method, service: &str) -> Request<Bytes> {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        Request::builder()
            .method(method)
            .uri("/")
            .header("authorization", auth)
            .body(Bytes::new())
            .unwrap()
    }

    #[test]
    fn reads_the_service_from_the_credential_scope() {
        assert_eq!(
            signing_service(&signed(Method::POST, "apigateway")),
            Some("apigateway")
        );
        let unsigned = Request::builder()
            .method(Method::POST)
            .uri("/moto-api/reset")
            .body(Bytes::new())
            .unwrap();
        assert_eq!(signing_service(&unsigned), None);
    }
}
