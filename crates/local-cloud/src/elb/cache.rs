//! Caches of deployed state kept per [`Cloud`](crate::Cloud) and per generation of that state, so warm
//! requests make no AWS API calls and any control-plane write (which bumps the generation) is seen next time.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex, PoisonError, Weak},
};

use crate::{Cloud, SharedCloud};

/// One `T` per live [`Cloud`], without a field on `Cloud` itself. Holding a `Weak` keeps the `Cloud`'s
/// allocation (not the `Cloud`) alive, so its address cannot be reused while its slot exists; slots of
/// dropped clouds are removed on the next lookup.
pub struct PerCloud<T> {
    slots: Mutex<Vec<(Weak<Cloud>, Arc<T>)>>,
}

impl<T: Default> PerCloud<T> {
    pub const fn new() -> Self {
        PerCloud {
            slots: Mutex::new(Vec::new()),
        }
    }

    /// The value for `cloud`, created on first use.
    pub fn get(&self, cloud: &SharedCloud) -> Arc<T> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.retain(|(cloud, _)| cloud.strong_count() > 0);
        if let Some((_, value)) = slots
            .iter()
            .find(|(c, _)| std::ptr::eq(c.as_ptr(), Arc::as_ptr(cloud)))
        {
            return value.clone();
        }
        let value = Arc::new(T::default());
        slots.push((Arc::downgrade(cloud), value.clone()));
        value
    }
}

impl<T: Default> Default for PerCloud<T> {
    fn default() -> Self {
        Self::new()
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
