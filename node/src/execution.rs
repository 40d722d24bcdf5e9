//! Execution of blocks through `contracts`, over RocksDB.
//!
//! The lagged roots: the header at height h carries the state root after executing up to
//! h − 1 and the results root of h − 1 (for h = 1: the genesis state root and the results root
//! of no outcomes). Under the 2-chain rule the parent of a proposal is usually certified but not
//! yet committed, so the node executes such blocks *speculatively*: each block's own writes are
//! kept in memory above the committed state until it commits (then written in its commit batch)
//! or is abandoned (then dropped). Execution is deterministic, so executing a block once,
//! speculatively, gives exactly the writes and roots its commit needs.

use crate::storage::{BlockResultRecord, StorageError, Store};
use std::collections::{BTreeMap, HashMap};
use tradeledger_contracts::{BlockResults, ExecError, StoreError};
use tradeledger_types::{Block, EventId, Genesis, Hash32};

/// Writes of one block: `Some(value)` to set, `None` to delete.
pub type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// The contracts' view of state: committed state in RocksDB, then the writes of the given
/// uncommitted ancestors (oldest first), then this block's own writes.
pub struct OverlayState<'a> {
    store: &'a Store,
    below: Vec<&'a Writes>,
    own: Writes,
}

fn store_err(e: StorageError) -> StoreError {
    StoreError {
        message: e.to_string(),
    }
}

impl<'a> OverlayState<'a> {
    /// A view of the committed state with `below` applied on top (oldest first).
    pub fn new(store: &'a Store, below: Vec<&'a Writes>) -> Self {
        OverlayState {
            store,
            below,
            own: Writes::new(),
        }
    }

    /// The writes made through this view.
    pub fn into_writes(self) -> Writes {
        self.own
    }

    fn layers(&self) -> impl Iterator<Item = &Writes> {
        self.below.iter().copied().chain(std::iter::once(&self.own))
    }
}

impl tradeledger_contracts::Store for OverlayState<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        for layer in self.layers().collect::<Vec<_>>().into_iter().rev() {
            if let Some(v) = layer.get(key) {
                return Ok(v.clone());
            }
        }
        self.store.state_get(key).map_err(store_err)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.own.insert(key.to_vec(), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.own.insert(key.to_vec(), None);
        Ok(())
    }

    fn scan_prefix(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        // Merge: overlay entries in range replace or hide committed ones. Each hidden committed
        // entry is made up for by fetching one more from RocksDB.
        let in_range =
            |k: &Vec<u8>| k.starts_with(prefix) && after.is_none_or(|a| k.as_slice() > a);
        let mut merged: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for layer in self.layers() {
            let start = after.map_or_else(|| prefix.to_vec(), <[u8]>::to_vec);
            for (k, v) in layer
                .range(start..)
                .take_while(|(k, _)| k.starts_with(prefix))
            {
                if in_range(k) {
                    merged.insert(k.clone(), v.clone());
                }
            }
        }
        let hidden = merged.values().filter(|v| v.is_none()).count();
        let committed = self
            .store
            .state_scan(prefix, after, limit.saturating_add(hidden))
            .map_err(store_err)?;
        let mut out: BTreeMap<Vec<u8>, Vec<u8>> = committed.into_iter().collect();
        for (k, v) in merged {
            match v {
                Some(v) => {
                    out.insert(k, v);
                }
                None => {
                    out.remove(&k);
                }
            }
        }
        Ok(out.into_iter().take(limit).collect())
    }
}

/// Why the node must stop rather than go on.
#[derive(Debug, thiserror::Error)]
pub enum Halt {
    /// Storage failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// The contracts could not execute a block (storage failure or foreign state).
    #[error("execution of block {height}: {source}")]
    Execution {
        /// Height.
        height: u64,
        /// Cause.
        source: ExecError,
    },
    /// A block's header carries roots that differ from ours: this node's state diverges from
    /// the quorum that certified the block.
    #[error("{0}")]
    RootMismatch(Box<RootMismatch>),
    /// A committed block's parent is not the committed tip.
    #[error("commit of height {height} does not extend the committed tip {tip}")]
    NotExtendingTip {
        /// Height.
        height: u64,
        /// Tip hash.
        tip: Hash32,
    },
}

/// The roots a header carries and the ones this node computed.
#[derive(Debug, thiserror::Error)]
#[error(
    "state root mismatch at height {height}: header says state {header_state} / results {header_results}, \
     this node computed state {ours_state} / results {ours_results} for height {parent_height}"
)]
pub struct RootMismatch {
    /// Height of the block whose header disagrees.
    pub height: u64,
    /// Height whose roots it carries.
    pub parent_height: u64,
    /// State root in the header.
    pub header_state: Hash32,
    /// Results root in the header.
    pub header_results: Hash32,
    /// Our state root.
    pub ours_state: Hash32,
    /// Our results root.
    pub ours_results: Hash32,
}

/// A block executed on top of its ancestors.
#[derive(Debug, Clone)]
pub struct Executed {
    /// Its height.
    pub height: u64,
    /// Its parent's hash.
    pub parent: Hash32,
    /// Its own writes.
    pub writes: Writes,
    /// Outcomes and roots.
    pub results: BlockResults,
}

/// Most blocks above the committed tip remembered (proposals, sync responses).
const SEEN_BLOCKS_MAX: usize = 4096;

/// Executes blocks and answers "what are the roots after block X".
pub struct Executor {
    store: Store,
    genesis_hash: Hash32,
    tip: (u64, Hash32),
    seen: HashMap<Hash32, Remembered>,
    executed: HashMap<Hash32, Executed>,
}

/// A block above the committed tip with its event ids, computed once: proposals, votes and
/// the leader's payload walk the uncommitted chain's ids many times per round.
#[derive(Debug)]
struct Remembered {
    block: Block,
    ids: Vec<EventId>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Executor(tip={:?}, seen={}, executed={})",
            self.tip,
            self.seen.len(),
            self.executed.len()
        )
    }
}

/// The roots recorded for "height 0": the genesis state, and the results root of no outcomes.
pub fn genesis_results_root() -> Hash32 {
    tradeledger_contracts::results_root(&[])
}

impl Executor {
    /// Opens the executor, writing the genesis state on first start. Blocking.
    pub fn open(store: Store, genesis: &Genesis) -> Result<Executor, Halt> {
        let genesis_hash = genesis.hash();
        if store.block_result(0)?.is_none() {
            let mut view = OverlayState::new(&store, Vec::new());
            let root = tradeledger_contracts::init_genesis(&mut view, genesis)
                .map_err(|source| Halt::Execution { height: 0, source })?;
            let writes: Vec<_> = view.into_writes().into_iter().collect();
            store.init_genesis_state(
                &writes,
                BlockResultRecord {
                    state_root: root,
                    results_root: genesis_results_root(),
                },
            )?;
            tracing::info!(state_root = %root, "genesis state written");
        }
        let height = store.committed_height()?;
        let tip_hash = match height {
            0 => genesis_hash,
            h => store
                .block(h)?
                .ok_or(StorageError::Corrupt {
                    what: "tip block",
                    cf: "blocks",
                    detail: format!("height {h} missing"),
                })?
                .hash(),
        };
        Ok(Executor {
            store,
            genesis_hash,
            tip: (height, tip_hash),
            seen: HashMap::new(),
            executed: HashMap::new(),
        })
    }

    /// The committed tip (height, hash).
    pub fn tip(&self) -> (u64, Hash32) {
        self.tip
    }

    /// The genesis hash.
    pub fn genesis_hash(&self) -> Hash32 {
        self.genesis_hash
    }

    /// Remembers a block seen above the committed tip (a proposal or a synced block), unless
    /// its events do not match its header: the hash covers only the header, so a block with
    /// other events under the same hash must never stand in for the real one. The first copy
    /// that matches is kept (any other that matches holds the very same events).
    pub fn remember(&mut self, block: Block) {
        // Checked first so that a block not kept costs no id computation.
        if let Some(hash) = self.would_remember(&block) {
            let ids = block.event_ids();
            self.keep(hash, block, ids);
        }
    }

    /// [`Self::remember`] for a caller that already computed `block`'s event ids from this very
    /// copy (the consensus core does, checking a proposal's shape). The ids are still checked
    /// against the header (a Merkle root over them, far cheaper than encoding the events).
    pub fn remember_with_ids(&mut self, block: Block, ids: Vec<EventId>) {
        if let Some(hash) = self.would_remember(&block) {
            self.keep(hash, block, ids);
        }
    }

    /// The hash of `block` when it is above the tip, not yet remembered, and there is room.
    fn would_remember(&self, block: &Block) -> Option<Hash32> {
        if block.header.height <= self.tip.0 || self.seen.len() >= SEEN_BLOCKS_MAX {
            return None;
        }
        let hash = block.hash();
        (!self.seen.contains_key(&hash)).then_some(hash)
    }

    /// Keeps `block` under `hash` if `ids` match its header.
    fn keep(&mut self, hash: Hash32, block: Block, ids: Vec<EventId>) {
        if block.ids_match_header(&ids) {
            self.seen.insert(hash, Remembered { block, ids });
        }
    }

    /// A remembered block.
    pub fn seen(&self, hash: &Hash32) -> Option<&Block> {
        self.seen.get(hash).map(|r| &r.block)
    }

    /// The event ids of a remembered block, in block order.
    pub fn seen_ids(&self, hash: &Hash32) -> Option<&[EventId]> {
        self.seen.get(hash).map(|r| r.ids.as_slice())
    }

    /// Ids of the events in the remembered uncommitted ancestors of `parent` (itself included):
    /// a proposal extending `parent` must not carry them again, however long ago they were
    /// proposed.
    pub fn uncommitted_ancestor_events(
        &self,
        parent: &Hash32,
    ) -> std::collections::HashSet<EventId> {
        let mut out = std::collections::HashSet::new();
        let mut cursor = *parent;
        while cursor != self.tip.1 {
            let Some(r) = self.seen.get(&cursor) else {
                break;
            };
            if r.block.header.height <= self.tip.0 {
                break;
            }
            out.extend(r.ids.iter().copied());
            cursor = r.block.header.parent_hash;
        }
        out
    }

    /// True when a remembered uncommitted ancestor of `parent` (itself included) holds one of
    /// `ids`: a proposal must not repeat an event its own chain already carries.
    pub fn ancestors_hold_any(
        &self,
        parent: &Hash32,
        ids: &std::collections::HashSet<EventId>,
    ) -> bool {
        let mut cursor = *parent;
        while cursor != self.tip.1 {
            let Some(r) = self.seen.get(&cursor) else {
                return false;
            };
            if r.block.header.height <= self.tip.0 {
                return false;
            }
            if r.ids.iter().any(|id| ids.contains(id)) {
                return true;
            }
            cursor = r.block.header.parent_hash;
        }
        false
    }

    /// The roots after the block `hash` (committed, or executed speculatively on top of its
    /// remembered ancestors). `None` when the block or one of its ancestors is unknown.
    pub fn roots_after(&mut self, hash: &Hash32) -> Result<Option<BlockResultRecord>, Halt> {
        if *hash == self.genesis_hash {
            return Ok(self.store.block_result(0)?);
        }
        if let Some(h) = self.store.height_of(hash)? {
            return Ok(self.store.block_result(h)?);
        }
        Ok(self.execute_speculative(hash)?.map(|e| BlockResultRecord {
            state_root: e.results.state_root,
            results_root: e.results.results_root,
        }))
    }

    /// Executes `hash` and its uncommitted ancestors (each once). `None` if one is unknown.
    pub fn execute_speculative(&mut self, hash: &Hash32) -> Result<Option<&Executed>, Halt> {
        let mut chain = Vec::new();
        let mut cursor = *hash;
        while cursor != self.tip.1 {
            if self.executed.contains_key(&cursor) && chain.is_empty() {
                break;
            }
            let Some(block) = self.seen(&cursor) else {
                return Ok(None);
            };
            if block.header.height <= self.tip.0 {
                return Ok(None); // on a branch that conflicts with the committed chain
            }
            chain.push(cursor);
            cursor = block.header.parent_hash;
        }
        chain.reverse();
        for (i, h) in chain.iter().enumerate() {
            if self.executed.contains_key(h) {
                continue;
            }
            // Borrowed field by field (no copy of the block): the remembered block and its
            // ids, the executions below it, the store.
            let r = self.seen.get(h).expect("walked above");
            let below: Vec<&Writes> = chain[..i]
                .iter()
                .filter_map(|a| self.executed.get(a).map(|e| &e.writes))
                .collect();
            let mut view = OverlayState::new(&self.store, below);
            let header = &r.block.header;
            let results =
                tradeledger_contracts::execute_block_with_ids(&mut view, &r.block, &r.ids)
                    .map_err(|source| Halt::Execution {
                        height: header.height,
                        source,
                    })?;
            let writes = view.into_writes();
            let executed = Executed {
                height: header.height,
                parent: header.parent_hash,
                writes,
                results,
            };
            self.executed.insert(*h, executed);
        }
        Ok(self.executed.get(hash))
    }

    /// Checks a block's lagged roots against ours for its parent. `Ok(None)` when the parent
    /// cannot be executed here (unknown ancestors).
    pub fn check_header_roots(&mut self, block: &Block) -> Result<Option<Result<(), Halt>>, Halt> {
        let h = &block.header;
        let Some(ours) = self.roots_after(&h.parent_hash)? else {
            return Ok(None);
        };
        if ours.state_root == h.state_root && ours.results_root == h.results_root {
            return Ok(Some(Ok(())));
        }
        Ok(Some(Err(Halt::RootMismatch(Box::new(RootMismatch {
            height: h.height,
            parent_height: h.height.saturating_sub(1),
            header_state: h.state_root,
            header_results: h.results_root,
            ours_state: ours.state_root,
            ours_results: ours.results_root,
        })))))
    }

    /// Executes a block that became final (it must extend the committed tip) and returns its
    /// execution; the caller writes it with the block. Checks its header's lagged roots first
    /// and returns [`Halt::RootMismatch`] if they differ from ours.
    pub fn execute_final(&mut self, block: &Block) -> Result<Executed, Halt> {
        let hash = block.hash();
        if block.header.parent_hash != self.tip.1 || block.header.height != self.tip.0 + 1 {
            return Err(Halt::NotExtendingTip {
                height: block.header.height,
                tip: self.tip.1,
            });
        }
        match self.check_header_roots(block)? {
            Some(Ok(())) => {}
            Some(Err(halt)) => return Err(halt),
            None => unreachable!(
                "the parent of a block extending the tip is the tip, whose roots are stored"
            ),
        }
        // Final: its QC certifies it, and validation or sync checked its events.
        self.seen.entry(hash).or_insert_with(|| Remembered {
            block: block.clone(),
            ids: block.event_ids(),
        });
        self.execute_speculative(&hash)?;
        self.executed.remove(&hash).ok_or(Halt::NotExtendingTip {
            height: block.header.height,
            tip: self.tip.1,
        })
    }

    /// Records that `block` was committed: it is the new tip; forget what is now below it.
    pub fn committed(&mut self, height: u64, hash: Hash32) {
        self.tip = (height, hash);
        self.seen.retain(|_, r| r.block.header.height > height);
        self.executed.retain(|_, e| e.height > height);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradeledger_contracts::Store as _;

    #[test]
    fn overlay_scan_merges_layers_over_committed_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), Hash32::ZERO).expect("open");
        let writes = vec![
            (b"a1".to_vec(), Some(b"x".to_vec())),
            (b"a2".to_vec(), Some(b"x".to_vec())),
            (b"a3".to_vec(), Some(b"x".to_vec())),
        ];
        store
            .init_genesis_state(
                &writes,
                BlockResultRecord {
                    state_root: Hash32::ZERO,
                    results_root: Hash32::ZERO,
                },
            )
            .expect("init");
        let mut below = Writes::new();
        below.insert(b"a2".to_vec(), None);
        below.insert(b"a4".to_vec(), Some(b"y".to_vec()));
        let mut view = OverlayState::new(&store, vec![&below]);
        view.put(b"a0", b"z").expect("put");
        view.put(b"a3", b"w").expect("put");
        let keys = |v: Vec<(Vec<u8>, Vec<u8>)>| {
            v.into_iter()
                .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
                .collect::<Vec<_>>()
        };
        let all = keys(view.scan_prefix(b"a", None, 10).expect("scan"));
        assert_eq!(
            all,
            vec![
                ("a0".into(), b"z".to_vec()),
                ("a1".into(), b"x".to_vec()),
                ("a3".into(), b"w".to_vec()),
                ("a4".into(), b"y".to_vec())
            ]
        );
        let page = keys(view.scan_prefix(b"a", Some(b"a1"), 2).expect("scan"));
        assert_eq!(
            page,
            vec![("a3".into(), b"w".to_vec()), ("a4".into(), b"y".to_vec())]
        );
        assert_eq!(view.get(b"a2").expect("get"), None);
        assert_eq!(view.get(b"a1").expect("get"), Some(b"x".to_vec()));
    }

    #[test]
    fn a_copy_whose_events_do_not_match_its_header_is_never_remembered() {
        let (genesis, chain) = crate::audit::fixture::chain(2);
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), genesis.hash()).expect("open");
        let mut executor = Executor::open(store, &genesis).expect("executor");
        let real = chain[0].block.clone();
        let hash = real.hash();
        assert!(!real.events.is_empty());
        // Same header (so same hash), other events: the second block's.
        let mut forged = real.clone();
        forged.events = chain[1].block.events.clone();
        executor.remember(forged);
        assert!(
            executor.seen(&hash).is_none(),
            "a forged copy is not remembered"
        );
        executor.remember(real.clone());
        assert_eq!(executor.seen(&hash), Some(&real));
        assert_eq!(executor.seen_ids(&hash), Some(real.event_ids().as_slice()));
        // Once the real copy is held, a forged one does not replace it.
        let mut forged = real.clone();
        forged.events.clear();
        executor.remember(forged);
        assert_eq!(executor.seen(&hash), Some(&real));
        // The ids serve the ancestor walks.
        let ids: std::collections::HashSet<EventId> = real.event_ids().into_iter().collect();
        assert!(executor.ancestors_hold_any(&hash, &ids));
        assert_eq!(executor.uncommitted_ancestor_events(&hash), ids);
    }
}
