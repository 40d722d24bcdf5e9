//! Column families and key layouts. Heights and sequence numbers are big-endian so RocksDB's
//! byte order is numeric order.

use tradeledger_types::{EventId, Hash32, PublicKey};

/// Block bytes by height.
pub const CF_BLOCKS: &str = "blocks";
/// The QC certifying the block at each height, by height.
pub const CF_CERTS: &str = "certs";
/// Committed events by id: their bytes and place.
pub const CF_EVENTS: &str = "events";
/// Secondary indexes (see the `idx_*` functions).
pub const CF_INDEXES: &str = "indexes";
/// The contracts' key-value state.
pub const CF_STATE: &str = "state";
/// Execution results: per event and per block.
pub const CF_RESULTS: &str = "results";
/// Consensus safety data.
pub const CF_SAFETY: &str = "safety";
/// Node metadata (last committed height, ...).
pub const CF_META: &str = "meta";
/// Uncommitted blocks the safety record points at, by `height ‖ hash` (see
/// [`uncommitted_key`]); dropped as their height commits.
pub const CF_UNCOMMITTED: &str = "uncommitted";

/// Every column family, in the order they are opened.
pub const ALL_CFS: [&str; 9] = [
    CF_BLOCKS,
    CF_CERTS,
    CF_EVENTS,
    CF_INDEXES,
    CF_STATE,
    CF_RESULTS,
    CF_SAFETY,
    CF_META,
    CF_UNCOMMITTED,
];

/// Meta key: height of the last committed (and executed) block.
pub const META_HEIGHT: &[u8] = b"committed_height";
/// Meta key: the storage format (u32, big-endian) the database was written in.
pub const META_FORMAT: &[u8] = b"storage_format";
/// The storage format this build writes and reads. 2: state-tree nodes hold leaf hashes
/// (`tradeledger_contracts::smt`), safety data holds `last_timeout_tc`, and the
/// `uncommitted` column family exists. Databases without the key are format 1.
pub const STORAGE_FORMAT: u32 = 2;
/// Meta key: hash of the genesis this database was created from.
pub const META_GENESIS: &[u8] = b"genesis_hash";
/// Safety key: the consensus safety record.
pub const SAFETY_KEY: &[u8] = b"safety";

/// Height as a key.
pub fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

/// An uncommitted block: `height ‖ hash`, so every block at or below a committed height is
/// one range delete.
pub fn uncommitted_key(height: u64, hash: &Hash32) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..8].copy_from_slice(&height.to_be_bytes());
    k[8..].copy_from_slice(&hash.0);
    k
}

/// `(height, index)` position suffix.
fn position(height: u64, index: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&height.to_be_bytes());
    k[8..].copy_from_slice(&index.to_be_bytes());
    k
}

/// Block hash → height: `h ‖ hash`.
pub fn idx_block_hash(hash: &Hash32) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.push(b'h');
    k.extend_from_slice(&hash.0);
    k
}

fn text_prefixed(tag: u8, text: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + text.len() + 12);
    k.push(tag);
    k.extend_from_slice(text.as_bytes());
    k.push(0);
    k
}

/// Prefix of the shipment index: `s ‖ shipment ‖ 0x00`.
pub fn idx_shipment_prefix(shipment: &str) -> Vec<u8> {
    text_prefixed(b's', shipment)
}

/// Shipment index entry → event id: `s ‖ shipment ‖ 0x00 ‖ height ‖ index`.
pub fn idx_shipment(shipment: &str, height: u64, index: u32) -> Vec<u8> {
    let mut k = idx_shipment_prefix(shipment);
    k.extend_from_slice(&position(height, index));
    k
}

/// Prefix of the shipment history index: `d ‖ shipment ‖ 0x00`.
pub fn idx_history_prefix(shipment: &str) -> Vec<u8> {
    text_prefixed(b'd', shipment)
}

/// Shipment history index entry → id of an event that produced a flag, verdict or lane change
/// on the shipment: `d ‖ shipment ‖ 0x00 ‖ height ‖ index`. A shipment's history is found
/// without reading every event it holds (reefer readings run to hundreds of thousands).
pub fn idx_history(shipment: &str, height: u64, index: u32) -> Vec<u8> {
    let mut k = idx_history_prefix(shipment);
    k.extend_from_slice(&position(height, index));
    k
}

/// Prefix of the EPC index: `e ‖ epc ‖ 0x00`.
pub fn idx_epc_prefix(epc: &str) -> Vec<u8> {
    text_prefixed(b'e', epc)
}

/// EPC index entry → event id.
pub fn idx_epc(epc: &str, height: u64, index: u32) -> Vec<u8> {
    let mut k = idx_epc_prefix(epc);
    k.extend_from_slice(&position(height, index));
    k
}

/// Prefix of the signer index: `g ‖ signer`.
pub fn idx_signer_prefix(signer: &PublicKey) -> Vec<u8> {
    let mut k = Vec::with_capacity(41);
    k.push(b'g');
    k.extend_from_slice(&signer.0);
    k
}

/// Signer index entry → event id: `g ‖ signer ‖ seq`.
pub fn idx_signer(signer: &PublicKey, seq: u64) -> Vec<u8> {
    let mut k = idx_signer_prefix(signer);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Per-event result: `e ‖ event id`.
pub fn result_event(id: &EventId) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.push(b'e');
    k.extend_from_slice(&id.0);
    k
}

/// Per-block result (roots after executing the block): `b ‖ height`.
pub fn result_block(height: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(b'b');
    k.extend_from_slice(&height.to_be_bytes());
    k
}

/// Decodes a big-endian u64.
pub fn be_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}
