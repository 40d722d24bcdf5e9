//! The storage trait the state lives in, and an in-memory implementation.
//!
//! The node backs [`Store`] with RocksDB (writes collected into one `WriteBatch` per block); the
//! auditor and the tests use [`MemStore`]. Execution reads and writes only through this trait, so
//! every implementation that honours it yields the same roots.

use crate::error::StoreError;
use std::collections::BTreeMap;
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

/// An in-memory [`Store`] over a `BTreeMap`, for tests, benchmarks and the auditor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemStore {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries (values and tree nodes).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, in key order (for comparing two stores byte for byte).
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.entries
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
    }
}

impl Store for MemStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.entries.get(key).cloned())
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.entries.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.entries.remove(key);
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
        Ok(self
            .entries
            .range((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
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
            match v {
                Some(v) => {
                    self.entries.insert(k, v);
                }
                None => {
                    self.entries.remove(&k);
                }
            }
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

    /// Keys of one or two bytes, so prefixes select real subsets.
    fn key(k: u8) -> Vec<u8> {
        if k < 12 {
            vec![b'a', k]
        } else {
            vec![b'b', k, k]
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
            let scanned = store.scan_prefix(b"b", Some(&[b'b', 15, 15]), 3).expect("memory");
            let want: Vec<(Vec<u8>, Vec<u8>)> = model
                .range(vec![b'b', 15, 15]..)
                .filter(|(k, _)| k.starts_with(b"b") && k.as_slice() != [b'b', 15, 15])
                .take(3)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            prop_assert_eq!(scanned, want);
        }
    }
}
