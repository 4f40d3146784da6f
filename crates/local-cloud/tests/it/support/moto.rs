//! moto and calls to it: starting it through the real launcher, AWS's query (form-encoded), REST and JSON APIs
//! called directly (moto routes by the credential scope and does not check signatures; the crate has no SDK
//! for IAM, EC2, CloudFormation or S3), reading their XML answers, and a proxy counting the calls.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use local_cloud::{
    config::Config,
    moto::{Moto, MotoOptions},
};
use serde_json::Value;

use super::REGION;

/// Starts moto through the real launcher on a free port, with a fresh state directory named after `prefix`,
/// and the `Config` of a local cloud in front of it (its `state_dir` is the one to remove at the end).
pub async fn start(prefix: &str) -> (Moto, Config) {
    let state_dir = super::temp_dir(prefix);
    let moto = Moto::start(&MotoOptions {
        python: super::python(),
        port: 0,
        edge_url: "http://127.0.0.1:9".into(),
        region: REGION.into(),
        state_dir: state_dir.clone(),
    })
    .await
    .expect("moto (python3 with moto 5.2.1) must start for this test");
    let config = Config {
        edge_port: 4566,
        moto_port: moto.port(),
        state_dir,
        region: REGION.into(),
    };
    (moto, config)
}

/// One call to moto for `service` (the service of the credential scope): the status and the answer. Bodies of
/// services other than S3 are sent as forms.
pub async fn call(
    moto_url: &str,
    service: &str,
    method: Method,
    path: &str,
    body: Vec<u8>,
) -> (u16, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{moto_url}{path}"))
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20240101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
            ),
        );
    if service != "s3" {
        request = request.header("content-type", "application/x-www-form-urlencoded");
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
        .into_owned();
    (status, text)
}

/// A query-API call (IAM, EC2, CloudFormation) with `params` and the service's `Version`: the status and the
/// XML answer.
pub async fn query_status(moto_url: &str, service: &str, params: &[(&str, &str)]) -> (u16, String) {
    let version = match service {
        "cloudformation" => "2010-05-15",
        "ec2" => "2016-11-15",
        "iam" => "2010-05-08",
        other => panic!("no query API version for {other}"),
    };
    let mut body: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect();
    body.push(format!("Version={version}"));
    call(
        moto_url,
        service,
        Method::POST,
        "/",
        body.join("&").into_bytes(),
    )
    .await
}

/// A query-API call that must succeed: its XML answer.
pub async fn query(moto_url: &str, service: &str, params: &[(&str, &str)]) -> String {
    let (status, xml) = query_status(moto_url, service, params).await;
    assert_eq!(status, 200, "{service} {params:?}: {xml}");
    xml
}

/// An S3 GET that must succeed: the answer.
pub async fn s3_get(moto_url: &str, path: &str) -> String {
    let (status, text) = call(moto_url, "s3", Method::GET, path, Vec::new()).await;
    assert!((200..300).contains(&status), "GET {path}: {status}");
    text
}

/// A GET of one of API Gateway's JSON resources (e.g. `/v2/vpclinks/{id}`): the status and the answer (Null
/// when it is no JSON).
pub async fn apigateway_get(moto_url: &str, path: &str) -> (u16, Value) {
    let (status, body) = call(moto_url, "apigateway", Method::GET, path, Vec::new()).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Percent-encodes a form value (AWS query APIs).
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of every `<tag>` element, in order.
pub fn xml_all(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|part| part.split(&close).next().map(str::to_owned))
        .collect()
}

/// The text of the first `<tag>` element, which must be there (and hold no other element).
pub fn xml_field(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("<{tag}> missing in {xml}"))
        + open.len();
    let end = start + xml[start..].find('<').unwrap();
    xml[start..end].to_owned()
}

/// A proxy in front of moto that counts the requests it forwards (point the data plane's clients at it): its
/// URL and the count.
pub async fn counting_proxy(moto_url: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (client, counter, moto_url) = (client.clone(), counter.clone(), moto_url.clone());
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (client, counter, moto_url) =
                            (client.clone(), counter.clone(), moto_url.clone());
                        async move {
                            counter.fetch_add(1, Ordering::SeqCst);
                            let (mut parts, body) = req.into_parts();
                            let body = body.collect().await?.to_bytes();
                            let pq = parts
                                .uri
                                .path_and_query()
                                .map_or("/", |p| p.as_str())
                                .to_owned();
                            parts.uri = format!("{moto_url}{pq}").parse().unwrap();
                            let resp = client
                                .request(Request::from_parts(parts, Full::new(body)))
                                .await
                                .unwrap();
                            let (parts, body) = resp.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            Ok::<_, hyper::Error>(Response::from_parts(parts, Full::new(body)))
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

/// A call to a JSON API (DynamoDB, DynamoDB Streams: `x-amz-json-1.0`) with its `X-Amz-Target`; panics unless
/// moto answers 2xx. The JSON answer.
pub async fn json_api(moto_url: &str, service: &str, target: &str, body: Value) -> Value {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::post(format!("{moto_url}/"))
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20240101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
            ),
        )
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", target)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status();
    let text = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        status.is_success(),
        "{target}: {status} {}",
        String::from_utf8_lossy(&text)
    );
    serde_json::from_slice(&text).unwrap_or(Value::Null)
}
