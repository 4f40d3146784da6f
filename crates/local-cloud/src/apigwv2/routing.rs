//! Stage and route selection of an HTTP API, as AWS documents it
//! (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html, "Routing API
//! requests"): the stage named by the first path segment, else the `$default` stage (no stage segment);
//! then the route matching method and path best (literal segments over `{param}` over a greedy `{proxy+}`,
//! an exact method over `ANY`), else the `$default` route; else `{"message":"Not Found"}`.

use std::collections::BTreeMap;

use super::model::{DEFAULT, HttpApi, Route, Stage};
use crate::{
    apigw::routing::{match_template, template},
    shared::url::percent_decode,
};

/// The stage a request for `path` (the whole path, as sent) is for, and the path below it (percent-encoded,
/// starting with `/`).
pub fn stage<'a>(api: &'a HttpApi, path: &str) -> Option<(&'a Stage, String)> {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (first, below) = match rest.split_once('/') {
        Some((first, below)) => (first, format!("/{below}")),
        None => (rest, "/".to_owned()),
    };
    if !first.is_empty()
        && first != DEFAULT
        && let Some(stage) = api.stages.get(&percent_decode(first))
    {
        return Some((stage, below));
    }
    api.stages.get(DEFAULT).map(|s| (s, format!("/{rest}")))
}

/// The selected route with its path parameters (percent-decoded).
#[derive(Debug, Clone)]
pub struct Matched<'a> {
    pub route: &'a Route,
    pub params: BTreeMap<String, String>,
}

/// The route for `method` on `path` (below the stage, as sent); `None` is API Gateway's 404 Not Found.
pub fn route<'a>(api: &'a HttpApi, method: &str, path: &str) -> Option<Matched<'a>> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let best = api
        .routes
        .iter()
        .filter_map(|r| {
            let (verb, route_path) = r.method_and_path()?;
            let exact = verb.eq_ignore_ascii_case(method);
            if !exact && verb != "ANY" {
                return None;
            }
            let (rank, params) = match_template(&template(route_path), &segments)?;
            Some((r, (rank, exact), params))
        })
        .max_by(|a, b| a.1.cmp(&b.1));
    if let Some((route, _, params)) = best {
        return Some(Matched {
            route,
            params: params
                .into_iter()
                .map(|(k, v)| (k, percent_decode(&v)))
                .collect(),
        });
    }
    api.routes
        .iter()
        .find(|r| r.key == DEFAULT)
        .map(|route| Matched {
            route,
            params: BTreeMap::new(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(keys: &[&str], stages: &[&str]) -> HttpApi {
        HttpApi {
            id: "abc".into(),
            routes: keys
                .iter()
                .map(|k| Route {
                    id: (*k).into(),
                    key: (*k).into(),
                    ..Route::default()
                })
                .collect(),
            stages: stages
                .iter()
                .map(|s| {
                    (
                        (*s).to_owned(),
                        Stage {
                            name: (*s).into(),
                            ..Stage::default()
                        },
                    )
                })
                .collect(),
            ..HttpApi::default()
        }
    }

    fn key(api: &HttpApi, method: &str, path: &str) -> Option<(String, Vec<(String, String)>)> {
        route(api, method, path).map(|m| (m.route.key.clone(), m.params.into_iter().collect()))
    }

    #[test]
    fn most_specific_route_first_then_any_then_default() {
        let a = api(
            &[
                "GET /items/{id}",
                "GET /items/special",
                "ANY /items/{id}",
                "ANY /{proxy+}",
                "$default",
            ],
            &[DEFAULT],
        );
        assert_eq!(
            key(&a, "GET", "/items/special").unwrap().0,
            "GET /items/special"
        );
        assert_eq!(
            key(&a, "GET", "/items/a%20b").unwrap(),
            ("GET /items/{id}".into(), vec![("id".into(), "a b".into())])
        );
        assert_eq!(key(&a, "DELETE", "/items/1").unwrap().0, "ANY /items/{id}");
        assert_eq!(
            key(&a, "GET", "/x/y/z").unwrap(),
            (
                "ANY /{proxy+}".into(),
                vec![("proxy".into(), "x/y/z".into())]
            )
        );
        // A greedy variable needs at least one segment: `/` goes to `$default`.
        assert_eq!(key(&a, "GET", "/").unwrap().0, "$default");
    }

    #[test]
    fn no_route_and_no_default_route_is_none() {
        let a = api(&["GET /items"], &[DEFAULT]);
        assert!(key(&a, "POST", "/items").is_none());
        assert!(key(&a, "GET", "/other").is_none());
        assert_eq!(key(&a, "GET", "/items/").unwrap().0, "GET /items");
    }

    #[test]
    fn stages_by_first_segment_else_default() {
        let a = api(&[], &[DEFAULT, "dev"]);
        let (s, p) = stage(&a, "/dev/items/1").unwrap();
        assert_eq!((s.name.as_str(), p.as_str()), ("dev", "/items/1"));
        let (s, p) = stage(&a, "/dev").unwrap();
        assert_eq!((s.name.as_str(), p.as_str()), ("dev", "/"));
        let (s, p) = stage(&a, "/prod/items").unwrap();
        assert_eq!((s.name.as_str(), p.as_str()), (DEFAULT, "/prod/items"));
        let only_dev = api(&[], &["dev"]);
        assert!(stage(&only_dev, "/prod/items").is_none());
        assert!(stage(&only_dev, "/").is_none());
    }
}
