//! API Gateway custom domain names of REST APIs: a request whose Host is a domain name's local form
//! (`http://{domain}.domain.localhost:{port}/...`, [`crate::contract::urls::custom_domain`]) goes to the API and
//! stage of the base path mapping whose base path is the longest matching prefix of its path (whole segments),
//! with the base path stripped; the `(none)` mapping takes what no other base path matches; no match is API
//! Gateway's 403 `{"message":"Forbidden"}`
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html>). A mapping without a
//! stage takes the stage from the next path segment, as execute-api's own URL does.

use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use http::Response;

use super::errors;
use crate::SharedCloud;

/// One base path mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Without slashes at either end; empty for `(none)`.
    pub base_path: String,
    pub api_id: String,
    /// `None`: the client names the stage after the base path.
    pub stage: Option<String>,
}

/// A custom domain name and its mappings, as deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDomain {
    pub name: String,
    pub mappings: Vec<Mapping>,
}

/// A request that came through a custom domain name: the name and the path the client sent (percent-encoded),
/// which the Lambda proxy event's `path` and `requestContext.path` show.
#[derive(Debug, Clone, Copy)]
pub struct Via<'a> {
    pub name: &'a str,
    pub path: &'a str,
}

/// Where a request to a custom domain goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub target: super::url::Target,
    /// The mapping's base path, `/orders` (empty for `(none)`).
    pub base_path: String,
}

impl CustomDomain {
    /// The mapping for `path` (the request's path, percent-encoded, starting with `/`) and what it serves.
    pub fn route(&self, path: &str) -> Option<Routed> {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let mapping = self
            .mappings
            .iter()
            .filter(|m| {
                m.base_path.is_empty()
                    || rest == m.base_path
                    || rest
                        .strip_prefix(m.base_path.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|m| m.base_path.len())?;
        let below = rest[mapping.base_path.len()..].trim_start_matches('/');
        let (stage, below) = match &mapping.stage {
            Some(stage) => (Some(stage.clone()), format!("/{below}")),
            None => match below.split_once('/') {
                Some((stage, below)) => (Some(stage.to_owned()), format!("/{below}")),
                None => (
                    (!below.is_empty()).then(|| below.to_owned()),
                    "/".to_owned(),
                ),
            },
        };
        Some(Routed {
            target: super::url::Target {
                api_id: mapping.api_id.clone(),
                stage,
                path: below,
            },
            base_path: if mapping.base_path.is_empty() {
                String::new()
            } else {
                format!("/{}", mapping.base_path)
            },
        })
    }
}

/// Where a request to `host` (the Host header) goes when `host` is a custom domain name's local form: the API,
/// stage and path below the base path, and the domain name; or API Gateway's answer when it goes nowhere (403
/// `{"message":"Forbidden"}` for a domain name that does not exist, where on AWS the name would not resolve, or a
/// path no base path mapping takes). `None`: not a custom domain's host.
pub async fn locate(
    cloud: &SharedCloud,
    host: Option<&str>,
    path: &str,
) -> Option<Result<(super::url::Target, String), Response<Bytes>>> {
    let name = host.and_then(crate::contract::urls::custom_domain_of_host)?;
    let found = match load(cloud, &name).await {
        Ok(found) => found,
        Err(err) => {
            tracing::error!(
                domain = name,
                error = format!("{err:#}"),
                "cannot read the custom domain name: 500"
            );
            return Some(Err(errors::internal_server_error()));
        }
    };
    let Some(found) = found else {
        tracing::info!(
            domain = name,
            "no API Gateway custom domain name of this name: 403"
        );
        return Some(Err(errors::forbidden()));
    };
    Some(match found.route(path) {
        Some(routed) => Ok((routed.target, name)),
        None => {
            tracing::info!(
                domain = name,
                path,
                "no base path mapping of the custom domain name takes the path: 403"
            );
            Err(errors::forbidden())
        }
    })
}

/// The custom domain name `name` as deployed (`None` if there is none), cached per generation like the APIs.
pub async fn load(cloud: &SharedCloud, name: &str) -> anyhow::Result<Option<Arc<CustomDomain>>> {
    let cache = &cloud.apigw;
    let generation = cache.generation.get();
    if let Some(hit) = cache.domains.get(generation, &name.to_owned()) {
        return Ok(hit);
    }
    let client = &cloud.aws.apigateway;
    let domain = match client.get_domain_name().domain_name(name).send().await {
        Ok(_) => {
            let out = client
                .get_base_path_mappings()
                .domain_name(name)
                .limit(500)
                .send()
                .await
                .with_context(|| format!("reading the base path mappings of {name} from moto"))?;
            let mappings = out
                .items()
                .iter()
                .map(|m| Mapping {
                    base_path: match m.base_path().unwrap_or_default().trim_matches('/') {
                        "(none)" => String::new(),
                        path => path.to_owned(),
                    },
                    api_id: m.rest_api_id().unwrap_or_default().to_owned(),
                    stage: m.stage().filter(|s| !s.is_empty()).map(str::to_owned),
                })
                .collect();
            Some(Arc::new(CustomDomain {
                name: name.to_owned(),
                mappings,
            }))
        }
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_not_found_exception()) =>
        {
            None
        }
        Err(err) => {
            return Err(err).with_context(|| format!("reading the domain name {name} from moto"));
        }
    };
    cache
        .domains
        .insert(generation, name.to_owned(), domain.clone());
    Ok(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(mappings: &[(&str, &str, Option<&str>)]) -> CustomDomain {
        CustomDomain {
            name: "api.example.com".into(),
            mappings: mappings
                .iter()
                .map(|(base, api, stage)| Mapping {
                    base_path: (*base).into(),
                    api_id: (*api).into(),
                    stage: stage.map(Into::into),
                })
                .collect(),
        }
    }

    fn routed(d: &CustomDomain, path: &str) -> Option<(String, Option<String>, String, String)> {
        d.route(path)
            .map(|r| (r.target.api_id, r.target.stage, r.target.path, r.base_path))
    }

    fn r(
        api: &str,
        stage: &str,
        path: &str,
        base: &str,
    ) -> Option<(String, Option<String>, String, String)> {
        Some((api.into(), Some(stage.into()), path.into(), base.into()))
    }

    #[test]
    fn base_paths_match_whole_segments_and_are_stripped() {
        let d = domain(&[("orders", "o", Some("prod")), ("users", "u", Some("live"))]);
        assert_eq!(routed(&d, "/orders"), r("o", "prod", "/", "/orders"));
        assert_eq!(routed(&d, "/orders/"), r("o", "prod", "/", "/orders"));
        assert_eq!(
            routed(&d, "/orders/42/items"),
            r("o", "prod", "/42/items", "/orders")
        );
        assert_eq!(routed(&d, "/users/7"), r("u", "live", "/7", "/users"));
        assert_eq!(routed(&d, "/ordersx/1"), None);
        assert_eq!(routed(&d, "/"), None);
        assert_eq!(routed(&d, "/Orders/1"), None);
    }

    #[test]
    fn none_takes_what_no_base_path_matches() {
        let d = domain(&[("", "root", Some("prod")), ("orders", "o", Some("prod"))]);
        assert_eq!(routed(&d, "/orders/1"), r("o", "prod", "/1", "/orders"));
        assert_eq!(
            routed(&d, "/ordersx/1"),
            r("root", "prod", "/ordersx/1", "")
        );
        assert_eq!(routed(&d, "/"), r("root", "prod", "/", ""));
    }

    #[test]
    fn the_longest_base_path_wins() {
        let d = domain(&[("orders", "a", Some("s")), ("orders/v2", "b", Some("s"))]);
        assert_eq!(routed(&d, "/orders/v2/x"), r("b", "s", "/x", "/orders/v2"));
        assert_eq!(routed(&d, "/orders/v1/x"), r("a", "s", "/v1/x", "/orders"));
    }

    #[test]
    fn a_mapping_without_a_stage_takes_it_from_the_path() {
        let d = domain(&[("orders", "o", None)]);
        assert_eq!(routed(&d, "/orders/dev/1"), r("o", "dev", "/1", "/orders"));
        assert_eq!(routed(&d, "/orders/dev"), r("o", "dev", "/", "/orders"));
        let none = routed(&d, "/orders").unwrap();
        assert_eq!(none.1, None);
    }
}
