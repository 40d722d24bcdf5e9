//! Corrections: nothing on the ledger is edited in place; a correction refers to the original.

use super::Payload;
use crate::validate::{self as v, Checked, FieldError};
use crate::{Hash32, wire_struct};

wire_struct! {
    /// A correction of an earlier event by the same organisation.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Correction {
        /// Id of the event corrected.
        pub corrects: Hash32,
        /// Why.
        pub reason: String,
        // no_recursion: a payload holds a correction that holds a payload; the schema refers to
        // `Payload` by name instead of collecting it again (endlessly).
        /// The corrected content (same kind as the original), or `None` to withdraw it.
        #[cfg_attr(feature = "arbitrary", proptest(value = "None"))]
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        pub replacement: Option<Box<Payload>>,
    }
}

impl Correction {
    /// Checks every field (and the replacement's).
    pub fn validate(&self) -> Checked {
        v::required_text("reason", &self.reason)?;
        if let Some(p) = &self.replacement {
            if matches!(**p, Payload::Correction(_)) {
                return Err(FieldError::new(
                    "replacement",
                    "a correction cannot replace with another correction",
                ));
            }
            p.validate()
                .map_err(|e| FieldError::new(format!("replacement.{}", e.field), e.problem))?;
        }
        Ok(())
    }
}
