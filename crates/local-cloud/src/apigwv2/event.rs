//! Lambda proxy payload format 2.0 for HTTP APIs
//! (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
//! the event (`ApiGatewayV2httpRequest`: `rawPath`, `rawQueryString`, `cookies`, headers and query values
//! joined by commas, `requestContext.http`, `routeKey`, base64 of binary bodies) and how the function's
//! answer becomes the response (a JSON object with `statusCode` is structured, anything else valid JSON
//! is the body of a 200 `application/json`).

use std::{
    collections::{BTreeMap, HashMap},
    net::IpAddr,
};

use base64::Engine as _;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderValue, Response, StatusCode, header, request::Parts};
use serde_json::{Map, Value, json};

use crate::{
    config::ACCOUNT_ID,
    shared::url::{percent_decode, query_pairs},
};

/// What the event is made of, besides the HTTP request itself.
pub struct EventContext<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    pub stage_variables: &'a BTreeMap<String, String>,
    pub route_key: &'a str,
    pub path_parameters: &'a BTreeMap<String, String>,
    /// The request path as sent (with the stage segment of a named stage, as AWS sends it).
    pub raw_path: &'a str,
    pub source_ip: IpAddr,
    pub request_id: &'a str,
    /// The Host the client used.
    pub domain: &'a str,
    pub received: DateTime<Utc>,
    /// `requestContext.authorizer` (e.g. `{"jwt": {"claims": ..., "scopes": ...}}`), if one ran.
    pub authorizer: Option<Value>,
}

/// Whether a body of `content_type` reaches the function as text; other bodies (and bodies without a
/// content type) are base64-encoded, as HTTP APIs have no `binaryMediaTypes`.
pub fn is_text(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let ct = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.ends_with("/json")
        || ct.ends_with("+json")
        || ct.ends_with("/xml")
        || ct.ends_with("+xml")
        || ct == "application/javascript"
}

/// The 2.0 event for this request, as JSON.
pub fn event(ctx: &EventContext<'_>, parts: &Parts, body: &[u8]) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == header::COOKIE {
            cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            );
            continue;
        }
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let raw_query = parts.uri.query().unwrap_or("");
    let mut query: Vec<(String, String)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (k, v) in query_pairs(raw_query) {
        let (k, v) = (percent_decode(k), percent_decode(v));
        match index.get(&k) {
            Some(&i) => {
                query[i].1.push(',');
                query[i].1.push_str(&v);
            }
            None => {
                index.insert(k.clone(), query.len());
                query.push((k, v));
            }
        }
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut rc = json!({
        "accountId": ACCOUNT_ID,
        "apiId": ctx.api_id,
        "domainName": ctx.domain,
        "domainPrefix": ctx.domain.split('.').next().unwrap_or(ctx.domain),
        "http": {
            "method": parts.method.as_str(),
            "path": ctx.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": ctx.source_ip.to_string(),
            "userAgent": user_agent,
        },
        "requestId": ctx.request_id,
        "routeKey": ctx.route_key,
        "stage": ctx.stage,
        "time": ctx.received.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": ctx.received.timestamp_millis(),
    });
    if let Some(authorizer) = &ctx.authorizer {
        rc["authorizer"] = authorizer.clone();
    }
    let mut e = Map::new();
    e.insert("version".into(), "2.0".into());
    e.insert("routeKey".into(), ctx.route_key.into());
    e.insert("rawPath".into(), ctx.raw_path.into());
    e.insert("rawQueryString".into(), raw_query.into());
    if !cookies.is_empty() {
        e.insert("cookies".into(), json!(cookies));
    }
    e.insert("headers".into(), json!(headers));
    if !query.is_empty() {
        let map: Map<String, Value> = query.into_iter().map(|(k, v)| (k, v.into())).collect();
        e.insert("queryStringParameters".into(), Value::Object(map));
    }
    if !ctx.path_parameters.is_empty() {
        e.insert("pathParameters".into(), json!(ctx.path_parameters));
    }
    if !ctx.stage_variables.is_empty() {
        e.insert("stageVariables".into(), json!(ctx.stage_variables));
    }
    e.insert("requestContext".into(), rc);
    let binary = !body.is_empty() && !is_text(content_type);
    if !body.is_empty() {
        let body = if binary {
            base64::engine::general_purpose::STANDARD.encode(body)
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        e.insert("body".into(), body.into());
    }
    e.insert("isBase64Encoded".into(), binary.into());
    Value::Object(e)
}

/// The HTTP response for the function's 2.0 answer; `Err` (why) for an answer API Gateway cannot use,
/// which it answers with 500.
pub fn response(payload: &[u8]) -> Result<Response<Bytes>, String> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
    let Some(map) = value.as_object().filter(|m| m.contains_key("statusCode")) else {
        // Valid JSON without a statusCode: the whole answer is the body of a 200.
        let mut resp = Response::new(Bytes::copy_from_slice(payload));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return Ok(resp);
    };
    let status = match &map["statusCode"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .and_then(|s| u16::try_from(s).ok())
    .and_then(|s| StatusCode::from_u16(s).ok())
    .ok_or_else(|| format!("statusCode {} is not an HTTP status", map["statusCode"]))?;
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    match map.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(headers)) => {
            for (k, v) in headers {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(_) | Value::Bool(_) => v.to_string(),
                    other => return Err(format!("header {k:?} is {other}")),
                };
                let name = header::HeaderName::from_bytes(k.as_bytes())
                    .map_err(|e| format!("header name {k:?}: {e}"))?;
                let value =
                    HeaderValue::from_str(&v).map_err(|e| format!("header {k:?} value: {e}"))?;
                h.insert(name, value);
            }
        }
        Some(other) => return Err(format!("headers is {other}")),
    }
    if let Some(Value::Array(cookies)) = map.get("cookies") {
        for c in cookies {
            let c = c
                .as_str()
                .ok_or_else(|| format!("cookie {c} is not a string"))?;
            let v = HeaderValue::from_str(c).map_err(|e| format!("cookie {c:?}: {e}"))?;
            h.append(header::SET_COOKIE, v);
        }
    }
    if !h.contains_key(header::CONTENT_TYPE) {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let base64 = map
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body = match map.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) if base64 => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|e| format!("isBase64Encoded but the body is not base64: {e}"))?,
        ),
        Some(Value::String(s)) => Bytes::from(s.clone()),
        // A non-string body is sent as its JSON text.
        Some(other) => Bytes::from(other.to_string()),
    };
    *resp.body_mut() = body;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::apigw::ApiGatewayV2httpRequest;

    #[test]
    fn event_has_the_2_0_shape_and_reads_back_as_the_library_type() {
        let vars = BTreeMap::new();
        let params: BTreeMap<String, String> = [("id".to_owned(), "a b".to_owned())].into();
        let ctx = EventContext {
            api_id: "abcdefgh",
            stage: "$default",
            stage_variables: &vars,
            route_key: "GET /notes/{id}",
            path_parameters: &params,
            raw_path: "/notes/a%20b",
            source_ip: "1.2.3.4".parse().unwrap(),
            request_id: "LV7fzho-PHcEJPw=",
            domain: "abcdefgh.execute-api.localhost:4566",
            received: DateTime::from_timestamp_millis(1587481701067).unwrap(),
            authorizer: None,
        };
        let (parts, ()) = http::Request::get("/notes/a%20b?p1=v1&p1=v2&p2=v")
            .header("User-Agent", "curl/7.58.0")
            .header("X-Dup", "1")
            .header("X-Dup", "2")
            .header("Cookie", "cookie1=a; cookie2=b")
            .body(())
            .unwrap()
            .into_parts();
        let e = event(&ctx, &parts, b"");
        // Field by field as in AWS's documented example (the page cited in this module's doc).
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["routeKey"], "GET /notes/{id}");
        assert_eq!(e["rawPath"], "/notes/a%20b");
        assert_eq!(e["rawQueryString"], "p1=v1&p1=v2&p2=v");
        assert_eq!(e["cookies"], json!(["cookie1=a", "cookie2=b"]));
        assert_eq!(e["headers"]["x-dup"], "1,2");
        assert!(e["headers"].get("cookie").is_none());
        assert_eq!(
            e["queryStringParameters"],
            json!({"p1": "v1,v2", "p2": "v"})
        );
        assert_eq!(e["pathParameters"], json!({"id": "a b"}));
        assert!(e.get("stageVariables").is_none());
        assert!(e.get("body").is_none());
        assert_eq!(e["isBase64Encoded"], false);
        let rc = &e["requestContext"];
        assert_eq!(rc["http"]["method"], "GET");
        assert_eq!(rc["http"]["path"], "/notes/a%20b");
        assert_eq!(rc["http"]["sourceIp"], "1.2.3.4");
        assert_eq!(rc["http"]["userAgent"], "curl/7.58.0");
        assert_eq!(rc["routeKey"], "GET /notes/{id}");
        assert_eq!(rc["stage"], "$default");
        assert_eq!(rc["domainPrefix"], "abcdefgh");
        assert_eq!(rc["time"], "21/Apr/2020:15:08:21 +0000");
        assert_eq!(rc["timeEpoch"], 1587481701067i64);
        let back: ApiGatewayV2httpRequest = serde_json::from_value(e).unwrap();
        assert_eq!(back.path_parameters["id"], "a b");
        assert_eq!(back.request_context.http.method, http::Method::GET);
        assert_eq!(back.cookies.unwrap().len(), 2);
    }

    #[test]
    fn binary_bodies_are_base64_and_text_bodies_are_not() {
        let vars = BTreeMap::new();
        let ctx = EventContext {
            api_id: "a",
            stage: "dev",
            stage_variables: &vars,
            route_key: "$default",
            path_parameters: &vars,
            raw_path: "/dev/x",
            source_ip: "127.0.0.1".parse().unwrap(),
            request_id: "r",
            domain: "127.0.0.1:4566",
            received: Utc::now(),
            authorizer: None,
        };
        let post = |ct: Option<&str>| {
            let mut b = http::Request::post("/dev/x");
            if let Some(ct) = ct {
                b = b.header("content-type", ct);
            }
            b.body(()).unwrap().into_parts().0
        };
        let e = event(
            &ctx,
            &post(Some("application/json; charset=utf-8")),
            b"{\"a\":1}",
        );
        assert_eq!(
            (e["body"].as_str(), e["isBase64Encoded"].as_bool()),
            (Some("{\"a\":1}"), Some(false))
        );
        let e = event(&ctx, &post(Some("image/png")), b"\x89PNG");
        assert_eq!(
            (e["body"].as_str(), e["isBase64Encoded"].as_bool()),
            (Some("iVBORw=="), Some(true))
        );
        let e = event(&ctx, &post(None), b"hi");
        assert_eq!(e["isBase64Encoded"], true);
    }

    #[test]
    fn structured_and_plain_answers() {
        let r = response(
            br#"{"statusCode": 201, "headers": {"x-a": "1"}, "cookies": ["a=1", "b=2; Secure"], "body": "{}"}"#,
        )
        .unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["x-a"], "1");
        assert_eq!(r.headers().get_all("set-cookie").iter().count(), 2);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.body().as_ref(), b"{}");

        // Valid JSON without statusCode is the body of a 200 application/json.
        let r = response(br#"{"message": "hello"}"#).unwrap();
        assert_eq!(
            (r.status().as_u16(), r.body().as_ref()),
            (200, &br#"{"message": "hello"}"#[..])
        );
        assert_eq!(r.headers()["content-type"], "application/json");
        let r = response(br#""just a string""#).unwrap();
        assert_eq!(r.body().as_ref(), br#""just a string""#);

        let r =
            response(br#"{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}"#).unwrap();
        assert_eq!(r.body().as_ref(), b"hi");

        for bad in [
            &b"not json"[..],
            br#"{"statusCode": "two hundred"}"#,
            br#"{"statusCode": 200, "headers": ["x"]}"#,
        ] {
            assert!(response(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
