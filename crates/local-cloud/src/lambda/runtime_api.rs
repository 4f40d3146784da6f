//! The Lambda Runtime API (2018-06-01) served to one instance's `bootstrap` on 127.0.0.1: `/runtime/invocation/next`
//! hands out the event the invoker delivered; responses, errors and init errors come back as [`RuntimeEvent`]s.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::mpsc, task::JoinSet};

/// The largest synchronous response payload Lambda accepts (6 MB, as AWS counts it).
pub const MAX_RESPONSE_BYTES: usize = 6_291_556;
/// The largest error document we read from a runtime.
const MAX_ERROR_BYTES: usize = 1024 * 1024;
const PREFIX: &str = "/2018-06-01/runtime/";

/// One invocation handed to the runtime by `/runtime/invocation/next`.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub request_id: String,
    pub payload: Bytes,
    /// Unix epoch milliseconds at which the invocation times out.
    pub deadline_ms: u64,
    pub invoked_function_arn: String,
    pub trace_id: String,
    pub client_context: Option<String>,
}

/// What the runtime told us.
#[derive(Debug)]
pub enum RuntimeEvent {
    /// The runtime is waiting on `/next` (it is initialised and idle).
    Next,
    Response {
        request_id: String,
        body: Bytes,
    },
    /// `/invocation/{id}/error` (or a response that was too large).
    Error {
        request_id: String,
        error_type: Option<String>,
        body: Bytes,
    },
    /// `/init/error`.
    InitError {
        error_type: Option<String>,
        body: Bytes,
    },
}

/// A Runtime API listener for one instance. Dropping it stops the server and closes its connections.
pub struct RuntimeApi {
    addr: SocketAddr,
    deliver: mpsc::Sender<PendingEvent>,
    events: mpsc::UnboundedReceiver<RuntimeEvent>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    next: tokio::sync::Mutex<mpsc::Receiver<PendingEvent>>,
    events: mpsc::UnboundedSender<RuntimeEvent>,
    /// The request id handed out by `/next` and not answered yet.
    current: Mutex<Option<String>>,
}

impl RuntimeApi {
    /// Binds 127.0.0.1:0 and starts serving.
    pub async fn bind() -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (deliver, next) = mpsc::channel(1);
        let (events_tx, events) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            next: tokio::sync::Mutex::new(next),
            events: events_tx,
            current: Mutex::new(None),
        });
        let server = tokio::spawn(serve(listener, shared));
        Ok(RuntimeApi {
            addr,
            deliver,
            events,
            server,
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues `event` for the runtime's next `/next` call.
    pub fn deliver(&self, event: PendingEvent) -> anyhow::Result<()> {
        self.deliver
            .try_send(event)
            .map_err(|e| anyhow::anyhow!("runtime API could not queue the event: {e}"))
    }

    /// The next thing the runtime reported; `None` once the server is gone.
    pub async fn recv(&mut self) -> Option<RuntimeEvent> {
        self.events.recv().await
    }

    /// A report already received, without waiting.
    pub fn try_recv(&mut self) -> Option<RuntimeEvent> {
        self.events.try_recv().ok()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    // Connections live in the JoinSet, so aborting this task closes them too.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "runtime API accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(route(&shared, req).await) }
                    });
                    if let Err(e) = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                    {
                        tracing::debug!(error = %e, "runtime API connection ended");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn route(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return not_found(&path);
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match (req.method(), segments.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next(shared).await,
        (&Method::POST, ["invocation", id, "response"]) => {
            let id = (*id).to_owned();
            response(shared, id, req).await
        }
        (&Method::POST, ["invocation", id, "error"]) => {
            let id = (*id).to_owned();
            let error_type = error_type_header(&req);
            match read_body(req, MAX_ERROR_BYTES).await {
                Ok(body) => invocation_error(shared, id, error_type, body),
                Err(status) => {
                    error_reply(status, "RequestEntityTooLarge", "error document too large")
                }
            }
        }
        (&Method::POST, ["init", "error"]) => {
            let error_type = error_type_header(&req);
            match read_body(req, MAX_ERROR_BYTES).await {
                Ok(body) => {
                    let _ = shared
                        .events
                        .send(RuntimeEvent::InitError { error_type, body });
                    accepted()
                }
                Err(status) => {
                    error_reply(status, "RequestEntityTooLarge", "error document too large")
                }
            }
        }
        _ => not_found(&path),
    }
}

async fn next(shared: &Shared) -> Response<Full<Bytes>> {
    let mut queue = shared.next.lock().await;
    let _ = shared.events.send(RuntimeEvent::Next);
    let Some(event) = queue.recv().await else {
        return error_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "instance is shutting down",
        );
    };
    *lock(&shared.current) = Some(event.request_id.clone());
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &event.request_id)
        .header("lambda-runtime-deadline-ms", event.deadline_ms.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            &event.invoked_function_arn,
        )
        .header("lambda-runtime-trace-id", &event.trace_id);
    if let Some(context) = &event.client_context {
        builder = builder.header("lambda-runtime-client-context", context);
    }
    builder.body(Full::new(event.payload)).unwrap_or_else(|_| {
        error_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "bad event headers",
        )
    })
}

async fn response(shared: &Shared, id: String, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if !is_current(shared, &id) {
        return invalid_id(&id);
    }
    match read_body(req, MAX_RESPONSE_BYTES).await {
        Ok(body) => {
            take_current(shared, &id);
            let _ = shared.events.send(RuntimeEvent::Response {
                request_id: id,
                body,
            });
            accepted()
        }
        Err(StatusCode::PAYLOAD_TOO_LARGE) => {
            take_current(shared, &id);
            let message = format!(
                "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            );
            let body = serde_json::json!({"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"});
            let _ = shared.events.send(RuntimeEvent::Error {
                request_id: id,
                error_type: Some("Function.ResponseSizeTooLarge".to_owned()),
                body: Bytes::from(body.to_string()),
            });
            error_reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                &format!("Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."),
            )
        }
        Err(status) => error_reply(status, "InvalidRequest", "could not read the response body"),
    }
}

fn invocation_error(
    shared: &Shared,
    id: String,
    error_type: Option<String>,
    body: Bytes,
) -> Response<Full<Bytes>> {
    if !is_current(shared, &id) {
        return invalid_id(&id);
    }
    take_current(shared, &id);
    let _ = shared.events.send(RuntimeEvent::Error {
        request_id: id,
        error_type,
        body,
    });
    accepted()
}

fn is_current(shared: &Shared, id: &str) -> bool {
    lock(&shared.current).as_deref() == Some(id)
}

fn take_current(shared: &Shared, id: &str) {
    let mut current = lock(&shared.current);
    if current.as_deref() == Some(id) {
        *current = None;
    }
}

fn error_type_header(req: &Request<Incoming>) -> Option<String> {
    req.headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, StatusCode> {
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Err(_) => Err(StatusCode::BAD_REQUEST),
    }
}

fn accepted() -> Response<Full<Bytes>> {
    json_reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#.to_owned())
}

fn invalid_id(id: &str) -> Response<Full<Bytes>> {
    error_reply(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        &format!("Invalid request ID: {id}"),
    )
}

fn not_found(path: &str) -> Response<Full<Bytes>> {
    error_reply(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!(
            "{path} is not served by the local Lambda Runtime API (extensions and telemetry are not emulated)"
        ),
    )
}

fn error_reply(status: StatusCode, error_type: &str, message: &str) -> Response<Full<Bytes>> {
    json_reply(
        status,
        serde_json::json!({"errorMessage": message, "errorType": error_type}).to_string(),
    )
}

fn json_reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
