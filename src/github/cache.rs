//! Conditional requests: the last answer of each REST GET, kept per credential and URL, so the
//! next same GET carries `If-None-Match` and a `304` (which costs no rate-limit point) reuses
//! the stored body.
//!
//! The rules: only GETs are stored (never a write's answer, never GraphQL); the key is the
//! credential's identity (a SHA-256 of the bearer value, never the value itself) and the URL,
//! so one token's data never answers another's request and a refreshed token starts cold;
//! every use revalidates with GitHub (a stored body is only served on GitHub's `304`); and the
//! bytes held are bounded, the least recently used entry going first.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use http::HeaderMap;
use sha2::{Digest, Sha256};

use super::auth::Secret;

/// The bound `conductor run` uses unless told otherwise: 64 MiB.
pub(crate) const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Who asked and what: a request's place in the cache.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Key {
    credential: [u8; 32],
    url: String,
}

impl Key {
    /// The key of a GET of `url` made with `credential` (`None`: anonymous).
    pub(crate) fn new(credential: Option<&Secret>, url: &str) -> Key {
        let mut hash = Sha256::new();
        if let Some(secret) = credential {
            hash.update(b"bearer\0");
            hash.update(secret.expose().as_bytes());
        }
        Key {
            credential: hash.finalize().into(),
            url: url.to_string(),
        }
    }

    fn size(&self) -> usize {
        self.url.len() + 32
    }
}

/// A stored answer: its validator, the headers pagination needs, and the body.
#[derive(Clone, Debug)]
pub(super) struct Stored {
    pub(crate) etag: String,
    pub(crate) link: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl Stored {
    fn size(&self) -> usize {
        self.etag.len() + self.link.as_ref().map_or(0, String::len) + self.body.len()
    }

    /// What to keep of a `200` to a GET; `None` when GitHub gave no validator.
    pub(crate) fn from_answer(headers: &HeaderMap, body: &[u8]) -> Option<Stored> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Some(Stored {
            etag: text("etag")?.to_string(),
            link: text("link").map(str::to_string),
            body: body.to_vec(),
        })
    }
}

/// What the cache holds; shared by every clone of one client.
#[derive(Clone, Debug)]
pub(super) struct ResponseCache(Arc<Mutex<Lru>>);

#[derive(Debug)]
struct Lru {
    limit: usize,
    bytes: usize,
    clock: u64,
    entries: HashMap<Key, (u64, Stored)>,
    /// Last use → key: the oldest use is evicted first.
    order: BTreeMap<u64, Key>,
}

impl ResponseCache {
    /// An empty cache that holds at most `limit` bytes of URLs, validators and bodies.
    pub(crate) fn new(limit: usize) -> ResponseCache {
        ResponseCache(Arc::new(Mutex::new(Lru {
            limit,
            bytes: 0,
            clock: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        })))
    }

    /// The validator to send with the next GET of `key`, if an answer is stored.
    pub(crate) fn validator(&self, key: &Key) -> Option<String> {
        self.lock().entries.get(key).map(|(_, s)| s.etag.clone())
    }

    /// The stored answer, after GitHub said `304`; marks it as just used.
    pub(crate) fn revalidated(&self, key: &Key) -> Option<Stored> {
        let mut entries = self.lock();
        entries.touch(key)?;
        entries.entries.get(key).map(|(_, s)| s.clone())
    }

    /// Keeps `stored` for `key`, replacing any older answer; an answer bigger than the whole
    /// bound is not kept (and the older one is dropped, it no longer holds).
    pub(crate) fn store(&self, key: Key, stored: Stored) {
        let mut entries = self.lock();
        entries.remove(&key);
        let size = key.size() + stored.size();
        if size > entries.limit {
            return;
        }
        while entries.bytes + size > entries.limit && entries.evict_oldest() {}
        entries.clock += 1;
        let at = entries.clock;
        entries.order.insert(at, key.clone());
        entries.entries.insert(key, (at, stored));
        entries.bytes += size;
    }

    /// Forgets `key` (its resource answered something other than a fresh `200`).
    pub(crate) fn forget(&self, key: &Key) {
        self.lock().remove(key);
    }

    /// Bytes held now, and entries.
    pub(crate) fn usage(&self) -> (usize, usize) {
        let entries = self.lock();
        (entries.bytes, entries.entries.len())
    }

    fn lock(&self) -> MutexGuard<'_, Lru> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Lru {
    fn touch(&mut self, key: &Key) -> Option<()> {
        self.clock += 1;
        let now = self.clock;
        let (at, _) = self.entries.get_mut(key)?;
        let old = std::mem::replace(at, now);
        self.order.remove(&old);
        self.order.insert(now, key.clone());
        Some(())
    }

    fn remove(&mut self, key: &Key) {
        if let Some((at, stored)) = self.entries.remove(key) {
            self.order.remove(&at);
            self.bytes -= key.size() + stored.size();
        }
    }

    fn evict_oldest(&mut self) -> bool {
        let Some((_, key)) = self.order.pop_first() else {
            return false;
        };
        if let Some((_, stored)) = self.entries.remove(&key) {
            self.bytes -= key.size() + stored.size();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(etag: &str, body: &[u8]) -> Stored {
        Stored {
            etag: etag.into(),
            link: None,
            body: body.to_vec(),
        }
    }

    #[test]
    fn one_credential_never_sees_another_credentials_answer() {
        let cache = ResponseCache::new(1 << 20);
        let one = Key::new(Some(&Secret::new("ghs_one")), "/repos/a/b/issues");
        let two = Key::new(Some(&Secret::new("ghs_two")), "/repos/a/b/issues");
        let anonymous = Key::new(None, "/repos/a/b/issues");
        cache.store(one.clone(), stored("\"1\"", b"[1]"));
        assert_eq!(cache.validator(&one).as_deref(), Some("\"1\""));
        assert!(cache.validator(&two).is_none());
        assert!(cache.revalidated(&two).is_none());
        assert!(cache.validator(&anonymous).is_none());
    }

    #[test]
    fn the_bytes_held_stay_under_the_bound_oldest_use_first_out() {
        let cache = ResponseCache::new(1000);
        let key = |n: usize| Key::new(None, &format!("/r/{n}"));
        for n in 0..10 {
            cache.store(key(n), stored("\"e\"", &[0; 200]));
            // The first stays in use, so it is never the oldest.
            cache.revalidated(&key(0));
            assert!(cache.usage().0 <= 1000, "{:?}", cache.usage());
        }
        assert!(cache.validator(&key(0)).is_some());
        assert!(cache.validator(&key(9)).is_some());
        assert!(cache.validator(&key(1)).is_none());
        let (bytes, count) = cache.usage();
        assert_eq!(bytes, count * (key(1).size() + 3 + 200));
        // An answer bigger than the bound is not kept, and replaces the older one.
        cache.store(key(0), stored("\"big\"", &[0; 2000]));
        assert!(cache.validator(&key(0)).is_none());
    }
}
