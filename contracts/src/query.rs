//! Read-only queries for the API and the auditor. None of them changes the store.

use crate::error::ExecError;
use crate::governance::entry_in_force;
use crate::keys;
use crate::outcome::Rejection;
use crate::outcome::{Flag, Lane, OriginVerdict};
use crate::records::{
    EventRecord, KeyRetirement, LicenceRecord, RecordationRecord, ShipmentRecord, SignerRecord,
    TimelineEntry,
};
use crate::smt;
use crate::state::read_record;
use crate::store::Store;
use tradeledger_types::{EventId, Hash32, Organisation, PublicKey, RuleSet, codec};

/// The state root of the store (zero before genesis).
pub fn state_root<S: Store>(store: &S) -> Result<Hash32, ExecError> {
    smt::root(store)
}

/// The chain id written by genesis.
pub fn chain_id<S: Store>(store: &S) -> Result<Option<String>, ExecError> {
    read_record(store, &keys::chain_id())
}

/// The rule set in force at `height` (for a block about to be executed at that height).
pub fn rule_set_at<S: Store>(store: &S, height: u64) -> Result<RuleSet, ExecError> {
    Ok(entry_in_force(store, height)?.rule_set)
}

/// The latest accepted rule set (maybe not yet in force) and its effective height.
pub fn latest_rule_set<S: Store>(store: &S) -> Result<(RuleSet, u64), ExecError> {
    let v: u32 = read_record(store, &keys::rules_latest())?.ok_or(ExecError::NotInitialised)?;
    let e = entry_in_force(store, u64::MAX)?;
    debug_assert_eq!(e.rule_set.version, v);
    Ok((e.rule_set, e.effective_height))
}

/// A signer's record (organisation, device, last sequence number); the next valid sequence
/// number is `last_seq + 1`.
pub fn signer<S: Store>(store: &S, key: &PublicKey) -> Result<Option<SignerRecord>, ExecError> {
    read_record(store, &keys::signer(key))
}

/// The retirement of a rotated organisation key (when and by which key it is replaced), if any.
pub fn key_retirement<S: Store>(
    store: &S,
    key: &PublicKey,
) -> Result<Option<KeyRetirement>, ExecError> {
    read_record(store, &keys::key_retirement(key))
}

/// The rejection execution would give an event signed by `key` at `height` because the key is
/// retired (`device_revoked`, `key_revoked`), or `None`. For mempool admission: an event about
/// to be proposed lands at the committed height + 1 or later, so a key refused there can never
/// sign again. Unknown keys are not refused here (a device's registration may still be pending);
/// execution refuses them with `unknown_signer`.
pub fn signer_refusal<S: Store>(
    store: &S,
    key: &PublicKey,
    height: u64,
) -> Result<Option<Rejection>, ExecError> {
    let Some(signer) = signer(store, key)? else {
        return Ok(None);
    };
    let retirement = match signer.device {
        Some(_) => None,
        None => key_retirement(store, key)?,
    };
    Ok(crate::execute::retired(
        &signer,
        retirement.as_ref(),
        height,
    ))
}

/// An organisation.
pub fn organisation<S: Store>(store: &S, id: &str) -> Result<Option<Organisation>, ExecError> {
    read_record(store, &keys::org(id))
}

/// An applied event's record (kind, organisation, shipment, height, correction).
pub fn event<S: Store>(store: &S, id: &EventId) -> Result<Option<EventRecord>, ExecError> {
    read_record(store, &keys::event(id))
}

/// A trademark recordation.
pub fn recordation<S: Store>(store: &S, id: &str) -> Result<Option<RecordationRecord>, ExecError> {
    read_record(store, &keys::recordation(id))
}

/// A licence.
pub fn licence<S: Store>(store: &S, id: &str) -> Result<Option<LicenceRecord>, ExecError> {
    read_record(store, &keys::licence(id))
}

/// Everything the contracts keep about a shipment.
pub fn shipment<S: Store>(store: &S, id: &str) -> Result<Option<ShipmentRecord>, ExecError> {
    read_record(store, &keys::shipment(id))
}

/// A shipment's lane, the rule-set version that computed it, its flags and origin verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentStatus {
    /// Current lane.
    pub lane: Lane,
    /// Rule-set version that computed the lane.
    pub lane_version: u32,
    /// Flags, one per rule, sorted by rule id.
    pub flags: Vec<Flag>,
    /// Latest origin verdict.
    pub origin: Option<OriginVerdict>,
}

/// The lane, flags and origin verdict of a shipment.
pub fn shipment_status<S: Store>(store: &S, id: &str) -> Result<Option<ShipmentStatus>, ExecError> {
    Ok(shipment(store, id)?.map(|r| ShipmentStatus {
        lane: r.lane,
        lane_version: r.lane_version,
        flags: r.flags,
        origin: r.origin,
    }))
}

/// Up to `limit` timeline entries of a shipment from entry `from` (0 is the declaration), in order.
pub fn timeline<S: Store>(
    store: &S,
    id: &str,
    from: u32,
    limit: usize,
) -> Result<Vec<TimelineEntry>, ExecError> {
    let mut prefix = vec![crate::keys::VALUE_PREFIX];
    prefix.extend_from_slice(&keys::timeline_prefix(id));
    let start = {
        let mut k = vec![crate::keys::VALUE_PREFIX];
        k.extend_from_slice(&keys::timeline(id, from));
        k
    };
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    // The entry at `from` itself is wanted, so ask for keys after the one just before it.
    let first = store.get(&start)?;
    if let Some(bytes) = first {
        out.push(decode_entry(&start, &bytes)?);
    }
    for (k, v) in store.scan_prefix(&prefix, Some(&start), limit - out.len())? {
        out.push(decode_entry(&k, &v)?);
    }
    out.truncate(limit);
    Ok(out)
}

fn decode_entry(key: &[u8], bytes: &[u8]) -> Result<TimelineEntry, ExecError> {
    codec::from_canonical(bytes, codec::EVENT_BYTES_MAX, "timeline entry").map_err(|e| {
        ExecError::CorruptState {
            key: crate::error::printable_key(key),
            reason: e.to_string(),
        }
    })
}
