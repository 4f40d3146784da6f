//! The edge cache of one local cloud: responses kept per distribution and cache key for their TTL, as the cache
//! policy (or the legacy MinTTL/DefaultTTL/MaxTTL) and the origin's `Cache-Control` decide
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html>). Bounded: at most
//! [`MAX_ENTRIES`] responses, the whole cache emptied when full.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// How many responses the cache holds at most.
pub const MAX_ENTRIES: usize = 2000;

/// One cached response.
#[derive(Clone)]
pub struct Entry {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub stored: Instant,
    pub ttl: Duration,
}

/// Responses by `(distribution id, cache key)`.
#[derive(Default)]
pub struct EdgeCache {
    entries: Mutex<HashMap<(String, String), Entry>>,
}

impl EdgeCache {
    /// A fresh entry for the key (an expired one is dropped).
    pub fn get(&self, distribution: &str, key: &str) -> Option<Entry> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let k = (distribution.to_owned(), key.to_owned());
        match entries.get(&k) {
            Some(e) if e.stored.elapsed() < e.ttl => Some(e.clone()),
            Some(_) => {
                entries.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Keeps `entry` (a zero TTL is not kept).
    pub fn put(&self, distribution: &str, key: String, entry: Entry) {
        if entry.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert((distribution.to_owned(), key), entry);
    }

    /// Drops every response of the distribution (an invalidation).
    pub fn invalidate(&self, distribution: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|(d, _), _| !d.eq_ignore_ascii_case(distribution));
    }
}

/// The TTL of a response: the origin's `Cache-Control: max-age`/`s-maxage` (or `no-store`/`no-cache`/`private`:
/// 0) clamped to `[min, max]`, else `default`.
pub fn ttl(headers: &HeaderMap, min: u64, default: u64, max: u64) -> Duration {
    let control = headers
        .get(http::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let directive = |name: &str| {
        control.split(',').find_map(|d| {
            d.trim()
                .strip_prefix(name)
                .and_then(|v| v.strip_prefix('='))
                .and_then(|v| v.trim().parse::<u64>().ok())
        })
    };
    let secs = if let Some(age) = directive("s-maxage").or_else(|| directive("max-age")) {
        age.clamp(min, max.max(min))
    } else if ["no-store", "no-cache", "private"]
        .iter()
        .any(|d| control.split(',').any(|x| x.trim() == *d))
    {
        min
    } else {
        default
    };
    Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cache_control: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::CACHE_CONTROL, cache_control.parse().unwrap());
        h
    }

    #[test]
    fn ttl_follows_the_origin_within_the_policy_bounds() {
        assert_eq!(ttl(&HeaderMap::new(), 1, 86400, 31536000).as_secs(), 86400);
        assert_eq!(
            ttl(&headers("max-age=60"), 1, 86400, 31536000).as_secs(),
            60
        );
        assert_eq!(ttl(&headers("max-age=0"), 1, 86400, 31536000).as_secs(), 1);
        assert_eq!(
            ttl(&headers("public, s-maxage=5, max-age=60"), 0, 9, 100).as_secs(),
            5
        );
        assert_eq!(ttl(&headers("no-store"), 0, 86400, 100).as_secs(), 0);
        assert_eq!(ttl(&headers("max-age=600"), 0, 0, 0).as_secs(), 0);
    }

    #[test]
    fn an_invalidation_drops_only_its_distribution() {
        let cache = EdgeCache::default();
        let entry = Entry {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            stored: Instant::now(),
            ttl: Duration::from_secs(60),
        };
        cache.put("d1", "/a".into(), entry.clone());
        cache.put("d2", "/a".into(), entry.clone());
        cache.put(
            "d3",
            "/a".into(),
            Entry {
                ttl: Duration::ZERO,
                ..entry
            },
        );
        cache.invalidate("D1");
        assert!(cache.get("d1", "/a").is_none());
        assert!(cache.get("d2", "/a").is_some());
        assert!(cache.get("d3", "/a").is_none(), "a zero TTL is not kept");
    }
}
