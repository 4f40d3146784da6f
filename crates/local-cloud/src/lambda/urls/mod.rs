//! Lambda function URLs (<https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html>), served at
//! `http://{url_id}.lambda-url.localhost:{port}/` for `https://{url_id}.lambda-url.{region}.on.aws/`
//! ([`crate::contract::urls::lambda_url`]), configured from moto's GetFunctionUrlConfig of each function.
//!
//! A request is authorised as Lambda does ([`policy::url_allows`]): `AuthType` `NONE` takes everyone as anonymous,
//! `AWS_IAM` refuses an unsigned request and asks the resource policy about the signer (CloudFront with an
//! Origin Access Control calls [`invoke`] as `cloudfront.amazonaws.com` for its distribution); a refusal is 403
//! `{"Message":"Forbidden"}`. The function gets the payload 2.0 event (built by [`crate::apigwv2::event`], with a
//! function URL's `$default` route, `requestContext.authorizer.iam` for a signed caller, `accountId`
//! `anonymous` otherwise) and its answer is read as an HTTP API reads one; a function error or an answer that is
//! not a response is 502 `Internal Server Error`. The URL's CORS configuration answers preflights and decorates
//! responses as an HTTP API's does ([`crate::shared::cors`],
//! <https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors>).

pub mod auth;
pub mod load;

use std::{collections::BTreeMap, time::Instant};

use bytes::Bytes;
use chrono::Utc;
use http::{HeaderValue, Request, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::{
    SharedCloud,
    apigwv2::event,
    config::ACCOUNT_ID,
    contract::urls::LAMBDA_URL_HOST_SUFFIX,
    lambda::Invocation,
    service::{Handled, Service, Write},
    shared::cors,
};
pub use auth::Caller;
use auth::{UrlCaller, access_key};
pub use load::{State, UrlConfig, find};

/// Function URLs as the edge sees them: requests whose host is `{url_id}.lambda-url.localhost`.
pub const SERVICE: Service = Service {
    name: "lambda-url",
    handle: |cloud, req| -> Handled<'_> {
        Box::pin(async move {
            match local_url_id(&req) {
                Some(id) => Ok(serve(cloud, &id, req).await),
                None => Err(req),
            }
        })
    },
    written,
};

fn written(cloud: &SharedCloud, write: &Write<'_>) {
    if write.touches(&["lambda"]) {
        cloud.lambda_urls.generation.bump();
    }
}

/// The url id of a request to `{url_id}.lambda-url.localhost[:port]`.
pub fn local_url_id(req: &Request<Bytes>) -> Option<String> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())?;
    let host = host.split(':').next().unwrap_or(host);
    let id = host.strip_suffix(LAMBDA_URL_HOST_SUFFIX)?;
    (!id.is_empty() && !id.contains('.')).then(|| id.to_ascii_lowercase())
}

/// Lambda's own refusal of a caller.
pub fn forbidden() -> Response<Bytes> {
    error(StatusCode::FORBIDDEN, r#"{"Message":"Forbidden"}"#)
}

fn error(status: StatusCode, body: &'static str) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-amzn-errortype", "AccessDeniedException")
        .body(Bytes::from_static(body.as_bytes()))
        .expect("static response parts")
}

fn bad_gateway() -> Response<Bytes> {
    Response::builder()
        .status(StatusCode::BAD_GATEWAY)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Bytes::from_static(b"Internal Server Error"))
        .expect("static response parts")
}

/// A request to a function URL from the internet (the local form of its domain).
async fn serve(cloud: &SharedCloud, url_id: &str, req: Request<Bytes>) -> Response<Bytes> {
    let config = match find(cloud, url_id).await {
        Ok(Some(config)) => config,
        // AWS answers a url id no function has as it answers an unauthorised caller.
        Ok(None) => return forbidden(),
        Err(e) => {
            tracing::error!(
                url_id,
                error = format!("{e:#}"),
                "cannot read function URLs: 500"
            );
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"Message":"Internal Server Error"}"#,
            );
        }
    };
    let key = access_key(&req);
    let caller = match (&*config.auth_type, key) {
        ("NONE", _) => Caller::Anonymous,
        (_, None) => Caller::Anonymous,
        (_, Some(key)) => auth::identity(cloud, &key, &config.function_arn).await,
    };
    invoke(cloud, &config, caller, req).await
}

/// Invokes the function of `config` for `req` from `caller`: authorisation, CORS, the 2.0 event and the answer.
pub async fn invoke(
    cloud: &SharedCloud,
    config: &UrlConfig,
    caller: Caller,
    req: Request<Bytes>,
) -> Response<Bytes> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut resp = authorised_call(cloud, config, &caller, req, &request_id).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    tracing::info!(
        url_id = %config.url_id,
        function = %config.function_arn,
        %method,
        path,
        status = resp.status().as_u16(),
        elapsed_us = started.elapsed().as_micros() as u64,
        "function URL"
    );
    resp
}

async fn authorised_call(
    cloud: &SharedCloud,
    config: &UrlConfig,
    caller: &Caller,
    req: Request<Bytes>,
    request_id: &str,
) -> Response<Bytes> {
    let (parts, body) = req.into_parts();
    // Lambda answers a preflight itself, before authorisation (a browser sends no credentials with it).
    if let Some(c) = &config.cors
        && cors::is_preflight(&parts)
    {
        // AWS's documentation names no status for it; function URLs answer a preflight with 200 (an HTTP API's
        // own answer is 204).
        let mut resp = cors::preflight(c, &parts);
        *resp.status_mut() = StatusCode::OK;
        return resp;
    }
    let url_caller = match caller {
        Caller::Anonymous if config.auth_type == "NONE" => UrlCaller::Anonymous,
        Caller::Anonymous => {
            tracing::warn!(url_id = %config.url_id, "unsigned request to an AWS_IAM function URL: 403");
            return forbidden();
        }
        Caller::Service {
            principal,
            source_arn,
        } => UrlCaller::Service {
            principal,
            source_arn,
        },
        Caller::Identity { arn, allowed, .. } => UrlCaller::Identity {
            arn,
            allowed_by_identity: *allowed,
        },
    };
    // `NONE`: Lambda authenticates nobody, whoever signed.
    let url_caller = if config.auth_type == "NONE" {
        UrlCaller::Anonymous
    } else {
        url_caller
    };
    match auth::may_invoke_url(cloud, &config.function_arn, url_caller, &config.auth_type).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(
                url_id = %config.url_id,
                function = %config.function_arn,
                caller = ?caller,
                "no statement of the function's resource policy lets this caller use its URL \
                 (lambda:InvokeFunctionUrl and lambda:InvokeFunction): 403"
            );
            return forbidden();
        }
        Err(e) => {
            tracing::error!(function = %config.function_arn, error = format!("{e:#}"), "cannot read the function's resource policy: 500");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"Message":"Internal Server Error"}"#,
            );
        }
    }
    let e = url_event(config, caller, &parts, &body, request_id);
    let payload = Bytes::from(serde_json::to_vec(&e).unwrap_or_default());
    let mut resp = match cloud.lambda.invoke(&config.function_arn, payload).await {
        Ok(Invocation::Ok(out)) => event::response(&out).unwrap_or_else(|why| {
            tracing::warn!(function = %config.function_arn, why, "the function's answer is not a function URL response: 502");
            bad_gateway()
        }),
        Ok(Invocation::FunctionError {
            error_type,
            payload,
        }) => {
            tracing::warn!(function = %config.function_arn, error_type, payload = %String::from_utf8_lossy(&payload), "function error: 502");
            bad_gateway()
        }
        Err(e) => {
            tracing::error!(function = %config.function_arn, error = format!("{e:#}"), "invoking the function failed: 502");
            bad_gateway()
        }
    };
    if let Some(c) = &config.cors {
        cors::decorate(c, &parts.headers, &mut resp);
    }
    resp
}

/// The function URL event: payload 2.0 with the `$default` route, the URL's domain, and the caller.
fn url_event(
    config: &UrlConfig,
    caller: &Caller,
    parts: &http::request::Parts,
    body: &Bytes,
    request_id: &str,
) -> Value {
    let none = BTreeMap::new();
    let ctx = event::EventContext {
        api_id: &config.url_id,
        stage: "$default",
        stage_variables: &none,
        route_key: "$default",
        path_parameters: &none,
        raw_path: parts.uri.path(),
        source_ip: parts
            .extensions
            .get::<std::net::SocketAddr>()
            .map(std::net::SocketAddr::ip)
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        request_id,
        domain: &config.domain,
        received: Utc::now(),
        authorizer: match caller {
            Caller::Identity {
                arn,
                access_key,
                user_id,
                ..
            } => Some(json!({"iam": {
                "accessKey": access_key,
                "accountId": ACCOUNT_ID,
                "callerId": user_id,
                "cognitoIdentity": null,
                "principalOrgId": null,
                "userArn": arn,
                "userId": user_id,
            }})),
            _ => None,
        },
    };
    let mut e = event::event(&ctx, parts, body);
    // The host the client used is the URL's own domain (CloudFront sends the origin's).
    e["headers"]["host"] = config.domain.clone().into();
    let rc = &mut e["requestContext"];
    rc["accountId"] = match caller {
        Caller::Identity { .. } => ACCOUNT_ID.into(),
        _ => "anonymous".into(),
    };
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_hosts_and_signatures() {
        let req = Request::get("/x")
            .header("host", "AbC.lambda-url.localhost:4566")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/lambda/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=00",
            )
            .body(Bytes::new())
            .unwrap();
        assert_eq!(local_url_id(&req).as_deref(), Some("abc"));
        assert_eq!(access_key(&req).as_deref(), Some("AKIAEXAMPLE"));
        let other = Request::get("/x")
            .header("host", "d1.cloudfront.localhost:4566")
            .body(Bytes::new())
            .unwrap();
        assert_eq!(local_url_id(&other), None);
        assert_eq!(access_key(&other), None);
    }
}
