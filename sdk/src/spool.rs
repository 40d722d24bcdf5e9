//! The offline spool: a durable, ordered queue of signed events waiting for the node.
//!
//! # On disk
//! A directory with two files:
//! - `events.log`: a 16-byte header (`TLSPOOL1` and the little-endian index of its first
//!   record), then records `len: u32 LE ‖ SHA-256(bytes) ‖ bytes`, where `bytes` is the
//!   canonical signed event. Appends are fsynced before [`Spool::append`] returns.
//! - `acked`: the number of records ever delivered (a global index), written atomically.
//!
//! On open, records are read until the first one that is incomplete or fails its checksum (a
//! write torn by a crash); the file is truncated there. Only records whose append returned
//! can have been delivered, so nothing acknowledged is lost with a torn tail.
//!
//! # Delivery semantics
//! [`Spool::deliver`] hands records to a [`Submit`] implementation in append order and, after
//! each success, persists the acknowledgement before moving on. Across restarts no record is
//! lost and none is skipped or reordered; the one record in flight when the process dies may
//! be submitted again on restart (the node cannot tell us it arrived if we die first). That
//! resubmission carries the same bytes and so the same event id, and the node ignores an event
//! id it already has: the effect at the node is exactly once.
//!
//! [`Spool::compact`] drops delivered records from the log (atomically, by rename).

use crate::signer::{SeqFile, SeqFileError, sync_parent};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use tradeledger_types::codec::EVENT_BYTES_MAX;
use tradeledger_types::{EventId, PublicKey, SignedEvent};

const MAGIC: &[u8; 8] = b"TLSPOOL1";
const HEADER_LEN: u64 = 16;
const RECORD_HEAD: usize = 4 + 32;

/// Delivers one spooled event to the ledger. The HTTP client implements it; tests use fakes.
pub trait Submit {
    /// Why a submission failed (the spool stops and keeps the event for the next attempt).
    type Error;

    /// Submits one event. Must return `Ok` only once the node has accepted it (or already had
    /// an event with this id).
    fn submit(&mut self, event: &SpooledEvent) -> Result<(), Self::Error>;
}

/// A record of the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledEvent {
    /// Global index of the record (0 for the first event ever appended).
    pub index: u64,
    /// The event id (SHA-256 of `bytes`).
    pub id: EventId,
    /// The canonical signed-event bytes, as posted to the node.
    pub bytes: Vec<u8>,
}

impl SpooledEvent {
    /// Decodes the event.
    pub fn event(&self) -> Result<SignedEvent, tradeledger_types::DecodeError> {
        SignedEvent::decode(&self.bytes).map(|(e, _)| e)
    }
}

/// A spool failure.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// An I/O error.
    #[error("spool {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The acknowledgement file.
    #[error(transparent)]
    Ack(#[from] SeqFileError),
    /// The log is not a spool log, or the acknowledgement is ahead of the log.
    #[error("spool {path}: {problem}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Why [`Spool::deliver`] stopped before the end.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError<E> {
    /// The submitter failed on the record at `index`; `delivered` went through before it.
    #[error("submission of spooled record {index} failed after {delivered} delivered")]
    Submit {
        /// Records delivered in this call.
        delivered: usize,
        /// The record that failed.
        index: u64,
        /// The submitter's error.
        error: E,
    },
    /// The spool itself failed.
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// A durable append-only queue of signed events. See the module docs.
#[derive(Debug)]
pub struct Spool {
    log_path: PathBuf,
    log: File,
    ack: SeqFile,
    /// Index of the first record in the log file.
    base: u64,
    /// Offset and length of each record's bytes in the log file.
    records: Vec<(u64, u32)>,
    /// Records delivered (global count).
    acked: u64,
    end: u64,
}

impl Spool {
    /// Opens (or creates) the spool in `dir`, recovering from a torn final write.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, SpoolError> {
        let dir = dir.as_ref();
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SpoolError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let log_path = dir.join("events.log");
        let mut log = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&log_path)
            .map_err(io_err(&log_path))?;
        let mut data = Vec::new();
        log.read_to_end(&mut data).map_err(io_err(&log_path))?;
        if data.len() < HEADER_LEN as usize {
            // New, or torn while writing the header (nothing was ever appended).
            let mut header = MAGIC.to_vec();
            header.extend_from_slice(&0u64.to_le_bytes());
            log.set_len(0).map_err(io_err(&log_path))?;
            log.seek(SeekFrom::Start(0)).map_err(io_err(&log_path))?;
            log.write_all(&header).map_err(io_err(&log_path))?;
            log.sync_all().map_err(io_err(&log_path))?;
            sync_parent(&log_path).map_err(io_err(&log_path))?;
            data = header;
        }
        if &data[..8] != MAGIC {
            return Err(SpoolError::Corrupt {
                path: log_path,
                problem: "not a spool log (bad magic)".into(),
            });
        }
        let base = u64::from_le_bytes(data[8..16].try_into().unwrap_or([0; 8]));
        let mut records = Vec::new();
        let mut pos = HEADER_LEN as usize;
        while let Some((len, sum)) = data
            .get(pos..pos + RECORD_HEAD)
            .map(|h| (u32::from_le_bytes([h[0], h[1], h[2], h[3]]), &h[4..]))
        {
            let start = pos + RECORD_HEAD;
            let Some(bytes) = data.get(start..start + len as usize) else {
                break;
            };
            if len as usize > EVENT_BYTES_MAX || Sha256::digest(bytes).as_slice() != sum {
                break;
            }
            records.push((start as u64, len));
            pos = start + len as usize;
        }
        if pos < data.len() {
            log.set_len(pos as u64).map_err(io_err(&log_path))?;
            log.sync_all().map_err(io_err(&log_path))?;
        }
        let ack = SeqFile::new(dir.join("acked"));
        let acked = ack.load()?.unwrap_or(0).max(base);
        let total = base + records.len() as u64;
        if acked > total {
            return Err(SpoolError::Corrupt {
                path: log_path,
                problem: format!("{acked} records acknowledged but the log ends at {total}"),
            });
        }
        Ok(Spool {
            log_path,
            log,
            ack,
            base,
            records,
            acked,
            end: pos as u64,
        })
    }

    fn io(&self) -> impl Fn(io::Error) -> SpoolError + '_ {
        move |source| SpoolError::Io {
            path: self.log_path.clone(),
            source,
        }
    }

    /// Appends a signed event durably (fsynced) and returns its global index.
    pub fn append(&mut self, event: &SignedEvent) -> Result<u64, SpoolError> {
        self.append_bytes(&event.to_bytes())
    }

    /// Appends canonical signed-event bytes durably and returns the record's global index.
    pub fn append_bytes(&mut self, bytes: &[u8]) -> Result<u64, SpoolError> {
        let len = u32::try_from(bytes.len())
            .ok()
            .filter(|l| *l as usize <= EVENT_BYTES_MAX)
            .ok_or_else(|| SpoolError::Corrupt {
                path: self.log_path.clone(),
                problem: format!("event of {} bytes exceeds {EVENT_BYTES_MAX}", bytes.len()),
            })?;
        let mut rec = Vec::with_capacity(RECORD_HEAD + bytes.len());
        rec.extend_from_slice(&len.to_le_bytes());
        rec.extend_from_slice(&Sha256::digest(bytes));
        rec.extend_from_slice(bytes);
        let write = (|| {
            self.log.seek(SeekFrom::Start(self.end))?;
            self.log.write_all(&rec)?;
            self.log.sync_data()
        })();
        if let Err(e) = write {
            // Leave no partial record behind: a later append must not follow garbage.
            let _ = self.log.set_len(self.end);
            return Err(self.io()(e));
        }
        let offset = self.end + RECORD_HEAD as u64;
        self.records.push((offset, len));
        self.end += rec.len() as u64;
        Ok(self.base + self.records.len() as u64 - 1)
    }

    /// Number of records not yet delivered.
    pub fn pending(&self) -> u64 {
        self.base + self.records.len() as u64 - self.acked
    }

    /// Number of records ever delivered.
    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// Reads the record with global index `index`, if it is still in the log.
    pub fn get(&mut self, index: u64) -> Result<Option<SpooledEvent>, SpoolError> {
        let Some(&(offset, len)) = index
            .checked_sub(self.base)
            .and_then(|i| self.records.get(i as usize))
        else {
            return Ok(None);
        };
        let mut bytes = vec![0u8; len as usize];
        self.log.seek(SeekFrom::Start(offset)).map_err(self.io())?;
        self.log.read_exact(&mut bytes).map_err(self.io())?;
        let id = tradeledger_types::domain::sha256(&bytes);
        Ok(Some(SpooledEvent { index, id, bytes }))
    }

    /// The next undelivered record.
    pub fn peek(&mut self) -> Result<Option<SpooledEvent>, SpoolError> {
        self.get(self.acked)
    }

    /// Marks the record at `index` delivered; it must be the next undelivered one.
    pub fn ack(&mut self, index: u64) -> Result<(), SpoolError> {
        if index != self.acked || self.pending() == 0 {
            return Err(SpoolError::Corrupt {
                path: self.log_path.clone(),
                problem: format!(
                    "acknowledged record {index} out of order (next is {})",
                    self.acked
                ),
            });
        }
        self.ack.store(index + 1)?;
        self.acked = index + 1;
        Ok(())
    }

    /// Delivers every pending record in order, persisting the acknowledgement after each.
    /// Stops at the first failure, keeping that record for next time.
    pub fn deliver<S: Submit>(
        &mut self,
        submitter: &mut S,
    ) -> Result<usize, DeliverError<S::Error>> {
        let mut delivered = 0;
        while let Some(rec) = self.peek()? {
            if let Err(error) = submitter.submit(&rec) {
                return Err(DeliverError::Submit {
                    delivered,
                    index: rec.index,
                    error,
                });
            }
            self.ack(rec.index)?;
            delivered += 1;
        }
        Ok(delivered)
    }

    /// The next sequence number for `signer` implied by the spool: one past the highest
    /// sequence of its events still in the log (see [`crate::signer`] for why).
    pub fn next_seq_for(&mut self, signer: &PublicKey) -> Result<Option<u64>, SpoolError> {
        let mut best = None;
        for i in self.base..self.base + self.records.len() as u64 {
            if let Some(rec) = self.get(i)?
                && let Ok(ev) = rec.event()
                && ev.body.signer == *signer
            {
                best = best.max(Some(ev.body.seq.saturating_add(1)));
            }
        }
        Ok(best)
    }

    /// Restores a signer after a restart: the next sequence number is the larger of the one in
    /// `seq_file` and one past the highest this key has in the spool (which covers a crash
    /// after spooling an event but before storing the sequence file). Stores the result.
    pub fn restore_signer(
        &mut self,
        key: tradeledger_types::SecretKey,
        chain_id: impl Into<String>,
        seq_file: &SeqFile,
    ) -> Result<crate::signer::Signer, SpoolError> {
        let from_file = seq_file.load()?.unwrap_or(1);
        let from_spool = self.next_seq_for(&key.public())?.unwrap_or(1);
        let next = from_file.max(from_spool);
        seq_file.store(next)?;
        Ok(crate::signer::Signer::resume(key, chain_id, next))
    }

    /// Rewrites the log without the delivered records (atomic: write, fsync, rename).
    pub fn compact(&mut self) -> Result<(), SpoolError> {
        let keep_from = (self.acked - self.base) as usize;
        if keep_from == 0 {
            return Ok(());
        }
        let tmp = self.log_path.with_extension("compact");
        let io_tmp = |source| SpoolError::Io {
            path: tmp.clone(),
            source,
        };
        let mut out = File::create(&tmp).map_err(io_tmp)?;
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(&self.acked.to_le_bytes());
        out.write_all(&header).map_err(io_tmp)?;
        let mut records = Vec::with_capacity(self.records.len() - keep_from);
        let mut end = HEADER_LEN;
        for i in self.acked..self.base + self.records.len() as u64 {
            let rec = self.get(i)?.ok_or_else(|| SpoolError::Corrupt {
                path: self.log_path.clone(),
                problem: "record vanished".into(),
            })?;
            let len = rec.bytes.len() as u32;
            out.write_all(&len.to_le_bytes()).map_err(io_tmp)?;
            out.write_all(&Sha256::digest(&rec.bytes)).map_err(io_tmp)?;
            out.write_all(&rec.bytes).map_err(io_tmp)?;
            records.push((end + RECORD_HEAD as u64, len));
            end += (RECORD_HEAD + rec.bytes.len()) as u64;
        }
        out.sync_all().map_err(io_tmp)?;
        drop(out);
        fs::rename(&tmp, &self.log_path).map_err(self.io())?;
        sync_parent(&self.log_path).map_err(self.io())?;
        self.log = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.log_path)
            .map_err(self.io())?;
        self.base = self.acked;
        self.records = records;
        self.end = end;
        Ok(())
    }
}
