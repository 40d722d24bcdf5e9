//! The answer of `GET /v1/events/{id}`: one typed struct per state of the event, told apart by
//! `status`.

use serde::Serialize;
use tradeledger_contracts::{Derived, EventOutcome, Flag, RejectCode, Status};
use tradeledger_types::{EventId, Hash32, PublicKey, SignedEvent};

/// Where an event stands: waiting in the mempool, committed in a block (with its outcome), or
/// refused at admission. Told apart by `status`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EventAnswer {
    /// In the mempool, not yet in a committed block.
    Pending(PendingEvent),
    /// In a committed block; `outcome` says whether the contracts applied or rejected it.
    Committed(Box<CommittedEvent>),
    /// Refused at admission (recently: the node remembers the last 16,384 refusals); it will
    /// never be committed as sent.
    Rejected(RejectedEvent),
}

/// An event waiting in the mempool.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PendingEvent {
    /// The event id.
    #[schema(value_type = Hash32)]
    pub id: EventId,
    /// Present when the event cannot be proposed yet: it waits for an earlier sequence number
    /// of its signer (docs/data-model.md, `seq`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub waiting: Option<WaitingAnswer>,
}

/// What an event waits for: earlier sequence numbers of its signer that are neither committed
/// nor pending at this node (never sent, or refused at submission).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WaitingAnswer {
    /// The signer.
    pub signer: PublicKey,
    /// The event's own sequence number.
    pub seq: u64,
    /// The signer's last committed sequence number.
    pub committed_seq: u64,
    /// The sequence number the event waits for (the lowest missing one).
    pub waits_for_seq: u64,
    /// Missing sequence numbers below `seq`, lowest first (at most 16).
    pub missing_seqs: Vec<u64>,
    /// When the event started waiting (this node's clock, Unix ms).
    pub since_ms: u64,
    /// How long it has waited (or had, when dropped), ms.
    pub waited_ms: u64,
    /// How long this node lets an event wait before dropping it (`mempool_gap_wait_s`), ms.
    pub wait_max_ms: u64,
}

impl WaitingAnswer {
    /// The answer for `w`, which has waited `waited_ms` of at most `wait_max_ms`.
    pub fn new(w: crate::mempool::Waiting, waited_ms: u64, wait_max_ms: u64) -> WaitingAnswer {
        WaitingAnswer {
            signer: w.signer,
            seq: w.seq,
            committed_seq: w.committed_seq,
            waits_for_seq: w.waits_for_seq(),
            missing_seqs: w.missing,
            since_ms: w.since_ms,
            waited_ms,
            wait_max_ms,
        }
    }
}

/// Whether the contracts applied a committed event.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// The event changed the state.
    Applied,
    /// The event changed nothing (it stays in its block so auditors see the attempt);
    /// `reject_code` and `reason` say why.
    Rejected,
}

/// A committed event with its outcome.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommittedEvent {
    /// The event id.
    #[schema(value_type = Hash32)]
    pub id: EventId,
    /// Height of the block that holds it.
    pub height: u64,
    /// Its position in that block (0-based).
    pub index: u32,
    /// Hash of that block.
    pub block_hash: Hash32,
    /// The event as signed.
    pub event: SignedEvent,
    /// Applied or rejected by the contracts.
    pub outcome: Applied,
    /// The contracts' rejection code, when `outcome` is `rejected`.
    #[schema(required = true)]
    pub reject_code: Option<RejectCode>,
    /// The rejection's detail, when `outcome` is `rejected`.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// The flags the event raised (or raised in severity): the `flag` of each `flag` record.
    pub flags: Vec<Flag>,
    /// Every record derived from the event (flags, verdicts, lane changes, ...).
    pub records: Vec<Derived>,
}

/// An event refused at admission, or dropped after waiting behind a sequence gap
/// (`sequence_gap`). It used up no sequence number.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RejectedEvent {
    /// The event id.
    #[schema(value_type = Hash32)]
    pub id: EventId,
    /// The stable code of the refusal, as `error` of the submission's answer
    /// (`invalid_payload`, `role_not_allowed`, `sequence_gap`, ...).
    pub reject_code: &'static str,
    /// What was wrong.
    pub reason: String,
    /// For `sequence_gap`: what the event waited for, and how long.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub waiting: Option<WaitingAnswer>,
}

impl CommittedEvent {
    /// The answer for a committed event at `height`, `index` of block `block_hash`.
    pub fn new(
        id: EventId,
        height: u64,
        index: u32,
        block_hash: Hash32,
        event: SignedEvent,
        outcome: EventOutcome,
    ) -> Self {
        let (applied, reject_code, reason) = match outcome.status {
            Status::Applied => (Applied::Applied, None, None),
            Status::Rejected(r) => (Applied::Rejected, Some(r.code), Some(r.detail)),
        };
        let flags = outcome
            .records
            .iter()
            .filter_map(|r| match r {
                Derived::Flag { flag, .. } => Some(flag.clone()),
                _ => None,
            })
            .collect();
        CommittedEvent {
            id,
            height,
            index,
            block_hash,
            event,
            outcome: applied,
            reject_code,
            reason,
            flags,
            records: outcome.records,
        }
    }
}
