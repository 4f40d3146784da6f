//! AWS_PROXY integrations with Lambda: invoke permission (the function's resource policy must let
//! `apigateway.amazonaws.com` in for this method's execute-api ARN), the v1 event, the timeout, and the
//! function's proxy response.

use bytes::Bytes;
use http::{Response, header};

use super::{Call, errors, event};
use crate::{
    config::ACCOUNT_ID,
    lambda::{Invocation, policy},
};

/// `arn:aws:lambda:...:function:name` from `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations`.
pub fn function_arn(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once(":lambda:path/")?;
    let (_, rest) = rest.split_once("/functions/")?;
    let arn = rest.strip_suffix("/invocations").unwrap_or(rest);
    (!arn.is_empty()).then_some(arn)
}

/// The execute-api ARN API Gateway presents to Lambda: `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}{resourcePath}`.
pub fn source_arn(
    region: &str,
    api_id: &str,
    stage: &str,
    method: &str,
    resource_path: &str,
) -> String {
    format!("arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}/{stage}/{method}{resource_path}")
}

pub async fn invoke(call: &Call<'_>) -> Response<Bytes> {
    let integration = call.integration();
    if !integration
        .http_method
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
    {
        tracing::warn!(
            method = ?integration.http_method,
            "AWS_PROXY integrations with Lambda must use integration method POST: 500"
        );
        return errors::internal_server_error();
    }
    let uri = call.render(integration.uri.as_deref().unwrap_or_default());
    let Some(function) = function_arn(&uri) else {
        tracing::warn!(
            uri,
            "AWS_PROXY integration URI does not name a Lambda function: 500"
        );
        return errors::internal_server_error();
    };
    if integration.credentials.is_none() {
        // The method's own verb; an ANY method is also accepted under the request's verb.
        let mut verbs = vec![call.route.method.http_method.clone()];
        if verbs[0] == "ANY" {
            verbs.push(call.parts.method.as_str().to_owned());
        }
        let region = call.cloud.config.region.as_str();
        let mut allowed = false;
        for verb in &verbs {
            let arn = source_arn(
                region,
                &call.api.id,
                &call.stage.name,
                verb,
                &call.route.resource.path,
            );
            let caller = policy::Caller {
                principal: policy::APIGATEWAY,
                source_arn: Some(&arn),
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
                source_arn = source_arn(
                    region,
                    &call.api.id,
                    &call.stage.name,
                    &verbs[0],
                    &call.route.resource.path
                ),
                "Execution failed due to configuration error: Invalid permissions on Lambda function (no \
                 statement lets apigateway.amazonaws.com invoke it for this source ARN; add an \
                 aws_lambda_permission): 500"
            );
            return errors::internal_server_error();
        }
    }
    let mut event = event::proxy_event(&call.event_context(), call.parts, call.body);
    if let Some(authorizer) = call.authorizer {
        // A Lambda authorizer's principalId and context (REST APIs pass them flat, values as strings).
        event["requestContext"]["authorizer"] = authorizer.clone();
    }
    let payload = Bytes::from(serde_json::to_vec(&event).unwrap_or_default());
    // The invocation runs on its own task: when the integration times out, the function goes on running until
    // its own timeout, as on AWS (and logs `Task timed out` then).
    let cloud = call.cloud.clone();
    let target = function.to_owned();
    let invocation = tokio::spawn(async move { cloud.lambda.invoke(&target, payload).await });
    let outcome = tokio::time::timeout(integration.timeout, async {
        invocation
            .await
            .unwrap_or_else(|join| Err(anyhow::anyhow!("the invocation task failed: {join}")))
    })
    .await;
    match outcome {
        Err(_) => {
            tracing::warn!(
                function,
                timeout_ms = integration.timeout.as_millis() as u64,
                "Lambda integration timed out: 504"
            );
            errors::endpoint_timed_out()
        }
        Ok(Err(err)) => {
            tracing::error!(
                function,
                error = format!("{err:#}"),
                "invoking the function failed: 502"
            );
            errors::bad_gateway()
        }
        Ok(Ok(Invocation::FunctionError {
            error_type,
            payload,
        })) => {
            tracing::warn!(
                function,
                error_type,
                payload = %String::from_utf8_lossy(&payload),
                "Lambda execution failed with a function error: 502"
            );
            errors::bad_gateway()
        }
        Ok(Ok(Invocation::Ok(out))) => {
            let accept = call
                .parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            let binary =
                event::is_binary(call.api, accept.map(|a| a.split(',').next().unwrap_or(a)));
            match event::validate_proxy_response(&out).and_then(|r| event::http_response(r, binary))
            {
                Ok(resp) => resp,
                Err(why) => {
                    tracing::warn!(
                        function,
                        why,
                        response = %String::from_utf8_lossy(&out),
                        "Execution failed due to configuration error: Malformed Lambda proxy response: 502"
                    );
                    errors::bad_gateway()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arns_and_source_arns() {
        assert_eq!(
            function_arn(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:hello/invocations"
            ),
            Some("arn:aws:lambda:us-east-1:123456789012:function:hello")
        );
        assert_eq!(
            function_arn(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:hello:live/invocations"
            ),
            Some("arn:aws:lambda:us-east-1:123456789012:function:hello:live")
        );
        assert_eq!(
            function_arn("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem"),
            None
        );
        assert_eq!(
            source_arn("us-east-1", "abc", "prod", "GET", "/items/{id}"),
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/items/{id}"
        );
        assert_eq!(
            source_arn("us-east-1", "abc", "prod", "ANY", "/"),
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod/ANY/"
        );
    }
}
