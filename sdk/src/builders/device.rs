use super::{Build, BuildError};
use tradeledger_types::{
    DeviceRegistration, DeviceRevocation, EventKind, KeyRotation, Payload, PublicKey,
};

/// Builds a [`DeviceRegistration`].
#[derive(Debug, Clone)]
pub struct DeviceRegistrationBuilder(DeviceRegistration);

impl DeviceRegistrationBuilder {
    /// Registers `device_key` as `device_id`; add the kinds it may sign with [`Self::may_sign`].
    pub fn new(device_key: PublicKey, device_id: impl Into<String>) -> Self {
        DeviceRegistrationBuilder(DeviceRegistration {
            device_key,
            device_id: device_id.into(),
            kinds: Vec::new(),
        })
    }
    /// Allows the device to sign `kind` (custody or sensor_report).
    pub fn may_sign(mut self, kind: EventKind) -> Self {
        if !self.0.kinds.contains(&kind) {
            self.0.kinds.push(kind);
        }
        self
    }
}

impl Build for DeviceRegistrationBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::DeviceRegistration(self.0))
    }
}

/// Builds a [`DeviceRevocation`].
#[derive(Debug, Clone)]
pub struct DeviceRevocationBuilder(DeviceRevocation);

impl DeviceRevocationBuilder {
    /// Revokes `device_key` from `effective_height` on.
    pub fn new(device_key: PublicKey, effective_height: u64) -> Self {
        DeviceRevocationBuilder(DeviceRevocation {
            device_key,
            effective_height,
        })
    }
}

impl Build for DeviceRevocationBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::DeviceRevocation(self.0))
    }
}

/// Builds a [`KeyRotation`] of an organisation key.
#[derive(Debug, Clone)]
pub struct KeyRotationBuilder(KeyRotation);

impl KeyRotationBuilder {
    /// Replaces the organisation key `old_key` with `new_key`: the new key signs at once, the
    /// old one until `effective_height` (exclusive).
    pub fn new(old_key: PublicKey, new_key: PublicKey, effective_height: u64) -> Self {
        KeyRotationBuilder(KeyRotation {
            old_key,
            new_key,
            effective_height,
        })
    }
}

impl Build for KeyRotationBuilder {
    fn assemble(self) -> Result<Payload, BuildError> {
        Ok(Payload::KeyRotation(self.0))
    }
}
