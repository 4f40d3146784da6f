//! AWS_PROXY integrations of HTTP APIs with Lambda: the invoke permission (the function's resource policy
//! must let `apigateway.amazonaws.com` in for the route's execute-api ARN, else 500), the event in the
//! integration's payload format (2.0, or 1.0 built as REST APIs build it), the timeout (503) and the
//! function's answer (a function error or an unusable answer: 500).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::Response;

use super::{Call, errors, event, model::DEFAULT};
use crate::{
    apigw,
    config::ACCOUNT_ID,
    lambda::{Invocation, policy},
};

/// The function an integration URI names: a function ARN, or its
/// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations` form.
pub fn function_arn(uri: &str) -> Option<&str> {
    if uri.starts_with("arn:aws:lambda:") {
        return Some(uri);
    }
    apigw::lambda_proxy::function_arn(uri)
}

/// The execute-api ARNs API Gateway may present to Lambda for this route: `{api}/{stage}/{METHOD}{path}`
/// (the route's method, and for `ANY` also the request's), or `{api}/{stage}/$default` for the `$default`
/// route.
pub fn source_arns(
    region: &str,
    api_id: &str,
    stage: &str,
    route_key: &str,
    method: &str,
) -> Vec<String> {
    let base = format!("arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}/{stage}");
    match route_key.split_once(' ') {
        None => vec![format!("{base}/{route_key}")],
        Some((verb, path)) => {
            let mut arns = vec![format!("{base}/{verb}{path}")];
            if verb == "ANY" {
                arns.push(format!("{base}/{method}{path}"));
            }
            arns
        }
    }
}

pub async fn invoke(call: &Call<'_>) -> Response<Bytes> {
    let integration = call.integration;
    let Some(function) = integration.uri.as_deref().and_then(function_arn) else {
        tracing::warn!(uri = ?integration.uri, "AWS_PROXY integration URI does not name a Lambda function: 500");
        return errors::internal_server_error();
    };
    if integration.credentials.is_none() {
        let arns = source_arns(
            &call.cloud.config.region,
            &call.api.id,
            &call.stage.name,
            &call.matched.route.key,
            call.parts.method.as_str(),
        );
        let mut allowed = false;
        for arn in &arns {
            let caller = policy::Caller {
                principal: policy::APIGATEWAY,
                source_arn: Some(arn),
                source_account: Some(ACCOUNT_ID),
            };
            match policy::may_invoke(call.cloud, function, &caller).await {
                Ok(true) => {
                    allowed = true;
                    break;
                }
                Ok(false) => {}
                Err(err) => {
                    tracing::error!(
                        function,
                        error = format!("{err:#}"),
                        "cannot read the function's resource policy: 500"
                    );
                    return errors::internal_server_error();
                }
            }
        }
        if !allowed {
            tracing::warn!(
                function,
                source_arn = arns[0],
                "Execution failed due to configuration error: Invalid permissions on Lambda function (no \
                 statement lets apigateway.amazonaws.com invoke it for this source ARN; add an \
                 aws_lambda_permission): 500"
            );
            return errors::internal_server_error();
        }
    }
    let v1 = integration.payload_format_version == "1.0";
    let event = if v1 {
        event_v1(call)
    } else {
        event::event(&call.event_context(), call.parts, call.body)
    };
    let payload = Bytes::from(serde_json::to_vec(&event).unwrap_or_default());
    // On its own task: when the integration times out, the function runs on until its own timeout, as on AWS.
    let cloud = call.cloud.clone();
    let target = function.to_owned();
    let invocation = tokio::spawn(async move { cloud.lambda.invoke(&target, payload).await });
    let outcome = tokio::time::timeout(integration.timeout, async {
        invocation
            .await
            .unwrap_or_else(|join| Err(anyhow::anyhow!("the invocation task failed: {join}")))
    })
    .await;
    let out = match outcome {
        Err(_) => {
            tracing::warn!(
                function,
                timeout_ms = integration.timeout.as_millis() as u64,
                "Lambda integration timed out: 503"
            );
            return errors::service_unavailable();
        }
        Ok(Err(err)) => {
            tracing::error!(
                function,
                error = format!("{err:#}"),
                "invoking the function failed: 500"
            );
            return errors::internal_server_error();
        }
        Ok(Ok(Invocation::FunctionError {
            error_type,
            payload,
        })) => {
            tracing::warn!(function, error_type, payload = %String::from_utf8_lossy(&payload), "Lambda execution failed with a function error: 500");
            return errors::internal_server_error();
        }
        Ok(Ok(Invocation::Ok(out))) => out,
    };
    let resp = if v1 {
        // HTTP APIs have no binaryMediaTypes: a base64 body is always decoded.
        apigw::event::validate_proxy_response(&out)
            .and_then(|r| apigw::event::http_response(r, true))
    } else {
        event::response(&out)
    };
    resp.unwrap_or_else(|why| {
        tracing::warn!(function, why, response = %String::from_utf8_lossy(&out), "Malformed Lambda proxy response: 500");
        errors::internal_server_error()
    })
}

/// The 1.0 event: the REST API's proxy event for a one-resource API standing for this route, with the
/// fields HTTP APIs set differently.
fn event_v1(call: &Call<'_>) -> serde_json::Value {
    let route = call.matched.route;
    let (verb, path) = route.method_and_path().unwrap_or(("ANY", DEFAULT));
    let method = apigw::model::Method {
        http_method: verb.to_owned(),
        ..Default::default()
    };
    let api = apigw::model::RestApi {
        id: call.api.id.clone(),
        resources: vec![apigw::model::Resource {
            id: route.id.clone(),
            path: path.to_owned(),
            methods: [(verb.to_owned(), method)].into(),
        }],
        // Every content type counts as binary for the body's encoding test below.
        binary_media_types: Vec::new(),
        ..Default::default()
    };
    let resource = &api.resources[0];
    let rest_route = apigw::routing::Route {
        resource,
        method: &resource.methods[verb],
        params: call.matched.params.clone(),
        raw_params: BTreeMap::new(),
    };
    let ctx = apigw::event::EventContext {
        api: &api,
        stage: &call.stage.name,
        stage_variables: &call.stage.variables,
        route: &rest_route,
        path: call.path,
        source_ip: call.source_ip,
        request_id: call.request_id,
        domain: call.domain,
        client_path: None,
        received: call.received,
    };
    let mut e = apigw::event::proxy_event(&ctx, call.parts, &[]);
    e["version"] = "1.0".into();
    e["path"] = call.raw_path.into();
    e["requestContext"]["path"] = call.raw_path.into();
    e["requestContext"]["routeKey"] = route.key.as_str().into();
    if !call.body.is_empty() {
        let text = event::is_text(
            call.parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
        );
        e["body"] = if text {
            String::from_utf8_lossy(call.body).into_owned().into()
        } else {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .encode(call.body)
                .into()
        };
        e["isBase64Encoded"] = (!text).into();
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arns_and_source_arns() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:notes";
        assert_eq!(function_arn(arn), Some(arn));
        assert_eq!(
            function_arn(&format!(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
            )),
            Some(arn)
        );
        assert_eq!(function_arn("https://example.com"), None);
        assert_eq!(
            source_arns("us-east-1", "abc", "$default", "GET /notes/{id}", "GET"),
            ["arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/notes/{id}"]
        );
        assert_eq!(
            source_arns("us-east-1", "abc", "dev", "ANY /{proxy+}", "POST"),
            [
                "arn:aws:execute-api:us-east-1:123456789012:abc/dev/ANY/{proxy+}",
                "arn:aws:execute-api:us-east-1:123456789012:abc/dev/POST/{proxy+}"
            ]
        );
        assert_eq!(
            source_arns("us-east-1", "abc", "$default", "$default", "GET"),
            ["arn:aws:execute-api:us-east-1:123456789012:abc/$default/$default"]
        );
    }
}
