//! API Gateway's own error responses (bodies, status codes and `x-amzn-ErrorType` as AWS sends them), and
//! the API's customised gateway responses laid over them ([`customized`]).
//! Over 400 lines: over a quarter is its unit tests, one per gateway response AWS documents, beside the code.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode, header};

use super::{
    mock::{TemplateVars, render},
    model::RestApi,
};

fn error(
    status: StatusCode,
    body: &'static str,
    error_type: Option<&'static str>,
) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from_static(body.as_bytes()));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(t) = error_type {
        h.insert("x-amzn-errortype", HeaderValue::from_static(t));
    }
    resp
}

/// 403: no resource/method matches (API Gateway's answer instead of a 404), or an unsigned request to an
/// `AWS_IAM` method.
pub fn missing_authentication_token() -> Response<Bytes> {
    error(
        StatusCode::FORBIDDEN,
        r#"{"message":"Missing Authentication Token"}"#,
        Some("MissingAuthenticationTokenException"),
    )
}

/// 400: a request validator refused the body (not JSON, or not its model's schema).
pub fn invalid_request_body() -> Response<Bytes> {
    error(
        StatusCode::BAD_REQUEST,
        r#"{"message": "Invalid request body"}"#,
        Some("BadRequestException"),
    )
}

/// 400: a request validator found required parameters missing (`[a, b]`, as AWS lists them).
pub fn missing_parameters(names: &[String]) -> Response<Bytes> {
    let mut resp = error(StatusCode::BAD_REQUEST, "", Some("BadRequestException"));
    let message = format!(
        "Missing required request parameters: [{}]",
        names.join(", ")
    );
    *resp.body_mut() = Bytes::from(serde_json::json!({ "message": message }).to_string());
    resp
}

/// 403: unknown API, unknown stage, or a missing API key.
pub fn forbidden() -> Response<Bytes> {
    error(
        StatusCode::FORBIDDEN,
        r#"{"message":"Forbidden"}"#,
        Some("ForbiddenException"),
    )
}

/// 429: the API key's usage plan throttles the request (its token bucket of rate and burst is empty)
/// (<https://repost.aws/knowledge-center/api-gateway-429-limit>; gateway response type `THROTTLED`).
pub fn too_many_requests() -> Response<Bytes> {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        r#"{"message":"Too Many Requests"}"#,
        Some("TooManyRequestsException"),
    )
}

/// 429: the API key used up its usage plan's quota for the period
/// (<https://repost.aws/knowledge-center/api-gateway-429-limit>; gateway response type `QUOTA_EXCEEDED`).
pub fn limit_exceeded() -> Response<Bytes> {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        r#"{"message":"Limit Exceeded"}"#,
        Some("LimitExceededException"),
    )
}

/// 403: the API's resource policy refuses the request, as AWS words it: an applying Deny statement adds
/// " with an explicit deny"; no applying Allow leaves it off
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html>,
/// <https://aws.amazon.com/premiumsupport/knowledge-center/api-gateway-403-error-lambda-authorizer/>).
pub fn access_denied(resource_arn: &str, explicit: bool) -> Response<Bytes> {
    let mut message = format!(
        "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {resource_arn}"
    );
    if explicit {
        message.push_str(" with an explicit deny");
    }
    let body = serde_json::json!({ "Message": message }).to_string();
    let mut resp = Response::new(Bytes::from(body));
    *resp.status_mut() = StatusCode::FORBIDDEN;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        "x-amzn-errortype",
        HeaderValue::from_static("AccessDeniedException"),
    );
    resp
}

/// 401: a Lambda authorizer's identity source is missing or fails its validation expression, or the authorizer
/// answered `Unauthorized` (<https://repost.aws/knowledge-center/api-gateway-401-error-lambda-authorizer>).
pub fn unauthorized() -> Response<Bytes> {
    error(
        StatusCode::UNAUTHORIZED,
        r#"{"message":"Unauthorized"}"#,
        Some("UnauthorizedException"),
    )
}

/// 403: the policy a Lambda authorizer returned denies the method: explicitly (a Deny statement applies) or by
/// having no Allow for it. AWS's bodies, with a capital `Message` as the service sends them (82 bytes for the
/// explicit deny; the knowledge center article
/// <https://repost.aws/knowledge-center/api-gateway-403-error-lambda-authorizer> quotes the same texts).
pub fn authorizer_denied(explicit: bool) -> Response<Bytes> {
    error(
        StatusCode::FORBIDDEN,
        if explicit {
            r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#
        } else {
            r#"{"Message":"User is not authorized to access this resource"}"#
        },
        Some("AccessDeniedException"),
    )
}

/// 500: a Lambda authorizer could not be invoked, failed with another error than `Unauthorized`, or returned no
/// valid policy: AWS answers `{"message": null}`
/// (<https://loige.co/debugging-custom-apigateway-authorizers/>).
pub fn authorizer_error() -> Response<Bytes> {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"message":null}"#,
        Some("AuthorizerConfigurationException"),
    )
}

/// 500: a configuration error (missing invoke permission, bad integration URI, unreachable VPC link, ...).
pub fn internal_server_error() -> Response<Bytes> {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"message": "Internal server error"}"#,
        Some("InternalServerErrorException"),
    )
}

/// 502: the Lambda function failed or returned a malformed proxy response.
pub fn bad_gateway() -> Response<Bytes> {
    error(
        StatusCode::BAD_GATEWAY,
        r#"{"message": "Internal server error"}"#,
        None,
    )
}

/// 504: the integration did not answer within `timeoutInMillis`.
pub fn endpoint_timed_out() -> Response<Bytes> {
    error(
        StatusCode::GATEWAY_TIMEOUT,
        r#"{"message": "Endpoint request timed out"}"#,
        None,
    )
}

/// The answer to an error of gateway response type `response_type` (e.g. `MISSING_AUTHENTICATION_TOKEN`):
/// `default`, unless the API customised that type, or `DEFAULT_4XX` / `DEFAULT_5XX` for the default's status
/// class. A customisation may set the status, `'literal'` headers (`gatewayresponse.header.<name>`) and body
/// templates (the one for the request's `Accept`, else `application/json`, else the first), rendered with
/// `$context.error.message`, `$context.error.messageString`, `$context.error.responseType` and the `context`
/// values of `vars`.
pub fn customized(
    api: &RestApi,
    response_type: &'static str,
    default: Response<Bytes>,
    accept: Option<&str>,
    vars: TemplateVars<'_>,
) -> Response<Bytes> {
    let class = if default.status().is_server_error() {
        "DEFAULT_5XX"
    } else {
        "DEFAULT_4XX"
    };
    let Some(custom) = api
        .gateway_responses
        .get(response_type)
        .or_else(|| api.gateway_responses.get(class))
    else {
        return default;
    };
    let (mut parts, body) = default.into_parts();
    if let Some(status) = custom
        .status_code
        .and_then(|s| StatusCode::from_u16(s).ok())
    {
        parts.status = status;
    }
    let mut body = body;
    if let Some((content_type, template)) = pick(&custom.response_templates, accept) {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v["message"]
                    .as_str()
                    .or_else(|| v["Message"].as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let mut vars = vars;
        vars.context.insert(
            "error.messageString",
            serde_json::Value::from(message.as_str()).to_string(),
        );
        vars.context.insert("error.message", message);
        vars.context
            .insert("error.responseType", response_type.to_owned());
        body = match render(template, &vars) {
            Ok(rendered) => Bytes::from(rendered),
            Err(err) => {
                tracing::error!(response_type, error = %err, "the gateway response's template has a syntax error; answered as written");
                Bytes::from(template.to_owned())
            }
        };
        if let Ok(v) = HeaderValue::from_str(content_type) {
            parts.headers.insert(header::CONTENT_TYPE, v);
        }
    }
    for (key, value) in &custom.response_parameters {
        let Some(name) = key.strip_prefix("gatewayresponse.header.") else {
            continue;
        };
        let literal = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\''));
        match (literal, HeaderName::try_from(name)) {
            (Some(v), Ok(name)) => {
                if let Ok(v) = HeaderValue::from_str(v) {
                    parts.headers.insert(name, v);
                }
            }
            _ => tracing::warn!(
                parameter = key,
                value,
                "gateway response parameter not supported locally (only 'literal' headers): skipped"
            ),
        }
    }
    parts
        .headers
        .insert(header::CONTENT_LENGTH, body.len().into());
    Response::from_parts(parts, body)
}

/// The template for `accept` (an exact media type), else `application/json`, else the first.
fn pick<'a>(
    templates: &'a BTreeMap<String, String>,
    accept: Option<&str>,
) -> Option<(&'a str, &'a str)> {
    let wanted = accept.and_then(|a| {
        a.split(',')
            .map(|m| m.split(';').next().unwrap_or("").trim())
            .find(|m| templates.contains_key(*m))
    });
    wanted
        .or(templates
            .contains_key("application/json")
            .then_some("application/json"))
        .and_then(|k| templates.get_key_value(k))
        .or_else(|| templates.iter().next())
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apigw::model::GatewayResponse;

    fn vars(stage_variables: &BTreeMap<String, String>) -> TemplateVars<'_> {
        TemplateVars {
            context: [("requestId", "req-1".to_owned())].into(),
            stage_variables,
        }
    }

    #[test]
    fn a_customised_gateway_response_replaces_the_default() {
        let none = BTreeMap::new();
        let mut api = RestApi::default();
        // Not customised: AWS's default.
        let r = customized(
            &api,
            "MISSING_AUTHENTICATION_TOKEN",
            missing_authentication_token(),
            None,
            vars(&none),
        );
        assert_eq!(r.status(), 403);
        api.gateway_responses.insert(
            "MISSING_AUTHENTICATION_TOKEN".into(),
            GatewayResponse {
                status_code: Some(404),
                response_parameters: [(
                    "gatewayresponse.header.x-why".to_owned(),
                    "'no route'".to_owned(),
                )]
                .into(),
                response_templates: [(
                    "application/json".to_owned(),
                    r#"{"error":"not found","was":$context.error.messageString,"id":"$context.requestId"}"#
                        .to_owned(),
                )]
                .into(),
            },
        );
        let r = customized(
            &api,
            "MISSING_AUTHENTICATION_TOKEN",
            missing_authentication_token(),
            None,
            vars(&none),
        );
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["x-why"], "no route");
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(
            r.headers()["content-length"],
            r.body().len().to_string().as_str()
        );
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error":"not found","was":"Missing Authentication Token","id":"req-1"})
        );
    }

    #[test]
    fn default_4xx_and_5xx_apply_by_status_class() {
        let none = BTreeMap::new();
        let mut api = RestApi::default();
        api.gateway_responses.insert(
            "DEFAULT_5XX".into(),
            GatewayResponse {
                status_code: None,
                response_templates: [("text/plain".to_owned(), "oops".to_owned())].into(),
                ..GatewayResponse::default()
            },
        );
        let r = customized(
            &api,
            "MISSING_AUTHENTICATION_TOKEN",
            missing_authentication_token(),
            None,
            vars(&none),
        );
        assert_eq!(r.status(), 403, "a 4xx is not customised by DEFAULT_5XX");
        let r = customized(
            &api,
            "INTEGRATION_TIMEOUT",
            endpoint_timed_out(),
            Some("text/html, text/plain"),
            vars(&none),
        );
        assert_eq!(r.status(), 504);
        assert_eq!(r.headers()["content-type"], "text/plain");
        assert_eq!(r.body().as_ref(), b"oops");
    }

    #[test]
    fn shapes() {
        let r = missing_authentication_token();
        assert_eq!(r.status(), 403);
        assert_eq!(
            r.headers()["x-amzn-ErrorType"],
            "MissingAuthenticationTokenException"
        );
        assert_eq!(r.headers()["content-type"], "application/json");
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["message"], "Missing Authentication Token");
        for (r, status, message) in [
            (forbidden(), 403, "Forbidden"),
            (internal_server_error(), 500, "Internal server error"),
            (bad_gateway(), 502, "Internal server error"),
            (endpoint_timed_out(), 504, "Endpoint request timed out"),
        ] {
            assert_eq!(r.status(), status);
            let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
            assert_eq!(v["message"], message);
        }
    }
}
