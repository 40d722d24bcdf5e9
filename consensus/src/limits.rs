//! Bounds on everything a peer can make the core hold or do.

/// How many rounds ahead of the current round a vote or timeout may be and still be kept.
pub const ROUND_WINDOW: u64 = 20;
/// Most blocks in one sync response.
pub const SYNC_BLOCKS_MAX: usize = 64;
/// Most bytes of blocks (canonical encoding) in one sync response, beyond its first block: half
/// the largest message a node accepts, so the answer and its certificate always fit.
pub const SYNC_RESPONSE_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Most proposals waiting for a missing parent.
pub const PENDING_PROPOSALS_MAX: usize = 16;
/// Most proposals awaiting the node's validation answer.
pub const VALIDATING_MAX: usize = 16;
/// Distinct proposals accepted for validation per round (a second one is equivocation evidence
/// kept only so the safety rules, not the network layer, decide what to sign).
pub const PROPOSALS_PER_ROUND_MAX: usize = 2;
/// Committed blocks kept in memory to serve peers that sync.
pub const COMMITTED_WINDOW_BLOCKS: usize = 1024;
/// Cap on the count of consecutive failed rounds used for the timeout growth.
pub const CONSECUTIVE_FAILURES_MAX: u32 = 64;
/// Most verified certificates remembered (so a QC seen again is not re-verified).
pub const VERIFIED_QC_CACHE_MAX: usize = 256;
