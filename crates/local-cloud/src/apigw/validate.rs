//! Request validators (`x-amazon-apigateway-request-validators`, `AWS::ApiGateway::RequestValidator`): before
//! the integration, a method's validator checks its required request parameters (400 `Missing required
//! request parameters: [a, b]`) and its body against the model for the request's content type (400
//! `{"message": "Invalid request body"}`), both with `x-amzn-ErrorType: BadRequestException`, as
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html>
//! describes. Models are JSON Schema draft 4; a schema that cannot be compiled fails no request (logged).

use bytes::Bytes;
use http::{Response, header, request::Parts};

use super::{
    errors,
    model::{Method, RestApi},
};

/// The refusal of the method's validator (`None`: the request may go on), and its gateway response type.
pub fn check(
    api: &RestApi,
    method: &Method,
    path_params: &std::collections::BTreeMap<String, String>,
    parts: &Parts,
    body: &[u8],
) -> Option<(&'static str, Response<Bytes>)> {
    let validator = api
        .validators
        .get(method.request_validator_id.as_deref()?)?;
    if validator.parameters {
        let missing = missing_parameters(method, path_params, parts);
        if !missing.is_empty() {
            return Some((
                "BAD_REQUEST_PARAMETERS",
                errors::missing_parameters(&missing),
            ));
        }
    }
    if validator.body && !body_valid(api, method, parts, body) {
        return Some(("BAD_REQUEST_BODY", errors::invalid_request_body()));
    }
    None
}

fn missing_parameters(
    method: &Method,
    path_params: &std::collections::BTreeMap<String, String>,
    parts: &Parts,
) -> Vec<String> {
    let query = parts.uri.query().unwrap_or("");
    method
        .request_parameters
        .iter()
        .filter(|(_, required)| **required)
        .filter_map(|(key, _)| {
            let rest = key.strip_prefix("method.request.")?;
            let (place, name) = rest.split_once('.')?;
            let present = match place {
                "header" => parts.headers.contains_key(name),
                "querystring" => query.split('&').any(|p| p.split('=').next() == Some(name)),
                "path" => path_params.get(name).is_some_and(|v| !v.is_empty()),
                _ => true,
            };
            (!present).then(|| name.to_owned())
        })
        .collect()
}

/// Whether the body fits the method's model for its content type (no model: any body).
fn body_valid(api: &RestApi, method: &Method, parts: &Parts, body: &[u8]) -> bool {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "application/json".to_owned());
    let Some(model) = method
        .request_models
        .get(&content_type)
        .or_else(|| method.request_models.get("$default"))
    else {
        return true;
    };
    if model == "Empty" {
        return true;
    }
    let Some(schema) = api.models.get(model) else {
        tracing::warn!(
            model,
            "the method's model is not one of the API's: the body is not checked"
        );
        return true;
    };
    let compiled = serde_json::from_str(schema)
        .map_err(|e| e.to_string())
        .and_then(|s| jsonschema::validator_for(&s).map_err(|e| e.to_string()));
    let validator = match compiled {
        Ok(v) => v,
        Err(err) => {
            tracing::warn!(
                model,
                error = err,
                "the model's schema does not compile: the body is not checked"
            );
            return true;
        }
    };
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(instance) => {
            let ok = validator.is_valid(&instance);
            if !ok {
                tracing::info!(model, "the request body does not fit the model: 400");
            }
            ok
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::apigw::model::RequestValidator;

    fn api() -> RestApi {
        RestApi {
            validators: [(
                "v1".to_owned(),
                RequestValidator {
                    body: true,
                    parameters: true,
                },
            )]
            .into(),
            models: [(
                "Order".to_owned(),
                r#"{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                    "required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}}}"#
                    .to_owned(),
            )]
            .into(),
            ..RestApi::default()
        }
    }

    fn method() -> Method {
        Method {
            request_validator_id: Some("v1".into()),
            request_models: [("application/json".to_owned(), "Order".to_owned())].into(),
            request_parameters: [
                ("method.request.header.X-Tenant".to_owned(), true),
                ("method.request.querystring.page".to_owned(), false),
            ]
            .into(),
            ..Method::default()
        }
    }

    fn parts(tenant: bool) -> Parts {
        let mut b = http::Request::post("/orders").header("content-type", "application/json");
        if tenant {
            b = b.header("x-tenant", "t1");
        }
        b.body(()).unwrap().into_parts().0
    }

    fn refusal(tenant: bool, body: &str) -> Option<(&'static str, u16, String)> {
        check(
            &api(),
            &method(),
            &BTreeMap::new(),
            &parts(tenant),
            body.as_bytes(),
        )
        .map(|(t, r)| {
            assert_eq!(r.headers()["x-amzn-errortype"], "BadRequestException");
            (
                t,
                r.status().as_u16(),
                String::from_utf8_lossy(r.body()).into_owned(),
            )
        })
    }

    #[test]
    fn validators_refuse_as_aws_does() {
        assert_eq!(refusal(true, r#"{"id": "o-1"}"#), None);
        let bad_body = Some((
            "BAD_REQUEST_BODY",
            400,
            r#"{"message": "Invalid request body"}"#.to_owned(),
        ));
        assert_eq!(refusal(true, r#"{"id": ""}"#), bad_body);
        assert_eq!(refusal(true, "not json"), bad_body);
        assert_eq!(
            refusal(false, r#"{"id": "o-1"}"#),
            Some((
                "BAD_REQUEST_PARAMETERS",
                400,
                r#"{"message":"Missing required request parameters: [X-Tenant]"}"#.to_owned()
            ))
        );
        let unvalidated = Method {
            request_validator_id: None,
            ..method()
        };
        assert!(check(&api(), &unvalidated, &BTreeMap::new(), &parts(false), b"x").is_none());
    }
}
