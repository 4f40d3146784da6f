//! Resource and method matching of a REST API: literal segments, `{param}` and greedy `{proxy+}`, the most
//! specific resource first; then the exact method, else `ANY`.

use std::collections::BTreeMap;

use super::model::{Method, Resource, RestApi};
use crate::shared::url::percent_decode;

/// One segment of a resource path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    Literal(&'a str),
    Param(&'a str),
    Greedy(&'a str),
}

pub(crate) fn template(path: &str) -> Vec<Segment<'_>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(greedy) => Segment::Greedy(greedy),
                    None => Segment::Param(name),
                },
                None => Segment::Literal(s),
            },
        )
        .collect()
}

/// The matched resource and method, with path parameters.
#[derive(Debug, Clone)]
pub struct Route<'a> {
    pub resource: &'a Resource,
    pub method: &'a Method,
    /// Parameter name -> value, percent-decoded (as the proxy event carries them).
    pub params: BTreeMap<String, String>,
    /// Parameter name -> value as sent (for substitution into integration URIs).
    pub raw_params: BTreeMap<String, String>,
}

/// How specific a match is, segment by segment (literal > parameter > greedy); compared lexicographically.
pub(crate) type Rank = Vec<u8>;

pub(crate) fn match_template(
    template: &[Segment<'_>],
    segments: &[&str],
) -> Option<(Rank, Vec<(String, String)>)> {
    let mut rank = Vec::with_capacity(template.len());
    let mut params = Vec::new();
    for (i, seg) in template.iter().enumerate() {
        match seg {
            Segment::Greedy(name) => {
                if i >= segments.len() || i + 1 != template.len() {
                    return None;
                }
                rank.push(0);
                params.push(((*name).to_owned(), segments[i..].join("/")));
                return Some((rank, params));
            }
            Segment::Literal(lit) => {
                let actual = segments.get(i)?;
                if *lit != *actual && *lit != percent_decode(actual) {
                    return None;
                }
                rank.push(2);
            }
            Segment::Param(name) => {
                params.push(((*name).to_owned(), (*segments.get(i)?).to_owned()));
                rank.push(1);
            }
        }
    }
    (template.len() == segments.len()).then_some((rank, params))
}

/// The most specific resource (among those with methods) matching `path` (as sent, percent-encoded; a
/// trailing slash is ignored), then its `http_method` or `ANY`. `None` is API Gateway's
/// "Missing Authentication Token".
pub fn route<'a>(api: &'a RestApi, http_method: &str, path: &str) -> Option<Route<'a>> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (resource, _, params) = api
        .resources
        .iter()
        .filter(|r| !r.methods.is_empty())
        .filter_map(|r| {
            match_template(&template(&r.path), &segments).map(|(rank, params)| (r, rank, params))
        })
        .max_by(|a, b| a.1.cmp(&b.1))?;
    let method = resource
        .methods
        .get(http_method)
        .or_else(|| resource.methods.get("ANY"))?;
    Some(Route {
        resource,
        method,
        params: params
            .iter()
            .map(|(k, v)| (k.clone(), percent_decode(v)))
            .collect(),
        raw_params: params.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(resources: &[(&str, &[&str])]) -> RestApi {
        RestApi {
            id: "api".into(),
            resources: resources
                .iter()
                .enumerate()
                .map(|(i, (path, methods))| Resource {
                    id: format!("r{i}"),
                    path: (*path).into(),
                    methods: methods
                        .iter()
                        .map(|m| {
                            (
                                (*m).to_owned(),
                                Method {
                                    http_method: (*m).into(),
                                    ..Method::default()
                                },
                            )
                        })
                        .collect(),
                })
                .collect(),
            ..RestApi::default()
        }
    }

    type Hit = (String, String, Vec<(String, String)>);

    fn hit(api: &RestApi, method: &str, path: &str) -> Option<Hit> {
        route(api, method, path).map(|r| {
            (
                r.resource.path.clone(),
                r.method.http_method.clone(),
                r.params.into_iter().collect(),
            )
        })
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn literals_params_and_greedy() {
        let a = api(&[
            ("/", &["GET"]),
            ("/items", &["GET", "POST"]),
            ("/items/{id}", &["GET"]),
            ("/items/special", &["GET"]),
            ("/items/{id}/parts/{part}", &["GET"]),
            ("/files/{proxy+}", &["ANY"]),
        ]);
        assert_eq!(
            hit(&a, "GET", "/"),
            Some(("/".into(), "GET".into(), vec![]))
        );
        assert_eq!(
            hit(&a, "POST", "/items"),
            Some(("/items".into(), "POST".into(), vec![]))
        );
        assert_eq!(
            hit(&a, "GET", "/items/"),
            Some(("/items".into(), "GET".into(), vec![]))
        );
        assert_eq!(
            hit(&a, "GET", "/items/42"),
            Some(("/items/{id}".into(), "GET".into(), p(&[("id", "42")])))
        );
        assert_eq!(
            hit(&a, "GET", "/items/special"),
            Some(("/items/special".into(), "GET".into(), vec![]))
        );
        assert_eq!(
            hit(&a, "GET", "/items/7/parts/a%20b"),
            Some((
                "/items/{id}/parts/{part}".into(),
                "GET".into(),
                p(&[("id", "7"), ("part", "a b")])
            ))
        );
        assert_eq!(
            hit(&a, "DELETE", "/files/a/b/c.txt"),
            Some((
                "/files/{proxy+}".into(),
                "ANY".into(),
                p(&[("proxy", "a/b/c.txt")])
            ))
        );
        // Greedy needs at least one segment.
        assert_eq!(hit(&a, "GET", "/files"), None);
        assert_eq!(hit(&a, "GET", "/nothing"), None);
        assert_eq!(hit(&a, "GET", "/items/1/2"), None);
    }

    #[test]
    fn most_specific_first_and_any_fallback() {
        let a = api(&[
            ("/{proxy+}", &["ANY"]),
            ("/a/{x}/c", &["GET"]),
            ("/a/b/{rest+}", &["GET"]),
            ("/m", &["GET", "ANY"]),
            ("/only-get", &["GET"]),
            ("/no-methods", &[]),
        ]);
        // Left-most literal wins over a later literal.
        assert_eq!(hit(&a, "GET", "/a/b/c").unwrap().0, "/a/b/{rest+}");
        assert_eq!(hit(&a, "GET", "/a/z/c").unwrap().0, "/a/{x}/c");
        assert_eq!(hit(&a, "GET", "/zzz/y").unwrap().0, "/{proxy+}");
        // Exact method before ANY.
        assert_eq!(hit(&a, "GET", "/m").unwrap().1, "GET");
        assert_eq!(hit(&a, "PATCH", "/m").unwrap().1, "ANY");
        // The resource is chosen first: a missing method is not rescued by a less specific resource.
        assert_eq!(hit(&a, "POST", "/only-get"), None);
        // A resource without methods does not take part.
        assert_eq!(hit(&a, "GET", "/no-methods").unwrap().0, "/{proxy+}");
        // The root is not matched by a greedy resource.
        assert_eq!(hit(&a, "GET", "/"), None);
    }

    #[test]
    fn raw_params_keep_encoding() {
        let a = api(&[("/{proxy+}", &["ANY"])]);
        let r = route(&a, "GET", "/x%2Fy/z").unwrap();
        assert_eq!(r.raw_params["proxy"], "x%2Fy/z");
        assert_eq!(r.params["proxy"], "x/y/z");
    }
}
