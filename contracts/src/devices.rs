//! Devices (RFID portals, reefer loggers, e-seals) registered by an organisation act for it,
//! only for the kinds they are registered for, until revoked from a height.

use crate::context::{Ctx, Step, reject};
use crate::keys;
use crate::outcome::RejectCode;
use crate::records::{DeviceInfo, SignerRecord};
use crate::store::Store;
use tradeledger_types::{DeviceRegistration, DeviceRevocation};

/// An organisation key registers a device key.
pub(crate) fn register<S: Store>(cx: &mut Ctx<'_, '_, S>, r: &DeviceRegistration) -> Step {
    if cx.device {
        return reject(
            RejectCode::RoleNotAllowed,
            "a device cannot register devices",
        );
    }
    let key = keys::signer(&r.device_key);
    if cx.view.exists(&key)? {
        return reject(
            RejectCode::KeyInUse,
            format!(
                "key {} already signs for an organisation or device",
                r.device_key
            ),
        );
    }
    let mut kinds = r.kinds.clone();
    kinds.sort();
    kinds.dedup();
    let device = DeviceInfo {
        device_id: r.device_id.clone(),
        kinds,
        revoked_from_height: None,
    };
    cx.view.put(
        key,
        &SignerRecord {
            org: cx.org.id.clone(),
            device: Some(device),
            last_seq: 0,
        },
    );
    Ok(())
}

/// An organisation key revokes one of its devices from a height (not before the current one).
pub(crate) fn revoke<S: Store>(cx: &mut Ctx<'_, '_, S>, r: &DeviceRevocation) -> Step {
    if cx.device {
        return reject(RejectCode::RoleNotAllowed, "a device cannot revoke devices");
    }
    let key = keys::signer(&r.device_key);
    let rec: Option<SignerRecord> = cx.view.get(&key)?;
    let Some(mut rec) = rec.filter(|s| s.org == cx.org.id && s.device.is_some()) else {
        return reject(
            RejectCode::UnknownDevice,
            format!("{} has no device {}", cx.org.id, r.device_key),
        );
    };
    if let Some(d) = rec.device.as_mut() {
        if d.revoked_from_height.is_some() {
            return reject(
                RejectCode::AlreadyRevoked,
                format!("device {} is already revoked", d.device_id),
            );
        }
        d.revoked_from_height = Some(r.effective_height.max(cx.block.height));
    }
    cx.view.put(key, &rec);
    Ok(())
}
