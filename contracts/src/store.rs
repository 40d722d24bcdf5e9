//! The storage trait the state lives in, and an in-memory implementation.
//!
//! The node backs [`Store`] with RocksDB (writes collected into one `WriteBatch` per block); the
//! auditor and the tests use [`MemStore`]. Execution reads and writes only through this trait, so
//! every implementation that honours it yields the same roots.

use crate::error::StoreError;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

/// Entries returned by [`Store::scan_prefix`]: `(key, value)` in ascending key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// A byte-keyed key-value store.
///
/// Reads must see the store's own earlier writes (execution and genesis read back tree nodes they
/// wrote). A database behind it can either write through, or be wrapped in [`BufferedStore`] to
/// collect one block's changes and commit them atomically.
///
/// Contract: `get` returns the value of the last `put` for the key not followed by a `delete`;
/// `scan_prefix` returns entries whose key starts with `prefix`, in ascending byte order of the
/// key, at most `limit` of them, starting after `after` when given. Execution never depends on
/// anything else (no iteration order of hash maps, no timestamps).
pub trait Store {
    /// The value stored under `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key`, replacing any previous value.
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key` (a no-op when absent).
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError>;
    /// Up to `limit` entries under `prefix` in ascending key order, strictly after `after` when
    /// given.
    fn scan_prefix(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StoreError>;
}

/// An in-memory [`Store`], for tests, benchmarks and the auditor.
///
/// State-tree nodes (keys starting with [`crate::smt::NODE_PREFIX`]) live in a hash map: the
/// tree only ever reads and writes them one key at a time, and they are most of the store's
/// keys and of its lookups. A lookup in an ordered map of millions of heap-allocated keys
/// follows a pointer to a key on every comparison; a hash lookup follows one or two. On a
/// 1.4M-event chain this took `audit verify` from 54–57 s to 46–47 s (BENCHMARKS.md, session
/// 12). Everything else stays in key order for prefix scans. Every listing
/// ([`Store::scan_prefix`], [`MemStore::entries`]) sorts, so no result depends on the hash
/// map's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemStore {
    /// Every entry that is not a tree node, in key order.
    ordered: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Tree nodes.
    nodes: HashMap<Vec<u8>, Vec<u8>>,
}

fn is_node(key: &[u8]) -> bool {
    key.first() == Some(&crate::smt::NODE_PREFIX)
}

impl MemStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries (values and tree nodes).
    pub fn len(&self) -> usize {
        self.ordered.len() + self.nodes.len()
    }

    /// True when the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.ordered.is_empty() && self.nodes.is_empty()
    }

    /// Every entry, in key order (for comparing two stores byte for byte).
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut all: Vec<(&[u8], &[u8])> = self
            .ordered
            .iter()
            .chain(&self.nodes)
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all.into_iter()
    }

    /// Sets or removes one key, in whichever map holds its kind.
    fn set(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        match (is_node(&key), value) {
            (true, Some(v)) => {
                self.nodes.insert(key, v);
            }
            (true, None) => {
                self.nodes.remove(&key);
            }
            (false, Some(v)) => {
                self.ordered.insert(key, v);
            }
            (false, None) => {
                self.ordered.remove(&key);
            }
        }
    }
}

impl Store for MemStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(if is_node(key) {
            self.nodes.get(key).cloned()
        } else {
            self.ordered.get(key).cloned()
        })
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        if is_node(key) {
            // Overwriting in place keeps the key's allocation (the tree rewrites its nodes).
            match self.nodes.get_mut(key) {
                Some(v) => {
                    v.clear();
                    v.extend_from_slice(value);
                }
                None => {
                    self.nodes.insert(key.to_vec(), value.to_vec());
                }
            }
        } else {
            self.ordered.insert(key.to_vec(), value.to_vec());
        }
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        if is_node(key) {
            self.nodes.remove(key);
        } else {
            self.ordered.remove(key);
        }
        Ok(())
    }

    fn scan_prefix(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StoreError> {
        let start = match after {
            Some(a) => Bound::Excluded(a.to_vec()),
            None => Bound::Included(prefix.to_vec()),
        };
        let ordered = self
            .ordered
            .range((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()));
        // Only a prefix that tree-node keys can start with (the empty one, or the node prefix)
        // needs the nodes, sorted.
        if !(prefix.is_empty() || is_node(prefix)) {
            return Ok(ordered.collect());
        }
        let mut all: Entries = self
            .nodes
            .iter()
            .filter(|(k, _)| k.starts_with(prefix) && after.is_none_or(|a| k.as_slice() > a))
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(ordered)
            .collect();
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        all.truncate(limit);
        Ok(all)
    }
}

/// Changes collected by a [`BufferedStore`]: `Some(value)` to put, `None` to delete, by key.
pub type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A [`Store`] that reads through to `base` and keeps every write in memory, so a block's writes
/// can be committed in one atomic batch (or dropped if execution fails). The node wraps its
/// database in one per block and writes [`BufferedStore::into_changes`] with its `WriteBatch`.
pub struct BufferedStore<'a, S: Store> {
    base: &'a S,
    changes: Changes,
}

impl<'a, S: Store> BufferedStore<'a, S> {
    /// A buffer over `base`, with no changes yet.
    pub fn new(base: &'a S) -> Self {
        BufferedStore {
            base,
            changes: Changes::new(),
        }
    }

    /// The collected changes, in key order.
    pub fn into_changes(self) -> Changes {
        self.changes
    }
}

impl<S: Store> Store for BufferedStore<'_, S> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.changes.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(key),
        }
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.changes.insert(key.to_vec(), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.changes.insert(key.to_vec(), None);
        Ok(())
    }

    fn scan_prefix(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StoreError> {
        let start = match after {
            Some(a) => Bound::Excluded(a.to_vec()),
            None => Bound::Included(prefix.to_vec()),
        };
        let pending: Vec<(&Vec<u8>, &Option<Vec<u8>>)> = self
            .changes
            .range((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .collect();
        // Deletions can hide base entries, so ask the base for that many more.
        let hidden = pending.iter().filter(|(_, v)| v.is_none()).count();
        let mut merged: BTreeMap<Vec<u8>, Option<Vec<u8>>> = self
            .base
            .scan_prefix(prefix, after, limit.saturating_add(hidden))?
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        for (k, v) in pending {
            merged.insert(k.clone(), v.clone());
        }
        Ok(merged
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .take(limit)
            .collect())
    }
}

impl MemStore {
    /// Applies changes collected by a [`BufferedStore`].
    pub fn apply(&mut self, changes: Changes) {
        for (k, v) in changes {
            self.set(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Put(u8, u8),
        Delete(u8),
        Apply(Vec<(u8, Option<u8>)>),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..24, any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
            (0u8..24).prop_map(Op::Delete),
            prop::collection::vec((0u8..24, prop::option::of(any::<u8>())), 0..6)
                .prop_map(Op::Apply),
        ]
    }

    /// Keys of two or three bytes under three prefixes, one of them the tree nodes' (kept apart
    /// by the store), so prefixes select real subsets.
    fn key(k: u8) -> Vec<u8> {
        match k {
            0..8 => vec![b'a', k],
            8..16 => vec![b'b', k, k],
            _ => vec![crate::smt::NODE_PREFIX, k % 3, k],
        }
    }

    proptest! {
        /// Whatever the writes, the store reads, lists and scans exactly like an ordered map.
        #[test]
        fn behaves_as_an_ordered_map(ops in prop::collection::vec(op(), 0..60)) {
            let mut store = MemStore::new();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Put(k, v) => {
                        store.put(&key(k), &[v]).expect("memory");
                        model.insert(key(k), vec![v]);
                    }
                    Op::Delete(k) => {
                        store.delete(&key(k)).expect("memory");
                        model.remove(&key(k));
                    }
                    Op::Apply(changes) => {
                        let mut c = Changes::new();
                        for (k, v) in changes {
                            c.insert(key(k), v.map(|v| vec![v]));
                        }
                        for (k, v) in &c {
                            match v {
                                Some(v) => { model.insert(k.clone(), v.clone()); }
                                None => { model.remove(k); }
                            }
                        }
                        store.apply(c);
                    }
                }
            }
            let listed: Vec<(Vec<u8>, Vec<u8>)> =
                store.entries().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
            let expected: Vec<(Vec<u8>, Vec<u8>)> = model.clone().into_iter().collect();
            prop_assert_eq!(&listed, &expected);
            prop_assert_eq!(store.len(), model.len());
            for k in 0..24 {
                prop_assert_eq!(store.get(&key(k)).expect("memory"), model.get(&key(k)).cloned());
            }
            let t = crate::smt::NODE_PREFIX;
            // (prefix, after, limit)
            type Scan<'a> = (&'a [u8], Option<Vec<u8>>, usize);
            let scans: [Scan<'_>; 6] = [
                (b"b", Some(vec![b'b', 11, 11]), 3),
                (b"", None, usize::MAX),
                (b"", Some(vec![b'b', 14, 14]), 4),
                (&[t], None, 5),
                (&[t], Some(vec![t, 1, 19]), 2),
                (&[t, 2], None, usize::MAX),
            ];
            for (prefix, after, limit) in scans {
                let scanned = store.scan_prefix(prefix, after.as_deref(), limit).expect("memory");
                let want: Vec<(Vec<u8>, Vec<u8>)> = model
                    .iter()
                    .filter(|(k, _)| k.starts_with(prefix) && after.as_ref().is_none_or(|a| *k > a))
                    .take(limit)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                prop_assert_eq!(scanned, want, "prefix {:?} after {:?}", prefix, after);
            }
        }
    }
}
