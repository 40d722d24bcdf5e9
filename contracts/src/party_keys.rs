//! Organisation (party) signing keys: rotation without downtime. A current key of the
//! organisation binds a new key (valid at once) and retires an old one from a stated height;
//! between the two both sign, so clients switch keys without a gap.
//!
//! Authority follows the rule-set updates: the organisation that owns the thing changes it with
//! one of its own keys, and the change is scheduled by height, so every validator switches at the
//! same block without a restart.

use crate::context::{Ctx, Step, reject};
use crate::keys;
use crate::outcome::{Derived, RejectCode};
use crate::records::{KeyRetirement, SignerRecord};
use crate::store::Store;
use tradeledger_types::KeyRotation;

/// Handles a key rotation (the role check, any role but auditor, is in
/// [`crate::permissions`]; the signer's own key was checked not to be retired already).
pub(crate) fn rotate<S: Store>(cx: &mut Ctx<'_, '_, S>, r: &KeyRotation) -> Step {
    if cx.device {
        return reject(
            RejectCode::RoleNotAllowed,
            "a device cannot rotate organisation keys",
        );
    }
    let old: Option<SignerRecord> = cx.view.get(&keys::signer(&r.old_key))?;
    if !old.is_some_and(|s| s.org == cx.org.id && s.device.is_none()) {
        return reject(
            RejectCode::UnknownKey,
            format!("{} is not a signing key of {}", r.old_key, cx.org.id),
        );
    }
    let retirement = keys::key_retirement(&r.old_key);
    if let Some(done) = cx.view.get::<KeyRetirement>(&retirement)? {
        return reject(
            RejectCode::AlreadyRevoked,
            format!(
                "key {} is already retired from height {} (replaced by {})",
                r.old_key, done.from_height, done.replaced_by
            ),
        );
    }
    let new = keys::signer(&r.new_key);
    if cx.view.exists(&new)? {
        return reject(
            RejectCode::KeyInUse,
            format!(
                "key {} already signs (or signed) for an organisation or device",
                r.new_key
            ),
        );
    }
    let from_height = r.effective_height.max(cx.block.height);
    cx.view.put(
        new,
        &SignerRecord {
            org: cx.org.id.clone(),
            device: None,
            last_seq: 0,
        },
    );
    cx.view.put(
        retirement,
        &KeyRetirement {
            org: cx.org.id.clone(),
            from_height,
            replaced_by: r.new_key,
            rotation: cx.id,
        },
    );
    cx.records.push(Derived::KeyRotated {
        org: cx.org.id.clone(),
        old_key: r.old_key,
        new_key: r.new_key,
        effective_height: from_height,
    });
    Ok(())
}
