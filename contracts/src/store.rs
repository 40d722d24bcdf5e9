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
