//! Target groups of type `lambda`: the ALB event sent to the function, the permission check Lambda makes
//! on the load balancer's behalf, and the function's response turned back into HTTP.

use std::collections::HashMap;

use aws_lambda_events::{
    alb::{AlbTargetGroupRequest, AlbTargetGroupResponse},
    encodings::Body,
    query_map::QueryMap,
};
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode, request::Parts};
use serde_json::Value;

use super::{model::TargetGroup, pages};
use crate::{SharedCloud, config::ACCOUNT_ID, lambda::Invocation};
use crate::{lambda::policy, shared::url::query_pairs};

/// Whether a body of this content type is sent to the function as text (otherwise base64).
pub fn is_text(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let ct = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.ends_with("json")
        || ct.ends_with("xml")
        || ct.ends_with("javascript")
        || ct == "application/x-www-form-urlencoded"
}

/// The event an ALB sends for this request (`headers` lowercased, query values as sent). With the target
/// group's `lambda.multi_value_headers.enabled`, only the multi-value fields are present, else only the
/// single-value ones (the last value of a repeated header or parameter).
pub fn event(tg: &TargetGroup, parts: &Parts, body: &[u8]) -> Value {
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in query_pairs(parts.uri.query().unwrap_or("")) {
        query.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    let mut req = AlbTargetGroupRequest::default();
    req.http_method = parts.method.clone();
    req.path = Some(parts.uri.path().to_owned());
    if tg.multi_value_headers {
        req.multi_value_headers = parts.headers.clone();
        req.multi_value_query_string_parameters = QueryMap::from(query);
    } else {
        let mut single = HeaderMap::new();
        for (name, value) in &parts.headers {
            single.insert(name.clone(), value.clone());
        }
        req.headers = single;
        let last: HashMap<String, String> = query
            .into_iter()
            .filter_map(|(k, mut v)| Some((k, v.pop()?)))
            .collect();
        req.query_string_parameters = QueryMap::from(last);
    }
    req.request_context.elb.target_group_arn = Some(tg.arn.clone());
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match std::str::from_utf8(body) {
        Ok(text) if is_text(content_type) => req.body = Some(text.to_owned()),
        _ => {
            req.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
            req.is_base64_encoded = true;
        }
    }
    let mut json = serde_json::to_value(&req).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut json {
        let unused: [&str; 2] = if tg.multi_value_headers {
            ["headers", "queryStringParameters"]
        } else {
            ["multiValueHeaders", "multiValueQueryStringParameters"]
        };
        for key in unused {
            map.remove(key);
        }
    }
    json
}

/// Turns the function's payload into the ALB's response, or says why the ALB would answer 502.
pub fn response(payload: &[u8], multi_value_headers: bool) -> Result<Response<Bytes>, String> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| format!("the response is not JSON: {e}"))?;
    let Value::Object(mut map) = value else {
        return Err("the response is not a JSON object".into());
    };
    match map.get("statusCode") {
        Some(Value::Number(n)) if n.as_u64().is_some_and(|s| (100..=599).contains(&s)) => {}
        other => {
            return Err(format!(
                "statusCode must be an integer HTTP status, got {other:?}"
            ));
        }
    }
    match map.get("body") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(other) => return Err(format!("body must be a string, got {other}")),
    }
    // The ALB reads only the header form that matches the target group's setting.
    map.remove(if multi_value_headers {
        "headers"
    } else {
        "multiValueHeaders"
    });
    let parsed: AlbTargetGroupResponse = serde_json::from_value(Value::Object(map))
        .map_err(|e| format!("invalid response fields: {e}"))?;
    let status = StatusCode::from_u16(parsed.status_code as u16).map_err(|e| e.to_string())?;
    let body = match parsed.body {
        None | Some(Body::Empty) => Bytes::new(),
        Some(Body::Text(text)) if parsed.is_base64_encoded => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| format!("isBase64Encoded but the body is not base64: {e}"))?,
        ),
        Some(Body::Text(text)) => Bytes::from(text),
        Some(Body::Binary(bytes)) => Bytes::from(bytes),
        Some(_) => Bytes::new(),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = if multi_value_headers {
        parsed.multi_value_headers
    } else {
        parsed.headers
    };
    Ok(resp)
}

/// Serves the request with the target group's function, as an ALB does.
pub async fn forward(
    cloud: &SharedCloud,
    tg: &TargetGroup,
    parts: &Parts,
    body: &[u8],
) -> Response<Bytes> {
    let Some(target) = tg.targets.first() else {
        tracing::warn!(target_group = %tg.arn, "lambda target group has no registered function: 503");
        return pages::error_page(StatusCode::SERVICE_UNAVAILABLE);
    };
    let function = target.id.as_str();
    let caller = policy::Caller {
        principal: policy::ELB,
        source_arn: Some(&tg.arn),
        source_account: Some(ACCOUNT_ID),
    };
    match policy::may_invoke(cloud, function, &caller).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(
                function,
                target_group = %tg.arn,
                "the function's resource policy does not allow elasticloadbalancing.amazonaws.com to invoke it \
                 for this target group (add an aws_lambda_permission): 502"
            );
            return pages::error_page(StatusCode::BAD_GATEWAY);
        }
        Err(err) => {
            tracing::error!(
                function,
                error = format!("{err:#}"),
                "cannot read the function's resource policy: 502"
            );
            return pages::error_page(StatusCode::BAD_GATEWAY);
        }
    }
    let payload = Bytes::from(serde_json::to_vec(&event(tg, parts, body)).unwrap_or_default());
    match cloud.lambda.invoke(function, payload).await {
        Ok(Invocation::Ok(out)) => response(&out, tg.multi_value_headers).unwrap_or_else(|why| {
            tracing::warn!(
                function,
                why,
                "malformed Lambda response for the load balancer: 502"
            );
            pages::error_page(StatusCode::BAD_GATEWAY)
        }),
        Ok(Invocation::FunctionError {
            error_type,
            payload,
        }) => {
            tracing::warn!(function, error_type, payload = %String::from_utf8_lossy(&payload), "function error: 502");
            pages::error_page(StatusCode::BAD_GATEWAY)
        }
        Err(err) => {
            tracing::error!(
                function,
                error = format!("{err:#}"),
                "invoking the target function failed: 502"
            );
            pages::error_page(StatusCode::BAD_GATEWAY)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elb::model::{Target, TargetType};

    fn tg(multi: bool) -> TargetGroup {
        TargetGroup {
            arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-target/abcdefg".into(),
            name: "lambda-target".into(),
            target_type: TargetType::Lambda,
            port: None,
            protocol: None,
            targets: vec![Target { id: "arn:aws:lambda:us-east-1:123456789012:function:f".into(), port: None }],
            multi_value_headers: multi,
        }
    }

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::get(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn single_value_event_matches_the_fixture_shape() {
        let p = parts(
            "/?key=hello&key=world",
            &[
                ("Accept", "*/*"),
                ("X-MyHeader", "1"),
                ("X-MyHeader", "123"),
                ("Host", "lb.example.com"),
            ],
        );
        let e = event(&tg(false), &p, b"");
        assert_eq!(
            e,
            serde_json::json!({
                "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-target/abcdefg"}},
                "httpMethod": "GET",
                "path": "/",
                "queryStringParameters": {"key": "world"},
                "headers": {"accept": "*/*", "x-myheader": "123", "host": "lb.example.com"},
                "body": "",
                "isBase64Encoded": false
            })
        );
        // It deserializes as the library's own type does with AWS's fixture.
        let back: AlbTargetGroupRequest = serde_json::from_value(e).unwrap();
        assert_eq!(back.headers["x-myheader"], "123");
    }

    #[test]
    fn multi_value_event_and_binary_body() {
        let p = parts(
            "/up?a=1&a=2",
            &[
                ("content-type", "application/octet-stream"),
                ("x-h", "1"),
                ("x-h", "2"),
            ],
        );
        let e = event(&tg(true), &p, &[0xff, 0x00]);
        assert_eq!(
            e["multiValueQueryStringParameters"],
            serde_json::json!({"a": ["1", "2"]})
        );
        assert_eq!(e["multiValueHeaders"]["x-h"], serde_json::json!(["1", "2"]));
        assert!(e.get("headers").is_none() && e.get("queryStringParameters").is_none());
        assert_eq!(
            (e["body"].as_str(), e["isBase64Encoded"].as_bool()),
            (Some("/wA="), Some(true))
        );
    }

    #[test]
    fn responses() {
        let ok = response(
            br#"{"statusCode": 200, "statusDescription": "200 OK", "headers": {"content-type": "text/plain"},
                 "body": "hi", "isBase64Encoded": false}"#,
            false,
        )
        .unwrap();
        assert_eq!(
            (ok.status().as_u16(), ok.body().as_ref()),
            (200, b"hi".as_ref())
        );
        assert_eq!(ok.headers()["content-type"], "text/plain");

        let multi = response(
            br#"{"statusCode": 201, "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]}, "headers": {"x": "ignored"},
                 "body": "aGk=", "isBase64Encoded": true}"#,
            true,
        )
        .unwrap();
        assert_eq!(multi.headers().get_all("set-cookie").iter().count(), 2);
        assert!(multi.headers().get("x").is_none());
        assert_eq!(multi.body().as_ref(), b"hi");

        for bad in [
            &b"not json"[..],
            b"[1]",
            br#"{"body": "x"}"#,
            br#"{"statusCode": "200"}"#,
            br#"{"statusCode": 200, "body": {"a": 1}}"#,
            br#"{"statusCode": 200, "body": "!!", "isBase64Encoded": true}"#,
        ] {
            assert!(
                response(bad, false).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
