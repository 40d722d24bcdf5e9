//! Identifiers and the roles of the parties.

use serde::{Deserialize, Serialize};

/// An organisation's id as written in genesis, e.g. `mx-avocado-exports`. 1–64 characters of
/// `[a-z0-9-]`.
pub type OrgId = String;
/// A shipment's id, chosen by the shipper and unique on the chain, e.g. `SHP-2026-000123`.
/// 1–64 printable ASCII characters without spaces.
pub type ShipmentId = String;
/// An ISO 3166-1 alpha-2 country code, uppercase (`MX`, `US`).
pub type Country = String;
/// A six-digit Harmonized System subheading, digits only (`080440` for avocados).
pub type HsCode = String;
/// A UN/LOCODE: two-letter country then three characters (`MXLZC`, `USLRD`).
pub type Locode = String;
/// An ISO 4217 currency code, uppercase (`USD`, `MXN`).
pub type Currency = String;
/// An EPC pure-identity URI (`urn:epc:id:sgtin:0614141.812345.6789`).
pub type Epc = String;

/// Unix time in milliseconds (UTC).
pub type TimeMs = u64;

/// What a party is allowed to be on the chain. An organisation may hold several roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// Shipper or exporter: declarations, invoices, certificates of origin.
    Shipper,
    /// Carrier: custody and transport events, RFID reads, sensor reports.
    Carrier,
    /// Customs: clearance, inspections, risk and origin rule sets, IPR acceptance.
    Customs,
    /// Plant/animal health agency: phytosanitary inspections, treatments, commodity thresholds.
    Quarantine,
    /// Trademark owner: recordations and licences.
    RightsHolder,
    /// Reads and verifies; writes nothing.
    Auditor,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 6] = [
        Role::Shipper,
        Role::Carrier,
        Role::Customs,
        Role::Quarantine,
        Role::RightsHolder,
        Role::Auditor,
    ];

    /// The snake_case name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Shipper => "shipper",
            Role::Carrier => "carrier",
            Role::Customs => "customs",
            Role::Quarantine => "quarantine",
            Role::RightsHolder => "rights_holder",
            Role::Auditor => "auditor",
        }
    }
}
