//! Inspection results (customs or quarantine) and clearance decisions (customs).

use super::Reading;
use crate::validate::{self as v, Checked, FieldError};
use crate::{ShipmentId, TimeMs, wire_struct};
use serde::{Deserialize, Serialize};

/// Kind of inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InspectionKind {
    /// Customs document review.
    Documentary,
    /// Customs physical examination.
    Physical,
    /// Plant-health (phytosanitary) inspection: quarantine only.
    Phytosanitary,
    /// Animal-health (sanitary) inspection: quarantine only.
    Sanitary,
}

/// Outcome of an inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InspectionOutcome {
    /// Nothing found.
    Pass,
    /// Findings that need action.
    Fail,
    /// Passed after a treatment.
    PassAfterTreatment,
}

wire_struct! {
    /// One finding.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Finding {
        /// Short code (e.g. `pest:anastrepha-ludens`, `doc:missing-invoice`).
        pub code: String,
        /// Description.
        pub description: String,
    }
}

/// A quarantine treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TreatmentKind {
    /// Cold treatment (7 CFR 301.93-10): pulp at or below a temperature for a number of days.
    Cold,
    /// Forced hot-air treatment (7 CFR 305.27): pulp at or above a temperature for a time.
    HotAir,
    /// Fumigation.
    Fumigation,
}

wire_struct! {
    /// A treatment record: the continuous temperature log that proves it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct TreatmentRecord {
        /// Treatment kind.
        pub kind: TreatmentKind,
        /// Start.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub start_ms: TimeMs,
        /// End.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub end_ms: TimeMs,
        /// Readings (pulp temperature), in time order.
        pub readings: Vec<Reading>,
    }
}

wire_struct! {
    /// An inspection result.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct InspectionResult {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// Kind of inspection.
        pub kind: InspectionKind,
        /// Outcome.
        pub outcome: InspectionOutcome,
        /// Findings (may be empty).
        pub findings: Vec<Finding>,
        /// Treatment record, when a treatment was applied.
        pub treatment: Option<TreatmentRecord>,
        /// When the inspection took place.
        #[cfg_attr(feature = "openapi", schema(value_type = u64))]
        pub inspected_ms: TimeMs,
    }
}

impl InspectionResult {
    /// Checks every field.
    pub fn validate(&self) -> Checked {
        v::id("shipment_id", &self.shipment_id)?;
        v::list("findings", &self.findings)?;
        for (i, f) in self.findings.iter().enumerate() {
            v::id(&format!("findings[{i}].code"), &f.code)?;
            v::text(&format!("findings[{i}].description"), &f.description)?;
        }
        if let Some(t) = &self.treatment {
            v::window("treatment", t.start_ms, t.end_ms)?;
            v::non_empty_list("treatment.readings", &t.readings)?;
            super::sensor::check_readings("treatment.readings", &t.readings)?;
        }
        if self.outcome == InspectionOutcome::Fail && self.findings.is_empty() {
            return Err(FieldError::new(
                "findings",
                "a failed inspection names at least one finding",
            ));
        }
        if self.outcome == InspectionOutcome::PassAfterTreatment && self.treatment.is_none() {
            return Err(FieldError::new(
                "treatment",
                "is required when the outcome is pass_after_treatment",
            ));
        }
        Ok(())
    }
}

/// A customs decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Decision {
    /// Goods may enter.
    Release,
    /// Goods held pending action.
    Hold,
    /// Entry refused.
    Refuse,
}

wire_struct! {
    /// A clearance decision by customs.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ClearanceDecision {
        /// The shipment.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub shipment_id: ShipmentId,
        /// The decision.
        pub decision: Decision,
        /// Why (required for hold and refuse).
        pub reason: String,
    }
}

impl ClearanceDecision {
    /// Checks every field.
    pub fn validate(&self) -> Checked {
        v::id("shipment_id", &self.shipment_id)?;
        if self.decision != Decision::Release {
            v::required_text("reason", &self.reason)?;
        }
        v::text("reason", &self.reason)
    }
}
