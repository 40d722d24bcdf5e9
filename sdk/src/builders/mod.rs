//! Builders for every event kind: set the fields, then [`Build::build`] validates
//! ([`Payload::validate`]) and [`Build::sign`] signs with the next sequence number.
//! Errors name the field (`goods[0].hs_code: must be a 6-digit HS subheading`).
//!
//! ```
//! use tradeledger_sdk::builders::{Build, ClearanceBuilder};
//! use tradeledger_sdk::signer::Signer;
//! use tradeledger_types::{Decision, SecretKey};
//!
//! let mut customs = Signer::new(SecretKey::from_seed([3; 32]), "tradeledger-demo");
//! let err = ClearanceBuilder::new("SHP-1", Decision::Hold).build().unwrap_err();
//! assert_eq!(err.to_string(), "reason: is required");
//! let event = ClearanceBuilder::new("SHP-1", Decision::Hold).reason("awaiting phytosanitary certificate").sign(&mut customs).unwrap();
//! assert_eq!(event.body.seq, 1);
//! ```

mod custody;
mod device;
mod governance;
mod inspection;
mod ipr;
mod origin;
mod sensor;
mod shipment;

pub use custody::CustodyBuilder;
pub use device::{DeviceRegistrationBuilder, DeviceRevocationBuilder, KeyRotationBuilder};
pub use governance::{CorrectionBuilder, RuleSetUpdateBuilder};
pub use inspection::{ClearanceBuilder, InspectionBuilder};
pub use ipr::{
    IprAcceptanceBuilder, IprLicenceBuilder, IprRecordationBuilder, IprRevocationBuilder,
};
pub use origin::CertificateOfOriginBuilder;
pub use sensor::SensorReportBuilder;
pub use shipment::{PartyBuilder, ShipmentBuilder};

use crate::signer::{SignError, Signer};
use tradeledger_types::{FieldError, Payload, SignedEvent};

/// Why a payload could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A required field was never set.
    #[error("{field}: is required")]
    Missing {
        /// The field.
        field: String,
    },
    /// A field fails validation.
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// Signing failed.
    #[error(transparent)]
    Sign(SignError),
}

impl BuildError {
    /// The field the error is about.
    pub fn field(&self) -> Option<&str> {
        match self {
            BuildError::Missing { field } => Some(field),
            BuildError::Invalid(f) | BuildError::Sign(SignError::Invalid(f)) => Some(&f.field),
            BuildError::Sign(_) => None,
        }
    }
}

impl From<SignError> for BuildError {
    fn from(e: SignError) -> Self {
        match e {
            SignError::Invalid(f) => BuildError::Invalid(f),
            other => BuildError::Sign(other),
        }
    }
}

/// A builder of one payload kind.
pub trait Build: Sized {
    /// Assembles the payload without validating it.
    fn assemble(self) -> Result<Payload, BuildError>;

    /// Assembles and validates the payload.
    fn build(self) -> Result<Payload, BuildError> {
        let p = self.assemble()?;
        p.validate()?;
        Ok(p)
    }

    /// Builds, validates and signs with the signer's next sequence number.
    fn sign(self, signer: &mut Signer) -> Result<SignedEvent, BuildError> {
        let p = self.build()?;
        Ok(signer.sign_unvalidated(p)?)
    }
}

pub(crate) fn required<T>(field: &str, v: Option<T>) -> Result<T, BuildError> {
    v.ok_or_else(|| BuildError::Missing {
        field: field.to_owned(),
    })
}
