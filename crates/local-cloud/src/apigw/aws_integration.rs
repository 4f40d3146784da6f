//! AWS integrations (`type: AWS`): the request template rendered ([`super::vtl`]) and the mapped request
//! parameters sent to the service the URI names (`arn:aws:apigateway:{region}:sqs:path/{account}/{queue}`
//! or `...:sqs:action/SendMessage`), as the integration's `credentials` role, whose policies must allow the
//! action on the resource ([`aws_services`]: SQS, SNS, DynamoDB, EventBridge, Step Functions); the service's
//! answer (JSON, as API Gateway asks services for it) picks the integration response by its status code
//! (selection pattern, else the default one) and goes through that response's template.

use bytes::Bytes;
use http::{Response, header};

use super::{Call, aws_services, errors, mock, params};
use crate::shared::{aws_call, iam, policy::Decision, xml};

/// The principal API Gateway assumes integration roles as.
const PRINCIPAL: &str = "apigateway.amazonaws.com";

/// An integration URI: the service and either a path or an action.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub region: String,
    pub service: String,
    pub path: Option<String>,
    pub action: Option<String>,
}

impl Target {
    pub fn parse(uri: &str) -> Option<Target> {
        let rest = uri.strip_prefix("arn:aws:apigateway:")?;
        let (region, rest) = rest.split_once(':')?;
        let (service, rest) = rest.split_once(':')?;
        let (path, action) = if let Some(p) = rest.strip_prefix("path/") {
            (Some(format!("/{p}")), None)
        } else {
            (None, Some(rest.strip_prefix("action/")?.to_owned()))
        };
        Some(Target {
            region: region.to_owned(),
            service: service.to_owned(),
            path,
            action,
        })
    }
}

/// Serves an AWS integration.
pub async fn invoke(call: &Call<'_>) -> Response<Bytes> {
    let integration = call.integration();
    let uri = call.render(integration.uri.as_deref().unwrap_or_default());
    let Some(target) = Target::parse(&uri) else {
        tracing::error!(
            uri,
            "AWS integration URI not understood (arn:aws:apigateway:{{region}}:{{service}}:path/... or action/...): 500"
        );
        return errors::internal_server_error();
    };
    let env = call.env();
    let content_type = call
        .parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let body = match mock::pick_template_entry(&integration.request_templates, content_type) {
        Some((ct, t)) => match super::vtl::render(t, &env) {
            Ok(b) => b,
            Err(err) => return mock::syntax_error(&format!("request template {ct}"), &err),
        },
        None => String::from_utf8_lossy(call.body).into_owned(),
    };
    let mapped = params::map_request(&integration.request_parameters, &call.sources());
    let account = crate::config::ACCOUNT_ID;
    let planned = match aws_services::plan(&target, account, body, &mapped) {
        Ok(p) => p,
        Err(why) => {
            tracing::error!(uri, why, "the AWS integration's call cannot be made: 500");
            return errors::internal_server_error();
        }
    };
    let allowed = match integration.credentials.as_deref() {
        None => Decision::ImplicitDeny,
        Some(arn) => match iam::role(call.cloud, arn).await {
            Ok(Some(role)) if role.assumable_by(PRINCIPAL) => {
                role.decide(&planned.iam_action, &planned.resource)
            }
            Ok(_) => {
                tracing::error!(
                    role = arn,
                    "Execution failed due to configuration error: API Gateway does not have permission to assume the provided role {arn}: 500"
                );
                return errors::internal_server_error();
            }
            Err(err) => {
                tracing::error!(
                    role = arn,
                    error = format!("{err:#}"),
                    "cannot read the integration's role: 500"
                );
                return errors::internal_server_error();
            }
        },
    };
    let (status, answer) = if allowed == Decision::Allow {
        let sent = aws_call::send(
            call.cloud,
            planned.service,
            integration.http_method.as_deref().unwrap_or("POST"),
            &planned.path,
            &planned.query,
            &planned.headers,
            Bytes::from(planned.body.clone()),
        )
        .await;
        match sent {
            Ok(resp) => (resp.status().as_u16(), as_json(resp.body())),
            Err(err) => {
                tracing::error!(
                    error = format!("{err:#}"),
                    "the AWS integration's call failed: 500"
                );
                return errors::internal_server_error();
            }
        }
    } else {
        let role = integration.credentials.as_deref().unwrap_or("none");
        aws_services::access_denied(&planned, role, account, call.request_id)
    };
    let Some(chosen) = mock::select_response(&integration.responses, &status.to_string()) else {
        tracing::error!(
            status,
            "no integration response matches the service's status and there is no default: 500"
        );
        return errors::internal_server_error();
    };
    let mut response_env = env;
    response_env.input.body = answer.clone();
    mock::respond_with(
        chosen,
        &response_env,
        "application/json",
        Bytes::from(answer),
    )
}

/// A query-protocol answer (XML) as the JSON AWS gives API Gateway; an error's `ErrorResponse` wrapper
/// dropped (`{"Error": {...}, "RequestId": ...}`).
fn as_json(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match xml::to_json(&text) {
        Some(mut v) => {
            if let Some(inner) = v.get_mut("ErrorResponse").map(std::mem::take) {
                v = inner;
            }
            v.to_string()
        }
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::apigw::aws_services::{form_value, sqs_queue_arn};

    #[test]
    fn integration_uris() {
        let t = Target::parse("arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders").unwrap();
        assert_eq!(t.service, "sqs");
        assert_eq!(t.path.as_deref(), Some("/123456789012/orders"));
        let a = Target::parse("arn:aws:apigateway:eu-west-1:sqs:action/SendMessage").unwrap();
        assert_eq!(
            (a.region.as_str(), a.action.as_deref()),
            ("eu-west-1", Some("SendMessage"))
        );
        assert!(Target::parse("arn:aws:lambda:us-east-1:123:function:f").is_none());
        assert_eq!(
            sqs_queue_arn(
                "us-east-1",
                "https://sqs.us-east-1.amazonaws.com/123456789012/q1"
            )
            .as_deref(),
            Some("arn:aws:sqs:us-east-1:123456789012:q1")
        );
        assert_eq!(
            form_value("Action=SendMessage&MessageBody=a+b%21", "MessageBody").as_deref(),
            Some("a b!")
        );
        let err = as_json(b"<ErrorResponse><Error><Type>Sender</Type><Code>X</Code></Error><RequestId>r</RequestId></ErrorResponse>");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&err).unwrap(),
            json!({"Error": {"Type": "Sender", "Code": "X"}, "RequestId": "r"})
        );
    }
}
