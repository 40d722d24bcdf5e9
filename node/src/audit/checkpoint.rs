//! The auditor's local verified copy: every verified block appended to `blocks.log`, and a
//! checkpoint (tip and re-executed state) so `audit verify` resumes where it stopped.

use super::verify::Tip;
use anyhow::{Context, Result, bail};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use tradeledger_contracts::MemStore;
use tradeledger_types::{Hash32, codec, wire_struct};

wire_struct! {
    /// One state entry.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Entry {
        /// Key.
        pub key: tradeledger_types::Bytes,
        /// Value.
        pub value: tradeledger_types::Bytes,
    }
}

wire_struct! {
    /// What the checkpoint file holds.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Checkpoint {
        /// Genesis the copy was verified against (a checkpoint of another chain is refused).
        pub genesis_hash: Hash32,
        /// Last verified height.
        pub height: u64,
        /// Its hash.
        pub hash: Hash32,
        /// State root after it.
        pub state_root: Hash32,
        /// Results root of it.
        pub results_root: Hash32,
        /// Events checked so far.
        pub events_checked: u64,
        /// Length of `blocks.log` holding exactly the blocks up to `height`.
        pub log_bytes: u64,
        /// The re-executed state.
        pub entries: Vec<Entry>,
    }
}

impl Checkpoint {
    /// The tip it records.
    pub fn tip(&self) -> Tip {
        Tip {
            height: self.height,
            hash: self.hash,
            state_root: self.state_root,
            results_root: self.results_root,
        }
    }
}

/// A checkpoint to save, borrowing the re-executed state instead of copying it: it encodes to
/// exactly the bytes of the [`Checkpoint`] it describes. Copying the state first (millions of
/// entries) and encoding the copy into one buffer took a third of the re-executing thread's
/// time on a 1.4M-event chain (two saves in a 50 s run; BENCHMARKS.md, session 12).
pub struct CheckpointView<'a> {
    /// Everything but the state, as in [`Checkpoint`].
    pub tip: &'a Tip,
    /// See [`Checkpoint::genesis_hash`].
    pub genesis_hash: Hash32,
    /// See [`Checkpoint::events_checked`].
    pub events_checked: u64,
    /// See [`Checkpoint::log_bytes`].
    pub log_bytes: u64,
    /// The re-executed state.
    pub state: &'a MemStore,
}

impl serde::Serialize for CheckpointView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple as _;
        // The field order and shape of `Checkpoint`'s wire form (a tuple); the tests compare
        // the bytes.
        let mut t = s.serialize_tuple(8)?;
        t.serialize_element(&self.genesis_hash)?;
        t.serialize_element(&self.tip.height)?;
        t.serialize_element(&self.tip.hash)?;
        t.serialize_element(&self.tip.state_root)?;
        t.serialize_element(&self.tip.results_root)?;
        t.serialize_element(&self.events_checked)?;
        t.serialize_element(&self.log_bytes)?;
        t.serialize_element(&StateEntries(self.state))?;
        t.end()
    }
}

/// The state's entries in key order, each as an [`Entry`].
struct StateEntries<'a>(&'a MemStore);

impl serde::Serialize for StateEntries<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq as _, SerializeTuple as _};
        struct Raw<'b>(&'b [u8]);
        impl serde::Serialize for Raw<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        struct EntryRef<'b>(&'b [u8], &'b [u8]);
        impl serde::Serialize for EntryRef<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut t = s.serialize_tuple(2)?;
                t.serialize_element(&Raw(self.0))?;
                t.serialize_element(&Raw(self.1))?;
                t.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (k, v) in self.0.entries() {
            seq.serialize_element(&EntryRef(k, v))?;
        }
        seq.end()
    }
}

/// The checkpoint's file: its name carries the state-tree format of the state it holds (2:
/// nodes hold leaf hashes), so a checkpoint of another format is never resumed from.
const CHECKPOINT_FILE: &str = "checkpoint.state-v2.cbor";
/// The checkpoint of builds before the state-tree format was recorded (format 1).
const LEGACY_CHECKPOINT_FILE: &str = "checkpoint.cbor";

/// The auditor's state directory.
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Opens (creating) the directory.
    pub fn open(dir: &Path) -> Result<StateDir> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(StateDir {
            dir: dir.to_path_buf(),
        })
    }

    /// The saved checkpoint, if any, checked against `genesis_hash`. A checkpoint of an older
    /// state-tree format is ignored (with a note): verification starts again from genesis.
    pub fn load(&self, genesis_hash: Hash32) -> Result<Option<Checkpoint>> {
        let path = self.dir.join(CHECKPOINT_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let legacy = self.dir.join(LEGACY_CHECKPOINT_FILE);
                if legacy.exists() {
                    eprintln!(
                        "note: {} holds state in an older format; verifying again from genesis",
                        legacy.display()
                    );
                }
                return Ok(None);
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let cp: Checkpoint = codec::from_canonical(&bytes, usize::MAX, "audit checkpoint")
            .with_context(|| format!("{} is corrupt", path.display()))?;
        if cp.genesis_hash != genesis_hash {
            bail!(
                "{} was verified against another genesis ({}); use another --state-dir",
                self.dir.display(),
                cp.genesis_hash
            );
        }
        Ok(Some(cp))
    }

    /// Appends verified blocks (canonical CertifiedBlock bytes, each after its length as 8
    /// little-endian bytes) to the copy, first cutting anything past `log_bytes` (blocks written
    /// after the last checkpoint by a run that stopped). Returns the new length.
    pub fn append_blocks(&self, log_bytes: u64, blocks: &[Vec<u8>]) -> Result<u64> {
        let path = self.dir.join("blocks.log");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        f.set_len(log_bytes)?;
        use std::io::Seek as _;
        f.seek(std::io::SeekFrom::Start(log_bytes))?;
        let mut len = log_bytes;
        for b in blocks {
            f.write_all(&(b.len() as u64).to_le_bytes())?;
            f.write_all(b)?;
            len += 8 + b.len() as u64;
        }
        f.sync_data()?;
        Ok(len)
    }

    /// Saves the checkpoint atomically (write, sync, rename), encoding it straight to the file.
    pub fn save(&self, cp: &CheckpointView<'_>) -> Result<()> {
        let tmp = self.dir.join(format!("{CHECKPOINT_FILE}.tmp"));
        let path = self.dir.join(CHECKPOINT_FILE);
        let f =
            std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
        codec::encode_to_writer(cp, &mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("writing {}", tmp.display()))?;
        let f = out.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradeledger_contracts::{Store as _, smt};
    use tradeledger_types::Bytes;

    fn state() -> MemStore {
        let mut s = MemStore::new();
        for i in 0u32..300 {
            let key = format!("v/key-{i}");
            s.put(key.as_bytes(), &i.to_be_bytes()).expect("memory");
            smt::update(&mut s, key.as_bytes(), Some(&i.to_be_bytes())).expect("memory");
        }
        s
    }

    #[test]
    fn the_view_encodes_to_the_checkpoint_it_describes() {
        let state = state();
        let tip = Tip {
            height: 7,
            hash: Hash32([1; 32]),
            state_root: smt::root(&state).expect("memory"),
            results_root: Hash32([3; 32]),
        };
        let view = CheckpointView {
            tip: &tip,
            genesis_hash: Hash32([9; 32]),
            events_checked: 1234,
            log_bytes: 5678,
            state: &state,
        };
        let owned = Checkpoint {
            genesis_hash: Hash32([9; 32]),
            height: 7,
            hash: tip.hash,
            state_root: tip.state_root,
            results_root: tip.results_root,
            events_checked: 1234,
            log_bytes: 5678,
            entries: state
                .entries()
                .map(|(k, v)| Entry {
                    key: Bytes(k.to_vec()),
                    value: Bytes(v.to_vec()),
                })
                .collect(),
        };
        assert!(owned.entries.len() > 300, "values and tree nodes");
        let mut streamed = Vec::new();
        codec::encode_to_writer(&view, &mut streamed).expect("memory");
        assert_eq!(streamed, codec::to_canonical(&owned));

        let dir = tempfile::tempdir().expect("temp dir");
        let sd = StateDir::open(dir.path()).expect("open");
        sd.save(&view).expect("save");
        let loaded = sd.load(Hash32([9; 32])).expect("load").expect("saved");
        assert_eq!(loaded, owned);
        assert_eq!(loaded.tip(), tip);
    }
}
