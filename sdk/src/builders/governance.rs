use super::{Build, BuildError};
use tradeledger_types::{Correction, EventId, Payload, RuleChange, RuleSetUpdate};

/// Builds a [`RuleSetUpdate`].
#[derive(Debug, Clone)]
pub struct RuleSetUpdateBuilder(RuleSetUpdate);

impl RuleSetUpdateBuilder {
    /// Rule-set `version` in force from `effective_height`, because `reason`.
    pub fn new(version: u32, effective_height: u64, reason: impl Into<String>) -> Self {
        RuleSetUpdateBuilder(RuleSetUpdate {
            version,
            effective_height,
            changes: Vec::new(),
            reason: reason.into(),
        })
    }
    /// Adds a change (at least one).
    pub fn change(mut self, c: RuleChange) -> Self {
        self.0.changes.push(c);
        self
    }
}

impl Build for RuleSetUpdateBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::RuleSetUpdate(self.0))
    }
}

/// Builds a [`Correction`].
#[derive(Debug, Clone)]
pub struct CorrectionBuilder(Correction);

impl CorrectionBuilder {
    /// Withdraws the event `corrects`, because `reason`; give [`Self::replacement`] to replace it.
    pub fn new(corrects: EventId, reason: impl Into<String>) -> Self {
        CorrectionBuilder(Correction {
            corrects,
            reason: reason.into(),
            replacement: None,
        })
    }
    /// The corrected content (same kind as the original).
    pub fn replacement(mut self, p: Payload) -> Self {
        self.0.replacement = Some(Box::new(p));
        self
    }
}

impl Build for CorrectionBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::Correction(self.0))
    }
}
