//! Key rotation without downtime, for devices and organisation keys.
//!
//! Both follow one pattern: bind the new key first, retire the old one from a stated height, and
//! switch clients to the new key before that height. Between the rotation's block and the
//! effective height both keys sign; from the effective height the node refuses the old key's
//! events (`device_revoked` or `key_revoked`, at admission and in execution). A stated height at
//! or below the current one retires the old key at once (for a compromised key).
//!
//! - **Device**: [`device_rotation`] signs, with the organisation's key, the new device's
//!   registration and then the old device's revocation (consecutive sequence numbers, so they
//!   land in that order).
//! - **Organisation key**: [`party_key_rotation`] signs a `KeyRotation` with a current key of the
//!   organisation and hands back a [`Signer`] for the new key.
//!
//! **Sequence numbers belong to keys.** A new key numbers its events from 1, whatever the old
//! key had reached. A [`SeqFile`](crate::signer::SeqFile) holds one key's number, so give each
//! key its own file (the bridge names it after the key: `seq-<first 16 hex of the key>`), and
//! restore the new key's signer from its own file; the spool keeps both keys' events and
//! [`Spool::restore_signer`](crate::spool::Spool::restore_signer) looks only at the given key's.
//! Events of the old key still spooled are delivered first, in order: they commit if they land
//! before the effective height, and are set aside in `rejected.jsonl` with the node's reason if
//! not, so the queue keeps moving.
//!
//! **Choosing the height.** Read the committed height from `/v1/status` and add a margin that
//! covers switching the clients over (at about one block a second under load, 600 blocks is
//! ten minutes).
//!
//! ```
//! use tradeledger_sdk::rotation::{device_rotation, party_key_rotation};
//! use tradeledger_sdk::signer::Signer;
//! use tradeledger_types::{EventKind, Payload, SecretKey};
//!
//! let mut carrier = Signer::new(SecretKey::from_seed([3; 32]), "tradeledger-demo");
//! let (old_logger, new_logger) = (SecretKey::from_seed([4; 32]), SecretKey::from_seed([5; 32]));
//! let [register, revoke] = device_rotation(
//!     &mut carrier,
//!     old_logger.public(),
//!     new_logger.public(),
//!     "reefer-7b",
//!     &[EventKind::SensorReport],
//!     1_200, // the old logger signs until height 1 199
//! )
//! .unwrap();
//! assert_eq!((register.body.seq, revoke.body.seq), (1, 2));
//!
//! let (rotation, mut next) =
//!     party_key_rotation(&mut carrier, SecretKey::from_seed([6; 32]), 1_200).unwrap();
//! assert!(matches!(rotation.body.payload, Payload::KeyRotation(_)));
//! assert_eq!(next.next_seq(), 1); // a new key numbers from 1
//! ```

use crate::builders::{
    Build, BuildError, DeviceRegistrationBuilder, DeviceRevocationBuilder, KeyRotationBuilder,
};
use crate::signer::Signer;
use tradeledger_types::{EventKind, PublicKey, SecretKey, SignedEvent};

/// Signs, with the organisation's `org` signer, the registration of `new_device` (as
/// `new_device_id`, for `kinds`) and then the revocation of `old_device` from
/// `effective_height`. Submit them in the returned order. Nothing is signed (no sequence number
/// used) if either payload is invalid.
pub fn device_rotation(
    org: &mut Signer,
    old_device: PublicKey,
    new_device: PublicKey,
    new_device_id: &str,
    kinds: &[EventKind],
    effective_height: u64,
) -> Result<[SignedEvent; 2], BuildError> {
    let register = kinds
        .iter()
        .fold(
            DeviceRegistrationBuilder::new(new_device, new_device_id),
            |b, k| b.may_sign(*k),
        )
        .build()?;
    let revoke = DeviceRevocationBuilder::new(old_device, effective_height).build()?;
    Ok([
        org.sign_unvalidated(register)?,
        org.sign_unvalidated(revoke)?,
    ])
}

/// Signs, with `current` (a key of the organisation), the rotation of `current`'s own key to
/// `new_key` from `effective_height`, and returns it with a signer for the new key on the same
/// chain, starting at sequence 1. Keep `current` for events until the rotation commits and the
/// clients have switched; from `effective_height` only the new signer is accepted.
pub fn party_key_rotation(
    current: &mut Signer,
    new_key: SecretKey,
    effective_height: u64,
) -> Result<(SignedEvent, Signer), BuildError> {
    let event = KeyRotationBuilder::new(current.public(), new_key.public(), effective_height)
        .sign(current)?;
    let next = Signer::new(new_key, current.chain_id().to_owned());
    Ok((event, next))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::signer::SeqFile;
    use crate::spool::Spool;
    use tradeledger_types::{ClearanceDecision, Decision, Payload};

    fn clearance() -> Payload {
        Payload::Clearance(ClearanceDecision {
            shipment_id: "SHP-1".into(),
            decision: Decision::Release,
            reason: String::new(),
        })
    }

    #[test]
    fn device_rotation_registers_then_revokes() {
        let mut org = Signer::new(SecretKey::from_seed([1; 32]), "demo");
        let (old, new) = (
            SecretKey::from_seed([2; 32]).public(),
            SecretKey::from_seed([3; 32]).public(),
        );
        let [a, b] =
            device_rotation(&mut org, old, new, "logger-2", &[EventKind::Custody], 50).unwrap();
        assert!(
            matches!(&a.body.payload, Payload::DeviceRegistration(r) if r.device_key == new && r.kinds == [EventKind::Custody])
        );
        assert!(
            matches!(&b.body.payload, Payload::DeviceRevocation(r) if r.device_key == old && r.effective_height == 50)
        );
        assert_eq!((a.body.seq, b.body.seq, org.next_seq()), (1, 2, 3));
        // A device may not be registered for other kinds: nothing is signed.
        let err =
            device_rotation(&mut org, old, new, "x", &[EventKind::Clearance], 50).unwrap_err();
        assert_eq!(err.field(), Some("kinds[0]"));
        assert_eq!(org.next_seq(), 3);
    }

    #[test]
    fn party_key_rotation_hands_over_a_signer_from_one() {
        let mut current = Signer::resume(SecretKey::from_seed([1; 32]), "demo", 41);
        let new_key = SecretKey::from_seed([4; 32]);
        let (ev, mut next) = party_key_rotation(&mut current, new_key.clone(), 9).unwrap();
        ev.verify().unwrap();
        assert_eq!(ev.body.seq, 41);
        let Payload::KeyRotation(r) = &ev.body.payload else {
            panic!("not a rotation")
        };
        assert_eq!(
            (r.old_key, r.new_key, r.effective_height),
            (current.public(), new_key.public(), 9)
        );
        assert_eq!((next.public(), next.chain_id()), (new_key.public(), "demo"));
        assert_eq!(next.sign(clearance()).unwrap().body.seq, 1);
        // Rotating a key to itself is refused before signing.
        let same = SecretKey::from_seed([1; 32]);
        let err = party_key_rotation(&mut current, same, 9).unwrap_err();
        assert_eq!(err.field(), Some("new_key"));
        assert_eq!(current.next_seq(), 42);
    }

    /// The bridge's layout after switching keys: one spool, one sequence file per key. The new
    /// key starts at 1 although the spool still holds the old key's events; the old key's
    /// number is untouched.
    #[test]
    fn a_new_key_resumes_from_its_own_sequence_file_in_a_shared_spool() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path()).unwrap();
        let (old_key, new_key) = (SecretKey::from_seed([7; 32]), SecretKey::from_seed([8; 32]));
        let file = |k: &SecretKey| {
            SeqFile::new(
                dir.path()
                    .join(format!("seq-{}", &k.public().to_string()[..16])),
            )
        };
        let mut old = spool
            .restore_signer(old_key.clone(), "demo", &file(&old_key))
            .unwrap();
        for _ in 0..5 {
            let ev = old.sign(clearance()).unwrap();
            spool.append(&ev).unwrap();
        }
        file(&old_key).store(old.next_seq()).unwrap();
        let mut new = spool
            .restore_signer(new_key.clone(), "demo", &file(&new_key))
            .unwrap();
        assert_eq!(new.next_seq(), 1);
        spool.append(&new.sign(clearance()).unwrap()).unwrap();
        file(&new_key).store(new.next_seq()).unwrap();
        // After a restart each key resumes where it was.
        drop(spool);
        let mut spool = Spool::open(dir.path()).unwrap();
        assert_eq!(
            spool
                .restore_signer(old_key.clone(), "demo", &file(&old_key))
                .unwrap()
                .next_seq(),
            6
        );
        assert_eq!(
            spool
                .restore_signer(new_key.clone(), "demo", &file(&new_key))
                .unwrap()
                .next_seq(),
            2
        );
        assert_eq!(spool.pending(), 6);
    }
}
