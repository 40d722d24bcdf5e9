//! A bounded, write-through cache of committed state entries (contract values and state-tree
//! nodes).
//!
//! Executing a block reads every state-tree node on the paths it changes, about log₂ n per
//! changed key, and the top of the tree is the same for every block: without a cache each of
//! those reads is a RocksDB lookup (the largest cost of execution in the node's profile, see
//! docs/performance.md). Absent keys are cached too (a tree position with no node is a common
//! answer).
//!
//! Eviction is by two generations: hits in the old generation move to the young one; when the
//! young one is full it becomes the old one and the previous old one is dropped. That keeps
//! what recent blocks touched, at the cost of two hash lookups on a miss, with no per-entry
//! bookkeeping.
//!
//! Coherence with concurrent readers: [`StateCache::apply`] runs after the write batch is
//! durable and bumps a generation counter under the lock; a reader that fetched from RocksDB
//! inserts its answer only if no commit happened since it looked, so a value read before a
//! commit can never overwrite the value that commit wrote.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

type Entry = Option<Vec<u8>>;

#[derive(Debug, Default)]
struct Generations {
    young: HashMap<Vec<u8>, Entry>,
    old: HashMap<Vec<u8>, Entry>,
    commits: u64,
}

/// The cache. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct StateCache {
    inner: Mutex<Generations>,
    generation_max: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A ticket from [`StateCache::get`] on a miss: hand it back to [`StateCache::fill`].
#[derive(Debug, Clone, Copy)]
pub struct Miss {
    commits: u64,
}

impl StateCache {
    /// A cache holding at most about `entries` entries (two generations of half that).
    pub fn new(entries: usize) -> StateCache {
        StateCache {
            inner: Mutex::new(Generations::default()),
            generation_max: (entries / 2).max(1),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached entry for `key` (`Ok(None)` = known absent), or a ticket to fill it.
    pub fn get(&self, key: &[u8]) -> Result<Entry, Miss> {
        let mut g = self.lock();
        if let Some(v) = g.young.get(key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(v.clone());
        }
        if let Some((k, v)) = g.old.remove_entry(key) {
            let answer = v.clone();
            insert(&mut g, self.generation_max, k, v);
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(answer);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Err(Miss { commits: g.commits })
    }

    /// Lookups answered from the cache and lookups that went to storage, since start.
    pub fn lookups(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Caches what storage answered for `key` after `miss`, unless a commit came in between.
    pub fn fill(&self, miss: Miss, key: &[u8], value: &Entry) {
        let mut g = self.lock();
        if g.commits == miss.commits {
            insert(&mut g, self.generation_max, key.to_vec(), value.clone());
        }
    }

    /// Applies a durable commit's state writes (`None` = deleted).
    pub fn apply(&self, writes: impl IntoIterator<Item = (Vec<u8>, Entry)>) {
        let mut g = self.lock();
        g.commits += 1;
        for (k, v) in writes {
            g.old.remove(&k);
            insert(&mut g, self.generation_max, k, v);
        }
    }

    /// Entries held (both generations).
    pub fn len(&self) -> usize {
        let g = self.lock();
        g.young.len() + g.old.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn insert(g: &mut Generations, generation_max: usize, key: Vec<u8>, value: Entry) {
    if g.young.len() >= generation_max && !g.young.contains_key(&key) {
        g.old = std::mem::take(&mut g.young);
    }
    g.young.insert(key, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_after_a_commit_is_dropped_so_stale_reads_never_stick() {
        let c = StateCache::new(16);
        let miss = c.get(b"k").expect_err("empty cache misses");
        assert_eq!(c.lookups(), (0, 1));
        // A commit writes the new value while the reader was at RocksDB with the old one.
        let new = Some(b"new".to_vec());
        c.apply([(b"k".to_vec(), new.clone())]);
        c.fill(miss, b"k", &Some(b"old".to_vec()));
        assert_eq!(c.get(b"k").expect("cached"), new);
    }

    #[test]
    fn absent_keys_and_deletions_are_cached() {
        let c = StateCache::new(16);
        let miss = c.get(b"a").expect_err("miss");
        c.fill(miss, b"a", &None);
        assert_eq!(c.get(b"a").expect("cached"), None);
        c.apply([(b"b".to_vec(), Some(b"1".to_vec()))]);
        c.apply([(b"b".to_vec(), None)]);
        assert_eq!(c.get(b"b").expect("cached"), None);
    }

    #[test]
    fn size_stays_bounded_and_recently_used_entries_survive() {
        let c = StateCache::new(8);
        let hot = b"hot".to_vec();
        c.apply([(hot.clone(), Some(vec![1]))]);
        for i in 0u32..100 {
            c.apply([(i.to_be_bytes().to_vec(), Some(vec![0]))]);
            // Touching the hot key keeps it in the young generation.
            assert_eq!(c.get(&hot).expect("hot key stays cached"), Some(vec![1]));
            assert!(c.len() <= 8, "len {}", c.len());
        }
        assert!(c.get(&0u32.to_be_bytes()).is_err(), "cold keys are evicted");
    }
}
