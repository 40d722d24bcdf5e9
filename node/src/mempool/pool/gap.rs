//! What a parked event waits for, and the bound on how long it may wait.
//!
//! A signer's sequence has a gap when an earlier number is neither committed nor pending here:
//! the client never sent it, or it was refused at submission (a refusal uses up no number, see
//! `seq` in docs/data-model.md) and the client went on with the next one. Nothing but that
//! number can close the gap, so an event behind it says which number it waits for, and after
//! the node's bound (`mempool_gap_wait_s`) it is dropped and reported as `sequence_gap`
//! instead of staying pending for ever. The bound is node-local policy, not consensus: each
//! validator applies its own, at its own time, passed in as `now_ms`.

use super::Pool;
use tradeledger_types::{EventId, PublicKey};

/// Most missing sequence numbers a [`Waiting`] lists.
pub const MISSING_LISTED_MAX: usize = 16;
/// Most pending sequences looked at while listing the missing ones (a signer may queue up to
/// [`super::SEQUENCE_WINDOW`] events; the list is cut short rather than scanning them all).
const MISSING_SCAN_MAX: usize = 1_024;
/// Most parked events one [`Pool::expire_parked`] call drops (the caller holds the mempool's
/// lock; the rest go at its next call).
pub const EXPIRED_PER_CALL_MAX: usize = 4_096;

/// Why a pending event cannot be proposed yet: earlier sequence numbers of its signer are
/// neither committed nor pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The event's signer.
    pub signer: PublicKey,
    /// The event's own sequence number.
    pub seq: u64,
    /// The signer's last committed sequence number, as this node knows it.
    pub committed_seq: u64,
    /// Missing sequence numbers below `seq`, lowest first; the first is the one the event waits
    /// for. At most [`MISSING_LISTED_MAX`], and possibly fewer than are missing.
    pub missing: Vec<u64>,
    /// When the event started waiting (this node's clock, Unix ms).
    pub since_ms: u64,
}

impl Waiting {
    /// The sequence number the event waits for: the lowest missing one.
    pub fn waits_for_seq(&self) -> u64 {
        self.missing
            .first()
            .copied()
            .unwrap_or(self.committed_seq.saturating_add(1))
    }
}

/// A parked event dropped because it waited longer than the bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapExpired {
    /// The event.
    pub id: EventId,
    /// What it waited for when it was dropped.
    pub waiting: Waiting,
    /// How long it waited, ms.
    pub waited_ms: u64,
}

impl Pool {
    /// What the pending event `id` waits for; `None` when it is not parked (absent, or ready to
    /// be proposed) or is stale (its number was used up meanwhile: it goes at its signer's next
    /// commit).
    pub fn waiting(&self, id: &EventId) -> Option<Waiting> {
        let e = self.by_id.get(id)?;
        if !self.parked.contains_key(&e.arrival) {
            return None;
        }
        let signer = e.event.body.signer;
        let seq = e.event.body.seq;
        let first = self.ready_upto(&signer).saturating_add(1);
        // Found by the readiness property: a committed sequence learnt from storage (not from a
        // commit, which sweeps) can pass a parked event, and the range below would be empty
        // the wrong way round.
        if seq <= first {
            return None;
        }
        let mut missing = Vec::new();
        let mut next = first;
        for (scanned, ((_, pending), _)) in self
            .by_signer_seq
            .range((signer, first)..(signer, seq))
            .enumerate()
        {
            if missing.len() >= MISSING_LISTED_MAX || scanned >= MISSING_SCAN_MAX {
                break;
            }
            missing.extend((next..*pending).take(MISSING_LISTED_MAX - missing.len()));
            next = pending.saturating_add(1);
        }
        if missing.len() < MISSING_LISTED_MAX && next < seq {
            missing.extend((next..seq).take(MISSING_LISTED_MAX - missing.len()));
        }
        Some(Waiting {
            signer,
            seq,
            committed_seq: self.committed(&signer),
            missing,
            since_ms: e.parked_at_ms,
        })
    }

    /// Drops the parked events that have waited more than `wait_ms_max` at `now_ms`, oldest
    /// wait first (at most [`EXPIRED_PER_CALL_MAX`]), and says what each waited for. Stale
    /// ones (their number used up meanwhile, see [`Self::waiting`]) are dropped unreported:
    /// they wait for nothing, and their signer's next commit would sweep them anyway.
    ///
    /// Dropping a parked event opens no gap (nothing after it was ready because of it), so the
    /// signer's ready events stay proposable.
    pub fn expire_parked(&mut self, now_ms: u64, wait_ms_max: u64) -> Vec<GapExpired> {
        let due: Vec<(EventId, u64)> = self
            .parked_since
            .iter()
            .take_while(|((at, _), _)| now_ms.saturating_sub(*at) > wait_ms_max)
            .take(EXPIRED_PER_CALL_MAX)
            .map(|((at, _), id)| (*id, now_ms.saturating_sub(*at)))
            .collect();
        // Described before any is removed: each names the gap as it stood while it waited.
        let mut expired = Vec::with_capacity(due.len());
        let mut stale = Vec::new();
        for (id, waited_ms) in due {
            match self.waiting(&id) {
                Some(waiting) => expired.push(GapExpired {
                    id,
                    waiting,
                    waited_ms,
                }),
                None => stale.push(id),
            }
        }
        for id in expired.iter().map(|e| &e.id).chain(&stale) {
            self.remove(id, now_ms);
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tests_support::sample_event;

    fn add(pool: &mut Pool, seed: u8, seq: u64, now_ms: u64) -> EventId {
        let e = sample_event(seed, seq);
        let id = e.id();
        let size = e.to_bytes().len();
        pool.insert(e, id, size, now_ms).expect("admitted");
        id
    }

    fn signer(seed: u8) -> PublicKey {
        sample_event(seed, 1).body.signer
    }

    /// The scenario of issue 21: sequence 1 was refused at submission (it used up nothing), the
    /// client went on with 2; 2 waits for 1, says so, and is dropped once it waited too long.
    #[test]
    fn a_parked_event_says_what_it_waits_for_and_expires_after_the_bound() {
        let mut pool = Pool::new(100, 1 << 20);
        let two = add(&mut pool, 1, 2, 1_000);
        let waiting = pool.waiting(&two).expect("parked");
        assert_eq!(
            waiting,
            Waiting {
                signer: signer(1),
                seq: 2,
                committed_seq: 0,
                missing: vec![1],
                since_ms: 1_000,
            }
        );
        assert_eq!(waiting.waits_for_seq(), 1);
        // Up to the bound (inclusive) it stays.
        assert!(pool.expire_parked(61_000, 60_000).is_empty());
        assert!(pool.contains(&two));
        // One millisecond more and it is dropped, saying what it waited for and how long.
        let expired = pool.expire_parked(61_001, 60_000);
        assert_eq!(
            expired,
            vec![GapExpired {
                id: two,
                waiting,
                waited_ms: 60_001,
            }]
        );
        assert!(!pool.contains(&two));
        assert_eq!(pool.parked(), 0);
        pool.assert_consistent();
    }

    #[test]
    fn ready_events_never_expire_and_the_wait_restarts_when_a_gap_reopens() {
        let mut pool = Pool::new(100, 1 << 20);
        let a1 = add(&mut pool, 1, 1, 0);
        let a2 = add(&mut pool, 1, 2, 0);
        assert_eq!(pool.waiting(&a1), None, "ready: not waiting");
        assert!(pool.expire_parked(1_000_000, 60_000).is_empty());
        // A block refuses a1 without using its number up (an envelope rejection) at 500 s: a2
        // now waits for 1, from then.
        pool.on_commit(1, &[(a1, signer(1), 0)], 500_000);
        let w = pool.waiting(&a2).expect("parked behind the reopened gap");
        assert_eq!((w.missing.clone(), w.since_ms), (vec![1], 500_000));
        assert!(pool.expire_parked(560_000, 60_000).is_empty());
        assert_eq!(pool.expire_parked(560_001, 60_000).len(), 1);
        pool.assert_consistent();
    }

    #[test]
    fn expiry_takes_the_oldest_waits_and_lists_every_missing_number() {
        let mut pool = Pool::new(100, 1 << 20);
        // Signer 1 is missing 1, 3 and 5..=6; signer 2 is missing 1.
        let s1_4 = add(&mut pool, 1, 4, 10);
        let s1_2 = add(&mut pool, 1, 2, 20);
        let s1_7 = add(&mut pool, 1, 7, 30);
        let s2_2 = add(&mut pool, 2, 2, 40);
        assert_eq!(
            pool.waiting(&s1_7).expect("parked").missing,
            vec![1, 3, 5, 6]
        );
        assert_eq!(pool.waiting(&s1_4).expect("parked").missing, vec![1, 3]);
        let expired: Vec<EventId> = pool
            .expire_parked(25 + 100, 100)
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(
            expired,
            vec![s1_4, s1_2],
            "waits older than 100 ms, oldest first"
        );
        assert_eq!(
            pool.waiting(&s1_7).expect("parked").missing,
            vec![1, 2, 3, 4, 5, 6]
        );
        // The missing 1 arrives: signer 2 is unaffected, signer 1's 7 still waits for 2.
        add(&mut pool, 1, 1, 200);
        assert_eq!(pool.waiting(&s1_7).expect("parked").waits_for_seq(), 2);
        assert!(pool.waiting(&s2_2).is_some());
        pool.assert_consistent();
    }

    #[test]
    fn the_missing_list_is_bounded() {
        let mut pool = Pool::new(100, 1 << 20);
        let far = add(&mut pool, 1, 1_000, 0);
        let w = pool.waiting(&far).expect("parked");
        assert_eq!(
            w.missing,
            (1..=MISSING_LISTED_MAX as u64).collect::<Vec<_>>()
        );
        assert_eq!(w.waits_for_seq(), 1);
    }
}
