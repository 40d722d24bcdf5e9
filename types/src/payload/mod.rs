//! Event payloads: what a signed event says.

mod correction;
mod custody;
mod device;
mod inspection;
mod ipr;
mod key;
mod origin;
mod sensor;
mod shipment;

pub use correction::Correction;
pub use custody::{Action, CustodyEvent, EpcisEventType, Extension, Location, Seal, SealStatus};
pub use device::{DeviceRegistration, DeviceRevocation};
pub use inspection::{
    ClearanceDecision, Decision, Finding, InspectionKind, InspectionOutcome, InspectionResult,
    TreatmentKind, TreatmentRecord,
};
pub use ipr::{IprAcceptance, IprLicence, IprRecordation, IprRevocation, LicenceScope};
pub use key::KeyRotation;
pub use origin::{
    BLANKET_PERIOD_MS_MAX, BlanketPeriod, CertificateOfOrigin, CertifiedGood, CertifierRole,
    OriginCriterion,
};
pub use sensor::{
    ABSOLUTE_ZERO_MILLI_C, Reading, SensorKind, SensorReport, SeriesStats, check_readings,
};
pub use shipment::{CostData, GoodsLine, Material, Party, RouteStop, ShipmentDeclaration};

use crate::rules::RuleSetUpdate;
use crate::validate::Checked;
use serde::{Deserialize, Serialize};

/// The content of an event. Encoded as a one-entry map `{kind: content}`, so new kinds can be
/// added without changing the bytes of existing ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Payload {
    /// A shipper declares a shipment.
    ShipmentDeclaration(ShipmentDeclaration),
    /// A certifier issues a certificate of origin.
    CertificateOfOrigin(CertificateOfOrigin),
    /// A carrier (or its device) records custody, transport or an RFID read.
    Custody(CustodyEvent),
    /// A carrier's device reports sensor readings.
    SensorReport(SensorReport),
    /// Customs or quarantine records an inspection.
    Inspection(InspectionResult),
    /// Customs decides on clearance.
    Clearance(ClearanceDecision),
    /// A rights holder records a trademark.
    IprRecordation(IprRecordation),
    /// Customs accepts a recordation.
    IprAcceptance(IprAcceptance),
    /// A rights holder or licensee grants a licence.
    IprLicence(IprLicence),
    /// A licence is revoked.
    IprRevocation(IprRevocation),
    /// An organisation registers a device key.
    DeviceRegistration(DeviceRegistration),
    /// An organisation revokes a device key.
    DeviceRevocation(DeviceRevocation),
    /// Customs or quarantine updates the rule set.
    RuleSetUpdate(RuleSetUpdate),
    /// A party corrects one of its earlier events.
    Correction(Correction),
    /// An organisation rotates one of its signing keys (appended last: existing encodings keep
    /// their bytes).
    KeyRotation(KeyRotation),
}

/// The kind of a payload, for permissions and indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    /// [`Payload::ShipmentDeclaration`].
    ShipmentDeclaration,
    /// [`Payload::CertificateOfOrigin`].
    CertificateOfOrigin,
    /// [`Payload::Custody`].
    Custody,
    /// [`Payload::SensorReport`].
    SensorReport,
    /// [`Payload::Inspection`].
    Inspection,
    /// [`Payload::Clearance`].
    Clearance,
    /// [`Payload::IprRecordation`].
    IprRecordation,
    /// [`Payload::IprAcceptance`].
    IprAcceptance,
    /// [`Payload::IprLicence`].
    IprLicence,
    /// [`Payload::IprRevocation`].
    IprRevocation,
    /// [`Payload::DeviceRegistration`].
    DeviceRegistration,
    /// [`Payload::DeviceRevocation`].
    DeviceRevocation,
    /// [`Payload::RuleSetUpdate`].
    RuleSetUpdate,
    /// [`Payload::Correction`].
    Correction,
    /// [`Payload::KeyRotation`].
    KeyRotation,
}

impl EventKind {
    /// The snake_case name used on the wire and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ShipmentDeclaration => "shipment_declaration",
            EventKind::CertificateOfOrigin => "certificate_of_origin",
            EventKind::Custody => "custody",
            EventKind::SensorReport => "sensor_report",
            EventKind::Inspection => "inspection",
            EventKind::Clearance => "clearance",
            EventKind::IprRecordation => "ipr_recordation",
            EventKind::IprAcceptance => "ipr_acceptance",
            EventKind::IprLicence => "ipr_licence",
            EventKind::IprRevocation => "ipr_revocation",
            EventKind::DeviceRegistration => "device_registration",
            EventKind::DeviceRevocation => "device_revocation",
            EventKind::RuleSetUpdate => "rule_set_update",
            EventKind::Correction => "correction",
            EventKind::KeyRotation => "key_rotation",
        }
    }
}

impl Payload {
    /// The payload's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Payload::ShipmentDeclaration(_) => EventKind::ShipmentDeclaration,
            Payload::CertificateOfOrigin(_) => EventKind::CertificateOfOrigin,
            Payload::Custody(_) => EventKind::Custody,
            Payload::SensorReport(_) => EventKind::SensorReport,
            Payload::Inspection(_) => EventKind::Inspection,
            Payload::Clearance(_) => EventKind::Clearance,
            Payload::IprRecordation(_) => EventKind::IprRecordation,
            Payload::IprAcceptance(_) => EventKind::IprAcceptance,
            Payload::IprLicence(_) => EventKind::IprLicence,
            Payload::IprRevocation(_) => EventKind::IprRevocation,
            Payload::DeviceRegistration(_) => EventKind::DeviceRegistration,
            Payload::DeviceRevocation(_) => EventKind::DeviceRevocation,
            Payload::RuleSetUpdate(_) => EventKind::RuleSetUpdate,
            Payload::Correction(_) => EventKind::Correction,
            Payload::KeyRotation(_) => EventKind::KeyRotation,
        }
    }

    /// The shipment the payload is about, if any.
    pub fn shipment_id(&self) -> Option<&str> {
        match self {
            Payload::ShipmentDeclaration(p) => Some(&p.shipment_id),
            Payload::CertificateOfOrigin(p) => Some(&p.shipment_id),
            Payload::Custody(p) => Some(&p.shipment_id),
            Payload::SensorReport(p) => Some(&p.shipment_id),
            Payload::Inspection(p) => Some(&p.shipment_id),
            Payload::Clearance(p) => Some(&p.shipment_id),
            Payload::Correction(c) => c.replacement.as_ref().and_then(|p| p.shipment_id()),
            _ => None,
        }
    }

    /// Checks the payload's fields (formats and bounds; not permissions or references, which
    /// need state and belong to the contracts). The error names the field.
    pub fn validate(&self) -> Checked {
        match self {
            Payload::ShipmentDeclaration(p) => p.validate(),
            Payload::CertificateOfOrigin(p) => p.validate(),
            Payload::Custody(p) => p.validate(),
            Payload::SensorReport(p) => p.validate(),
            Payload::Inspection(p) => p.validate(),
            Payload::Clearance(p) => p.validate(),
            Payload::IprRecordation(p) => p.validate(),
            Payload::IprAcceptance(p) => crate::validate::id("recordation_id", &p.recordation_id),
            Payload::IprLicence(p) => p.validate(),
            Payload::IprRevocation(p) => {
                crate::validate::id("licence_id", &p.licence_id)?;
                crate::validate::text("reason", &p.reason)
            }
            Payload::DeviceRegistration(p) => p.validate(),
            Payload::DeviceRevocation(_) => Ok(()),
            Payload::RuleSetUpdate(p) => p.validate(),
            Payload::Correction(p) => p.validate(),
            Payload::KeyRotation(p) => p.validate(),
        }
    }
}
