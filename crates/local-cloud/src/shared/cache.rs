//! Caches of deployed state, valid for one generation of it: warm requests make no AWS API calls, and any
//! control-plane write that a service declares stale-making (which bumps the generation) is seen next time.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

/// A service's generation of deployed state: bumped by the control-plane writes that make its view stale
/// (see [`crate::service::Service::written`]).
#[derive(Debug, Default)]
pub struct Generation(AtomicU64);

impl Generation {
    /// The current generation.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Marks the service's view of deployed state as stale.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// Values keyed by `K`, valid for one generation of deployed state: a lookup with a newer generation
/// empties the map.
pub struct GenCache<K, V> {
    inner: Mutex<(u64, HashMap<K, V>)>,
}

impl<K, V> Default for GenCache<K, V> {
    fn default() -> Self {
        GenCache {
            inner: Mutex::new((0, HashMap::new())),
        }
    }
}

impl<K: Eq + Hash, V: Clone> GenCache<K, V> {
    /// The cached value of `key` if it was stored for `generation`.
    pub fn get(&self, generation: u64, key: &K) -> Option<V> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.0 != generation {
            inner.1.clear();
            inner.0 = generation;
            return None;
        }
        inner.1.get(key).cloned()
    }

    /// Stores `value`, loaded while the state was at `generation` (dropped if the state moved on since).
    pub fn insert(&self, generation: u64, key: K, value: V) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.0 < generation {
            inner.1.clear();
            inner.0 = generation;
        }
        if inner.0 == generation {
            inner.1.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen_cache_forgets_everything_when_the_generation_moves() {
        let cache: GenCache<&str, u32> = GenCache::default();
        cache.insert(3, "a", 1);
        assert_eq!(cache.get(3, &"a"), Some(1));
        assert_eq!(cache.get(4, &"a"), None);
        // A value loaded under an older generation is not stored.
        cache.insert(3, "a", 1);
        assert_eq!(cache.get(4, &"a"), None);
        cache.insert(4, "a", 2);
        assert_eq!(cache.get(4, &"a"), Some(2));
    }
}
