//! The responses an Application Load Balancer writes itself: its HTML error pages, fixed responses and
//! redirects (all with `Server: awselb/2.0`).

use bytes::Bytes;
use http::{Response, StatusCode, header};

/// ALB's own HTML page for `status` (502 Bad Gateway, 503 Service Temporarily Unavailable, ...).
pub fn error_page(status: StatusCode) -> Response<Bytes> {
    let reason = match status.as_u16() {
        503 => "Service Temporarily Unavailable",
        504 => "Gateway Time-out",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let title = format!("{} {reason}", status.as_u16());
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    own(status, "text/html", Bytes::from(body))
}

/// A response written by the load balancer itself.
pub fn own(status: StatusCode, content_type: &str, body: Bytes) -> Response<Bytes> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::SERVER,
        header::HeaderValue::from_static("awselb/2.0"),
    );
    if let Ok(ct) = header::HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    resp
}

/// A fixed-response action's response.
pub fn fixed(status: u16, content_type: Option<&str>, body: &str) -> Response<Bytes> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    own(
        status,
        content_type.unwrap_or("text/plain; charset=utf-8"),
        Bytes::copy_from_slice(body.as_bytes()),
    )
}

/// A redirect action's response.
pub fn redirect(status: u16, location: &str) -> Response<Bytes> {
    let status = if status == 301 {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::FOUND
    };
    let mut resp = error_page(status);
    if let Ok(loc) = header::HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_gateway_page_is_albs() {
        let resp = error_page(StatusCode::BAD_GATEWAY);
        assert_eq!(resp.status(), 502);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/html");
        assert_eq!(resp.headers()[header::SERVER], "awselb/2.0");
        let body = std::str::from_utf8(resp.body()).unwrap();
        assert!(
            body.starts_with("<html>") && body.contains("<h1>502 Bad Gateway</h1>"),
            "{body}"
        );
        assert!(
            std::str::from_utf8(error_page(StatusCode::SERVICE_UNAVAILABLE).body())
                .unwrap()
                .contains("503 Service Temporarily Unavailable")
        );
    }

    #[test]
    fn fixed_and_redirect() {
        let resp = fixed(418, Some("application/json"), "{}");
        assert_eq!(
            (resp.status().as_u16(), resp.body().as_ref()),
            (418, b"{}".as_ref())
        );
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
        let resp = redirect(301, "https://x:443/");
        assert_eq!(resp.status(), 301);
        assert_eq!(resp.headers()[header::LOCATION], "https://x:443/");
    }
}
