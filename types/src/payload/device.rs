//! Devices (RFID portals, reefer loggers, e-seals) acting for an organisation.

use super::EventKind;
use crate::validate::{self as v, Checked, FieldError};
use crate::{PublicKey, wire_struct};

wire_struct! {
    /// An organisation binds a device key to itself, for the stated event kinds only.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct DeviceRegistration {
        /// The device's signing key.
        pub device_key: PublicKey,
        /// The device's own id (serial number, EPC of the logger).
        pub device_id: String,
        /// Event kinds the device may sign (sensor reports and custody events are typical).
        pub kinds: Vec<EventKind>,
    }
}

impl DeviceRegistration {
    /// Checks every field.
    pub fn validate(&self) -> Checked {
        v::id("device_id", &self.device_id)?;
        v::non_empty_list("kinds", &self.kinds)?;
        for (i, k) in self.kinds.iter().enumerate() {
            if !matches!(k, EventKind::Custody | EventKind::SensorReport) {
                return Err(FieldError::new(
                    format!("kinds[{i}]"),
                    format!(
                        "a device may sign custody events and sensor reports, not {}",
                        k.as_str()
                    ),
                ));
            }
        }
        Ok(())
    }
}

wire_struct! {
    /// An organisation revokes one of its devices from a height on.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct DeviceRevocation {
        /// The device key.
        pub device_key: PublicKey,
        /// First height at which the device's events are rejected.
        pub effective_height: u64,
    }
}
