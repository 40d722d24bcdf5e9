//! The signer: one key, one chain, and the key's next sequence number.
//!
//! The node rejects replays and gaps in a signer's sequence, so the next sequence number is
//! state that must survive restarts. [`Signer`] is the pure part (no I/O); [`SeqFile`] persists
//! the next number in a small file, written atomically (temporary file, fsync, rename).
//!
//! Ordering that keeps the sequence gap-free and replay-free across crashes: sign, append the
//! event to the [`Spool`](crate::spool::Spool) (fsynced), then [`SeqFile::store`] the next
//! number. On start, resume from the larger of the file and one past the highest sequence this
//! key has in the spool ([`Spool::restore_signer`](crate::spool::Spool::restore_signer) does
//! both), which covers a crash between the two writes.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use tradeledger_types::{EventBody, FieldError, Payload, PublicKey, SecretKey, SignedEvent};

/// Why an event could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The payload fails validation; `field` names the field (e.g. `goods[0].hs_code`).
    #[error("invalid payload: {0}")]
    Invalid(#[from] FieldError),
    /// The sequence number space is exhausted (never happens in practice).
    #[error("sequence numbers exhausted for signer {signer}")]
    SeqExhausted {
        /// The signer.
        signer: PublicKey,
    },
}

/// Holds a signing key, the chain id, and the next per-signer sequence number.
///
/// Deliberately not `Clone`: two copies would hand out the same sequence numbers.
#[derive(Debug)]
pub struct Signer {
    key: SecretKey,
    chain_id: String,
    next_seq: u64,
}

impl Signer {
    /// A signer whose next event gets sequence number 1 (a fresh key).
    pub fn new(key: SecretKey, chain_id: impl Into<String>) -> Self {
        Self::resume(key, chain_id, 1)
    }

    /// A signer resuming at `next_seq` (as restored from a [`SeqFile`] or the node).
    /// A `next_seq` of 0 is taken as 1: sequence numbers start at 1.
    pub fn resume(key: SecretKey, chain_id: impl Into<String>, next_seq: u64) -> Self {
        Signer {
            key,
            chain_id: chain_id.into(),
            next_seq: next_seq.max(1),
        }
    }

    /// The signer's public key.
    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    /// The chain the signer signs for.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The sequence number the next signed event will carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Moves the next sequence number forward (never back): used when the node reports a
    /// higher sequence than local state (for example after restoring an old backup).
    pub fn advance_to(&mut self, next_seq: u64) {
        self.next_seq = self.next_seq.max(next_seq);
    }

    /// Validates the payload ([`Payload::validate`]), then signs it with the next sequence
    /// number and advances. A payload that fails validation consumes no sequence number.
    pub fn sign(&mut self, payload: Payload) -> Result<SignedEvent, SignError> {
        payload.validate()?;
        self.sign_unvalidated(payload)
    }

    /// Signs without validating (for payloads already validated, such as the recorder's).
    /// The node still validates; an invalid payload is rejected there, and its sequence number
    /// is then consumed without effect.
    pub fn sign_unvalidated(&mut self, payload: Payload) -> Result<SignedEvent, SignError> {
        let seq = self.next_seq;
        let next = seq.checked_add(1).ok_or(SignError::SeqExhausted {
            signer: self.public(),
        })?;
        let body = EventBody {
            chain_id: self.chain_id.clone(),
            signer: self.key.public(),
            seq,
            payload,
        };
        let event = body.sign(&self.key);
        self.next_seq = next;
        Ok(event)
    }
}

/// Why the sequence file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SeqFileError {
    /// An I/O error on the file.
    #[error("sequence file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file does not hold a decimal number.
    #[error("sequence file {path}: not a sequence number: {content:?}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What it held.
        content: String,
    },
}

/// A file holding a signer's next sequence number as decimal text.
#[derive(Debug, Clone)]
pub struct SeqFile {
    path: PathBuf,
}

impl SeqFile {
    /// The file at `path` (not created until [`Self::store`]).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SeqFile { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored next sequence number, or `None` when the file does not exist yet.
    pub fn load(&self) -> Result<Option<u64>, SeqFileError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SeqFileError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        text.trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| SeqFileError::Corrupt {
                path: self.path.clone(),
                content: text.chars().take(40).collect(),
            })
    }

    /// Stores `next_seq` atomically and durably: write a temporary file, fsync, rename over the
    /// old one, fsync the directory.
    pub fn store(&self, next_seq: u64) -> Result<(), SeqFileError> {
        let io = |source| SeqFileError::Io {
            path: self.path.clone(),
            source,
        };
        let tmp = self.path.with_extension("tmp");
        {
            let mut f = fs::File::create(&tmp).map_err(io)?;
            f.write_all(format!("{next_seq}\n").as_bytes())
                .map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        fs::rename(&tmp, &self.path).map_err(io)?;
        sync_parent(&self.path).map_err(io)
    }

    /// A signer restored from this file (next sequence 1 when the file does not exist).
    pub fn restore_signer(
        &self,
        key: SecretKey,
        chain_id: impl Into<String>,
    ) -> Result<Signer, SeqFileError> {
        Ok(Signer::resume(key, chain_id, self.load()?.unwrap_or(1)))
    }
}

/// Fsyncs the directory holding `path`, so a rename or a new file survives a crash.
pub(crate) fn sync_parent(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tradeledger_types::{ClearanceDecision, Decision};

    fn clearance(reason: &str, decision: Decision) -> Payload {
        Payload::Clearance(ClearanceDecision {
            shipment_id: "SHP-1".into(),
            decision,
            reason: reason.into(),
        })
    }

    #[test]
    fn signs_with_increasing_sequence_numbers() {
        let mut s = Signer::new(SecretKey::from_seed([1; 32]), "demo");
        let a = s.sign(clearance("", Decision::Release)).unwrap();
        let b = s.sign(clearance("", Decision::Release)).unwrap();
        assert_eq!((a.body.seq, b.body.seq, s.next_seq()), (1, 2, 3));
        assert_eq!(a.body.chain_id, "demo");
        a.verify().unwrap();
        b.verify().unwrap();
    }

    #[test]
    fn invalid_payload_names_the_field_and_consumes_no_sequence() {
        let mut s = Signer::new(SecretKey::from_seed([1; 32]), "demo");
        let err = s.sign(clearance("", Decision::Hold)).unwrap_err();
        assert!(
            matches!(&err, SignError::Invalid(f) if f.field == "reason"),
            "{err}"
        );
        assert_eq!(s.next_seq(), 1);
    }

    #[test]
    fn seq_file_round_trips_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let f = SeqFile::new(dir.path().join("seq"));
        assert_eq!(f.load().unwrap(), None);
        f.store(42).unwrap();
        assert_eq!(f.load().unwrap(), Some(42));
        let s = f
            .restore_signer(SecretKey::from_seed([2; 32]), "demo")
            .unwrap();
        assert_eq!(s.next_seq(), 42);
        std::fs::write(f.path(), "forty-two").unwrap();
        assert!(matches!(f.load(), Err(SeqFileError::Corrupt { .. })));
    }

    #[test]
    fn advance_never_goes_back() {
        let mut s = Signer::resume(SecretKey::from_seed([1; 32]), "demo", 10);
        s.advance_to(5);
        assert_eq!(s.next_seq(), 10);
        s.advance_to(12);
        assert_eq!(s.next_seq(), 12);
    }
}
