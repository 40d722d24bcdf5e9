//! RocksDB storage. Every method blocks: call them from a blocking thread
//! ([`Store::blocking`]), never directly on the async runtime.
//!
//! A committed block is written with one atomic, synced `WriteBatch` ([`Store::commit_block`]):
//! block, certificate, events, indexes, state changes and results together, so after a crash
//! either all of a block is there or none of it. Consensus safety data is written synced
//! ([`Store::put_safety`]) before any vote that depends on it leaves the node.

mod commit;
pub mod records;
pub mod schema;
pub mod state_cache;

pub use commit::BlockCommit;
pub use records::{BlockResultRecord, EventRecord};

use rocksdb::{
    ColumnFamilyDescriptor, DB, Direction, IteratorMode, Options, WriteBatch, WriteOptions,
};
use schema::*;
use state_cache::StateCache;
pub use state_cache::{CacheBudget, CacheUsage};
use std::path::Path;
use std::sync::Arc;
use tradeledger_types::{Block, EventId, Hash32, PublicKey, QuorumCertificate, SignedEvent};

/// A storage failure. None is ignored: the caller stops the node or answers 5xx.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// RocksDB reported an error.
    #[error("rocksdb: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// A stored value does not decode: the database is damaged.
    #[error("corrupt {what} in column family {cf}: {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Column family.
        cf: &'static str,
        /// Details.
        detail: String,
    },
    /// A write would break the chain (a bug in the caller).
    #[error("commit of height {got} does not follow committed height {committed}")]
    OutOfOrder {
        /// Committed height.
        committed: u64,
        /// Height offered.
        got: u64,
    },
    /// The database belongs to another genesis.
    #[error("data directory was created for genesis {found}, this node runs genesis {expected}")]
    WrongGenesis {
        /// Hash stored.
        found: Hash32,
        /// Hash configured.
        expected: Hash32,
    },
    /// The database was written by a build with another storage format.
    #[error(
        "data directory has storage format {found}, this build reads format {expected}: \
         move it aside and start with an empty data directory, and the node syncs the chain \
         from its peers (a validator: read \"Safety data and restores\" in docs/operations.md \
         first)"
    )]
    WrongFormat {
        /// Format stored (1 for databases written before formats were recorded).
        found: u32,
        /// Format of this build.
        expected: u32,
    },
    /// A blocking task panicked or was cancelled.
    #[error("storage task failed: {0}")]
    Task(String),
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StorageError>;

/// A handle to the database, cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<DB>,
    state_cache: Arc<StateCache>,
}

/// Default bytes of state (tree nodes and values) kept in memory by [`Store::open`]: half of
/// the tree-node budget holds the whole tree of a chain of about two million events (each
/// event adds two keys; the tree of the 1.1M-event bench chain is measured in BENCHMARKS.md),
/// so execution reads no tree node from RocksDB on such a chain. Operators set it with the
/// config field `state_cache_mb`.
pub const STATE_CACHE_BYTES: usize = 1024 << 20;
/// RocksDB's block cache, shared by the column families.
pub const BLOCK_CACHE_BYTES: usize = 256 << 20;
/// Most bytes of live write-ahead log: beyond it RocksDB flushes the column families that keep
/// the oldest log file alive. Without a cap, column families written a few bytes per block
/// (`meta`, `certs`) kept every log file alive until their memtables filled: a validator held
/// 4.3 GB of log after the bench, and opening its database took 13 s to replay 2.4 GB. At
/// 512 MiB the cap also cut into the busy column families' memtables (55 of 88 forced flushes
/// over 4 MB in a 240 s load); at 1 GiB, 5 of 17 (BENCHMARKS.md, session 10).
pub const WAL_BYTES_MAX: u64 = 1024 << 20;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

fn corrupt(what: &'static str, cf: &'static str, detail: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt {
        what,
        cf,
        detail: detail.to_string(),
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` for the chain with `genesis_hash`, with
    /// a state cache of [`STATE_CACHE_BYTES`].
    pub fn open(path: &Path, genesis_hash: Hash32) -> StoreResult<Store> {
        Store::open_with_cache(path, genesis_hash, CacheBudget::split(STATE_CACHE_BYTES))
    }

    /// [`Store::open`] with the state cache's budget given.
    pub fn open_with_cache(
        path: &Path,
        genesis_hash: Hash32,
        cache: CacheBudget,
    ) -> StoreResult<Store> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        opts.set_max_background_jobs(2);
        opts.set_max_total_wal_size(WAL_BYTES_MAX);
        // One block cache for every column family; bloom filters where lookups are by exact
        // key and often miss (an event id not yet committed, a state-tree position with no
        // node, an index entry), so a miss costs no data-block read once the chain outgrows
        // the memtables.
        let block_cache = rocksdb::Cache::new_lru_cache(BLOCK_CACHE_BYTES);
        let cfs = ALL_CFS.iter().map(|name| {
            let mut o = Options::default();
            o.set_compression_type(rocksdb::DBCompressionType::Lz4);
            let mut table = rocksdb::BlockBasedOptions::default();
            table.set_block_cache(&block_cache);
            if [CF_EVENTS, CF_STATE, CF_INDEXES, CF_RESULTS].contains(name) {
                table.set_bloom_filter(10.0, false);
                table.set_cache_index_and_filter_blocks(true);
                table.set_pin_l0_filter_and_index_blocks_in_cache(true);
                o.set_memtable_whole_key_filtering(true);
                o.set_memtable_prefix_bloom_ratio(0.1);
            }
            o.set_block_based_table_factory(&table);
            o.set_level_compaction_dynamic_level_bytes(true);
            ColumnFamilyDescriptor::new(*name, o)
        });
        let db = DB::open_cf_descriptors(&opts, path, cfs)?;
        let store = Store {
            db: Arc::new(db),
            state_cache: Arc::new(StateCache::new(cache)),
        };
        match store.get(CF_META, META_GENESIS)? {
            Some(found) => {
                let found = Hash32(
                    found
                        .try_into()
                        .map_err(|_| corrupt("genesis hash", CF_META, "not 32 bytes"))?,
                );
                if found != genesis_hash {
                    return Err(StorageError::WrongGenesis {
                        found,
                        expected: genesis_hash,
                    });
                }
            }
            None => {
                let mut wo = WriteOptions::default();
                wo.set_sync(true);
                let cf = store.cf(CF_META)?;
                let mut batch = WriteBatch::default();
                batch.put_cf(cf, META_FORMAT, STORAGE_FORMAT.to_be_bytes());
                batch.put_cf(cf, META_GENESIS, genesis_hash.0);
                store.db.write_opt(batch, &wo)?;
            }
        }
        let found = match store.get(CF_META, META_FORMAT)? {
            None => 1,
            Some(bytes) => u32::from_be_bytes(
                bytes
                    .try_into()
                    .map_err(|_| corrupt("storage format", CF_META, "not 4 bytes"))?,
            ),
        };
        if found != STORAGE_FORMAT {
            return Err(StorageError::WrongFormat {
                found,
                expected: STORAGE_FORMAT,
            });
        }
        Ok(store)
    }

    /// Runs `f` on a blocking thread and returns its result.
    pub async fn blocking<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&Store) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StorageError::Task(e.to_string()))?
    }

    fn cf(&self, name: &'static str) -> StoreResult<&rocksdb::ColumnFamily> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| corrupt("column family", name, "missing"))
    }

    fn get(&self, cf: &'static str, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.cf(cf)?, key)?)
    }

    /// Height of the last committed block (0 before the first).
    pub fn committed_height(&self) -> StoreResult<u64> {
        match self.get(CF_META, META_HEIGHT)? {
            None => Ok(0),
            Some(v) => {
                be_u64(&v).ok_or_else(|| corrupt("committed height", CF_META, "not 8 bytes"))
            }
        }
    }

    /// Canonical bytes of the block at `height`.
    pub fn block_bytes(&self, height: u64) -> StoreResult<Option<Vec<u8>>> {
        self.get(CF_BLOCKS, &height_key(height))
    }

    /// The block at `height`.
    pub fn block(&self, height: u64) -> StoreResult<Option<Block>> {
        match self.block_bytes(height)? {
            None => Ok(None),
            Some(b) => Block::decode(&b)
                .map(Some)
                .map_err(|e| corrupt("block", CF_BLOCKS, e)),
        }
    }

    /// Committed blocks with their certificates from `from` (at least 1), at most `limit` of
    /// them and, after the first, no more than `bytes_max` canonical block bytes in all: the
    /// page a client fetches in one request.
    pub fn block_page(
        &self,
        from: u64,
        limit: u64,
        bytes_max: usize,
    ) -> StoreResult<Vec<tradeledger_types::CertifiedBlock>> {
        let top = self.committed_height()?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut h = from.max(1);
        while h <= top && (out.len() as u64) < limit {
            let (Some(raw), Some(qc)) = (self.block_bytes(h)?, self.certificate(h)?) else {
                break;
            };
            if !out.is_empty() && bytes + raw.len() > bytes_max {
                break;
            }
            bytes += raw.len();
            let block = Block::decode(&raw).map_err(|e| corrupt("block", CF_BLOCKS, e))?;
            out.push(tradeledger_types::CertifiedBlock { block, qc });
            h += 1;
        }
        Ok(out)
    }

    /// The QC certifying the block at `height`.
    pub fn certificate(&self, height: u64) -> StoreResult<Option<QuorumCertificate>> {
        match self.get(CF_CERTS, &height_key(height))? {
            None => Ok(None),
            Some(b) => tradeledger_types::codec::from_canonical(
                &b,
                tradeledger_types::codec::MESSAGE_BYTES_MAX,
                "certificate",
            )
            .map(Some)
            .map_err(|e| corrupt("certificate", CF_CERTS, e)),
        }
    }

    /// Height of the committed block with `hash`.
    pub fn height_of(&self, hash: &Hash32) -> StoreResult<Option<u64>> {
        match self.get(CF_INDEXES, &idx_block_hash(hash))? {
            None => Ok(None),
            Some(v) => be_u64(&v)
                .map(Some)
                .ok_or_else(|| corrupt("block hash index", CF_INDEXES, "not 8 bytes")),
        }
    }

    /// The roots after executing the block at `height` (genesis state for 0 is not stored).
    pub fn block_result(&self, height: u64) -> StoreResult<Option<BlockResultRecord>> {
        self.get_json(CF_RESULTS, &result_block(height), "block result")
    }

    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        cf: &'static str,
        key: &[u8],
        what: &'static str,
    ) -> StoreResult<Option<T>> {
        match self.get(cf, key)? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| corrupt(what, cf, e)),
        }
    }

    /// A committed event and its record.
    pub fn event(&self, id: &EventId) -> StoreResult<Option<(SignedEvent, EventRecord)>> {
        let Some(bytes) = self.get(CF_EVENTS, &id.0)? else {
            return Ok(None);
        };
        let (event, _) = SignedEvent::decode(&bytes).map_err(|e| corrupt("event", CF_EVENTS, e))?;
        let record = self
            .get_json(CF_RESULTS, &result_event(id), "event record")?
            .ok_or_else(|| corrupt("event record", CF_RESULTS, format!("missing for {id}")))?;
        Ok(Some((event, record)))
    }

    /// True when an event with this id is committed.
    pub fn has_event(&self, id: &EventId) -> StoreResult<bool> {
        Ok(self.db.get_pinned_cf(self.cf(CF_EVENTS)?, id.0)?.is_some())
    }

    fn scan_ids(&self, prefix: &[u8], limit: usize) -> StoreResult<Vec<EventId>> {
        let cf = self.cf(CF_INDEXES)?;
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(cf, IteratorMode::From(prefix, Direction::Forward))
        {
            let (k, v) = item?;
            if !k.starts_with(prefix) || out.len() >= limit {
                break;
            }
            let id: [u8; 32] = v
                .as_ref()
                .try_into()
                .map_err(|_| corrupt("index entry", CF_INDEXES, "not 32 bytes"))?;
            out.push(Hash32(id));
        }
        Ok(out)
    }

    /// Ids of a shipment's committed events, in commit order (at most `limit`).
    pub fn shipment_events(&self, shipment: &str, limit: usize) -> StoreResult<Vec<EventId>> {
        self.scan_ids(&idx_shipment_prefix(shipment), limit)
    }

    /// Ids of committed events that produced a flag, verdict or lane change on a shipment, in
    /// commit order (at most `limit`).
    pub fn shipment_history_events(
        &self,
        shipment: &str,
        limit: usize,
    ) -> StoreResult<Vec<EventId>> {
        self.scan_ids(&idx_history_prefix(shipment), limit)
    }

    /// Ids of committed events that name an EPC, in commit order (at most `limit`).
    pub fn epc_events(&self, epc: &str, limit: usize) -> StoreResult<Vec<EventId>> {
        self.scan_ids(&idx_epc_prefix(epc), limit)
    }

    /// Highest sequence number of `signer` used by an applied committed event (0 when none).
    pub fn signer_last_seq(&self, signer: &PublicKey) -> StoreResult<u64> {
        let cf = self.cf(CF_INDEXES)?;
        let prefix = idx_signer_prefix(signer);
        let mut upper = prefix.clone();
        upper.extend_from_slice(&u64::MAX.to_be_bytes());
        let mut iter = self
            .db
            .iterator_cf(cf, IteratorMode::From(&upper, Direction::Reverse));
        match iter.next() {
            Some(item) => {
                let (k, _) = item?;
                if !k.starts_with(&prefix) {
                    return Ok(0);
                }
                be_u64(&k[prefix.len()..])
                    .ok_or_else(|| corrupt("signer index", CF_INDEXES, "bad key"))
            }
            None => Ok(0),
        }
    }

    /// State lookups answered by the state cache, and those that went to RocksDB, since start.
    pub fn state_cache_lookups(&self) -> (u64, u64) {
        self.state_cache.lookups()
    }

    /// What the state cache holds now.
    pub fn state_cache_usage(&self) -> CacheUsage {
        self.state_cache.usage()
    }

    /// A value of the contracts' state.
    pub fn state_get(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        match self.state_cache.get(key) {
            Ok(hit) => Ok(hit),
            Err(miss) => {
                let value = self.get(CF_STATE, key)?;
                self.state_cache.fill(miss, key, &value);
                Ok(value)
            }
        }
    }

    /// Loads the stored state tree into the state cache, top levels first (node keys sort by
    /// depth), until half the cache's node budget is used; returns the nodes loaded. Call it
    /// once after opening, before execution starts: on a large state it reads hundreds of
    /// megabytes in one sequential scan, where a cold cache would read them one node at a time
    /// during the node's first minutes of blocks.
    pub fn warm_state_cache(&self) -> StoreResult<usize> {
        let cf = self.cf(CF_STATE)?;
        let prefix = [tradeledger_contracts::smt::NODE_PREFIX];
        let mut error = None;
        let nodes = self
            .db
            .iterator_cf(cf, IteratorMode::From(&prefix, Direction::Forward))
            .map_while(|item| match item {
                Ok((k, v)) if k.starts_with(&prefix) => Some((k.into_vec(), v.into_vec())),
                Ok(_) => None,
                Err(e) => {
                    error = Some(e);
                    None
                }
            });
        let loaded = self.state_cache.warm(nodes);
        match error {
            Some(e) => Err(e.into()),
            None => Ok(loaded),
        }
    }

    /// State entries whose key starts with `prefix`, in key order, strictly after `after` when
    /// given, at most `limit`.
    pub fn state_scan(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let cf = self.cf(CF_STATE)?;
        let start = after.unwrap_or(prefix);
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(cf, IteratorMode::From(start, Direction::Forward))
        {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item?;
            if after.is_some_and(|a| *k == *a) {
                continue;
            }
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// Writes the genesis state (before any block) in one synced batch, with the roots of
    /// "height 0". Does nothing if already written.
    pub fn init_genesis_state(
        &self,
        writes: &[(Vec<u8>, Option<Vec<u8>>)],
        result: BlockResultRecord,
    ) -> StoreResult<()> {
        if self.block_result(0)?.is_some() {
            return Ok(());
        }
        let mut batch = WriteBatch::default();
        let state = self.cf(CF_STATE)?;
        for (k, v) in writes {
            match v {
                Some(v) => batch.put_cf(state, k, v),
                None => batch.delete_cf(state, k),
            }
        }
        batch.put_cf(
            self.cf(CF_RESULTS)?,
            result_block(0),
            serde_json::to_vec(&result).expect("plain data serialises"),
        );
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        self.db.write_opt(batch, &wo)?;
        self.state_cache
            .apply(writes.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(())
    }

    /// The stored consensus safety record.
    pub fn safety(&self) -> StoreResult<Option<Vec<u8>>> {
        self.get(CF_SAFETY, SAFETY_KEY)
    }

    /// Writes the consensus safety record, with the uncommitted blocks it points at, in one
    /// atomic batch synced to disk before returning.
    pub fn put_safety(&self, bytes: &[u8], blocks: &[Block]) -> StoreResult<()> {
        let mut batch = WriteBatch::default();
        let uncommitted = self.cf(CF_UNCOMMITTED)?;
        for b in blocks {
            batch.put_cf(
                uncommitted,
                uncommitted_key(b.header.height, &b.hash()),
                b.to_bytes(),
            );
        }
        batch.put_cf(self.cf(CF_SAFETY)?, SAFETY_KEY, bytes);
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        Ok(self.db.write_opt(batch, &wo)?)
    }

    /// Keys of the uncommitted blocks stored at `height`.
    fn uncommitted_keys_at(&self, height: u64) -> StoreResult<Vec<Box<[u8]>>> {
        let mut ro = rocksdb::ReadOptions::default();
        ro.set_iterate_upper_bound(height_key(height.saturating_add(1)));
        let start = height_key(height);
        let mut out = Vec::new();
        for item in self.db.iterator_cf_opt(
            self.cf(CF_UNCOMMITTED)?,
            ro,
            IteratorMode::From(&start, Direction::Forward),
        ) {
            out.push(item?.0);
        }
        Ok(out)
    }

    /// The uncommitted blocks stored with the safety record above `height`, lowest first.
    pub fn uncommitted_blocks_above(&self, height: u64) -> StoreResult<Vec<Block>> {
        let cf = self.cf(CF_UNCOMMITTED)?;
        let from = height_key(height.saturating_add(1));
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(cf, IteratorMode::From(&from, Direction::Forward))
        {
            let (_, bytes) = item?;
            let block = Block::decode(&bytes)
                .map_err(|e| corrupt("uncommitted block", CF_UNCOMMITTED, e))?;
            out.push(block);
        }
        Ok(out)
    }

    /// Writes a committed block and everything derived from it in one synced atomic batch.
    /// The block must be at committed height + 1. Once durable, the state writes move into
    /// the state cache (not copied: a block writes thousands of values and tree nodes), so
    /// `commit.state_writes` is empty on success.
    pub fn commit_block(&self, commit: &mut BlockCommit) -> StoreResult<()> {
        let committed = self.committed_height()?;
        let height = commit.block.header.height;
        if height != committed + 1 {
            return Err(StorageError::OutOfOrder {
                committed,
                got: height,
            });
        }
        // Only an event that did not use up its sequence number can be a replay of one
        // committed before (an event that uses it up was never committed with a use of it),
        // so only those cost a lookup: none in a block of valid events.
        let mut already = std::collections::HashSet::new();
        for (e, outcome) in commit.block.events.iter().zip(&commit.outcomes) {
            if outcome.consumes_sequence() {
                continue;
            }
            let id = e.id();
            if self.has_event(&id)? {
                already.insert(id);
            }
        }
        let mut batch = WriteBatch::default();
        commit.write_into(&mut batch, |name| self.cf(name), &already)?;
        // Stored uncommitted blocks at this height are now committed or abandoned (those below
        // went with their own heights' commits). Point deletes of the keys found, not one range
        // delete of every height up to this one: RocksDB rebuilds a memtable's fragmented range
        // tombstones on every range delete, and ranges that all start at 0 overlap, so that
        // list grows faster than their number. This column family takes few bytes per block,
        // so its memtable is seldom flushed: at 20 000 blocks of 10 events each node held
        // about 10 GB and two were killed for memory.
        let uncommitted = self.cf(CF_UNCOMMITTED)?;
        for key in self.uncommitted_keys_at(height)? {
            batch.delete_cf(uncommitted, key);
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        self.db.write_opt(batch, &wo)?;
        // Only once durable: a reader must never see in memory what a crash would undo.
        self.state_cache
            .apply(std::mem::take(&mut commit.state_writes));
        Ok(())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tests_support;
