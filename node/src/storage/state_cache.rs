//! A bounded, write-through cache of committed state entries (contract values and state-tree
//! nodes), sized in bytes.
//!
//! Executing a block reads every state-tree node on the paths it changes, about log₁₆ n per
//! changed key. Without a cache each of those reads is a RocksDB lookup, often an SST block
//! read and decompression once the state outgrows the memtables: on a million-event chain that
//! was the largest cost of the thread that executes and commits (docs/performance.md). Absent
//! keys are cached too (a tree position with no node is a common answer).
//!
//! Two classes, each with its own byte budget, so that neither can evict the other:
//! - **tree nodes** (keys starting with [`NODE_PREFIX`]). Every new key lands at a uniformly
//!   random position, so the deep levels are read at random and only a budget that holds the
//!   whole tree keeps reads off RocksDB. The budget is most of the cache.
//! - **values** (records of events, timelines, shipments, signers). Most are written once and
//!   never read by execution again (event records, timeline entries); the hot ones (shipments
//!   and signers under load) are few. They used to share one entry count with the nodes, and
//!   every block's new records pushed the tree out.
//!
//! Eviction, per class, is by two generations: hits in the old generation move to the young
//! one; when the young one reaches half the class's budget it becomes the old one and the
//! previous old one is dropped. That keeps what recent blocks touched, with no per-entry
//! bookkeeping. The top levels of the tree are on every block's paths, so they are always in
//! the young generation and need no pinning. A state whose tree fits in half the node budget
//! never rotates it at all.
//!
//! Coherence with concurrent readers: [`StateCache::apply`] runs after the write batch is
//! durable and bumps a commit counter under the lock; a reader that fetched from RocksDB
//! inserts its answer only if no commit happened since it looked, so a value read before a
//! commit can never overwrite the value that commit wrote.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tradeledger_contracts::smt::NODE_PREFIX;

type Entry = Option<Vec<u8>>;

/// What an entry costs beyond its key and value bytes: the map slot (two `Vec` headers) and the
/// allocator's headers of the two heap buffers, rounded up.
const ENTRY_OVERHEAD_BYTES: usize = 96;

fn cost(key: &[u8], value: &Entry) -> usize {
    key.len() + value.as_ref().map_or(0, Vec::len) + ENTRY_OVERHEAD_BYTES
}

/// The byte budgets of a [`StateCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheBudget {
    /// Most bytes held for state-tree nodes.
    pub nodes_bytes: usize,
    /// Most bytes held for state values.
    pub values_bytes: usize,
}

impl CacheBudget {
    /// Splits `total` bytes: seven eighths to tree nodes, one eighth to values.
    pub fn split(total: usize) -> CacheBudget {
        let values_bytes = total / 8;
        CacheBudget {
            nodes_bytes: total - values_bytes,
            values_bytes,
        }
    }
}

/// One class of entries with its two generations.
#[derive(Debug, Default)]
struct Generations {
    young: HashMap<Vec<u8>, Entry>,
    old: HashMap<Vec<u8>, Entry>,
    young_bytes: usize,
    old_bytes: usize,
    generation_bytes: usize,
}

impl Generations {
    fn new(budget_bytes: usize) -> Generations {
        Generations {
            generation_bytes: (budget_bytes / 2).max(1),
            ..Generations::default()
        }
    }

    fn get(&mut self, key: &[u8]) -> Option<Entry> {
        if let Some(v) = self.young.get(key) {
            return Some(v.clone());
        }
        let (k, v) = self.old.remove_entry(key)?;
        self.old_bytes -= cost(&k, &v);
        let answer = v.clone();
        self.insert(k, v);
        Some(answer)
    }

    fn insert(&mut self, key: Vec<u8>, value: Entry) {
        let added = cost(&key, &value);
        if let Some(previous) = self.young.get(&key) {
            self.young_bytes -= cost(&key, previous);
        } else if self.young_bytes + added > self.generation_bytes {
            self.old = std::mem::take(&mut self.young);
            self.old_bytes = std::mem::take(&mut self.young_bytes);
        }
        self.young_bytes += added;
        self.young.insert(key, value);
    }

    /// Inserts into the young generation only while it has room (never rotating); false
    /// once it is full.
    fn insert_while_room(&mut self, key: Vec<u8>, value: Entry) -> bool {
        if self.young_bytes + cost(&key, &value) > self.generation_bytes {
            return false;
        }
        self.insert(key, value);
        true
    }

    /// Drops `key` from the old generation (it is about to be written to the young one).
    fn forget_old(&mut self, key: &[u8]) {
        if let Some((k, v)) = self.old.remove_entry(key) {
            self.old_bytes -= cost(&k, &v);
        }
    }

    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    fn bytes(&self) -> usize {
        self.young_bytes + self.old_bytes
    }
}

#[derive(Debug)]
struct Inner {
    nodes: Generations,
    values: Generations,
    commits: u64,
}

impl Inner {
    fn class(&mut self, key: &[u8]) -> &mut Generations {
        if key.first() == Some(&NODE_PREFIX) {
            &mut self.nodes
        } else {
            &mut self.values
        }
    }
}

/// The cache. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct StateCache {
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A ticket from [`StateCache::get`] on a miss: hand it back to [`StateCache::fill`].
#[derive(Debug, Clone, Copy)]
pub struct Miss {
    commits: u64,
}

/// Bytes and entries held, per class (see [`StateCache::usage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheUsage {
    /// Bytes held for tree nodes (key, value and per-entry overhead).
    pub nodes_bytes: usize,
    /// Tree-node entries held.
    pub nodes: usize,
    /// Bytes held for values.
    pub values_bytes: usize,
    /// Value entries held.
    pub values: usize,
}

impl StateCache {
    /// A cache holding at most about `budget`'s bytes per class.
    pub fn new(budget: CacheBudget) -> StateCache {
        StateCache {
            inner: Mutex::new(Inner {
                nodes: Generations::new(budget.nodes_bytes),
                values: Generations::new(budget.values_bytes),
                commits: 0,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached entry for `key` (`Ok(None)` = known absent), or a ticket to fill it.
    pub fn get(&self, key: &[u8]) -> Result<Entry, Miss> {
        let mut g = self.lock();
        if let Some(hit) = g.class(key).get(key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
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
            g.class(key).insert(key.to_vec(), value.clone());
        }
    }

    /// Applies a durable commit's state writes (`None` = deleted).
    pub fn apply(&self, writes: impl IntoIterator<Item = (Vec<u8>, Entry)>) {
        let mut g = self.lock();
        g.commits += 1;
        for (k, v) in writes {
            let class = g.class(&k);
            class.forget_old(&k);
            class.insert(k, v);
        }
    }

    /// Loads stored tree nodes (`(key, value)` pairs, keys starting with [`NODE_PREFIX`]) while
    /// half the node budget has room, before the store serves anyone: a restarted node would
    /// otherwise read its whole tree from RocksDB one node at a time, over its first minutes of
    /// blocks. Returns how many were loaded. Not counted as lookups.
    pub fn warm(&self, nodes: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>) -> usize {
        let mut g = self.lock();
        let mut loaded = 0;
        for (k, v) in nodes {
            debug_assert_eq!(k.first(), Some(&NODE_PREFIX));
            if !g.nodes.insert_while_room(k, Some(v)) {
                break;
            }
            loaded += 1;
        }
        loaded
    }

    /// What the cache holds now.
    pub fn usage(&self) -> CacheUsage {
        let g = self.lock();
        CacheUsage {
            nodes_bytes: g.nodes.bytes(),
            nodes: g.nodes.len(),
            values_bytes: g.values.bytes(),
            values: g.values.len(),
        }
    }

    /// Entries held (both classes, both generations).
    pub fn len(&self) -> usize {
        let u = self.usage();
        u.nodes + u.values
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_key(i: u32) -> Vec<u8> {
        let mut k = vec![NODE_PREFIX];
        k.extend_from_slice(&i.to_be_bytes());
        k
    }

    fn value_key(i: u32) -> Vec<u8> {
        let mut k = vec![b'v'];
        k.extend_from_slice(&i.to_be_bytes());
        k
    }

    fn small(bytes: usize) -> StateCache {
        StateCache::new(CacheBudget {
            nodes_bytes: bytes,
            values_bytes: bytes,
        })
    }

    #[test]
    fn a_fill_after_a_commit_is_dropped_so_stale_reads_never_stick() {
        let c = small(4096);
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
        let c = small(4096);
        let miss = c.get(b"a").expect_err("miss");
        c.fill(miss, b"a", &None);
        assert_eq!(c.get(b"a").expect("cached"), None);
        c.apply([(b"b".to_vec(), Some(b"1".to_vec()))]);
        c.apply([(b"b".to_vec(), None)]);
        assert_eq!(c.get(b"b").expect("cached"), None);
    }

    #[test]
    fn bytes_stay_within_budget_and_recently_used_entries_survive() {
        let budget = 10 * (ENTRY_OVERHEAD_BYTES + 5 + 1);
        let c = small(budget);
        let hot = value_key(u32::MAX);
        c.apply([(hot.clone(), Some(vec![1]))]);
        for i in 0u32..100 {
            c.apply([(value_key(i), Some(vec![0]))]);
            // Touching the hot key keeps it in the young generation.
            assert_eq!(c.get(&hot).expect("hot key stays cached"), Some(vec![1]));
            let u = c.usage();
            assert!(u.values_bytes <= budget, "{u:?}");
            assert!(u.values <= 10, "{u:?}");
        }
        assert!(c.get(&value_key(0)).is_err(), "cold keys are evicted");
    }

    #[test]
    fn a_rewritten_key_is_counted_once_at_its_new_size() {
        let c = small(1 << 20);
        let k = node_key(7);
        c.apply([(k.clone(), Some(vec![0; 100]))]);
        c.apply([(k.clone(), Some(vec![0; 10]))]);
        let u = c.usage();
        assert_eq!((u.nodes, u.nodes_bytes), (1, cost(&k, &Some(vec![0; 10]))));
        // Moving from the old generation to the young one keeps the count too.
        let mut g = Generations::new(2 * cost(&k, &None));
        g.insert(k.clone(), None);
        g.insert(node_key(8), None);
        assert_eq!(
            (g.young.len(), g.old.len()),
            (1, 1),
            "the second insert rotated"
        );
        assert_eq!(g.get(&k), Some(None));
        assert_eq!(g.bytes(), 2 * cost(&k, &None));
    }

    #[test]
    fn new_values_do_not_evict_tree_nodes() {
        // Room for 10 entries per class.
        let c = small(10 * (ENTRY_OVERHEAD_BYTES + 5 + 1));
        let nodes: Vec<_> = (0..4).map(node_key).collect();
        c.apply(nodes.iter().map(|k| (k.clone(), Some(vec![1]))));
        // Each block writes many records that are never read again.
        for i in 0u32..1000 {
            c.apply([(value_key(i), Some(vec![0]))]);
        }
        for k in &nodes {
            assert_eq!(c.get(k).expect("node still cached"), Some(vec![1]));
        }
        let u = c.usage();
        assert_eq!(u.nodes, 4);
        assert!(u.values <= 10, "{u:?}");
    }

    #[test]
    fn warming_stops_at_half_the_node_budget() {
        let per = cost(&node_key(0), &Some(vec![0]));
        let c = small(10 * per);
        let loaded = c.warm((0..100).map(|i| (node_key(i), vec![0])));
        assert_eq!(loaded, 5);
        assert_eq!(c.usage().nodes_bytes, 5 * per);
        assert_eq!(c.get(&node_key(4)).expect("warmed"), Some(vec![0]));
        assert!(c.get(&node_key(5)).is_err(), "not loaded past the budget");
        assert_eq!(c.lookups(), (1, 1), "warming is not counted as lookups");
    }

    #[test]
    fn the_default_split_gives_nodes_most_of_the_budget() {
        let b = CacheBudget::split(800);
        assert_eq!((b.nodes_bytes, b.values_bytes), (700, 100));
    }
}
