//! Organisation signing keys: rotation without downtime.

use crate::validate::{Checked, FieldError};
use crate::{PublicKey, wire_struct};

wire_struct! {
    /// An organisation replaces one of its signing keys. Signed by a current key of the same
    /// organisation (the old key itself or another of its keys). `new_key` signs for the
    /// organisation from the block that applies the rotation; `old_key` keeps signing until
    /// `effective_height` and is refused from that height on (a height at or below the current
    /// one retires it at once).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct KeyRotation {
        /// The organisation key being retired.
        pub old_key: PublicKey,
        /// The key that replaces it (never used before by any organisation or device).
        pub new_key: PublicKey,
        /// First height at which events signed by `old_key` are rejected.
        pub effective_height: u64,
    }
}

impl KeyRotation {
    /// Checks the fields: the two keys differ.
    pub fn validate(&self) -> Checked {
        if self.old_key == self.new_key {
            return Err(FieldError::new("new_key", "must differ from old_key"));
        }
        Ok(())
    }
}
