//! The fuzzer's script: what the three scripted peers and the node's clock, timers, mempool and
//! validator do next. Indices choose among what the harness knows (blocks, certificates, the
//! core's own messages) modulo their count, so almost every byte string is a meaningful script.

use arbitrary::Arbitrary;

/// One step of a script.
#[derive(Debug, Clone, Arbitrary)]
pub enum Step {
    /// The node's clock advances by `ms`.
    Tick {
        /// Milliseconds.
        ms: u16,
    },
    /// A round timer fires: the current round, or up to two rounds back (stale).
    TimerExpires {
        /// Rounds back from the current one.
        back: u8,
    },
    /// A peer proposes a block on a certified parent, signed by the round's leader when that
    /// is a peer (by another peer otherwise, which the core must drop).
    Propose {
        /// Which certified block to extend.
        parent: u8,
        /// Rounds beyond the one that follows the parent's QC (0 = the direct successor).
        skip: u8,
        /// Attach a TC for the round before (needed when `skip > 0`).
        with_tc: bool,
        /// Block time beyond max(parent time, now), in ms (may exceed the allowed drift).
        ahead_ms: u16,
        /// Signer when the leader is the core itself.
        signer: u8,
    },
    /// A peer votes for a known block.
    Vote {
        /// The voter (a peer).
        voter: u8,
        /// The block.
        block: u8,
    },
    /// The three peers form a QC on a known block (used by later proposals, timeouts, syncs).
    Certify {
        /// The block.
        block: u8,
    },
    /// A peer times out near the core's round, reporting a known QC.
    Timeout {
        /// The sender (a peer).
        sender: u8,
        /// Round offset: core round − 1 + (offset mod 4).
        offset: u8,
        /// Which known QC to report as high QC.
        high_qc: u8,
        /// Attach a TC for the round before.
        with_tc: bool,
    },
    /// A peer asks the core for blocks up to a known one.
    SyncRequest {
        /// The sender (a peer).
        sender: u8,
        /// The target block.
        block: u8,
        /// The committed height the peer claims.
        committed_height: u8,
    },
    /// A peer sends a chain of known blocks ending at one, with or without its QC.
    SyncResponse {
        /// The sender (a peer).
        sender: u8,
        /// The last block.
        block: u8,
        /// How many ancestors to include (mod 8).
        len: u8,
        /// Attach the QC on the last block if the peers hold one.
        with_qc: bool,
    },
    /// The node answers the core's last payload request (or a stale one).
    Payload {
        /// Answer for the wrong round.
        stale: bool,
    },
    /// The node answers a validation request (or asks about another known block).
    Validated {
        /// Which pending request (or known block).
        which: u8,
        /// The answer.
        valid: bool,
    },
    /// A peer sends back one of the core's own messages.
    Replay {
        /// The sender (a peer).
        sender: u8,
        /// Which message.
        which: u8,
    },
    /// A peer sends arbitrary bytes, delivered if they decode as a consensus message.
    Raw {
        /// The sender (a peer).
        sender: u8,
        /// Canonical CBOR, or not.
        bytes: Vec<u8>,
    },
}
