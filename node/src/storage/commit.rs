//! The write set of one committed block.

use super::records::{BlockResultRecord, EventRecord};
use super::schema::*;
use super::{StorageError, StoreResult};
use rocksdb::{ColumnFamily, WriteBatch};
use tradeledger_contracts::{Derived, EventOutcome};
use tradeledger_types::{Block, Payload, QuorumCertificate, codec};

/// Everything a committed block changes, written atomically by
/// [`Store::commit_block`](super::Store::commit_block).
#[derive(Debug, Clone)]
pub struct BlockCommit {
    /// The block.
    pub block: Block,
    /// The QC certifying it (votes on this block's hash).
    pub certificate: QuorumCertificate,
    /// One outcome per event, in block order.
    pub outcomes: Vec<EventOutcome>,
    /// State changes: `(key, Some(value))` to set, `(key, None)` to delete.
    pub state_writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Roots after executing the block.
    pub result: BlockResultRecord,
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("records are plain data and always serialise")
}

impl BlockCommit {
    /// Adds every write to `batch`.
    pub(super) fn write_into<'a>(
        &self,
        batch: &mut WriteBatch,
        cf: impl Fn(&'static str) -> StoreResult<&'a ColumnFamily>,
        already_committed: &std::collections::HashSet<tradeledger_types::EventId>,
    ) -> StoreResult<()> {
        let header = &self.block.header;
        let height = header.height;
        let hash = self.block.hash();
        if self.outcomes.len() != self.block.events.len() {
            return Err(StorageError::Corrupt {
                what: "block commit",
                cf: CF_RESULTS,
                detail: format!(
                    "{} outcomes for {} events",
                    self.outcomes.len(),
                    self.block.events.len()
                ),
            });
        }
        let (blocks, certs, events, indexes) = (
            cf(CF_BLOCKS)?,
            cf(CF_CERTS)?,
            cf(CF_EVENTS)?,
            cf(CF_INDEXES)?,
        );
        let (state, results, meta) = (cf(CF_STATE)?, cf(CF_RESULTS)?, cf(CF_META)?);
        // Each event encoded once: for its own record and, put together, for the block's.
        let event_bytes: Vec<Vec<u8>> = self.block.events.iter().map(|e| e.to_bytes()).collect();
        batch.put_cf(
            blocks,
            height_key(height),
            self.block.to_bytes_with_events(&event_bytes),
        );
        batch.put_cf(
            certs,
            height_key(height),
            codec::to_canonical(&self.certificate),
        );
        batch.put_cf(indexes, idx_block_hash(&hash), height_key(height));
        let items = self
            .block
            .events
            .iter()
            .zip(&self.outcomes)
            .zip(&event_bytes);
        for (i, ((event, outcome), bytes)) in items.enumerate() {
            let index =
                u32::try_from(i).expect("block event count fits u32 (checked against the header)");
            // Execution named each outcome by its event's id.
            let id = outcome.event_id;
            debug_assert_eq!(id, tradeledger_types::domain::sha256(bytes), "outcome's id");
            if already_committed.contains(&id) {
                // A replay of an event committed earlier (the contracts rejected it without
                // using up its number): the block keeps it, but the event's record stays the
                // one of its earlier commit. An event committed again that does use up its
                // number (refused earlier with `sequence_gap`, say) gets a new record: the one
                // that matches the state.
                continue;
            }
            batch.put_cf(events, id.0, bytes);
            let record = EventRecord {
                height,
                index,
                block_hash: hash,
                outcome: outcome.clone(),
            };
            batch.put_cf(results, result_event(&id), json(&record));
            let body = &event.body;
            if outcome.consumes_sequence() {
                // Applied events, and those rejected after their envelope checks, use up their
                // sequence number (contracts' `consumes_sequence`).
                batch.put_cf(indexes, idx_signer(&body.signer, body.seq), id.0);
            }
            if let Some(shipment) = body.payload.shipment_id() {
                batch.put_cf(indexes, idx_shipment(shipment, height, index), id.0);
            }
            for epc in epcs_of(&body.payload) {
                batch.put_cf(indexes, idx_epc(epc, height, index), id.0);
            }
            let mut history: Vec<&str> = outcome.records.iter().filter_map(history_of).collect();
            history.sort_unstable();
            history.dedup();
            for shipment in history {
                batch.put_cf(indexes, idx_history(shipment, height, index), id.0);
            }
        }
        for (k, v) in &self.state_writes {
            match v {
                Some(v) => batch.put_cf(state, k, v),
                None => batch.delete_cf(state, k),
            }
        }
        batch.put_cf(results, result_block(height), json(&self.result));
        batch.put_cf(meta, META_HEIGHT, height_key(height));
        Ok(())
    }
}

/// The EPCs an event names (custody events: its EPC list and parent).
pub fn epcs_of(payload: &Payload) -> Vec<&str> {
    match payload {
        Payload::Custody(c) => c
            .epcs
            .iter()
            .map(String::as_str)
            .chain(c.parent.as_deref())
            .collect(),
        _ => Vec::new(),
    }
}

/// The shipment whose history a derived record belongs to (flags, verdicts and lane changes).
pub fn history_of(record: &Derived) -> Option<&str> {
    match record {
        Derived::Flag { shipment_id, .. } => Some(shipment_id),
        Derived::Origin(v) => Some(&v.shipment_id),
        Derived::Ipr(v) => Some(&v.shipment_id),
        Derived::Treatment(v) => Some(&v.shipment_id),
        Derived::Lane(c) => Some(&c.shipment_id),
        _ => None,
    }
}
