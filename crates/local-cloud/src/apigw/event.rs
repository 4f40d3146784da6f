//! The Lambda proxy integration's v1 event (`ApiGatewayProxyRequest`) and the validation of the function's
//! proxy response (`ApiGatewayProxyResponse`), as API Gateway REST APIs do them.
//! Over 400 lines: about half is its unit tests, beside the mapping they check.

use std::{collections::HashMap, net::IpAddr};

use aws_lambda_events::{
    apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse},
    encodings::Body,
    query_map::QueryMap,
};
use base64::Engine as _;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header, request::Parts};
use serde_json::{Map, Value};

use super::{model::RestApi, routing::Route};
use crate::{
    config::ACCOUNT_ID,
    shared::{
        matchers::wildcard,
        url::{percent_decode, query_pairs},
    },
};

/// What the event is made of, besides the HTTP request itself.
pub struct EventContext<'a> {
    pub api: &'a RestApi,
    pub stage: &'a str,
    pub stage_variables: &'a std::collections::BTreeMap<String, String>,
    pub route: &'a Route<'a>,
    /// The path below the stage, as sent.
    pub path: &'a str,
    pub source_ip: IpAddr,
    pub request_id: &'a str,
    /// The Host the client used, or the custom domain name it came through.
    pub domain: &'a str,
    /// Through a custom domain name: the path the client sent (percent-encoded), which `path` and
    /// `requestContext.path` are, base path included and no stage (as AWS sends them, e.g.
    /// github.com/aws/serverless-java-container/issues/34, github.com/localstack/localstack/pull/12296).
    pub client_path: Option<&'a str>,
    pub received: DateTime<Utc>,
}

/// Whether `content_type` is one of the API's `binaryMediaTypes` (which may use `*` wildcards).
pub fn is_binary(api: &RestApi, content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let ct = ct.split(';').next().unwrap_or("").trim();
    api.binary_media_types.iter().any(|t| wildcard(t, ct, true))
}

/// The v1 proxy event for this request, as JSON. Header names are lowercase (HTTP/1 header names are
/// case-insensitive and the edge does not keep their case); absent maps are `null` as AWS sends them.
pub fn proxy_event(ctx: &EventContext<'_>, parts: &Parts, body: &[u8]) -> Value {
    let mut single = HeaderMap::new();
    for (name, value) in &parts.headers {
        single.insert(name.clone(), value.clone());
    }
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in query_pairs(parts.uri.query().unwrap_or("")) {
        query
            .entry(percent_decode(k))
            .or_default()
            .push(percent_decode(v));
    }
    // queryStringParameters holds the last value of a repeated parameter.
    let last: HashMap<String, String> = query
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.last()?.clone())))
        .collect();

    let mut e = ApiGatewayProxyRequest::default();
    e.resource = Some(ctx.route.resource.path.clone());
    e.path = Some(percent_decode(ctx.client_path.unwrap_or(ctx.path)));
    e.http_method = parts.method.clone();
    e.headers = single;
    e.multi_value_headers = parts.headers.clone();
    e.query_string_parameters = QueryMap::from(last);
    e.multi_value_query_string_parameters = QueryMap::from(query);
    e.path_parameters = ctx.route.params.clone().into_iter().collect();
    e.stage_variables = ctx.stage_variables.clone().into_iter().collect();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !body.is_empty() {
        if is_binary(ctx.api, content_type) {
            e.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
            e.is_base64_encoded = true;
        } else {
            e.body = Some(String::from_utf8_lossy(body).into_owned());
        }
    }
    let rc = &mut e.request_context;
    rc.account_id = Some(ACCOUNT_ID.to_owned());
    rc.apiid = Some(ctx.api.id.clone());
    rc.resource_id = Some(ctx.route.resource.id.clone());
    rc.resource_path = Some(ctx.route.resource.path.clone());
    rc.stage = Some(ctx.stage.to_owned());
    rc.request_id = Some(ctx.request_id.to_owned());
    rc.http_method = parts.method.clone();
    rc.path = Some(match ctx.client_path {
        Some(path) => path.to_owned(),
        None => format!("/{}{}", ctx.stage, ctx.path),
    });
    rc.protocol = Some("HTTP/1.1".to_owned());
    rc.identity.source_ip = Some(ctx.source_ip.to_string());
    rc.identity.user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    rc.request_time_epoch = ctx.received.timestamp_millis();
    rc.request_time = Some(ctx.received.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    rc.domain_name = Some(ctx.domain.to_owned());
    rc.domain_prefix = Some(
        ctx.domain
            .split('.')
            .next()
            .unwrap_or(ctx.domain)
            .to_owned(),
    );

    let mut json = serde_json::to_value(&e).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut json {
        for key in [
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "stageVariables",
        ] {
            if map
                .get(key)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
            {
                map.insert(key.to_owned(), Value::Null);
            }
        }
    }
    json
}

const ALLOWED_KEYS: [&str; 5] = [
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

fn header_value(v: &Value) -> Option<Value> {
    match v {
        Value::String(_) => Some(v.clone()),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        _ => None,
    }
}

/// Checks a proxy response the way API Gateway does ("Malformed Lambda proxy response" otherwise): a JSON
/// object with only `statusCode` (an integer, or a string holding one; 200 when absent), `headers` (string or
/// boolean values), `multiValueHeaders` (lists), `body` (a string) and `isBase64Encoded` (a boolean).
pub fn validate_proxy_response(payload: &[u8]) -> Result<ApiGatewayProxyResponse, String> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(map) = value else {
        return Err(format!("not a JSON object: {value}"));
    };
    if let Some(extra) = map.keys().find(|k| !ALLOWED_KEYS.contains(&k.as_str())) {
        return Err(format!("unexpected field {extra:?}"));
    }
    let mut out = Map::new();
    let status = match map.get("statusCode") {
        None | Some(Value::Null) => 200,
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| format!("statusCode {n} is not an integer"))?,
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| format!("statusCode {s:?} is not an integer"))?,
        Some(other) => return Err(format!("statusCode {other} is not an integer")),
    };
    if !(100..=599).contains(&status) {
        return Err(format!("statusCode {status} is not an HTTP status"));
    }
    out.insert("statusCode".into(), status.into());
    match map.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            let mut headers = Map::new();
            for (k, v) in h {
                headers.insert(
                    k.clone(),
                    header_value(v).ok_or_else(|| format!("header {k:?} is {v}"))?,
                );
            }
            out.insert("headers".into(), Value::Object(headers));
        }
        Some(other) => return Err(format!("headers is {other}")),
    }
    match map.get("multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            let mut headers = Map::new();
            for (k, v) in h {
                let Value::Array(items) = v else {
                    return Err(format!("multiValueHeaders {k:?} is {v}"));
                };
                let items = items
                    .iter()
                    .map(|i| match i {
                        Value::Number(n) => Some(Value::String(n.to_string())),
                        other => header_value(other),
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("multiValueHeaders {k:?} has a non-string value"))?;
                headers.insert(k.clone(), Value::Array(items));
            }
            out.insert("multiValueHeaders".into(), Value::Object(headers));
        }
        Some(other) => return Err(format!("multiValueHeaders is {other}")),
    }
    match map.get("body") {
        None | Some(Value::Null) => {}
        Some(b @ Value::String(_)) => {
            out.insert("body".into(), b.clone());
        }
        Some(other) => return Err(format!("body is not a string: {other}")),
    }
    match map.get("isBase64Encoded") {
        None | Some(Value::Null) => {}
        Some(b @ Value::Bool(_)) => {
            out.insert("isBase64Encoded".into(), b.clone());
        }
        Some(other) => return Err(format!("isBase64Encoded is not a boolean: {other}")),
    }
    serde_json::from_value(Value::Object(out)).map_err(|e| format!("invalid header: {e}"))
}

/// The HTTP response for a valid proxy response. `headers` and `multiValueHeaders` are merged (for a name
/// in both, the multi-value list wins); a base64 body is decoded only when `binary` (the API's
/// `binaryMediaTypes` cover the client's Accept), as AWS does.
pub fn http_response(r: ApiGatewayProxyResponse, binary: bool) -> Result<Response<Bytes>, String> {
    let status = StatusCode::from_u16(r.status_code as u16).map_err(|e| e.to_string())?;
    let mut headers = r.multi_value_headers.clone();
    for (name, value) in &r.headers {
        if !r.multi_value_headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let body = match r.body {
        None | Some(Body::Empty) => Bytes::new(),
        Some(Body::Text(text)) if r.is_base64_encoded && binary => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| format!("isBase64Encoded but the body is not base64: {e}"))?,
        ),
        Some(Body::Text(text)) => Bytes::from(text),
        Some(Body::Binary(b)) => Bytes::from(b),
        Some(_) => Bytes::new(),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apigw::model::{Method, Resource};
    use std::collections::BTreeMap;

    fn fixture_api() -> RestApi {
        RestApi {
            id: "gy415nuibc".into(),
            resources: vec![Resource {
                id: "roq9wj".into(),
                path: "/{proxy+}".into(),
                methods: [(
                    "ANY".to_owned(),
                    Method {
                        http_method: "ANY".into(),
                        ..Method::default()
                    },
                )]
                .into(),
            }],
            ..RestApi::default()
        }
    }

    #[test]
    fn through_a_custom_domain_the_paths_are_the_clients_and_not_the_stage() {
        let api = fixture_api();
        let route = crate::apigw::routing::route(&api, "GET", "/42").unwrap();
        let vars = BTreeMap::new();
        let ctx = |client_path| EventContext {
            api: &api,
            stage: "prod",
            stage_variables: &vars,
            route: &route,
            path: "/42",
            source_ip: "10.0.0.1".parse().unwrap(),
            request_id: "r",
            domain: "api.example.com",
            client_path,
            received: DateTime::from_timestamp_millis(0).unwrap(),
        };
        let (parts, ()) = http::Request::get("/orders/42")
            .body(())
            .unwrap()
            .into_parts();
        let e = proxy_event(&ctx(Some("/orders/42")), &parts, b"");
        assert_eq!(e["path"], "/orders/42");
        assert_eq!(e["requestContext"]["path"], "/orders/42");
        assert_eq!(e["requestContext"]["stage"], "prod");
        assert_eq!(e["requestContext"]["domainName"], "api.example.com");
        assert_eq!(e["requestContext"]["domainPrefix"], "api");
        assert_eq!(e["pathParameters"], serde_json::json!({"proxy": "42"}));
        let e = proxy_event(&ctx(None), &parts, b"");
        assert_eq!(e["path"], "/42");
        assert_eq!(e["requestContext"]["path"], "/prod/42");
    }

    #[test]
    fn event_has_the_v1_shape() {
        let api = fixture_api();
        let route = crate::apigw::routing::route(&api, "POST", "/hello/world").unwrap();
        let vars: BTreeMap<String, String> = [(
            "stageVariableName".to_owned(),
            "stageVariableValue".to_owned(),
        )]
        .into();
        let ctx = EventContext {
            api: &api,
            stage: "testStage",
            stage_variables: &vars,
            route: &route,
            path: "/hello/world",
            source_ip: "192.168.196.186".parse().unwrap(),
            request_id: "deef4878-7910-11e6-8f14-25afc3e9ae33",
            domain: "gy415nuibc.execute-api.localhost:4566",
            client_path: None,
            received: DateTime::from_timestamp_millis(1589522469693).unwrap(),
        };
        let req = http::Request::post("/hello/world?name=me&name=you")
            .header("Content-Type", "application/json")
            .header("User-Agent", "PostmanRuntime/2.4.5")
            .header("X-Dup", "1")
            .header("X-Dup", "2")
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        let e = proxy_event(&ctx, &parts, b"{\"a\": 1}");
        assert_eq!(e["resource"], "/{proxy+}");
        assert_eq!(e["path"], "/hello/world");
        assert_eq!(e["httpMethod"], "POST");
        assert_eq!(e["headers"]["content-type"], "application/json");
        assert_eq!(e["headers"]["x-dup"], "2");
        assert_eq!(
            e["multiValueHeaders"]["x-dup"],
            serde_json::json!(["1", "2"])
        );
        assert_eq!(
            e["queryStringParameters"],
            serde_json::json!({"name": "you"})
        );
        assert_eq!(
            e["multiValueQueryStringParameters"],
            serde_json::json!({"name": ["me", "you"]})
        );
        assert_eq!(
            e["pathParameters"],
            serde_json::json!({"proxy": "hello/world"})
        );
        assert_eq!(
            e["stageVariables"],
            serde_json::json!({"stageVariableName": "stageVariableValue"})
        );
        assert_eq!(e["body"], "{\"a\": 1}");
        assert_eq!(e["isBase64Encoded"], false);
        let rc = &e["requestContext"];
        assert_eq!(rc["accountId"], ACCOUNT_ID);
        assert_eq!(rc["apiId"], "gy415nuibc");
        assert_eq!(rc["resourceId"], "roq9wj");
        assert_eq!(rc["resourcePath"], "/{proxy+}");
        assert_eq!(rc["stage"], "testStage");
        assert_eq!(rc["path"], "/testStage/hello/world");
        assert_eq!(rc["httpMethod"], "POST");
        assert_eq!(rc["requestId"], "deef4878-7910-11e6-8f14-25afc3e9ae33");
        assert_eq!(rc["identity"]["sourceIp"], "192.168.196.186");
        assert_eq!(rc["identity"]["userAgent"], "PostmanRuntime/2.4.5");
        assert_eq!(rc["protocol"], "HTTP/1.1");
        assert_eq!(rc["requestTimeEpoch"], 1589522469693i64);
        assert_eq!(rc["requestTime"], "15/May/2020:06:01:09 +0000");
        assert_eq!(rc["domainName"], "gy415nuibc.execute-api.localhost:4566");
        // It reads back as the library's type, like AWS's fixture does.
        let back: ApiGatewayProxyRequest = serde_json::from_value(e).unwrap();
        assert_eq!(back.path_parameters["proxy"], "hello/world");
    }

    #[test]
    fn empty_parts_are_null_and_binary_bodies_base64() {
        let mut api = fixture_api();
        api.binary_media_types = vec!["image/*".into()];
        let route = crate::apigw::routing::route(&api, "PUT", "/x").unwrap();
        let vars = BTreeMap::new();
        let ctx = EventContext {
            api: &api,
            stage: "s",
            stage_variables: &vars,
            route: &route,
            path: "/x",
            source_ip: "127.0.0.1".parse().unwrap(),
            request_id: "r",
            domain: "127.0.0.1:4566",
            client_path: None,
            received: Utc::now(),
        };
        let (parts, ()) = http::Request::put("/x")
            .header("content-type", "image/png")
            .body(())
            .unwrap()
            .into_parts();
        let e = proxy_event(&ctx, &parts, &[0x89, 0x50]);
        assert_eq!(e["queryStringParameters"], Value::Null);
        assert_eq!(e["multiValueQueryStringParameters"], Value::Null);
        assert_eq!(e["stageVariables"], Value::Null);
        assert_eq!(
            (e["body"].as_str(), e["isBase64Encoded"].as_bool()),
            (Some("iVA="), Some(true))
        );
        let (parts, ()) = http::Request::get("/x").body(()).unwrap().into_parts();
        assert_eq!(proxy_event(&ctx, &parts, b"")["body"], Value::Null);
    }

    #[test]
    fn proxy_response_validation() {
        let ok = validate_proxy_response(
            br#"{"statusCode": 201, "headers": {"X-A": "1", "X-Flag": true}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-A": ["2"]}, "body": "{}", "isBase64Encoded": false}"#,
        )
        .unwrap();
        let resp = http_response(ok, false).unwrap();
        assert_eq!(resp.status(), 201);
        assert_eq!(
            resp.headers().get_all("x-a").iter().collect::<Vec<_>>(),
            vec!["2"],
            "multi-value wins"
        );
        assert_eq!(resp.headers()["x-flag"], "true");
        assert_eq!(resp.headers().get_all("set-cookie").iter().count(), 2);
        assert_eq!(resp.headers()["content-type"], "application/json");
        assert_eq!(resp.body().as_ref(), b"{}");

        let minimal = http_response(
            validate_proxy_response(br#"{"statusCode": "404"}"#).unwrap(),
            false,
        )
        .unwrap();
        assert_eq!((minimal.status().as_u16(), minimal.body().len()), (404, 0));
        let no_status = validate_proxy_response(br#"{"body": "x"}"#).unwrap();
        assert_eq!(no_status.status_code, 200);

        let b64 = br#"{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}"#;
        assert_eq!(
            http_response(validate_proxy_response(b64).unwrap(), true)
                .unwrap()
                .body()
                .as_ref(),
            b"hi"
        );
        assert_eq!(
            http_response(validate_proxy_response(b64).unwrap(), false)
                .unwrap()
                .body()
                .as_ref(),
            b"aGk="
        );

        for bad in [
            &b"hello"[..],
            b"null",
            b"\"just a string\"",
            br#"{"statusCode": 200, "extra": 1}"#,
            br#"{"statusCode": "two hundred"}"#,
            br#"{"statusCode": 200.5}"#,
            br#"{"statusCode": 200, "body": {"a": 1}}"#,
            br#"{"statusCode": 200, "headers": {"X": 1}}"#,
            br#"{"statusCode": 200, "headers": ["x"]}"#,
            br#"{"statusCode": 200, "multiValueHeaders": {"X": "1"}}"#,
            br#"{"statusCode": 200, "isBase64Encoded": "yes"}"#,
            br#"{"errorMessage": "boom", "errorType": "Error"}"#,
        ] {
            assert!(
                validate_proxy_response(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
