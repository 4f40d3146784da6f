//! Forwarding AWS API calls to moto unchanged (Host and Authorization included: SigV4 signs Host), and
//! deciding which forwarded calls change deployed state.

use anyhow::{Context, Result};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, header};
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

/// Services whose writes never change what the data plane reads (its caches of API Gateway, Lambda and
/// ELBv2 state): their calls do not bump [`crate::state::State`]'s generation.
const DATA_ONLY_SERVICES: [&str; 14] = [
    "dynamodb",
    "sqs",
    "sns",
    "s3",
    "logs",
    "events",
    "states",
    "kinesis",
    "firehose",
    "sts",
    "xray",
    "monitoring",
    "secretsmanager",
    "ssm",
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

/// Whether forwarding `req` may change deployed state: any write, except to a data-only service.
pub fn changes_deployed_state(req: &Request<Bytes>) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    !signing_service(req).is_some_and(|s| DATA_ONLY_SERVICES.contains(&s))
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

    #[test]
    fn control_plane_writes_change_state_and_data_writes_do_not() {
        assert!(changes_deployed_state(&signed(Method::PUT, "apigateway")));
        assert!(changes_deployed_state(&signed(
            Method::POST,
            "elasticloadbalancing"
        )));
        assert!(changes_deployed_state(&signed(Method::POST, "lambda")));
        assert!(!changes_deployed_state(&signed(Method::GET, "apigateway")));
        assert!(!changes_deployed_state(&signed(Method::POST, "dynamodb")));
        assert!(!changes_deployed_state(&signed(Method::PUT, "s3")));
        let reset = Request::builder()
            .method(Method::POST)
            .uri("/moto-api/reset")
            .body(Bytes::new())
            .unwrap();
        assert!(changes_deployed_state(&reset));
    }
}
