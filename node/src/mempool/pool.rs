//! The pending events: indexed by id, by arrival and by (signer, sequence), with caps.
//!
//! A pending event is *ready* when every sequence of its signer from the last committed one up
//! to it is pending too: a proposal can carry it now. The others are *parked* behind a gap
//! (an earlier sequence that this node never received, or lost). A full pool evicts parked
//! events, newest first, to admit a ready one: otherwise a pool filled with parked events
//! would refuse the very events that close their gaps, and those signers would stall for good
//! (found by `tradeledger-testnet bench` with a validator down: all three live mempools full,
//! empty blocks, no client event committed).
//!
//! A parked event says what it waits for ([`Pool::waiting`]) and is dropped once it has waited
//! longer than the node's bound ([`Pool::expire_parked`], in [`gap`]): a gap nobody fills would
//! otherwise keep it pending for ever. Time comes in as `now_ms` arguments; the pool reads no
//! clock.

mod gap;

use super::Reject;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use tradeledger_types::{EventId, PublicKey, SignedEvent};

pub use gap::{GapExpired, MISSING_LISTED_MAX, Waiting};

/// How far beyond the last committed sequence a signer may queue events.
pub const SEQUENCE_WINDOW: u64 = 10_000;
/// How many verified ids of events seen in others' blocks are remembered.
const VERIFIED_REMEMBERED_MAX: usize = 200_000;

#[derive(Debug)]
struct Entry {
    event: SignedEvent,
    size: usize,
    arrival: u64,
    /// When the event was last parked (meaningful while it is parked).
    parked_at_ms: u64,
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
    /// Per signer with pending events: the highest sequence up to which every sequence after
    /// the committed one is pending (absent: the committed sequence).
    ready_to: HashMap<PublicKey, u64>,
    /// Parked events by arrival.
    parked: BTreeMap<u64, EventId>,
    /// The same parked events by (time parked, arrival): the oldest wait expires first.
    parked_since: BTreeMap<(u64, u64), EventId>,
    parked_bytes: usize,
    evicted: u64,
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
            ready_to: HashMap::new(),
            parked: BTreeMap::new(),
            parked_since: BTreeMap::new(),
            parked_bytes: 0,
            evicted: 0,
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
        if seq > *e {
            *e = seq;
            if self.by_signer_seq.contains_key(&(signer, seq + 1)) {
                self.advance(signer);
            }
        }
    }

    /// Checks everything but the signature: duplicates, sequence, caps.
    pub fn precheck(&self, event: &SignedEvent, id: &EventId, size: usize) -> Result<(), Reject> {
        if self.by_id.contains_key(id) {
            return Err(Reject::Duplicate(*id));
        }
        let signer = event.body.signer;
        let seq = event.body.seq;
        let committed = self.committed(&signer);
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
        if !self.fits(size) && !self.parked_could_make_room(size) {
            return Err(Reject::Full {
                events: self.by_id.len(),
                bytes: self.bytes,
            });
        }
        Ok(())
    }

    fn fits(&self, size: usize) -> bool {
        self.by_id.len() < self.events_max && self.bytes + size <= self.bytes_max
    }

    /// True when evicting every parked event would leave room for `size` more bytes.
    fn parked_could_make_room(&self, size: usize) -> bool {
        self.by_id.len() - self.parked.len() < self.events_max
            && self.bytes - self.parked_bytes + size <= self.bytes_max
    }

    /// Number of parked events (pending behind a sequence gap).
    pub fn parked(&self) -> usize {
        self.parked.len()
    }

    /// Events evicted since the pool was created.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The last committed sequence of `signer` as far as the pool knows (0: none).
    fn committed(&self, signer: &PublicKey) -> u64 {
        self.committed_seq.get(signer).copied().unwrap_or(0)
    }

    /// The last sequence of `signer` that is committed or pending without a gap after it.
    fn ready_upto(&self, signer: &PublicKey) -> u64 {
        self.ready_to
            .get(signer)
            .copied()
            .unwrap_or(0)
            .max(self.committed(signer))
    }

    /// Extends `signer`'s ready run over the pending sequences that now follow it, unparking them.
    fn advance(&mut self, signer: PublicKey) {
        let mut upto = self.ready_upto(&signer);
        while let Some(id) = self.by_signer_seq.get(&(signer, upto + 1)) {
            upto += 1;
            if let Some(e) = self.by_id.get(id)
                && self.parked.remove(&e.arrival).is_some()
            {
                self.parked_since.remove(&(e.parked_at_ms, e.arrival));
                self.parked_bytes -= e.size;
            }
        }
        let committed = self.committed(&signer);
        if upto > committed {
            self.ready_to.insert(signer, upto);
        } else {
            self.ready_to.remove(&signer);
        }
    }

    /// Evicts parked events, newest first, until `size` more bytes and one more event fit.
    /// False (nothing evicted) when even evicting all of them would not make room.
    fn make_room(&mut self, size: usize, now_ms: u64) -> bool {
        if self.fits(size) {
            return true;
        }
        if !self.parked_could_make_room(size) {
            return false;
        }
        while !self.fits(size) {
            let Some((_, id)) = self.parked.last_key_value() else {
                return false;
            };
            let id = *id;
            self.remove(&id, now_ms);
            self.evicted += 1;
        }
        true
    }

    /// Adds a verified event after [`Self::precheck`] (re-checked here under the same lock), at
    /// `now_ms` (when a parked event's wait starts).
    ///
    /// When the pool is full, an event that is ready (its signer's next sequence) evicts parked
    /// events to make room; a parked one is refused as [`Reject::Full`].
    pub fn insert(
        &mut self,
        event: SignedEvent,
        id: EventId,
        size: usize,
        now_ms: u64,
    ) -> Result<(), Reject> {
        self.precheck(&event, &id, size)?;
        let signer = event.body.signer;
        let seq = event.body.seq;
        let ready = seq == self.ready_upto(&signer) + 1;
        if !(if ready {
            self.make_room(size, now_ms)
        } else {
            self.fits(size)
        }) {
            return Err(Reject::Full {
                events: self.by_id.len(),
                bytes: self.bytes,
            });
        }
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
                parked_at_ms: now_ms,
            },
        );
        self.remember_verified(id);
        if ready {
            self.advance(signer);
        } else {
            self.park(id, now_ms);
        }
        Ok(())
    }

    /// Parks the pending event `id` (if not parked already), its wait starting at `now_ms`.
    fn park(&mut self, id: EventId, now_ms: u64) {
        let Some(e) = self.by_id.get_mut(&id) else {
            return;
        };
        if self.parked.insert(e.arrival, id).is_none() {
            e.parked_at_ms = now_ms;
            self.parked_since.insert((now_ms, e.arrival), id);
            self.parked_bytes += e.size;
        }
    }

    /// Removes a pending event. A ready event removed while its sequence is still above the
    /// committed one (the contracts refused it without using its number up) opens a gap: its
    /// signer's later events are parked again, from `now_ms`.
    fn remove(&mut self, id: &EventId, now_ms: u64) {
        let Some(e) = self.by_id.remove(id) else {
            return;
        };
        let signer = e.event.body.signer;
        let seq = e.event.body.seq;
        self.by_arrival.remove(&e.arrival);
        self.by_signer_seq.remove(&(signer, seq));
        self.bytes -= e.size;
        if self.parked.remove(&e.arrival).is_some() {
            self.parked_since.remove(&(e.parked_at_ms, e.arrival));
            self.parked_bytes -= e.size;
            return;
        }
        let committed = self.committed(&signer);
        if seq > committed && seq <= self.ready_upto(&signer) {
            let later: Vec<EventId> = self
                .by_signer_seq
                .range((signer, seq + 1)..=(signer, u64::MAX))
                .map(|(_, id)| *id)
                .collect();
            for id in later {
                self.park(id, now_ms);
            }
            if seq - 1 > committed {
                self.ready_to.insert(signer, seq - 1);
            } else {
                self.ready_to.remove(&signer);
            }
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

    /// Records that the block at `height` committed with `events` (each with its signer and the
    /// sequence it used up, 0 for none), seen at `now_ms`: removes them and every pending event
    /// their signers' sequences now make stale, and releases the in-flight marks of blocks at or
    /// below `height` (a block that did not commit there never will).
    pub fn on_commit(&mut self, height: u64, events: &[(EventId, PublicKey, u64)], now_ms: u64) {
        for (id, signer, seq) in events {
            // The sequence first: a removed event whose number is used up opens no gap.
            self.learn_committed_seq(*signer, *seq);
            self.remove(id, now_ms);
            self.inflight.remove(id);
        }
        self.inflight.retain(|_, (h, _)| *h > height);
        let stale: Vec<EventId> = events
            .iter()
            .flat_map(|(_, signer, _)| {
                let committed = self.committed(signer);
                self.by_signer_seq
                    .range((*signer, 0)..=(*signer, committed))
                    .map(|(_, id)| *id)
                    .collect::<Vec<_>>()
            })
            .collect();
        for id in stale {
            self.remove(&id, now_ms);
        }
        let signers: BTreeSet<PublicKey> = events.iter().map(|(_, s, _)| *s).collect();
        for signer in signers {
            self.advance(signer);
        }
    }

    /// Events for a proposal, within the caps: each signer's events in consecutive sequence from
    /// its last committed one (skipping in-flight ones), signers taken in the arrival order of
    /// their next event (the one after the committed sequence).
    ///
    /// Only signers with a ready run are visited, so the cost follows the ready events, not the
    /// pool: a pool full of parked events (after an overload, every device whose sequence
    /// has a gap) used to be scanned whole by every call, and a leader waiting for events calls
    /// this every few milliseconds, which kept a core busy on an idle chain.
    pub fn select(&self, events_max: usize, bytes_max: usize) -> Vec<SignedEvent> {
        let mut signers: Vec<(u64, PublicKey)> = self
            .ready_to
            .keys()
            .filter_map(|signer| {
                let next = self.committed(signer) + 1;
                let id = self.by_signer_seq.get(&(*signer, next))?;
                Some((self.by_id.get(id)?.arrival, *signer))
            })
            .collect();
        signers.sort_unstable();
        let mut out = Vec::new();
        let mut bytes = 0usize;
        'signers: for (_, signer) in signers {
            let mut next = self.committed(&signer) + 1;
            while let Some(id) = self.by_signer_seq.get(&(signer, next)) {
                next += 1;
                if self.inflight.contains_key(id) {
                    continue;
                }
                let Some(e) = self.by_id.get(id) else { break };
                if out.len() >= events_max || bytes + e.size > bytes_max {
                    break 'signers;
                }
                bytes += e.size;
                out.push(e.event.clone());
            }
        }
        out
    }
}

#[cfg(test)]
impl Pool {
    /// Every proposable event by a scan of the whole pool (the definition [`Self::select`]
    /// must meet without caps): each pending signer's run from its committed sequence,
    /// without its in-flight events.
    fn select_by_scan(&self) -> Vec<EventId> {
        let signers: BTreeSet<PublicKey> = self.by_signer_seq.keys().map(|(s, _)| *s).collect();
        let mut out = Vec::new();
        for signer in signers {
            let mut next = self.committed(&signer) + 1;
            while let Some(id) = self.by_signer_seq.get(&(signer, next)) {
                next += 1;
                if !self.inflight.contains_key(id) {
                    out.push(*id);
                }
            }
        }
        out
    }

    /// Recomputes readiness from scratch and checks the incremental bookkeeping against it.
    fn assert_consistent(&self) {
        let mut parked = BTreeMap::new();
        for ((signer, seq), id) in &self.by_signer_seq {
            let committed = self.committed(signer);
            let ready = *seq <= committed
                || (committed + 1..*seq).all(|s| self.by_signer_seq.contains_key(&(*signer, s)));
            if !ready {
                parked.insert(self.by_id[id].arrival, *id);
            }
        }
        // Stale events (at or below the committed sequence) are swept on commit; until then
        // they may sit on either side.
        let fresh = |m: &BTreeMap<u64, EventId>| -> Vec<EventId> {
            m.values()
                .filter(|id| {
                    let b = &self.by_id[*id].event.body;
                    b.seq > self.committed(&b.signer)
                })
                .copied()
                .collect()
        };
        assert_eq!(fresh(&self.parked), fresh(&parked), "parked set");
        let since: BTreeMap<u64, EventId> = self
            .parked_since
            .iter()
            .map(|((at, arrival), id)| {
                assert_eq!(self.by_id[id].parked_at_ms, *at, "parked time");
                (*arrival, *id)
            })
            .collect();
        assert_eq!(since, self.parked, "parked by time");
        assert_eq!(
            self.parked_bytes,
            self.parked
                .values()
                .map(|id| self.by_id[id].size)
                .sum::<usize>()
        );
        assert_eq!(self.by_id.len(), self.by_arrival.len());
        assert_eq!(self.by_id.len(), self.by_signer_seq.len());
        assert_eq!(
            self.bytes,
            self.by_id.values().map(|e| e.size).sum::<usize>()
        );
        assert!(self.by_id.len() <= self.events_max && self.bytes <= self.bytes_max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tests_support::sample_event;
    use proptest::prelude::*;

    fn try_add(pool: &mut Pool, seed: u8, seq: u64) -> Result<EventId, Reject> {
        let e = sample_event(seed, seq);
        let id = e.id();
        let size = e.to_bytes().len();
        pool.insert(e, id, size, 0).map(|()| id)
    }

    fn signer(seed: u8) -> PublicKey {
        sample_event(seed, 1).body.signer
    }

    #[test]
    fn a_full_pool_evicts_parked_events_for_a_ready_one() {
        let mut pool = Pool::new(4, 1 << 20);
        // Signer 1 sent 2..=5 but its 1 was lost: all four wait behind the gap, filling the pool.
        let parked: Vec<EventId> = (2..=5)
            .map(|s| try_add(&mut pool, 1, s).expect("room"))
            .collect();
        assert_eq!(pool.parked(), 4);
        assert!(pool.select(100, 1 << 20).is_empty(), "nothing proposable");
        // Another parked event is refused: evicting for it would gain nothing.
        assert!(matches!(try_add(&mut pool, 2, 7), Err(Reject::Full { .. })));
        // The missing 1 is ready: it evicts the newest parked event (5) and unparks 2..=4.
        let one = try_add(&mut pool, 1, 1).expect("a ready event makes room");
        assert!(!pool.contains(&parked[3]), "newest parked event evicted");
        assert_eq!(pool.evicted(), 1);
        assert_eq!(pool.parked(), 0);
        let ids: Vec<EventId> = pool
            .select(100, 1 << 20)
            .iter()
            .map(SignedEvent::id)
            .collect();
        assert_eq!(ids, vec![one, parked[0], parked[1], parked[2]]);
        // Full of ready events: even a ready event is refused, nothing is evicted.
        assert!(matches!(try_add(&mut pool, 3, 1), Err(Reject::Full { .. })));
        assert_eq!(pool.len(), 4);
        pool.assert_consistent();
    }

    #[test]
    fn the_byte_cap_also_evicts_parked_events() {
        let size = sample_event(1, 1).to_bytes().len();
        let mut pool = Pool::new(100, 3 * size);
        for s in 2..=4 {
            try_add(&mut pool, 1, s).expect("room");
        }
        try_add(&mut pool, 2, 1).expect("evicts one parked event");
        assert_eq!(pool.evicted(), 1);
        assert!(pool.bytes() <= 3 * size);
        pool.assert_consistent();
    }

    #[test]
    fn an_event_refused_without_using_its_number_parks_its_successors() {
        let mut pool = Pool::new(100, 1 << 20);
        let a1 = try_add(&mut pool, 1, 1).expect("room");
        try_add(&mut pool, 1, 2).expect("room");
        try_add(&mut pool, 1, 3).expect("room");
        assert_eq!(pool.parked(), 0);
        // A block carried a1 and the contracts refused it without using sequence 1 up.
        pool.on_commit(1, &[(a1, signer(1), 0)], 0);
        assert_eq!(pool.parked(), 2, "2 and 3 now wait for a new 1");
        assert!(pool.select(100, 1 << 20).is_empty());
        pool.assert_consistent();
        // The signer's 1 may come again (the client re-posts what did not apply).
        try_add(&mut pool, 1, 1).expect("re-admitted");
        assert_eq!(pool.parked(), 0);
        assert_eq!(pool.select(100, 1 << 20).len(), 3);
        pool.assert_consistent();
    }

    /// `Expire`: time passes, then parked events older than the bound are dropped.
    #[derive(Debug, Clone)]
    enum Op {
        Insert { seed: u8, seq: u64 },
        Commit { seed: u8, seq: u64, consumes: bool },
        Learn { seed: u8, seq: u64 },
        Expire { after_ms: u64 },
    }

    /// The gap bound of the property below, ms.
    const GAP_WAIT_MS: u64 = 5;

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1u8..4, 1u64..12).prop_map(|(seed, seq)| Op::Insert { seed, seq }),
            1 => (1u8..4, 1u64..12, any::<bool>())
                .prop_map(|(seed, seq, consumes)| Op::Commit { seed, seq, consumes }),
            1 => (1u8..4, 0u64..8).prop_map(|(seed, seq)| Op::Learn { seed, seq }),
            1 => (0u64..8).prop_map(|after_ms| Op::Expire { after_ms }),
        ]
    }

    proptest! {
        /// Whatever arrives, commits or is refused, the incremental ready/parked bookkeeping
        /// equals its definition, the caps hold, and a selection only carries ready events.
        #[test]
        fn readiness_bookkeeping_matches_its_definition(ops in proptest::collection::vec(op(), 1..60), cap in 3usize..12) {
            let mut pool = Pool::new(cap, 1 << 20);
            let mut height = 0;
            let mut now_ms = 0;
            for op in ops {
                match op {
                    Op::Insert { seed, seq } => {
                        let e = sample_event(seed, seq);
                        let (id, size) = (e.id(), e.to_bytes().len());
                        let _ = pool.insert(e, id, size, now_ms);
                    }
                    Op::Commit { seed, seq, consumes } => {
                        let id = sample_event(seed, seq).id();
                        if pool.contains(&id) {
                            height += 1;
                            pool.on_commit(height, &[(id, signer(seed), if consumes { seq } else { 0 })], now_ms);
                        }
                    }
                    Op::Learn { seed, seq } => pool.learn_committed_seq(signer(seed), seq),
                    Op::Expire { after_ms } => {
                        now_ms += after_ms;
                        let parked_before: HashSet<EventId> = pool.parked.values().copied().collect();
                        for e in pool.expire_parked(now_ms, GAP_WAIT_MS) {
                            // Only parked events that waited longer than the bound are dropped.
                            prop_assert!(parked_before.contains(&e.id));
                            prop_assert!(e.waited_ms > GAP_WAIT_MS);
                            prop_assert!(e.waiting.waits_for_seq() < e.waiting.seq);
                            prop_assert!(!pool.contains(&e.id));
                        }
                        // What stays parked has waited at most the bound.
                        for id in pool.parked.values() {
                            prop_assert!(now_ms - pool.by_id[id].parked_at_ms <= GAP_WAIT_MS);
                        }
                    }
                }
                pool.assert_consistent();
                // Every parked event that is not stale says what it waits for.
                for id in pool.parked.values() {
                    let b = &pool.by_id[id].event.body;
                    if let Some(w) = pool.waiting(id) {
                        prop_assert!(w.waits_for_seq() < b.seq && w.waits_for_seq() > w.committed_seq);
                    } else {
                        prop_assert!(b.seq <= pool.committed(&b.signer), "only a stale event waits for nothing");
                    }
                }
                let parked: HashSet<EventId> = pool.parked.values().copied().collect();
                let selected: Vec<EventId> = pool.select(100, 1 << 20).iter().map(SignedEvent::id).collect();
                for id in &selected {
                    prop_assert!(!parked.contains(id));
                }
                // Everything proposable is selected when the caps allow: the selection from
                // the ready runs equals a scan of the whole pool.
                let mut scanned = pool.select_by_scan();
                let mut got = selected.clone();
                scanned.sort();
                got.sort();
                prop_assert_eq!(got, scanned);
                // Under a cap, a prefix of it.
                let capped: Vec<EventId> = pool.select(2, 1 << 20).iter().map(SignedEvent::id).collect();
                prop_assert_eq!(capped.len(), selected.len().min(2));
                prop_assert!(capped.iter().all(|id| selected.contains(id)));
            }
        }
    }

    fn add(pool: &mut Pool, seed: u8, seq: u64) -> EventId {
        let e = sample_event(seed, seq);
        let id = e.id();
        let size = e.to_bytes().len();
        pool.insert(e, id, size, 0).expect("admitted");
        id
    }

    #[test]
    fn dedupes_by_id_and_sequence() {
        let mut pool = Pool::new(10, 1 << 20);
        add(&mut pool, 1, 1);
        let e = sample_event(1, 1);
        let (id, size) = (e.id(), e.to_bytes().len());
        assert_eq!(pool.insert(e, id, size, 0), Err(Reject::Duplicate(id)));
        pool.learn_committed_seq(sample_event(2, 1).body.signer, 4);
        let e = sample_event(2, 3);
        let (id, size) = (e.id(), e.to_bytes().len());
        assert_eq!(
            pool.insert(e, id, size, 0),
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
            pool.insert(e, id, size, 0),
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
        pool.on_commit(5, &[], 0);
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
        pool.on_commit(1, &[(a1, signer, 2)], 0);
        assert!(!pool.contains(&a1));
        assert!(!pool.contains(&a2), "seq 2 is now stale");
        assert_eq!(pool.len(), 0);
        assert_eq!(pool.bytes(), 0);
    }
}
