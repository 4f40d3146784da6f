//! Recognises execute-api traffic in its two local URL forms and splits it into API id, stage and path:
//! `http://127.0.0.1:PORT/restapis/{id}/{stage}/_user_request_/{path}` and
//! `http://{id}.execute-api.localhost:PORT/{stage}/{path}`.

use crate::contract::urls::{EXECUTE_API_HOST_SUFFIX as HOST_SUFFIX, USER_REQUEST};

/// An execute-api request, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub api_id: String,
    /// `None` when the URL has no stage segment at all.
    pub stage: Option<String>,
    /// The path below the stage as sent (percent-encoded), always starting with `/`.
    pub path: String,
}

/// Locates `path` (the request's path, without query) sent to `host` (the Host header); `None` if this is
/// not execute-api traffic.
pub fn parse(host: Option<&str>, path: &str) -> Option<Target> {
    if let Some(api_id) = host.and_then(api_id_from_host) {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let (stage, below) = match rest.split_once('/') {
            Some((stage, below)) => (stage, format!("/{below}")),
            None => (rest, "/".to_owned()),
        };
        return Some(Target {
            api_id,
            stage: (!stage.is_empty()).then(|| stage.to_owned()),
            path: below,
        });
    }
    let rest = path.strip_prefix("/restapis/")?;
    let mut parts = rest.splitn(4, '/');
    let (api_id, stage, marker) = (parts.next()?, parts.next()?, parts.next()?);
    if marker != USER_REQUEST || api_id.is_empty() {
        return None;
    }
    Some(Target {
        api_id: api_id.to_owned(),
        stage: (!stage.is_empty()).then(|| stage.to_owned()),
        path: format!("/{}", parts.next().unwrap_or("")),
    })
}

/// `abc123` from `abc123.execute-api.localhost[:port]`.
pub fn api_id_from_host(host: &str) -> Option<String> {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let id = name.strip_suffix(HOST_SUFFIX)?;
    (!id.is_empty() && !id.contains('.')).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(api: &str, stage: Option<&str>, path: &str) -> Option<Target> {
        Some(Target {
            api_id: api.into(),
            stage: stage.map(Into::into),
            path: path.into(),
        })
    }

    #[test]
    fn path_form() {
        assert_eq!(
            parse(
                Some("127.0.0.1:4566"),
                "/restapis/abc/dev/_user_request_/items/1"
            ),
            t("abc", Some("dev"), "/items/1")
        );
        assert_eq!(
            parse(None, "/restapis/abc/dev/_user_request_/"),
            t("abc", Some("dev"), "/")
        );
        assert_eq!(
            parse(None, "/restapis/abc/dev/_user_request_"),
            t("abc", Some("dev"), "/")
        );
        assert_eq!(
            parse(None, "/restapis/abc/dev/_user_request_/a%20b/"),
            t("abc", Some("dev"), "/a%20b/")
        );
        // moto's own REST API paths are not execute-api traffic.
        assert_eq!(parse(None, "/restapis/abc/resources"), None);
        assert_eq!(parse(None, "/restapis/abc/resources/xyz/methods/GET"), None);
        assert_eq!(parse(None, "/restapis"), None);
        assert_eq!(parse(None, "/2015-03-31/functions"), None);
    }

    #[test]
    fn host_form() {
        assert_eq!(
            parse(Some("abc.execute-api.localhost:4566"), "/prod/items"),
            t("abc", Some("prod"), "/items")
        );
        assert_eq!(
            parse(Some("ABC.Execute-Api.localhost"), "/prod"),
            t("abc", Some("prod"), "/")
        );
        assert_eq!(
            parse(Some("abc.execute-api.localhost:4566"), "/prod/"),
            t("abc", Some("prod"), "/")
        );
        assert_eq!(
            parse(Some("abc.execute-api.localhost:4566"), "/"),
            t("abc", None, "/")
        );
        assert_eq!(
            parse(Some("abc.execute-api.localhost:4566"), "/p/a/b/"),
            t("abc", Some("p"), "/a/b/")
        );
        assert_eq!(parse(Some("localhost:4566"), "/prod/items"), None);
        assert_eq!(parse(Some("a.b.execute-api.localhost"), "/prod"), None);
        assert_eq!(parse(Some(".execute-api.localhost"), "/prod"), None);
    }
}
