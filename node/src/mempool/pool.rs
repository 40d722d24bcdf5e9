//! The pending events: indexed by id, by arrival and by (signer, sequence), with caps.

use super::Reject;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use tradeledger_types::{EventId, PublicKey, SignedEvent};

/// How far beyond the last committed sequence a signer may queue events.
pub const SEQUENCE_WINDOW: u64 = 10_000;
/// How many verified ids of events seen in others' blocks are remembered.
const VERIFIED_REMEMBERED_MAX: usize = 200_000;

#[derive(Debug)]
struct Entry {
    event: SignedEvent,
    size: usize,
    arrival: u64,
}

/// The mempool's data. Not thread-safe by itself: [`super::Mempool`] wraps it in a mutex.
#[derive(Debug)]
pub struct Pool {
    events_max: usize,
    bytes_max: usize,
    by_id: HashMap<EventId, Entry>,
    by_arrival: BTreeMap<u64, EventId>,
    by_signer_seq: BTreeMap<(PublicKey, u64), EventId>,
    committed_seq: HashMap<PublicKey, u64>,
    inflight: HashMap<EventId, (u64, u64)>,
    verified: HashSet<EventId>,
    verified_order: VecDeque<EventId>,
    next_arrival: u64,
    bytes: usize,
}

impl Pool {
    /// An empty pool with caps.
    pub fn new(events_max: usize, bytes_max: usize) -> Pool {
        Pool {
            events_max,
            bytes_max,
            by_id: HashMap::new(),
            by_arrival: BTreeMap::new(),
            by_signer_seq: BTreeMap::new(),
            committed_seq: HashMap::new(),
            inflight: HashMap::new(),
            verified: HashSet::new(),
            verified_order: VecDeque::new(),
            next_arrival: 0,
            bytes: 0,
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Bytes of pending events.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// True when `id` is pending.
    pub fn contains(&self, id: &EventId) -> bool {
        self.by_id.contains_key(id)
    }

    /// The last committed sequence of `signer`, if the pool knows it.
    pub fn known_committed_seq(&self, signer: &PublicKey) -> Option<u64> {
        self.committed_seq.get(signer).copied()
    }

    /// Records the last committed sequence of `signer` (from storage).
    pub fn learn_committed_seq(&mut self, signer: PublicKey, seq: u64) {
        let e = self.committed_seq.entry(signer).or_insert(0);
        *e = (*e).max(seq);
    }

    /// Checks everything but the signature: duplicates, sequence, caps.
    pub fn precheck(&self, event: &SignedEvent, id: &EventId, size: usize) -> Result<(), Reject> {
        if self.by_id.contains_key(id) {
            return Err(Reject::Duplicate(*id));
        }
        let signer = event.body.signer;
        let seq = event.body.seq;
        let committed = self.committed_seq.get(&signer).copied().unwrap_or(0);
        if seq <= committed {
            return Err(Reject::StaleSequence { committed, seq });
        }
        if seq - committed > SEQUENCE_WINDOW {
            return Err(Reject::SequenceTooFar {
                committed,
                seq,
                window: SEQUENCE_WINDOW,
            });
        }
        if self.by_signer_seq.contains_key(&(signer, seq)) {
            return Err(Reject::SequenceTaken { seq });
        }
        if self.by_id.len() >= self.events_max || self.bytes + size > self.bytes_max {
            return Err(Reject::Full {
                events: self.by_id.len(),
                bytes: self.bytes,
            });
        }
        Ok(())
    }

    /// Adds a verified event after [`Self::precheck`] (re-checked here under the same lock).
    pub fn insert(&mut self, event: SignedEvent, id: EventId, size: usize) -> Result<(), Reject> {
        self.precheck(&event, &id, size)?;
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.by_arrival.insert(arrival, id);
        self.by_signer_seq
            .insert((event.body.signer, event.body.seq), id);
        self.bytes += size;
        self.by_id.insert(
            id,
            Entry {
                event,
                size,
                arrival,
            },
        );
        self.remember_verified(id);
        Ok(())
    }

    fn remove(&mut self, id: &EventId) {
        if let Some(e) = self.by_id.remove(id) {
            self.by_arrival.remove(&e.arrival);
            self.by_signer_seq
                .remove(&(e.event.body.signer, e.event.body.seq));
            self.bytes -= e.size;
        }
    }

    /// True when `id`'s signature was verified here (pending, or seen in a block).
    pub fn is_verified(&self, id: &EventId) -> bool {
        self.verified.contains(id)
    }

    /// Remembers that `id`'s signature verified (bounded; oldest forgotten first).
    pub fn remember_verified(&mut self, id: EventId) {
        if self.verified.insert(id) {
            self.verified_order.push_back(id);
            while self.verified_order.len() > VERIFIED_REMEMBERED_MAX {
                if let Some(old) = self.verified_order.pop_front() {
                    self.verified.remove(&old);
                }
            }
        }
    }

    /// Marks events as included in a proposed (not yet committed) block at `height`, seen at
    /// `now_ms`, so proposals skip them while that block may still commit.
    pub fn mark_inflight(
        &mut self,
        ids: impl IntoIterator<Item = EventId>,
        height: u64,
        now_ms: u64,
    ) {
        for id in ids {
            self.inflight.insert(id, (height, now_ms));
        }
    }

    /// Forgets in-flight marks older than `max_age_ms` (a fallback: see [`Self::on_commit`]).
    pub fn expire_inflight(&mut self, now_ms: u64, max_age_ms: u64) {
        self.inflight
            .retain(|_, (_, at)| now_ms.saturating_sub(*at) <= max_age_ms);
    }

    /// Records that the block at `height` committed with `events`: removes them and every
    /// pending event their signers' sequences now make stale, and releases the in-flight marks
    /// of blocks at or below `height` (a block that did not commit there never will).
    pub fn on_commit(&mut self, height: u64, events: &[(EventId, PublicKey, u64)]) {
        for (id, signer, seq) in events {
            self.remove(id);
            self.inflight.remove(id);
            self.learn_committed_seq(*signer, *seq);
        }
        self.inflight.retain(|_, (h, _)| *h > height);
        let stale: Vec<EventId> = events
            .iter()
            .flat_map(|(_, signer, _)| {
                let committed = self.committed_seq.get(signer).copied().unwrap_or(0);
                self.by_signer_seq
                    .range((*signer, 0)..=(*signer, committed))
                    .map(|(_, id)| *id)
                    .collect::<Vec<_>>()
            })
            .collect();
        for id in stale {
            self.remove(&id);
        }
    }

    /// Events for a proposal: in arrival order, each signer's events in consecutive sequence
    /// from its last committed one (skipping in-flight ones), within the caps.
    pub fn select(&self, events_max: usize, bytes_max: usize) -> Vec<SignedEvent> {
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut done: HashSet<PublicKey> = HashSet::new();
        'arrivals: for id in self.by_arrival.values() {
            let Some(first) = self.by_id.get(id) else {
                continue;
            };
            let signer = first.event.body.signer;
            if !done.insert(signer) {
                continue;
            }
            let mut next = self.committed_seq.get(&signer).copied().unwrap_or(0) + 1;
            while let Some(id) = self.by_signer_seq.get(&(signer, next)) {
                next += 1;
                if self.inflight.contains_key(id) {
                    continue;
                }
                let Some(e) = self.by_id.get(id) else { break };
                if out.len() >= events_max || bytes + e.size > bytes_max {
                    break 'arrivals;
                }
                bytes += e.size;
                out.push(e.event.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tests_support::sample_event;

    fn add(pool: &mut Pool, seed: u8, seq: u64) -> EventId {
        let e = sample_event(seed, seq);
        let id = e.id();
        let size = e.to_bytes().len();
        pool.insert(e, id, size).expect("admitted");
        id
    }

    #[test]
    fn dedupes_by_id_and_sequence() {
        let mut pool = Pool::new(10, 1 << 20);
        add(&mut pool, 1, 1);
        let e = sample_event(1, 1);
        let (id, size) = (e.id(), e.to_bytes().len());
        assert_eq!(pool.insert(e, id, size), Err(Reject::Duplicate(id)));
        pool.learn_committed_seq(sample_event(2, 1).body.signer, 4);
        let e = sample_event(2, 3);
        let (id, size) = (e.id(), e.to_bytes().len());
        assert_eq!(
            pool.insert(e, id, size),
            Err(Reject::StaleSequence {
                committed: 4,
                seq: 3
            })
        );
    }

    #[test]
    fn enforces_the_count_cap() {
        let mut pool = Pool::new(1, 1 << 20);
        add(&mut pool, 1, 1);
        let e = sample_event(2, 1);
        let (id, size) = (e.id(), e.to_bytes().len());
        assert!(matches!(
            pool.insert(e, id, size),
            Err(Reject::Full { events: 1, .. })
        ));
    }

    #[test]
    fn selection_follows_sequences_and_skips_gaps_and_inflight() {
        let mut pool = Pool::new(100, 1 << 20);
        let a2 = add(&mut pool, 1, 2);
        let a1 = add(&mut pool, 1, 1);
        let _b3 = add(&mut pool, 2, 3); // gap: seq 1 and 2 missing
        let c1 = add(&mut pool, 3, 1);
        let ids: Vec<EventId> = pool
            .select(100, 1 << 20)
            .iter()
            .map(SignedEvent::id)
            .collect();
        assert_eq!(ids, vec![a1, a2, c1]);
        pool.mark_inflight([a1], 5, 0);
        let ids: Vec<EventId> = pool
            .select(100, 1 << 20)
            .iter()
            .map(SignedEvent::id)
            .collect();
        assert_eq!(ids, vec![a2, c1]);
        assert_eq!(pool.select(1, 1 << 20).len(), 1);
        pool.on_commit(5, &[]);
        assert_eq!(
            pool.select(100, 1 << 20).len(),
            3,
            "block 5 committed without a1: released"
        );
    }

    #[test]
    fn commit_removes_events_and_stale_sequences() {
        let mut pool = Pool::new(100, 1 << 20);
        let a1 = add(&mut pool, 1, 1);
        let a2 = add(&mut pool, 1, 2);
        let signer = sample_event(1, 1).body.signer;
        pool.on_commit(1, &[(a1, signer, 2)]);
        assert!(!pool.contains(&a1));
        assert!(!pool.contains(&a2), "seq 2 is now stale");
        assert_eq!(pool.len(), 0);
        assert_eq!(pool.bytes(), 0);
    }
}
