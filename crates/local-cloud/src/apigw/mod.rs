//! API Gateway REST APIs (execute-api traffic), configured only from the APIs deployed in moto.
//!
//! [`url`] recognises the two local URL forms, [`domain`] the local form of a custom domain name and its base
//! path mappings; [`load`] reads a deployed API into [`model`] (cached per
//! generation of deployed state, so warm requests make no AWS calls); [`routing`] picks resource and
//! method, after the API's resource [`policy`] let the request in; a method's Lambda [`authorizer`] or Cognito
//! user pool ([`cognito`]) runs next, then its API key and usage plan ([`usage`]), then its request [`validate`]or;
//! the integration modules ([`lambda_proxy`], [`http_proxy`] with [`vpclink`], [`aws_integration`], [`mock`];
//! templates in [`vtl`]) serve it through a [`call::Call`];
//! [`errors`] are API Gateway's own answers (with the API's customised gateway responses).
//!
//! Unknown API or stage: 403 `{"message":"Forbidden"}` (`ForbiddenException`). Reports of real calls
//! without, or with a wrong, stage segment (e.g. github.com/OWASP/Serverless-Goat/issues/14,
//! github.com/jetbridge/sls-flask/issues/10) show AWS answering `Forbidden` there, while
//! `Missing Authentication Token` is its answer for a path or method that does not exist within an
//! existing stage; many blog posts blur the two.

pub mod authorizer;
pub mod aws_integration;
pub mod aws_services;
pub mod call;
pub mod cognito;
pub mod domain;
pub mod errors;
pub mod event;
pub mod http_proxy;
pub mod lambda_proxy;
pub mod load;
pub mod mock;
pub mod model;
pub mod params;
pub mod policy;
pub mod routing;
pub mod selection;
pub mod url;
pub mod usage;
pub mod validate;
pub mod vpclink;
pub mod vtl;

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::Instant,
};

use bytes::Bytes;
use chrono::Utc;
use http::{HeaderValue, Request, Response, header};

use crate::{
    SharedCloud,
    service::{Handled, Service, Write},
};
pub use call::Call;
use model::{IntegrationType, Stage};

/// API Gateway as the edge sees it: execute-api traffic; its snapshots are stale after API Gateway writes
/// (REST and v2 share the `apigateway` signing name: VPC links v2 are read too).
pub const SERVICE: Service = Service {
    name: "apigateway",
    handle: |cloud, req| -> Handled<'_> { Box::pin(handle(cloud, req)) },
    written,
};

fn written(cloud: &SharedCloud, write: &Write<'_>) {
    if write.touches(&["apigateway"]) {
        cloud.apigw.generation.bump();
    }
}

/// Serves `req` if it is execute-api traffic (either URL form); otherwise gives it back.
///
/// The client's address is taken from the request's extensions (a [`SocketAddr`] or [`IpAddr`] the edge
/// inserts), else 127.0.0.1.
pub async fn handle(
    cloud: &SharedCloud,
    req: Request<Bytes>,
) -> Result<Response<Bytes>, Request<Bytes>> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host());
    let started = Instant::now();
    let (target, via) = match url::parse(host, req.uri().path()) {
        Some(target) => (target, None),
        None => match domain::locate(cloud, host, req.uri().path()).await {
            None => return Err(req),
            Some(Err(resp)) => return Ok(resp),
            Some(Ok((target, name))) => (target, Some((name, req.uri().path().to_owned()))),
        },
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = req.method().clone();
    let via_domain = via.as_ref().map(|(name, path)| domain::Via {
        name: name.as_str(),
        path: path.as_str(),
    });
    let mut resp = serve(cloud, target.clone(), req, &request_id, via_domain).await;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-amzn-requestid", v);
    }
    if let Ok(v) = HeaderValue::from_str(&apigw_id()) {
        h.insert("x-amz-apigw-id", v);
    }
    tracing::info!(
        api_id = %target.api_id,
        stage = target.stage.as_deref().unwrap_or(""),
        domain = via.as_ref().map_or("", |(name, _)| name.as_str()),
        %method,
        path = %target.path,
        status = resp.status().as_u16(),
        elapsed_us = started.elapsed().as_micros() as u64,
        request_id,
        "execute-api"
    );
    Ok(resp)
}

/// API Gateway's extended request id (`x-amz-apigw-id`; an HTTP API's `apigw-requestid` has the same form): 16
/// base64 characters, like `Rx2fRFLvoAMEbXQ=`.
pub(crate) fn apigw_id() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(&uuid::Uuid::new_v4().as_bytes()[..11])
}

/// The client's address the edge put in the request's extensions, else 127.0.0.1.
pub(crate) fn source_ip(req: &Request<Bytes>) -> IpAddr {
    req.extensions()
        .get::<SocketAddr>()
        .map(SocketAddr::ip)
        .or_else(|| req.extensions().get::<IpAddr>().copied())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// What gateway responses' templates see before a method is chosen.
fn base_vars<'a>(request_id: &str, stage: &'a Stage, api_id: &str) -> mock::TemplateVars<'a> {
    mock::TemplateVars {
        context: [
            ("requestId", request_id.to_owned()),
            ("stage", stage.name.clone()),
            ("apiId", api_id.to_owned()),
            ("accountId", crate::config::ACCOUNT_ID.to_owned()),
        ]
        .into(),
        stage_variables: &stage.variables,
    }
}

async fn serve(
    cloud: &SharedCloud,
    target: url::Target,
    req: Request<Bytes>,
    request_id: &str,
    via: Option<domain::Via<'_>>,
) -> Response<Bytes> {
    let api = match load::api(cloud, &target.api_id).await {
        Ok(Some(api)) => api,
        Ok(None) => return errors::forbidden(),
        Err(err) => {
            tracing::error!(api_id = %target.api_id, error = format!("{err:#}"), "cannot read the REST API: 500");
            return errors::internal_server_error();
        }
    };
    let Some(stage) = target.stage.as_deref().and_then(|s| api.stages.get(s)) else {
        return errors::forbidden();
    };
    let source_ip = source_ip(&req);
    // Through a custom domain name, the function sees that name, as on AWS; else the Host the client used.
    let domain = match via {
        Some(via) => via.name.to_owned(),
        None => req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_owned(),
    };
    let client_path = via.map(|v| v.path);
    let (parts, body) = req.into_parts();
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    // API Gateway's own answer of `response_type`, as the API may have customised it.
    let refuse = |response_type: &'static str, default: Response<Bytes>| {
        errors::customized(
            &api,
            response_type,
            default,
            accept,
            base_vars(request_id, stage, &api.id),
        )
    };
    let missing_token = || {
        refuse(
            "MISSING_AUTHENTICATION_TOKEN",
            errors::missing_authentication_token(),
        )
    };
    if let Some(policy) = &api.policy {
        let request = policy::Request {
            region: &cloud.config.region,
            account: crate::config::ACCOUNT_ID,
            api_id: &api.id,
            stage: &stage.name,
            method: parts.method.as_str(),
            path: &target.path,
            source_ip,
            signed: parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256")),
        };
        let decision = policy.decide(&request);
        if decision != crate::shared::policy::Decision::Allow {
            let arn = request.resource_arn();
            tracing::info!(api_id = %api.id, resource = arn, ?decision, "the API's resource policy refuses the request: 403");
            return refuse(
                "ACCESS_DENIED",
                errors::access_denied(
                    &arn,
                    decision == crate::shared::policy::Decision::ExplicitDeny,
                ),
            );
        }
    }
    let Some(route) = routing::route(&api, parts.method.as_str(), &target.path) else {
        return missing_token();
    };
    let received = Utc::now();
    let mut authorizer_context = None;
    let mut usage_identifier_key = None;
    match route.method.authorization_type.as_str() {
        "NONE" => {}
        "CUSTOM" => {
            let ctx = event::EventContext {
                api: &api,
                stage: &stage.name,
                stage_variables: &stage.variables,
                route: &route,
                path: &target.path,
                source_ip,
                request_id,
                domain: &domain,
                client_path,
                received,
            };
            match authorizer::authorize(cloud, &ctx, &parts, route.method.authorizer_id.as_deref())
                .await
            {
                Ok((context, key)) => {
                    authorizer_context = Some(context);
                    usage_identifier_key = key;
                }
                Err(refusal) => return refuse(refusal.response_type(), refusal.response()),
            }
        }
        "COGNITO_USER_POOLS" => {
            match cognito::authorize(cloud, &api, route.method, &stage.variables, &parts).await {
                Ok(context) => authorizer_context = Some(context),
                Err(refusal) => return refuse(refusal.response_type(), refusal.response()),
            }
        }
        "AWS_IAM" => {
            let signed = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256"));
            if !signed {
                return missing_token();
            }
            tracing::debug!("AWS_IAM method: the signature is present but not verified locally");
        }
        other => {
            tracing::error!(
                authorization = other,
                resource = %route.resource.path,
                "method authorization {other} is not supported by the local cloud: 500"
            );
            return errors::internal_server_error();
        }
    }
    if route.method.api_key_required
        && let Err(refused) = usage::meter(
            cloud,
            &api,
            stage,
            &route,
            &parts,
            usage_identifier_key.as_deref(),
        )
        .await
    {
        return match refused {
            Some(refusal) => refuse(refusal.response_type(), refusal.response()),
            None => errors::internal_server_error(),
        };
    }
    if let Some((kind, refusal)) =
        validate::check(&api, route.method, &route.raw_params, &parts, &body)
    {
        let vars = base_vars(request_id, stage, &api.id);
        return errors::customized(&api, kind, refusal, accept, vars);
    }
    let Some(integration) = route.method.integration.as_ref() else {
        tracing::warn!(resource = %route.resource.path, method = %route.method.http_method, "method has no integration: 500");
        return errors::internal_server_error();
    };
    let call = Call {
        cloud,
        api: &api,
        stage,
        route: &route,
        integration,
        parts: &parts,
        body: &body,
        path: &target.path,
        source_ip,
        request_id,
        domain: &domain,
        client_path,
        received,
        authorizer: authorizer_context.as_ref(),
    };
    match &integration.kind {
        IntegrationType::AwsProxy => lambda_proxy::invoke(&call).await,
        IntegrationType::HttpProxy => http_proxy::invoke(&call).await,
        IntegrationType::Aws => aws_integration::invoke(&call).await,
        IntegrationType::Mock => {
            let ct = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            mock::respond(integration, ct, &call.env())
        }
        other => {
            tracing::error!(integration = ?other, "integration type not supported by the local cloud yet: 500");
            errors::internal_server_error()
        }
    }
}
