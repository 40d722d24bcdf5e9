//! Online-or-spool delivery: every signed event goes through the durable [`Spool`] first and
//! is posted at once when the node is reachable; when it is not, events wait in the spool and a
//! drain with capped exponential backoff delivers them, in order, when the node is back.
//!
//! Why the spool is written first even when online: the node refuses gaps and replays in a
//! signer's sequence. An event signed but not yet known to the node must survive a crash, or
//! its sequence number would leave a gap that blocks the key; an event posted but not yet
//! recorded could be signed again with the same number. Spooling first (fsynced), then storing
//! the signer's sequence file, then posting closes both holes; a record re-posted after a crash
//! carries the same bytes and id, which the node answers with 409 (counted as delivered). The
//! cost is one fsync per event.
//!
//! A record the node refuses for good (4xx other than 409: bad signature, wrong chain, invalid
//! payload) would block everything behind it. It is moved to `rejected.jsonl` in the spool
//! directory (id, index, reason and the event bytes as hex), acknowledged, and reported in
//! [`DrainReport::rejected`]; delivery goes on with the next record.
//!
//! Known limitation: a refusal at submission uses up no sequence number (docs/data-model.md,
//! `seq`), and the records behind a refused one were signed with the numbers after it, so the
//! node parks them behind the gap and drops them as `sequence_gap` after `mempool_gap_wait_s`.
//! Re-signing the records behind a refusal (which needs the signer here) is the fix, not built
//! yet.

use crate::client::ClientError;
use crate::spool::{Spool, SpoolError, Submit};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tradeledger_types::{EventId, SignedEvent};

/// Tells a transient failure (retry later) from a refusal (retrying cannot help).
pub trait Transient {
    /// True when the same submission may succeed later (node unreachable, overloaded).
    fn is_transient(&self) -> bool;
}

impl Transient for ClientError {
    fn is_transient(&self) -> bool {
        ClientError::is_transient(self)
    }
}

impl Transient for std::convert::Infallible {
    fn is_transient(&self) -> bool {
        match *self {}
    }
}

/// Capped exponential backoff between drain attempts while the node is unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first failure.
    pub initial: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Default for Backoff {
    /// 200 ms, doubling up to 30 s.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(30),
        }
    }
}

/// A record the node refused for good, moved out of the queue to `rejected.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRecord {
    /// Global spool index of the record.
    pub index: u64,
    /// The event id.
    pub id: EventId,
    /// The node's reason.
    pub reason: String,
}

/// What a drain (or a send) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Records delivered (accepted, or already known to the node).
    pub delivered: usize,
    /// Records refused for good and set aside.
    pub rejected: Vec<RejectedRecord>,
    /// Records still waiting.
    pub pending: u64,
    /// Set when the drain stopped because the node is unreachable: the transport's message.
    pub offline: Option<String>,
}

/// The spool plus a transport: see the module docs.
#[derive(Debug)]
pub struct Delivery<S> {
    spool: Spool,
    transport: S,
    backoff: Backoff,
    delay: Duration,
    next_attempt: Option<Instant>,
    rejected_path: PathBuf,
    acked_since_compact: u64,
}

/// Delivered records after which the spool log is compacted.
const COMPACT_EVERY: u64 = 256;

impl<S> Delivery<S>
where
    S: Submit,
    S::Error: Transient + std::fmt::Display,
{
    /// Delivery through `transport` of the spool opened at `dir` (created if missing).
    pub fn open(dir: impl Into<PathBuf>, transport: S) -> Result<Self, SpoolError> {
        let dir = dir.into();
        let spool = Spool::open(&dir)?;
        let backoff = Backoff::default();
        Ok(Delivery {
            spool,
            transport,
            backoff,
            delay: backoff.initial,
            next_attempt: None,
            rejected_path: dir.join("rejected.jsonl"),
            acked_since_compact: 0,
        })
    }

    /// The same delivery with another backoff.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self.delay = backoff.initial;
        self
    }

    /// The spool (to restore a signer from it, or inspect it).
    pub fn spool_mut(&mut self) -> &mut Spool {
        &mut self.spool
    }

    /// The transport.
    pub fn transport(&self) -> &S {
        &self.transport
    }

    /// Records waiting for the node.
    pub fn pending(&self) -> u64 {
        self.spool.pending()
    }

    /// When the next drain is due while the node is unreachable (`None`: now).
    pub fn next_attempt(&self) -> Option<Instant> {
        self.next_attempt
    }

    /// True when a drain may run now (no backoff in force).
    pub fn is_due(&self) -> bool {
        self.next_attempt.is_none_or(|t| Instant::now() >= t)
    }

    /// Spools `event` durably, then delivers the queue if no backoff is in force. On return
    /// the event is either at the node or in the spool (`pending` says which); store the
    /// signer's next sequence number after this returns `Ok`.
    pub fn send(&mut self, event: &SignedEvent) -> Result<DrainReport, SpoolError> {
        self.spool.append(event)?;
        if self.is_due() {
            self.drain()
        } else {
            Ok(self.report(DrainReport::default()))
        }
    }

    /// Delivers pending records in order until the queue is empty or the node is unreachable
    /// (then backs off: see [`Self::next_attempt`]). Ignores any backoff in force.
    pub fn drain(&mut self) -> Result<DrainReport, SpoolError> {
        let mut report = DrainReport::default();
        while let Some(rec) = self.spool.peek()? {
            match self.transport.submit(&rec) {
                Ok(()) => report.delivered += 1,
                Err(e) if e.is_transient() => {
                    report.offline = Some(e.to_string());
                    self.next_attempt = Some(Instant::now() + self.delay);
                    self.delay = (self.delay * 2).min(self.backoff.max);
                    return Ok(self.report(report));
                }
                Err(e) => {
                    let rejected = RejectedRecord {
                        index: rec.index,
                        id: rec.id,
                        reason: e.to_string(),
                    };
                    self.set_aside(&rejected, &rec.bytes)?;
                    report.rejected.push(rejected);
                }
            }
            self.spool.ack(rec.index)?;
            self.acked_since_compact += 1;
        }
        self.next_attempt = None;
        self.delay = self.backoff.initial;
        if self.acked_since_compact >= COMPACT_EVERY {
            self.spool.compact()?;
            self.acked_since_compact = 0;
        }
        Ok(self.report(report))
    }

    /// Drains, sleeping through backoffs, until the queue is empty or `within` has passed.
    /// Returns the combined report (with `offline` set if records are still waiting).
    pub fn drain_blocking(&mut self, within: Duration) -> Result<DrainReport, SpoolError> {
        let deadline = Instant::now() + within;
        let mut total = DrainReport::default();
        loop {
            if let Some(t) = self.next_attempt {
                let now = Instant::now();
                if t > now {
                    std::thread::sleep(t.min(deadline).saturating_duration_since(now));
                }
            }
            let r = self.drain()?;
            total.delivered += r.delivered;
            total.rejected.extend(r.rejected);
            total.offline = r.offline;
            total.pending = r.pending;
            if r.pending == 0 || Instant::now() >= deadline {
                return Ok(total);
            }
        }
    }

    fn report(&self, mut r: DrainReport) -> DrainReport {
        r.pending = self.spool.pending();
        r
    }

    fn set_aside(&self, rejected: &RejectedRecord, bytes: &[u8]) -> Result<(), SpoolError> {
        let line = serde_json::json!({
            "index": rejected.index,
            "id": rejected.id.to_string(),
            "reason": rejected.reason,
            "bytes_hex": hex::encode(bytes),
        });
        let io = |source| SpoolError::Io {
            path: self.rejected_path.clone(),
            source,
        };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.rejected_path)
            .map_err(io)?;
        writeln!(f, "{line}").map_err(io)?;
        f.sync_data().map_err(io)
    }
}
