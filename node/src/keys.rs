//! Node key files: one ed25519 seed (64 hex characters) that is both the consensus key and the
//! libp2p identity, so a validator's `consensus_key` and `peer_id` in genesis come from one file.

use libp2p::PeerId;
use libp2p::identity::Keypair;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use tradeledger_types::{PublicKey, SecretKey};

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// I/O on the key file.
    #[error("key file {path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file does not hold 64 hex characters.
    #[error("key file {path}: expected 64 hex characters (an ed25519 seed)")]
    Format {
        /// File.
        path: PathBuf,
    },
    /// The operating system's random source failed.
    #[error("cannot draw randomness for a key: {0}")]
    Random(String),
}

/// A node's key: consensus signing key and libp2p identity from the same seed.
#[derive(Clone)]
pub struct NodeKey {
    secret: SecretKey,
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeKey(public={})", self.secret.public())
    }
}

impl NodeKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<NodeKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(NodeKey::from_seed(seed))
    }

    /// The key of a seed.
    pub fn from_seed(seed: [u8; 32]) -> NodeKey {
        NodeKey {
            secret: SecretKey::from_seed(seed),
        }
    }

    /// The consensus signing key.
    pub fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// The consensus public key.
    pub fn public(&self) -> PublicKey {
        self.secret.public()
    }

    /// The libp2p keypair (same ed25519 key).
    pub fn libp2p_keypair(&self) -> Keypair {
        let mut seed = self.secret.seed();
        Keypair::ed25519_from_bytes(&mut seed)
            .expect("a 32-byte seed is always a valid ed25519 secret")
    }

    /// The libp2p peer id.
    pub fn peer_id(&self) -> PeerId {
        self.libp2p_keypair().public().to_peer_id()
    }

    /// Writes the seed as hex to a new file with mode 0600 (refuses to overwrite).
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(io)?;
        f.write_all(format!("{}\n", hex::encode(self.secret.seed())).as_bytes())
            .map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// Reads a key file.
    pub fn read(path: &Path) -> Result<NodeKey, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| KeyError::Format {
            path: path.to_path_buf(),
        })?;
        Ok(NodeKey::from_seed(seed))
    }
}

/// The libp2p peer id of a consensus public key (both are the same ed25519 key).
pub fn peer_id_of(key: &PublicKey) -> Option<PeerId> {
    let pk = libp2p::identity::ed25519::PublicKey::try_from_bytes(&key.0).ok()?;
    Some(libp2p::identity::PublicKey::from(pk).to_peer_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k");
        let key = NodeKey::generate().expect("random");
        key.write_new(&path).expect("write");
        assert!(key.write_new(&path).is_err(), "must not overwrite");
        let back = NodeKey::read(&path).expect("read");
        assert_eq!(back.public(), key.public());
        assert_eq!(back.peer_id(), key.peer_id());
        assert_eq!(peer_id_of(&key.public()), Some(key.peer_id()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn malformed_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k");
        std::fs::write(&path, "zz").expect("write");
        assert!(matches!(NodeKey::read(&path), Err(KeyError::Format { .. })));
    }
}
