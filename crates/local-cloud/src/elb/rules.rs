//! Listener rules: which rule a request matches (conditions, priority), weighted target group choice and
//! redirect targets, on the plain model.

use std::{
    net::IpAddr,
    sync::atomic::{AtomicU64, Ordering},
};

use http::HeaderMap;

use super::model::{Condition, Listener, Redirect, Rule};
use crate::shared::{
    matchers::wildcard,
    url::{percent_decode, query_pairs},
};

/// What rule conditions look at.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub method: &'a str,
    /// The path as sent (not percent-decoded).
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub source_ip: IpAddr,
    /// The listener's protocol, lowercase (`http`, `https`).
    pub protocol: &'a str,
    pub port: u16,
}

impl RequestFacts<'_> {
    /// The Host header without its port.
    pub fn host(&self) -> &str {
        let host = self
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        strip_port(host)
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // [v6]:port
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &host[..h.len() + 1]);
    }
    host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    })
}

impl Condition {
    pub fn matches(&self, facts: &RequestFacts<'_>) -> bool {
        match self {
            Condition::PathPattern(patterns) => {
                patterns.iter().any(|p| wildcard(p, facts.path, false))
            }
            Condition::HostHeader(patterns) => {
                patterns.iter().any(|p| wildcard(p, facts.host(), true))
            }
            Condition::HttpHeader { name, values } => facts
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|actual| values.iter().any(|p| wildcard(p, actual, true))),
            Condition::HttpRequestMethod(methods) => methods.iter().any(|m| m == facts.method),
            Condition::QueryString(pairs) => query_pairs(facts.query).any(|(k, v)| {
                let (k, v) = (percent_decode(k), percent_decode(v));
                pairs.iter().any(|(pk, pv)| {
                    pk.as_deref().is_none_or(|pk| wildcard(pk, &k, true)) && wildcard(pv, &v, true)
                })
            }),
            Condition::SourceIp(blocks) => blocks.iter().any(|b| b.contains(facts.source_ip)),
            Condition::Unsupported(what) => {
                tracing::warn!(condition = %what, "listener rule condition not supported locally; rule skipped");
                false
            }
        }
    }
}

/// The first rule (by priority, default last) whose conditions all hold.
pub fn select<'a>(listener: &'a Listener, facts: &RequestFacts<'_>) -> Option<&'a Rule> {
    listener
        .rules
        .iter()
        .find(|r| r.conditions.iter().all(|c| c.matches(facts)))
}

/// The `Location` of a redirect, with `#{protocol}`, `#{host}`, `#{port}`, `#{path}` and `#{query}`
/// replaced by the original request's values (`#{path}` without its leading `/`).
pub fn redirect_location(redirect: &Redirect, facts: &RequestFacts<'_>) -> String {
    let port = facts.port.to_string();
    let subst = |template: &str| {
        template
            .replace("#{protocol}", facts.protocol)
            .replace("#{host}", facts.host())
            .replace("#{port}", &port)
            .replace(
                "#{path}",
                facts.path.strip_prefix('/').unwrap_or(facts.path),
            )
            .replace("#{query}", facts.query)
    };
    let protocol = subst(&redirect.protocol).to_ascii_lowercase();
    let path = subst(&redirect.path);
    let query = subst(&redirect.query);
    let mut location = format!(
        "{protocol}://{}:{}{path}",
        subst(&redirect.host),
        subst(&redirect.port)
    );
    if !query.is_empty() {
        location.push('?');
        location.push_str(&query);
    }
    location
}

/// Picks a target group by weight with `roll` (any u64); `None` if every weight is 0.
pub fn pick_weighted(choices: &[(String, u32)], roll: u64) -> Option<&str> {
    let total: u64 = choices.iter().map(|(_, w)| u64::from(*w)).sum();
    if total == 0 {
        return None;
    }
    let mut point = roll % total;
    for (arn, weight) in choices {
        let weight = u64::from(*weight);
        if point < weight {
            return Some(arn);
        }
        point -= weight;
    }
    None
}

/// A deterministic pseudo-random sequence (splitmix64 over a process-wide counter) for weighted forwards.
pub fn next_roll() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0x5eed);
    let mut z = COUNTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        elb::model::{Action, Condition as C},
        shared::matchers::Cidr,
    };

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    fn facts<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: &'a HeaderMap,
    ) -> RequestFacts<'a> {
        RequestFacts {
            method,
            path,
            query,
            headers,
            source_ip: "10.1.2.3".parse().unwrap(),
            protocol: "http",
            port: 80,
        }
    }

    fn fixed(status: u16) -> Action {
        Action::FixedResponse {
            status,
            content_type: None,
            body: String::new(),
        }
    }

    #[test]
    fn each_condition_type() {
        let h = headers(&[
            ("host", "api.Example.com:8080"),
            ("x-env", "staging"),
            ("x-env", "Blue"),
        ]);
        let f = facts("GET", "/api/v1/users", "id=42&name=J%C3%B6rg", &h);
        assert!(C::PathPattern(vec!["/api/*".into()]).matches(&f));
        assert!(C::PathPattern(vec!["/x".into(), "/api/v?/users".into()]).matches(&f));
        assert!(
            !C::PathPattern(vec!["/API/*".into()]).matches(&f),
            "path patterns are case-sensitive"
        );
        assert!(C::HostHeader(vec!["*.example.COM".into()]).matches(&f));
        assert!(!C::HostHeader(vec!["example.com".into()]).matches(&f));
        assert!(
            C::HttpHeader {
                name: "X-Env".into(),
                values: vec!["blue".into()]
            }
            .matches(&f)
        );
        assert!(
            !C::HttpHeader {
                name: "x-env".into(),
                values: vec!["prod*".into()]
            }
            .matches(&f)
        );
        assert!(
            !C::HttpHeader {
                name: "x-missing".into(),
                values: vec!["*".into()]
            }
            .matches(&f)
        );
        assert!(C::HttpRequestMethod(vec!["POST".into(), "GET".into()]).matches(&f));
        assert!(
            !C::HttpRequestMethod(vec!["get".into()]).matches(&f),
            "methods are case-sensitive"
        );
        assert!(C::QueryString(vec![(Some("ID".into()), "4*".into())]).matches(&f));
        assert!(C::QueryString(vec![(None, "jörg".into())]).matches(&f));
        assert!(!C::QueryString(vec![(Some("id".into()), "43".into())]).matches(&f));
        assert!(C::SourceIp(vec![Cidr::parse("10.0.0.0/8").unwrap()]).matches(&f));
        assert!(!C::SourceIp(vec![Cidr::parse("192.168.0.0/16").unwrap()]).matches(&f));
        assert!(!C::Unsupported("regex".into()).matches(&f));
    }

    #[test]
    fn rules_by_priority_then_default() {
        let listener = Listener {
            arn: "l".into(),
            port: 80,
            protocol: "HTTP".into(),
            rules: vec![
                Rule {
                    priority: Some(1),
                    conditions: vec![C::PathPattern(vec!["/a".into()])],
                    action: fixed(201),
                },
                Rule {
                    priority: Some(2),
                    conditions: vec![
                        C::PathPattern(vec!["/a*".into()]),
                        C::HttpRequestMethod(vec!["POST".into()]),
                    ],
                    action: fixed(202),
                },
                Rule {
                    priority: Some(3),
                    conditions: vec![C::PathPattern(vec!["/a*".into()])],
                    action: fixed(203),
                },
                Rule {
                    priority: None,
                    conditions: vec![],
                    action: fixed(404),
                },
            ],
        };
        let h = HeaderMap::new();
        let status = |method, path| match &select(&listener, &facts(method, path, "", &h))
            .unwrap()
            .action
        {
            Action::FixedResponse { status, .. } => *status,
            _ => unreachable!(),
        };
        assert_eq!(status("GET", "/a"), 201);
        assert_eq!(
            status("POST", "/a"),
            201,
            "a lower priority number wins even if a later rule matches too"
        );
        assert_eq!(status("POST", "/ab"), 202);
        assert_eq!(status("GET", "/ab"), 203);
        assert_eq!(status("GET", "/b"), 404);
    }

    #[test]
    fn redirect_substitutions() {
        let h = headers(&[("host", "shop.example.com")]);
        let f = facts("GET", "/cart/items", "a=1&b=2", &h);
        let r = |protocol: &str, host: &str, port: &str, path: &str, query: &str| Redirect {
            protocol: protocol.into(),
            host: host.into(),
            port: port.into(),
            path: path.into(),
            query: query.into(),
            status: 301,
        };
        assert_eq!(
            redirect_location(&r("HTTPS", "#{host}", "443", "/#{path}", "#{query}"), &f),
            "https://shop.example.com:443/cart/items?a=1&b=2"
        );
        assert_eq!(
            redirect_location(
                &r(
                    "#{protocol}",
                    "new.#{host}",
                    "#{port}",
                    "/v2/#{path}",
                    "x=#{query}"
                ),
                &f
            ),
            "http://new.shop.example.com:80/v2/cart/items?x=a=1&b=2"
        );
        let no_query = facts("GET", "/", "", &h);
        assert_eq!(
            redirect_location(
                &r("HTTPS", "#{host}", "#{port}", "/#{path}", "#{query}"),
                &no_query
            ),
            "https://shop.example.com:80/"
        );
    }

    #[test]
    fn weighted_choice() {
        let choices = vec![
            ("a".to_owned(), 3),
            ("b".to_owned(), 1),
            ("c".to_owned(), 0),
        ];
        assert_eq!(pick_weighted(&choices, 0), Some("a"));
        assert_eq!(pick_weighted(&choices, 2), Some("a"));
        assert_eq!(pick_weighted(&choices, 3), Some("b"));
        assert_eq!(pick_weighted(&choices, 4), Some("a"));
        assert_eq!(pick_weighted(&[("z".to_owned(), 0)], 7), None);
        // Over many rolls the split follows the weights and never picks a zero weight.
        let mut counts = [0u32; 3];
        for _ in 0..4000 {
            match pick_weighted(&choices, next_roll()) {
                Some("a") => counts[0] += 1,
                Some("b") => counts[1] += 1,
                _ => counts[2] += 1,
            }
        }
        assert_eq!(counts[2], 0);
        assert!((2700..3300).contains(&counts[0]), "{counts:?}");
    }

    #[test]
    fn helpers() {
        assert_eq!(strip_port("example.com:80"), "example.com");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("example.com"), "example.com");
    }
}
