//! The blocks a validator holds: the committed tip, a window of committed blocks for syncing
//! peers, and the uncommitted blocks that descend from the tip.

use std::collections::{BTreeMap, VecDeque};

use tradeledger_types::{Block, Hash32, QuorumCertificate, TimeMs};

use crate::config::CertifiedBlock;

/// The facts about a block the core reasons with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockMeta {
    pub hash: Hash32,
    pub parent_hash: Hash32,
    pub height: u64,
    pub round: u64,
    pub time_ms: TimeMs,
}

impl BlockMeta {
    pub fn of(block: &Block) -> Self {
        BlockMeta {
            hash: block.hash(),
            parent_hash: block.header.parent_hash,
            height: block.header.height,
            round: block.header.round,
            time_ms: block.header.block_time_ms,
        }
    }
}

/// Where a parent hash stands relative to the tree.
pub(crate) enum Parent {
    /// The committed tip or an uncommitted block: a child can be placed.
    Known(BlockMeta),
    /// Not the tip, at or below its height: a child would fork the committed chain.
    Committed,
    /// Not held.
    Unknown,
}

#[derive(Debug, Clone)]
pub(crate) struct BlockTree {
    tip: BlockMeta,
    tip_qc: QuorumCertificate,
    /// Committed blocks by height with their hash, most recent [`Self::window_max`].
    window: VecDeque<(Hash32, CertifiedBlock)>,
    window_max: usize,
    /// Uncommitted blocks descending from the tip, by hash.
    blocks: BTreeMap<Hash32, (BlockMeta, Block)>,
    /// QCs of uncommitted blocks.
    qcs: BTreeMap<Hash32, QuorumCertificate>,
}

impl BlockTree {
    pub fn new(tip: BlockMeta, tip_qc: QuorumCertificate, window_max: usize) -> Self {
        BlockTree {
            tip,
            tip_qc,
            window: VecDeque::new(),
            window_max,
            blocks: BTreeMap::new(),
            qcs: BTreeMap::new(),
        }
    }

    /// Appends a committed block (recovery); the caller checked it extends the tip.
    pub fn push_committed(&mut self, cb: CertifiedBlock) {
        let meta = BlockMeta::of(&cb.block);
        self.tip = meta;
        self.tip_qc = cb.qc.clone();
        self.window.push_back((meta.hash, cb));
        while self.window.len() > self.window_max {
            self.window.pop_front();
        }
    }

    pub fn tip(&self) -> BlockMeta {
        self.tip
    }

    pub fn tip_qc(&self) -> &QuorumCertificate {
        &self.tip_qc
    }

    pub fn get(&self, hash: &Hash32) -> Option<&Block> {
        self.blocks.get(hash).map(|(_, b)| b)
    }

    pub fn contains(&self, hash: &Hash32) -> bool {
        self.blocks.contains_key(hash)
    }

    pub fn uncommitted_len(&self) -> usize {
        self.blocks.len()
    }

    fn committed_at(&self, height: u64) -> Option<&(Hash32, CertifiedBlock)> {
        let first = self.window.front()?.1.block.header.height;
        let offset = usize::try_from(height.checked_sub(first)?).ok()?;
        self.window.get(offset)
    }

    /// True when `hash` is a committed block this validator still holds (or the tip).
    pub fn is_committed(&self, hash: &Hash32, height: u64) -> bool {
        *hash == self.tip.hash || self.committed_at(height).is_some_and(|(h, _)| h == hash)
    }

    pub fn parent(&self, hash: &Hash32, height: u64) -> Parent {
        if *hash == self.tip.hash {
            return Parent::Known(self.tip);
        }
        if let Some((meta, _)) = self.blocks.get(hash) {
            return Parent::Known(*meta);
        }
        if height <= self.tip.height || self.is_committed(hash, height) {
            return Parent::Committed;
        }
        Parent::Unknown
    }

    pub fn meta(&self, hash: &Hash32) -> Option<BlockMeta> {
        if *hash == self.tip.hash {
            return Some(self.tip);
        }
        self.blocks.get(hash).map(|(m, _)| *m)
    }

    /// Inserts a block whose parent is known; returns false (and does nothing) otherwise.
    pub fn insert(&mut self, block: Block) -> bool {
        let meta = BlockMeta::of(&block);
        if self.blocks.contains_key(&meta.hash) {
            return true;
        }
        if self.meta(&meta.parent_hash).is_none() {
            return false;
        }
        self.blocks.insert(meta.hash, (meta, block));
        true
    }

    pub fn certify(&mut self, qc: &QuorumCertificate) {
        let hash = qc.data.block_hash;
        if self.blocks.contains_key(&hash) && !self.qcs.contains_key(&hash) {
            self.qcs.insert(hash, qc.clone());
        }
    }

    /// Commits the uncommitted block `hash` and its uncommitted ancestors; returns them in
    /// increasing height, or `None` if `hash` is not in the tree. Prunes every block that does
    /// not descend from the new tip.
    pub fn commit(&mut self, hash: Hash32, qc: QuorumCertificate) -> Option<Vec<Block>> {
        let mut path = Vec::new();
        let mut cur = hash;
        while cur != self.tip.hash {
            let (meta, _) = self.blocks.get(&cur)?;
            path.push(cur);
            cur = meta.parent_hash;
        }
        path.reverse();
        let mut out = Vec::with_capacity(path.len());
        for (i, h) in path.iter().enumerate() {
            let (_, block) = self.blocks.remove(h)?;
            let cert = match path.get(i + 1) {
                Some(next) => self.blocks.get(next).map(|(_, b)| b.justify.clone())?,
                None => qc.clone(),
            };
            self.qcs.remove(h);
            self.push_committed(CertifiedBlock {
                block: block.clone(),
                qc: cert,
            });
            out.push(block);
        }
        self.prune();
        Some(out)
    }

    /// Drops uncommitted blocks that do not descend from the tip.
    fn prune(&mut self) {
        let mut by_height: Vec<(u64, Hash32, Hash32)> = self
            .blocks
            .values()
            .map(|(m, _)| (m.height, m.hash, m.parent_hash))
            .collect();
        by_height.sort();
        let mut keep = std::collections::BTreeSet::new();
        keep.insert(self.tip.hash);
        for (height, hash, parent) in by_height {
            if height > self.tip.height && keep.contains(&parent) {
                keep.insert(hash);
            }
        }
        self.blocks.retain(|h, _| keep.contains(h));
        self.qcs.retain(|h, _| keep.contains(h));
    }

    fn block_by_hash(&self, hash: &Hash32, height: u64) -> Option<&Block> {
        if let Some((_, b)) = self.blocks.get(hash) {
            return Some(b);
        }
        self.committed_at(height)
            .filter(|(h, _)| h == hash)
            .map(|(_, cb)| &cb.block)
    }

    fn qc_for_any(&self, hash: &Hash32, height: u64) -> Option<&QuorumCertificate> {
        if let Some(qc) = self.qcs.get(hash) {
            return Some(qc);
        }
        self.committed_at(height)
            .filter(|(h, _)| h == hash)
            .map(|(_, cb)| &cb.qc)
    }

    /// Blocks from height `from_height + 1` up to `target` (or up to the block of `fallback`
    /// when `target` is unknown), at most `max`, with the QC on the last one if held.
    pub fn chain_for_sync(
        &self,
        target: Hash32,
        from_height: u64,
        fallback: &QuorumCertificate,
        max: usize,
    ) -> Option<(Vec<Block>, Option<QuorumCertificate>)> {
        let start =
            if self.blocks.contains_key(&target) || self.window.iter().any(|(h, _)| *h == target) {
                target
            } else {
                fallback.data.block_hash
            };
        let start_height = match self.blocks.get(&start) {
            Some((m, _)) => m.height,
            None => {
                self.window
                    .iter()
                    .find(|(h, _)| *h == start)?
                    .1
                    .block
                    .header
                    .height
            }
        };
        let mut chain = Vec::new();
        let (mut cur, mut height) = (start, start_height);
        while height > from_height {
            let block = self.block_by_hash(&cur, height)?;
            chain.push(block);
            cur = block.header.parent_hash;
            height = height.checked_sub(1)?;
        }
        chain.reverse();
        if chain.is_empty() {
            return None;
        }
        let last_qc = if chain.len() > max {
            chain.truncate(max);
            Some(chain_next_justify(&self.blocks, &chain)?)
        } else {
            chain
                .last()
                .and_then(|last| self.qc_for_any(&last.hash(), last.header.height).cloned())
        };
        Some((chain.into_iter().cloned().collect(), last_qc))
    }
}

/// The QC on the last block of a truncated chain: the `justify` of its child in the tree.
fn chain_next_justify(
    blocks: &BTreeMap<Hash32, (BlockMeta, Block)>,
    chain: &[&Block],
) -> Option<QuorumCertificate> {
    let last = chain.last()?.hash();
    blocks
        .values()
        .find(|(m, _)| m.parent_hash == last)
        .map(|(_, b)| b.justify.clone())
}
