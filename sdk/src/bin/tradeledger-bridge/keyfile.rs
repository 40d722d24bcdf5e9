//! Device key files: one ed25519 seed as 64 hex characters (the node's key-file format).

use anyhow::Context as _;
use std::path::Path;
use tradeledger_types::SecretKey;

/// Reads a key file.
pub fn read(path: &Path) -> anyhow::Result<SecretKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("key file {}", path.display()))?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| {
        anyhow::anyhow!(
            "key file {}: expected 64 hex characters (an ed25519 seed)",
            path.display()
        )
    })?;
    Ok(SecretKey::from_seed(seed))
}
