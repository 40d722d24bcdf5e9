//! The execution view of the state: reads fall through an event overlay and a block overlay to the
//! store; writes stay in the event overlay until the event is applied, so a rejected event changes
//! nothing. At the end of a block the block overlay is written to the store and the tree.
//!
//! Overlays keep records typed: a record written earlier in the block is read back as a clone,
//! not decoded, and is encoded once, when the block's writes are taken. Under a sensor feed every
//! event of a shipment reads and rewrites its record (the declaration included), so decoding and
//! encoding it per event was a fifth of re-execution. The bytes written are the same: the
//! canonical encoding of the last value put.

use crate::error::{ExecError, printable_key};
use crate::keys::VALUE_PREFIX;
use crate::smt;
use crate::store::Store;
use serde::{Serialize, de::DeserializeOwned};
use std::any::Any;
use std::collections::BTreeMap;
use tradeledger_types::codec;
use tradeledger_types::domain::sha256;

/// Largest stored record: a declaration fits in an event, plus bookkeeping.
const RECORD_BYTES_MAX: usize = 4 * codec::EVENT_BYTES_MAX;

/// A block's writes, encoded: `Some(bytes)` to set, `None` to delete, by key.
type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A record written during the block, kept as its value.
trait Record: Any {
    fn encode(&self) -> Vec<u8>;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Serialize + Any> Record for T {
    fn encode(&self) -> Vec<u8> {
        codec::to_canonical(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

type Overlay = BTreeMap<Vec<u8>, Option<Box<dyn Record>>>;

pub(crate) struct StateView<'s, S: Store> {
    store: &'s S,
    block: Overlay,
    event: Overlay,
}

fn value_key(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(VALUE_PREFIX);
    k.extend_from_slice(key);
    k
}

/// Reads one record straight from a store (queries, outside execution).
pub(crate) fn read_record<S: Store, T: Serialize + DeserializeOwned>(
    store: &S,
    key: &[u8],
) -> Result<Option<T>, ExecError> {
    match store.get(&value_key(key))? {
        Some(bytes) => decode(key, &bytes).map(Some),
        None => Ok(None),
    }
}

fn decode<T: Serialize + DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, ExecError> {
    codec::from_canonical(bytes, RECORD_BYTES_MAX, "state record").map_err(|e| {
        ExecError::CorruptState {
            key: printable_key(key),
            reason: e.to_string(),
        }
    })
}

/// Writes one record straight to a store and the tree (genesis).
pub(crate) fn write_record<S: Store, T: Serialize>(
    store: &mut S,
    key: &[u8],
    value: &T,
) -> Result<(), ExecError> {
    let bytes = codec::to_canonical(value);
    store.put(&value_key(key), &bytes)?;
    smt::update(store, key, Some(&bytes))
}

impl<'s, S: Store> StateView<'s, S> {
    pub(crate) fn new(store: &'s S) -> Self {
        StateView {
            store,
            block: Overlay::new(),
            event: Overlay::new(),
        }
    }

    /// The overlay entry for `key`: `Some(None)` when deleted in this block, `None` when the
    /// block has not written it.
    fn written(&self, key: &[u8]) -> Option<Option<&dyn Record>> {
        self.event
            .get(key)
            .or_else(|| self.block.get(key))
            .map(|slot| slot.as_deref())
    }

    pub(crate) fn get<T: Serialize + DeserializeOwned + Clone + 'static>(
        &self,
        key: &[u8],
    ) -> Result<Option<T>, ExecError> {
        match self.written(key) {
            Some(None) => Ok(None),
            Some(Some(record)) => match record.as_any().downcast_ref::<T>() {
                Some(value) => Ok(Some(value.clone())),
                // Read as another type than it was written: through its bytes, as from the store.
                None => decode(key, &record.encode()).map(Some),
            },
            None => match self.store.get(&value_key(key))? {
                Some(bytes) => decode(key, &bytes).map(Some),
                None => Ok(None),
            },
        }
    }

    pub(crate) fn exists(&self, key: &[u8]) -> Result<bool, ExecError> {
        match self.written(key) {
            Some(slot) => Ok(slot.is_some()),
            None => Ok(self.store.get(&value_key(key))?.is_some()),
        }
    }

    pub(crate) fn put<T: Serialize + Clone + 'static>(&mut self, key: Vec<u8>, value: &T) {
        self.event.insert(key, Some(Box::new(value.clone())));
    }

    /// Keeps the current event's writes.
    pub(crate) fn apply_event(&mut self) {
        let writes = std::mem::take(&mut self.event);
        self.block.extend(writes);
    }

    /// Drops the current event's writes.
    pub(crate) fn discard_event(&mut self) {
        self.event.clear();
    }

    /// The block's writes, encoded, in key order.
    pub(crate) fn into_writes(mut self) -> Writes {
        self.discard_event();
        self.block
            .into_iter()
            .map(|(k, v)| (k, v.map(|record| record.encode())))
            .collect()
    }
}

/// Writes a block's changes to the store and the tree (one batch update of the tree).
pub(crate) fn flush<S: Store>(store: &mut S, writes: Writes) -> Result<(), ExecError> {
    let mut changes = Vec::with_capacity(writes.len());
    for (key, value) in writes {
        let vk = value_key(&key);
        match &value {
            Some(v) => store.put(&vk, v)?,
            None => store.delete(&vk)?,
        }
        changes.push((sha256(&key), value.as_deref().map(sha256)));
    }
    changes.sort_unstable_by_key(|c| c.0);
    smt::update_batch(store, &changes)
}
