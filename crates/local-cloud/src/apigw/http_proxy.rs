//! HTTP_PROXY integrations: the request passed through to the integration URI (path parameters and stage
//! variables substituted, query string kept, mapped parameters added), over the internet or, for
//! `VPC_LINK`, in-process to the load balancer behind the link.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, Uri, header};

use super::{Call, errors, params, vpclink};
use crate::{
    elb::{self, DispatchError},
    shared::http_client,
};

/// The integration request: method, absolute URI and headers.
pub fn build_request(call: &Call<'_>) -> Result<Request<Bytes>, String> {
    let integration = call.integration();
    let sources = call.sources();
    let mapped = params::map_request(&integration.request_parameters, &sources);
    let uri = params::render_uri(
        &call.render(integration.uri.as_deref().unwrap_or_default()),
        &mapped.path,
    );
    let mut uri = uri;
    // The method request's query string passes through; mapped query parameters are added.
    let mut query: Vec<String> = call
        .parts
        .uri
        .query()
        .filter(|q| !q.is_empty())
        .map(str::to_owned)
        .into_iter()
        .collect();
    query.extend(mapped.query.iter().map(|(k, v)| format!("{k}={v}")));
    if !query.is_empty() {
        uri.push(if uri.contains('?') { '&' } else { '?' });
        uri.push_str(&query.join("&"));
    }
    let uri: Uri = uri
        .parse()
        .map_err(|e| format!("integration URI {uri:?}: {e}"))?;
    let authority = uri
        .authority()
        .ok_or_else(|| format!("integration URI {uri} has no host"))?
        .clone();
    let method = match integration.http_method.as_deref() {
        None | Some("ANY") => call.parts.method.clone(),
        Some(m) => m.parse().map_err(|_| format!("integration method {m:?}"))?,
    };
    let mut headers = call.parts.headers.clone();
    for h in http_client::HOP_BY_HOP {
        headers.remove(*h);
    }
    headers.insert(
        header::HOST,
        HeaderValue::from_str(authority.as_str()).map_err(|e| e.to_string())?,
    );
    let xff = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {}", call.source_ip),
        None => call.source_ip.to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        headers.insert("x-forwarded-for", v);
    }
    for (name, value) in &mapped.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
    let mut req = Request::new(call.body.clone());
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    *req.headers_mut() = headers;
    Ok(req)
}

pub async fn invoke(call: &Call<'_>) -> Response<Bytes> {
    let integration = call.integration();
    let req = match build_request(call) {
        Ok(req) => req,
        Err(why) => {
            tracing::warn!(why, "HTTP_PROXY integration request cannot be built: 500");
            return errors::internal_server_error();
        }
    };
    let result = match integration.connection_type {
        super::model::ConnectionType::Internet => http_client::send(req, integration.timeout)
            .await
            .map_err(|e| match e {
                http_client::ForwardError::Timeout => DispatchError::Timeout,
                other => DispatchError::Unreachable(other.to_string()),
            }),
        super::model::ConnectionType::VpcLink => {
            let connection_id = integration.connection_id.as_deref().map(|c| call.render(c));
            let target = match vpclink::resolve(
                call.cloud,
                connection_id.as_deref(),
                integration.integration_target.as_deref(),
                req.uri(),
            )
            .await
            {
                Ok(t) => t,
                Err(why) => {
                    tracing::warn!(
                        why,
                        "VPC link integration cannot reach a load balancer: 500"
                    );
                    return errors::internal_server_error();
                }
            };
            let dispatch =
                elb::try_dispatch(call.cloud, &target.lb, target.port, req, call.source_ip);
            match tokio::time::timeout(integration.timeout, dispatch).await {
                Ok(r) => r,
                Err(_) => Err(DispatchError::Timeout),
            }
        }
    };
    match result {
        Ok(mut resp) => {
            for h in http_client::HOP_BY_HOP {
                resp.headers_mut().remove(*h);
            }
            resp
        }
        Err(DispatchError::Timeout) => {
            tracing::warn!(
                timeout_ms = integration.timeout.as_millis() as u64,
                "HTTP integration timed out: 504"
            );
            errors::endpoint_timed_out()
        }
        Err(err) => {
            tracing::warn!(error = %err, "Execution failed due to configuration error: network error communicating with endpoint: 500");
            errors::internal_server_error()
        }
    }
}
