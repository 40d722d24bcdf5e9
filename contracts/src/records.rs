//! The records kept in state, each canonical CBOR under a key of [`keys`](crate::keys).

use crate::outcome::{Flag, Lane, OriginVerdict};
use tradeledger_types::{
    CertificateOfOrigin, Decision, EventId, EventKind, IprLicence, IprRecordation, Locode, OrgId,
    PublicKey, RuleSet, ShipmentDeclaration, ShipmentId, TimeMs, wire_struct,
};

wire_struct! {
    /// A device registered by an organisation.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct DeviceInfo {
        /// The device's own id.
        pub device_id: String,
        /// Event kinds it may sign.
        pub kinds: Vec<EventKind>,
        /// First height at which its events are rejected, once revoked.
        pub revoked_from_height: Option<u64>,
    }
}

wire_struct! {
    /// A key that may sign: an organisation key from genesis, or a registered device.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SignerRecord {
        /// The organisation it signs for.
        pub org: OrgId,
        /// Set for a device.
        pub device: Option<DeviceInfo>,
        /// Last sequence number applied (0 before the first event).
        pub last_seq: u64,
    }
}

wire_struct! {
    /// An organisation key rotated out: refused from `from_height` on. Kept under its own state
    /// key (not in [`SignerRecord`]) so the records of keys never rotated keep their bytes.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct KeyRetirement {
        /// The organisation the key signed for.
        pub org: OrgId,
        /// First height at which its events are rejected (`key_revoked`).
        pub from_height: u64,
        /// The key that replaced it.
        pub replaced_by: PublicKey,
        /// The rotation event.
        pub rotation: EventId,
    }
}

wire_struct! {
    /// A rule-set version and the height from which it is in force.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RuleSetEntry {
        /// The rule set (its `version` field is the version).
        pub rule_set: RuleSet,
        /// First height at which it is in force (1 for genesis).
        pub effective_height: u64,
        /// The update event that made it (none for genesis).
        pub made_by: Option<EventId>,
    }
}

wire_struct! {
    /// Running cold-chain measurement of a shipment (time outside the commodity's range).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ColdChain {
        /// Time of the latest temperature reading seen.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>, required = true))]
        pub last_time_ms: Option<TimeMs>,
        /// Whether that reading was outside the range.
        pub last_outside: bool,
        /// Total time outside the range so far, milliseconds.
        pub outside_ms: u64,
        /// Largest distance from the range seen, milli-°C.
        pub worst_deviation_milli: i64,
        /// The time outside the range as disjoint intervals sorted by start (at most
        /// [`OUTSIDE_INTERVALS_MAX`](crate::risk::OUTSIDE_INTERVALS_MAX)); `outside_ms` is their
        /// total length. Kept so that readings arriving out of order add to the measurement
        /// without counting twice what another report already showed.
        pub outside_intervals: Vec<OutsideInterval>,
    }
}

wire_struct! {
    /// A time interval `[from_ms, until_ms)` during which a shipment was outside its range.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct OutsideInterval {
        /// Start (a reading outside the range).
        pub from_ms: TimeMs,
        /// End (the next reading).
        pub until_ms: TimeMs,
    }
}

wire_struct! {
    /// Everything the contracts keep about a shipment (bounded: flags are one per rule).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ShipmentRecord {
        /// The declaration in force (the latest correction of it).
        pub declaration: ShipmentDeclaration,
        /// The declaring organisation.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub declared_by: OrgId,
        /// Height of the declaration.
        pub declared_height: u64,
        /// Events in the timeline.
        pub event_count: u32,
        /// Certificate of origin in force, with the event that carried it.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        pub certificate: Option<CertificateOfOrigin>,
        /// Latest origin verdict.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        pub origin: Option<OriginVerdict>,
        /// Custody events applied.
        pub custody_count: u32,
        /// Whether the first located custody event was checked against the origin country.
        pub first_country_checked: bool,
        /// UN/LOCODE of the latest located custody event.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, required = true))]
        pub last_locode: Option<Locode>,
        /// Event time of the first border-portal read.
        #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>, required = true))]
        pub arrived_ms: Option<TimeMs>,
        /// Cold-chain measurement.
        pub cold_chain: ColdChain,
        /// Flags, one per rule id, sorted by rule id.
        pub flags: Vec<Flag>,
        /// Current lane.
        pub lane: Lane,
        /// Rule-set version that computed the lane.
        pub lane_version: u32,
        /// Latest clearance decision.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        pub clearance: Option<Decision>,
    }
}

wire_struct! {
    /// One entry of a shipment's timeline.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct TimelineEntry {
        /// The event.
        #[cfg_attr(feature = "openapi", schema(value_type = tradeledger_types::Hash32))]
        pub event_id: EventId,
        /// Its kind.
        pub kind: EventKind,
        /// The organisation that signed it (directly or by a device).
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub org: OrgId,
        /// Height of the block that applied it.
        pub height: u64,
        /// Time of that block.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub block_time_ms: TimeMs,
    }
}

wire_struct! {
    /// An applied event, for corrections and references.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct EventRecord {
        /// Its kind.
        pub kind: EventKind,
        /// The organisation that signed it.
        pub org: OrgId,
        /// The shipment it is about.
        pub shipment_id: Option<ShipmentId>,
        /// Height that applied it.
        pub height: u64,
        /// The correction that superseded it, if any.
        pub corrected_by: Option<EventId>,
    }
}

wire_struct! {
    /// A recordation and whether customs accepted it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecordationRecord {
        /// The recordation.
        pub recordation: IprRecordation,
        /// Height of customs' acceptance.
        pub accepted_height: Option<u64>,
        /// The directly authorised manufacturers, trimmed, lowercased, sorted, unique.
        pub manufacturers_norm: Vec<String>,
        /// The directly authorised importers, trimmed, lowercased, sorted, unique.
        pub importers_norm: Vec<String>,
        /// The HS prefixes covered, sorted, unique (empty: all goods).
        pub hs_prefixes_sorted: Vec<String>,
    }
}

wire_struct! {
    /// A licence and its revocation.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct LicenceRecord {
        /// The licence.
        pub licence: IprLicence,
        /// Time from which it is revoked.
        pub revoked_from_ms: Option<TimeMs>,
    }
}
