use super::{Build, BuildError};
use tradeledger_types::{
    ClearanceDecision, Decision, Finding, InspectionKind, InspectionOutcome, InspectionResult,
    Payload, Reading, TimeMs, TreatmentKind, TreatmentRecord,
};

/// Builds an [`InspectionResult`].
#[derive(Debug, Clone)]
pub struct InspectionBuilder(InspectionResult);

impl InspectionBuilder {
    /// An inspection of `shipment_id`.
    pub fn new(
        shipment_id: impl Into<String>,
        kind: InspectionKind,
        outcome: InspectionOutcome,
        inspected_ms: TimeMs,
    ) -> Self {
        InspectionBuilder(InspectionResult {
            shipment_id: shipment_id.into(),
            kind,
            outcome,
            findings: Vec::new(),
            treatment: None,
            inspected_ms,
        })
    }
    /// Adds a finding.
    pub fn finding(mut self, code: impl Into<String>, description: impl Into<String>) -> Self {
        self.0.findings.push(Finding {
            code: code.into(),
            description: description.into(),
        });
        self
    }
    /// The treatment record with its readings (in time order).
    pub fn treatment(
        mut self,
        kind: TreatmentKind,
        start_ms: TimeMs,
        end_ms: TimeMs,
        readings: Vec<Reading>,
    ) -> Self {
        self.0.treatment = Some(TreatmentRecord {
            kind,
            start_ms,
            end_ms,
            readings,
        });
        self
    }
}

impl Build for InspectionBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::Inspection(self.0))
    }
}

/// Builds a [`ClearanceDecision`].
#[derive(Debug, Clone)]
pub struct ClearanceBuilder(ClearanceDecision);

impl ClearanceBuilder {
    /// A decision on `shipment_id` (hold and refuse need a [`Self::reason`]).
    pub fn new(shipment_id: impl Into<String>, decision: Decision) -> Self {
        ClearanceBuilder(ClearanceDecision {
            shipment_id: shipment_id.into(),
            decision,
            reason: String::new(),
        })
    }
    /// Why.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.0.reason = reason.into();
        self
    }
}

impl Build for ClearanceBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::Clearance(self.0))
    }
}
