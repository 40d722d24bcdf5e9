//! What execution says about each event: applied or rejected (with a stable reason code), and the
//! records derived from it (flags, verdicts, lane changes). These are hashed into the results root.

use serde::{Deserialize, Serialize};
use tradeledger_types::{
    Domain, EventId, Hash32, OrgId, PublicKey, Severity, ShipmentId, codec, merkle, wire_struct,
};

/// Why an event was rejected. The snake_case name ([`RejectCode::as_str`]) is stable: clients,
/// the API and auditors match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RejectCode {
    /// The event was signed for another chain.
    WrongChain,
    /// A payload field is malformed (the detail names it).
    InvalidPayload,
    /// The signer is neither an organisation key nor a registered device.
    UnknownSigner,
    /// The sequence number was already used by this signer.
    ReplayedSequence,
    /// The sequence number skips one or more numbers.
    SequenceGap,
    /// The signer's organisation does not hold the role this event kind needs.
    RoleNotAllowed,
    /// The device was revoked at or before this height.
    DeviceRevoked,
    /// The device is not registered for this event kind.
    DeviceKindNotAllowed,
    /// The device key belongs to another organisation's registration or is an organisation key.
    KeyInUse,
    /// The device is not registered by the signer's organisation.
    UnknownDevice,
    /// The referenced shipment does not exist.
    UnknownShipment,
    /// A shipment with this id already exists.
    DuplicateShipment,
    /// The signer's organisation is not a party the event needs it to be (declarant, certifier,
    /// owner, original signer).
    NotAParty,
    /// The declared carrier is not an organisation with the carrier role.
    UnknownCarrier,
    /// The signer's organisation is not the carrier named by the shipment.
    NotShipmentCarrier,
    /// A certificate with this id already exists.
    DuplicateCertificate,
    /// The referenced recordation does not exist.
    UnknownRecordation,
    /// A recordation with this id already exists.
    DuplicateRecordation,
    /// The recordation is already accepted.
    AlreadyAccepted,
    /// The referenced licence does not exist.
    UnknownLicence,
    /// A licence with this id already exists.
    DuplicateLicence,
    /// The licence is already revoked.
    AlreadyRevoked,
    /// A sub-licence's validity window is not inside its parent's, or names another recordation,
    /// or the chain is deeper than allowed.
    InvalidLicenceChain,
    /// Too many entries under one mark or recordation (a bound on work per event).
    RegistryFull,
    /// The rule-set version is not the latest plus one.
    WrongRuleSetVersion,
    /// The effective height is not after the current height and every pending update's.
    InvalidEffectiveHeight,
    /// A change in the update belongs to a role the signer does not hold.
    RuleChangeNotOwned,
    /// The rule set after the update would be invalid (the detail names the field).
    InvalidRuleSet,
    /// A custom rule's expression does not compile.
    InvalidCustomRule,
    /// Too many rule-set updates are waiting for their effective height.
    TooManyPendingRuleSets,
    /// The referenced event does not exist.
    UnknownEvent,
    /// A correction's replacement is of another kind than the event it corrects, or changes the
    /// shipment it is about.
    CorrectionMismatch,
    /// The organisation key was retired (rotated out) at or before this height.
    KeyRevoked,
    /// A key rotation names an old key that is not a signing key of the signer's organisation.
    UnknownKey,
}

impl RejectCode {
    /// True when an event rejected with this code still uses up its sequence number: every
    /// rejection after the envelope checks (chain, signer, device, sequence). A client can then
    /// number its events without knowing their outcome: each committed event whose envelope is
    /// valid takes the next number, as a transaction that fails still takes its nonce.
    pub fn consumes_sequence(self) -> bool {
        !matches!(
            self,
            RejectCode::WrongChain
                | RejectCode::UnknownSigner
                | RejectCode::DeviceRevoked
                | RejectCode::KeyRevoked
                | RejectCode::DeviceKindNotAllowed
                | RejectCode::ReplayedSequence
                | RejectCode::SequenceGap
        )
    }

    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::WrongChain => "wrong_chain",
            RejectCode::InvalidPayload => "invalid_payload",
            RejectCode::UnknownSigner => "unknown_signer",
            RejectCode::ReplayedSequence => "replayed_sequence",
            RejectCode::SequenceGap => "sequence_gap",
            RejectCode::RoleNotAllowed => "role_not_allowed",
            RejectCode::DeviceRevoked => "device_revoked",
            RejectCode::DeviceKindNotAllowed => "device_kind_not_allowed",
            RejectCode::KeyInUse => "key_in_use",
            RejectCode::UnknownDevice => "unknown_device",
            RejectCode::UnknownShipment => "unknown_shipment",
            RejectCode::DuplicateShipment => "duplicate_shipment",
            RejectCode::NotAParty => "not_a_party",
            RejectCode::UnknownCarrier => "unknown_carrier",
            RejectCode::NotShipmentCarrier => "not_shipment_carrier",
            RejectCode::DuplicateCertificate => "duplicate_certificate",
            RejectCode::UnknownRecordation => "unknown_recordation",
            RejectCode::DuplicateRecordation => "duplicate_recordation",
            RejectCode::AlreadyAccepted => "already_accepted",
            RejectCode::UnknownLicence => "unknown_licence",
            RejectCode::DuplicateLicence => "duplicate_licence",
            RejectCode::AlreadyRevoked => "already_revoked",
            RejectCode::InvalidLicenceChain => "invalid_licence_chain",
            RejectCode::RegistryFull => "registry_full",
            RejectCode::WrongRuleSetVersion => "wrong_rule_set_version",
            RejectCode::InvalidEffectiveHeight => "invalid_effective_height",
            RejectCode::RuleChangeNotOwned => "rule_change_not_owned",
            RejectCode::InvalidRuleSet => "invalid_rule_set",
            RejectCode::InvalidCustomRule => "invalid_custom_rule",
            RejectCode::TooManyPendingRuleSets => "too_many_pending_rule_sets",
            RejectCode::UnknownEvent => "unknown_event",
            RejectCode::CorrectionMismatch => "correction_mismatch",
            RejectCode::KeyRevoked => "key_revoked",
            RejectCode::UnknownKey => "unknown_key",
        }
    }
}

wire_struct! {
    /// A rejection: the code and a human-readable detail (deterministic: built only from the
    /// event and the state).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Rejection {
        /// The stable code.
        pub code: RejectCode,
        /// What exactly was wrong (a field name, the expected sequence number, ...).
        pub detail: String,
    }
}

/// Applied or rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    /// The event changed the state.
    Applied,
    /// The event changed nothing; it stays in the block so auditors see the attempt.
    Rejected(Rejection),
}

/// A shipment's risk lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Lane {
    /// Release without inspection.
    Green,
    /// Document review.
    Yellow,
    /// Physical inspection.
    Red,
}

impl Lane {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Green => "green",
            Lane::Yellow => "yellow",
            Lane::Red => "red",
        }
    }
}

wire_struct! {
    /// A flag raised on a shipment by a rule.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Flag {
        /// The rule (`risk.cold_chain_excursion`, `custom.high-value-electronics`).
        pub rule_id: String,
        /// Severity (the highest the rule has reached on this shipment).
        pub severity: Severity,
        /// Events that show it (at most [`FLAG_EVIDENCE_MAX`], the first ones).
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<tradeledger_types::Hash32>))]
        pub evidence: Vec<EventId>,
        /// Rule-set version in force when it was raised or last raised in severity.
        pub rule_set_version: u32,
        /// Height at which it was raised or last raised in severity.
        pub height: u64,
        /// What the rule found, for the analyst.
        pub detail: String,
    }
}

/// Most evidence event ids kept on one flag.
pub const FLAG_EVIDENCE_MAX: usize = 16;

/// Which origin check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OriginCheck {
    /// The certifier is not the declared importer, exporter or producer its role says.
    Certifier,
    /// Exporter, importer or producer differ from the declaration.
    Parties,
    /// A certified good names a line the declaration does not have.
    GoodsLine,
    /// A certified good's HS code differs from the declared line's.
    HsCode,
    /// The blanket period does not cover the shipment's departure.
    BlanketPeriod,
    /// The criterion needs cost data (materials, values) that the declaration does not give.
    CostData,
    /// Criterion A claimed but non-originating materials are listed.
    WhollyObtained,
    /// Criterion C claimed but non-originating materials are listed.
    OriginatingMaterials,
    /// Criterion B or D claimed but the rule set has no product-specific rule for the HS code.
    NoProductRule,
    /// Non-originating materials above de minimis do not make the required tariff shift.
    TariffShift,
    /// Regional value content is below every allowed method's floor.
    RegionalValueContent,
}

wire_struct! {
    /// The origin contract's finding on a certificate.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct OriginVerdict {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// The certificate checked.
        pub certificate_id: String,
        /// True when every check passed: origin confirmed.
        pub confirmed: bool,
        /// The first check that failed.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        pub failed: Option<OriginCheck>,
        /// The goods line concerned, when the failure is about one line.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        pub line: Option<u32>,
        /// Explanation with the figures (RVC in basis points, materials at fault).
        pub detail: String,
        /// Rule-set version used.
        pub rule_set_version: u32,
    }
}

/// What the IPR contract found for one goods line and one recorded mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IprOutcome {
    /// Manufacturer (and importer, where restricted) licensed at shipment time.
    Authorised,
    /// The manufacturer was not licensed at shipment time: possible counterfeit.
    PossibleCounterfeit,
    /// Genuine goods imported by an unlicensed importer under a gray-market restriction.
    GrayMarket,
}

wire_struct! {
    /// The IPR contract's finding on one goods line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct IprVerdict {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// The goods line.
        pub line: u32,
        /// The recordation whose mark the goods bear.
        pub recordation_id: String,
        /// The finding.
        pub outcome: IprOutcome,
    }
}

/// Why a treatment record does not prove the treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TreatmentFault {
    /// No pulp or air temperature readings in the treatment window.
    NoReadings,
    /// Readings are further apart than the rule set's gap limit.
    Gap,
    /// A reading is on the wrong side of the treatment temperature.
    Excursion,
    /// The treatment temperature was not held for the required time.
    TooShort,
}

wire_struct! {
    /// The quarantine rule's finding on a treatment record.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct TreatmentVerdict {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// True when the record proves the treatment.
        pub valid: bool,
        /// Why not.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        pub fault: Option<TreatmentFault>,
        /// Explanation with the figures.
        pub detail: String,
    }
}

wire_struct! {
    /// A shipment's lane changed (or was computed under a new rule-set version).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct LaneChange {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// The lane before, `None` for a new shipment.
        #[cfg_attr(feature = "openapi", schema(required = true))]
        pub previous: Option<Lane>,
        /// The lane now.
        pub lane: Lane,
        /// The rule-set version that produced it.
        pub rule_set_version: u32,
    }
}

/// Why a custom rule could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CustomRuleFault {
    /// The rule ran out of fuel (operations limit): an endless or too costly loop.
    FuelExhausted,
    /// The rule built a string, array or map larger than allowed, or nested too deeply.
    TooLarge,
    /// The expression does not compile.
    Compile,
    /// The expression evaluated to something other than a boolean.
    NotBoolean,
    /// Any other evaluation error (overflow, division by zero, unknown variable, ...).
    Runtime,
}

wire_struct! {
    /// A custom rule failed on a shipment; it raised no flag, and the event was still applied.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct CustomRuleFailure {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// The rule.
        pub rule_id: String,
        /// Why.
        pub fault: CustomRuleFault,
    }
}

/// A record derived from an applied event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Derived {
    /// A flag was raised (or raised in severity) on a shipment.
    Flag {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        shipment_id: ShipmentId,
        /// The flag as it now stands.
        flag: Flag,
    },
    /// The origin contract's verdict on a certificate.
    Origin(OriginVerdict),
    /// The IPR contract's verdict on a goods line.
    Ipr(IprVerdict),
    /// The quarantine rule's verdict on a treatment record.
    Treatment(TreatmentVerdict),
    /// The lane changed.
    Lane(LaneChange),
    /// A custom rule failed.
    CustomRuleFailed(CustomRuleFailure),
    /// A rule-set update was accepted and will be in force from a height.
    RuleSetScheduled {
        /// The new version.
        version: u32,
        /// First height at which it is in force.
        effective_height: u64,
        /// The organisation that made it.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        by: OrgId,
    },
    /// An organisation key was rotated: the new key signs from now on, the old one until
    /// `effective_height`.
    KeyRotated {
        /// The organisation.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        org: OrgId,
        /// The key retired.
        old_key: PublicKey,
        /// The key that replaces it.
        new_key: PublicKey,
        /// First height at which the old key is refused (the rotation's own height when it
        /// asked for a height already reached).
        effective_height: u64,
    },
}

wire_struct! {
    /// The outcome of one event of a block.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct EventOutcome {
        /// The event.
        #[cfg_attr(feature = "openapi", schema(value_type = tradeledger_types::Hash32))]
        pub event_id: EventId,
        /// Applied or rejected.
        pub status: Status,
        /// Records derived from it (empty when rejected).
        pub records: Vec<Derived>,
    }
}

impl EventOutcome {
    /// True when applied.
    pub fn is_applied(&self) -> bool {
        matches!(self.status, Status::Applied)
    }

    /// True when the event used up its signer's sequence number: applied, or rejected after its
    /// envelope was found valid (see [`RejectCode::consumes_sequence`]).
    pub fn consumes_sequence(&self) -> bool {
        self.reject_code().is_none_or(RejectCode::consumes_sequence)
    }

    /// The rejection code, when rejected.
    pub fn reject_code(&self) -> Option<RejectCode> {
        match &self.status {
            Status::Rejected(r) => Some(r.code),
            Status::Applied => None,
        }
    }

    /// The leaf of the results tree: `"tradeledger/v1/result" ‖ 0x00 ‖ canonical(outcome)`.
    pub fn result_leaf(&self) -> Vec<u8> {
        Domain::RESULT.prefix(&codec::to_canonical(self))
    }
}

/// The results root: the RFC 6962 Merkle root over [`EventOutcome::result_leaf`] of each outcome,
/// in block order. Inclusion proofs come from [`tradeledger_types::merkle::prove`] over the same
/// leaves.
pub fn results_root(outcomes: &[EventOutcome]) -> Hash32 {
    let leaves: Vec<Vec<u8>> = outcomes.iter().map(EventOutcome::result_leaf).collect();
    merkle::root(&leaves)
}
