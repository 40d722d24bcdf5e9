//! The auditor's local verified copy: every verified block appended to `blocks.log`, and a
//! checkpoint (tip and re-executed state) so `audit verify` resumes where it stopped.

use super::verify::Tip;
use anyhow::{Context, Result, bail};
use std::io::Write as _;
use std::path::{Path, PathBuf};
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

    /// Saves the checkpoint atomically (write, sync, rename).
    pub fn save(&self, cp: &Checkpoint) -> Result<()> {
        let tmp = self.dir.join(format!("{CHECKPOINT_FILE}.tmp"));
        let path = self.dir.join(CHECKPOINT_FILE);
        let mut f =
            std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(&codec::to_canonical(cp))?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
        Ok(())
    }
}
