//! An Application Load Balancer serving one request: listener by port, first matching rule, then its
//! fixed-response, redirect or forward action (to `lambda`, `ip` or `instance` target groups).

use std::{net::IpAddr, time::Duration};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, Uri, request::Parts};

use super::{
    DispatchError, lambda_target,
    model::{Action, LoadBalancer, TargetGroup, TargetType},
    pages,
    rules::{self, RequestFacts},
};
use crate::SharedCloud;
use crate::shared::http_client;

/// ALB's default idle timeout: the longest a target may take to answer.
const TARGET_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn serve(
    cloud: &SharedCloud,
    world: &super::model::ElbWorld,
    lb: &LoadBalancer,
    port: u16,
    req: Request<Bytes>,
    source_ip: IpAddr,
) -> Result<Response<Bytes>, DispatchError> {
    let listener = lb
        .listener_on(port)
        .ok_or_else(|| DispatchError::NoListener {
            lb: lb.arn.clone(),
            port,
        })?;
    let (mut parts, body) = req.into_parts();
    let protocol = listener.protocol.to_ascii_lowercase();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let method = parts.method.as_str().to_owned();
    let facts = RequestFacts {
        method: &method,
        path: &path,
        query: &query,
        headers: &parts.headers,
        source_ip,
        protocol: &protocol,
        port,
    };
    let Some(rule) = rules::select(listener, &facts) else {
        // Unreachable in practice: the default rule has no conditions.
        return Ok(pages::error_page(StatusCode::NOT_FOUND));
    };
    tracing::debug!(lb = %lb.name, port, path, priority = ?rule.priority, "ALB rule matched");
    let action = match &rule.action {
        Action::FixedResponse {
            status,
            content_type,
            body,
        } => {
            return Ok(pages::fixed(*status, content_type.as_deref(), body));
        }
        Action::Redirect(redirect) => {
            return Ok(pages::redirect(
                redirect.status,
                &rules::redirect_location(redirect, &facts),
            ));
        }
        Action::Unsupported(kind) => {
            tracing::warn!(lb = %lb.name, action = %kind, "listener action not supported locally: 500");
            return Ok(pages::error_page(StatusCode::INTERNAL_SERVER_ERROR));
        }
        Action::Forward(groups) => groups,
    };
    let Some(tg_arn) = rules::pick_weighted(action, rules::next_roll()) else {
        return Ok(pages::error_page(StatusCode::SERVICE_UNAVAILABLE));
    };
    let Some(tg) = world.target_groups.get(tg_arn) else {
        tracing::warn!(lb = %lb.name, target_group = tg_arn, "forward to an unknown target group: 503");
        return Ok(pages::error_page(StatusCode::SERVICE_UNAVAILABLE));
    };
    add_forwarded_headers(&mut parts, source_ip, &protocol, port);
    Ok(forward(cloud, tg, parts, body).await)
}

/// `X-Forwarded-For`/`-Proto`/`-Port` and `X-Amzn-Trace-Id`, as an ALB adds them.
fn add_forwarded_headers(parts: &mut Parts, source_ip: IpAddr, protocol: &str, port: u16) {
    let h = &mut parts.headers;
    let xff = match h.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {source_ip}"),
        None => source_ip.to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        h.insert("x-forwarded-for", v);
    }
    if let Ok(v) = HeaderValue::from_str(protocol) {
        h.insert("x-forwarded-proto", v);
    }
    h.insert("x-forwarded-port", HeaderValue::from(port));
    if !h.contains_key("x-amzn-trace-id")
        && let Ok(v) = HeaderValue::from_str(&trace_id())
    {
        h.insert("x-amzn-trace-id", v);
    }
}

/// An X-Ray trace header: `Root=1-{epoch seconds, hex}-{96 random bits, hex}`.
pub fn trace_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("Root=1-{secs:08x}-{}", &random[..24])
}

async fn forward(
    cloud: &SharedCloud,
    tg: &TargetGroup,
    parts: Parts,
    body: Bytes,
) -> Response<Bytes> {
    match tg.target_type {
        TargetType::Lambda => lambda_target::forward(cloud, tg, &parts, &body).await,
        TargetType::Ip => {
            let Some(target) = pick_target(tg) else {
                tracing::warn!(target_group = %tg.name, "no registered targets: 503");
                return pages::error_page(StatusCode::SERVICE_UNAVAILABLE);
            };
            if tg.protocol.as_deref() == Some("HTTPS") {
                tracing::warn!(target_group = %tg.name, "HTTPS to targets is not supported locally: 502");
                return pages::error_page(StatusCode::BAD_GATEWAY);
            }
            let Some(port) = target.port.or(tg.port) else {
                return pages::error_page(StatusCode::BAD_GATEWAY);
            };
            let req = match with_authority(parts, body, &target.id, port) {
                Ok(req) => req,
                Err(err) => {
                    tracing::warn!(target = %target.id, error = %err, "bad target address: 502");
                    return pages::error_page(StatusCode::BAD_GATEWAY);
                }
            };
            match http_client::send(req, TARGET_TIMEOUT).await {
                Ok(resp) => resp,
                Err(http_client::ForwardError::Timeout) => {
                    pages::error_page(StatusCode::GATEWAY_TIMEOUT)
                }
                Err(err) => {
                    tracing::warn!(target = %target.id, port, error = %err, "target unreachable: 502");
                    pages::error_page(StatusCode::BAD_GATEWAY)
                }
            }
        }
        TargetType::Instance => {
            tracing::warn!(
                target_group = %tg.name,
                "instance targets are EC2 instances, which the local cloud does not run: 502"
            );
            pages::error_page(StatusCode::BAD_GATEWAY)
        }
        TargetType::Alb => {
            tracing::warn!(target_group = %tg.name, "an ALB cannot forward to an alb-type target group: 502");
            pages::error_page(StatusCode::BAD_GATEWAY)
        }
    }
}

/// One of the target group's targets, spread by the weighted-choice sequence.
pub fn pick_target(tg: &TargetGroup) -> Option<&super::model::Target> {
    if tg.targets.is_empty() {
        return None;
    }
    let i = (rules::next_roll() % tg.targets.len() as u64) as usize;
    tg.targets.get(i)
}

/// The request re-addressed to `host:port` (path and query kept).
pub fn with_authority(
    mut parts: Parts,
    body: Bytes,
    host: &str,
    port: u16,
) -> anyhow::Result<Request<Bytes>> {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    parts.uri = Uri::builder()
        .scheme("http")
        .authority(format!("{host}:{port}"))
        .path_and_query(path_and_query)
        .build()?;
    Ok(Request::from_parts(parts, body))
}
