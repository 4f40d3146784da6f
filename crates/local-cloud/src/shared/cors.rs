//! A CORS configuration as API Gateway applies an HTTP API's
//! (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html) and Lambda a function URL's
//! (https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors): a preflight (`OPTIONS` with
//! `Origin` and `Access-Control-Request-Method`) is answered by the service itself, even without an `OPTIONS`
//! route; other requests with an allowed `Origin` get the configured headers on the integration's response, whose
//! own CORS headers are dropped.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, request::Parts};

/// A CORS configuration (an HTTP API's `corsConfiguration`, a function URL's `Cors`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub allow_credentials: bool,
    pub max_age: Option<i64>,
}

const ORIGIN: &str = "origin";
const REQUEST_METHOD: &str = "access-control-request-method";

/// Whether `parts` is a CORS preflight request.
pub fn is_preflight(parts: &Parts) -> bool {
    parts.method == Method::OPTIONS
        && parts.headers.contains_key(ORIGIN)
        && parts.headers.contains_key(REQUEST_METHOD)
}

/// The `Access-Control-Allow-Origin` for `origin`, if the configuration allows it.
fn allowed_origin(cors: &Cors, origin: &str) -> Option<String> {
    if cors.allow_origins.iter().any(|o| o == "*") {
        // With credentials the wildcard cannot be sent back: the origin is echoed instead.
        return Some(if cors.allow_credentials { origin } else { "*" }.to_owned());
    }
    cors.allow_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
        .then(|| origin.to_owned())
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

fn join(items: &[String]) -> String {
    items.join(",")
}

/// The service's answer to a preflight: 204 with the configured headers (none when the origin is not
/// allowed).
pub fn preflight(cors: &Cors, parts: &Parts) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    let origin = parts
        .headers
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(allow) = allowed_origin(cors, origin) else {
        return resp;
    };
    let h = resp.headers_mut();
    insert(h, "access-control-allow-origin", &allow);
    if !cors.allow_methods.is_empty() {
        insert(
            h,
            "access-control-allow-methods",
            &join(&cors.allow_methods),
        );
    }
    if !cors.allow_headers.is_empty() {
        insert(
            h,
            "access-control-allow-headers",
            &join(&cors.allow_headers),
        );
    }
    if let Some(age) = cors.max_age {
        insert(h, "access-control-max-age", &age.to_string());
    }
    if cors.allow_credentials {
        insert(h, "access-control-allow-credentials", "true");
    }
    resp
}

/// Replaces the integration's CORS headers on `resp` by the configured ones (for an allowed `Origin`).
pub fn decorate(cors: &Cors, request: &HeaderMap, resp: &mut Response<Bytes>) {
    let h = resp.headers_mut();
    for name in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-expose-headers",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
    ] {
        h.remove(name);
    }
    let Some(origin) = request.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return;
    };
    let Some(allow) = allowed_origin(cors, origin) else {
        return;
    };
    insert(h, "access-control-allow-origin", &allow);
    if cors.allow_credentials {
        insert(h, "access-control-allow-credentials", "true");
    }
    if !cors.expose_headers.is_empty() {
        insert(
            h,
            "access-control-expose-headers",
            &join(&cors.expose_headers),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors() -> Cors {
        Cors {
            allow_origins: vec!["https://example.com".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["authorization".into(), "content-type".into()],
            expose_headers: vec!["x-request-id".into()],
            allow_credentials: false,
            max_age: Some(300),
        }
    }

    fn parts(method: &str, headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().method(method).uri("/notes");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn preflight_gets_the_configured_headers() {
        let p = parts(
            "OPTIONS",
            &[
                ("Origin", "https://example.com"),
                ("Access-Control-Request-Method", "POST"),
            ],
        );
        assert!(is_preflight(&p));
        let r = preflight(&cors(), &p);
        assert_eq!(r.status(), 204);
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], "https://example.com");
        assert_eq!(h["access-control-allow-methods"], "GET,POST");
        assert_eq!(
            h["access-control-allow-headers"],
            "authorization,content-type"
        );
        assert_eq!(h["access-control-max-age"], "300");
        assert!(!is_preflight(&parts(
            "OPTIONS",
            &[("Origin", "https://example.com")]
        )));

        let other = parts(
            "OPTIONS",
            &[
                ("Origin", "https://evil.example"),
                ("Access-Control-Request-Method", "POST"),
            ],
        );
        let r = preflight(&cors(), &other);
        assert_eq!(r.status(), 204);
        assert!(r.headers().get("access-control-allow-origin").is_none());
    }

    #[test]
    fn responses_carry_the_configured_headers_only() {
        let mut wildcard = cors();
        wildcard.allow_origins = vec!["*".into()];
        let request = parts("GET", &[("Origin", "https://a.example")]).headers;
        let mut resp = Response::new(Bytes::new());
        resp.headers_mut().insert(
            "access-control-allow-origin",
            HeaderValue::from_static("https://backend"),
        );
        decorate(&wildcard, &request, &mut resp);
        assert_eq!(resp.headers()["access-control-allow-origin"], "*");
        assert_eq!(
            resp.headers()["access-control-expose-headers"],
            "x-request-id"
        );

        let mut resp = Response::new(Bytes::new());
        resp.headers_mut().insert(
            "access-control-allow-origin",
            HeaderValue::from_static("https://backend"),
        );
        decorate(&cors(), &HeaderMap::new(), &mut resp);
        assert!(resp.headers().get("access-control-allow-origin").is_none());
    }
}
