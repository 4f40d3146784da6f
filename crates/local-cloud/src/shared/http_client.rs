//! Real HTTP requests leaving the local cloud: `ip` targets and HTTP integrations over the internet.
//! Plain HTTP only (the local cloud has no TLS client); private VPC addresses are usually unreachable from a
//! laptop, which surfaces as a connect error or a timeout, as an unreachable target does on AWS.

use std::{sync::LazyLock, time::Duration};

use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::{BodyExt as _, Full};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};

/// Why a request did not get a response.
#[derive(Debug)]
pub enum ForwardError {
    /// Could not connect or the connection broke.
    Network(String),
    /// No complete response within the time allowed.
    Timeout,
    /// Something the local cloud cannot send (e.g. an `https` URL).
    Unsupported(String),
}

impl std::fmt::Display for ForwardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForwardError::Network(e) => write!(f, "network error: {e}"),
            ForwardError::Timeout => write!(f, "timed out"),
            ForwardError::Unsupported(e) => write!(f, "not supported locally: {e}"),
        }
    }
}

static CLIENT: LazyLock<Client<HttpConnector, Full<Bytes>>> = LazyLock::new(|| {
    let mut connector = HttpConnector::new();
    // ALB's own connect timeout to a target is 10 s.
    connector.set_connect_timeout(Some(Duration::from_secs(10)));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
});

/// Headers that belong to one connection and are never forwarded.
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
];

/// Sends `req` (whose URI must be absolute, `http://host[:port]/...`) and reads the whole response.
pub async fn send(req: Request<Bytes>, timeout: Duration) -> Result<Response<Bytes>, ForwardError> {
    if req.uri().scheme_str() != Some("http") {
        return Err(ForwardError::Unsupported(format!(
            "request to {} (only plain http)",
            req.uri()
        )));
    }
    let (mut parts, body) = req.into_parts();
    for h in HOP_BY_HOP {
        parts.headers.remove(*h);
    }
    if !parts.headers.contains_key(header::HOST)
        && let Some(authority) = parts.uri.authority()
        && let Ok(v) = header::HeaderValue::from_str(authority.as_str())
    {
        parts.headers.insert(header::HOST, v);
    }
    let req = Request::from_parts(parts, Full::new(body));
    let call = async {
        let resp = CLIENT
            .request(req)
            .await
            .map_err(|e| ForwardError::Network(error_chain(&e)))?;
        let (mut parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| ForwardError::Network(error_chain(&e)))?
            .to_bytes();
        for h in HOP_BY_HOP {
            parts.headers.remove(*h);
        }
        Ok(Response::from_parts(parts, body))
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(result) => result,
        Err(_) => Err(ForwardError::Timeout),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn talks_to_a_real_server_and_reports_refused_connections() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut buf = vec![0u8; 4096];
            let n = sock.read(&mut buf).await.unwrap();
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            sock.write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\nx-seen: yes\r\n\r\nok")
                .await
                .unwrap();
            head
        });
        let req = Request::post(format!("http://{addr}/p?q=1"))
            .body(Bytes::from_static(b"hi"))
            .unwrap();
        let resp = send(req, Duration::from_secs(5)).await.unwrap();
        assert_eq!(resp.status(), 201);
        assert_eq!(resp.body().as_ref(), b"ok");
        assert_eq!(resp.headers()["x-seen"], "yes");
        let head = server.await.unwrap();
        assert!(head.starts_with("POST /p?q=1 HTTP/1.1"), "{head}");
        assert!(
            head.to_ascii_lowercase().contains(&format!("host: {addr}")),
            "{head}"
        );

        // Nothing listens on the port any more.
        let req = Request::get(format!("http://{addr}/"))
            .body(Bytes::new())
            .unwrap();
        assert!(matches!(
            send(req, Duration::from_secs(5)).await,
            Err(ForwardError::Network(_))
        ));
        let req = Request::get("https://example.com/")
            .body(Bytes::new())
            .unwrap();
        assert!(matches!(
            send(req, Duration::from_secs(5)).await,
            Err(ForwardError::Unsupported(_))
        ));
    }
}
