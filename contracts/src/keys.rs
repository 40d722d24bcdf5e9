//! The layout of state keys. Every value is canonical CBOR; ids never contain a NUL byte, so the
//! `0x00` separators are unambiguous. In the [`Store`](crate::Store), values live under `v ‖ key`
//! and tree nodes under `t ‖ ...`.

use tradeledger_types::{EventId, PublicKey};

/// Prefix of state values in the store.
pub(crate) const VALUE_PREFIX: u8 = b'v';

fn with(tag: &[u8], id: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(tag.len() + id.len());
    k.extend_from_slice(tag);
    k.extend_from_slice(id);
    k
}

/// The chain id.
pub fn chain_id() -> Vec<u8> {
    b"C".to_vec()
}
/// An organisation record.
pub fn org(id: &str) -> Vec<u8> {
    with(b"o\0", id.as_bytes())
}
/// A signer (organisation key or device) record with its last sequence number.
pub fn signer(key: &PublicKey) -> Vec<u8> {
    with(b"k\0", &key.0)
}
/// The retirement of a rotated organisation key ([`KeyRetirement`](crate::records::KeyRetirement)).
pub fn key_retirement(key: &PublicKey) -> Vec<u8> {
    with(b"x\0", &key.0)
}
/// The latest accepted rule-set version (maybe not yet in force).
pub fn rules_latest() -> Vec<u8> {
    b"r\0latest".to_vec()
}
/// A rule-set version with its effective height.
pub fn rules_version(version: u32) -> Vec<u8> {
    with(b"r\0v", &version.to_be_bytes())
}
/// A shipment record.
pub fn shipment(id: &str) -> Vec<u8> {
    with(b"s\0", id.as_bytes())
}
/// Entry `n` (from 0) of a shipment's timeline.
pub fn timeline(id: &str, n: u32) -> Vec<u8> {
    let mut k = timeline_prefix(id);
    k.extend_from_slice(&n.to_be_bytes());
    k
}
/// Prefix of a shipment's timeline entries.
pub fn timeline_prefix(id: &str) -> Vec<u8> {
    let mut k = shipment(id);
    k.extend_from_slice(b"\0t");
    k
}
/// An applied event's record.
pub fn event(id: &EventId) -> Vec<u8> {
    with(b"e\0", &id.0)
}
/// A certificate id (uniqueness).
pub fn certificate(id: &str) -> Vec<u8> {
    with(b"c\0", id.as_bytes())
}
/// A trademark recordation.
pub fn recordation(id: &str) -> Vec<u8> {
    with(b"i\0r", id.as_bytes())
}
/// The recordations of a mark (lowercased).
pub fn mark(mark_lower: &str) -> Vec<u8> {
    with(b"i\0m", mark_lower.as_bytes())
}
/// A licence.
pub fn licence(id: &str) -> Vec<u8> {
    with(b"i\0l", id.as_bytes())
}
/// The licences granted under a recordation to one licensee (name trimmed and lowercased).
pub fn licences_of(recordation_id: &str, licensee_norm: &str) -> Vec<u8> {
    let mut k = with(b"i\0L", recordation_id.as_bytes());
    k.push(0);
    k.extend_from_slice(licensee_norm.as_bytes());
    k
}
