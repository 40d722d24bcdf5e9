//! Key rotation: device keys (register the new one, revoke the old one from a height) and
//! organisation keys (`KeyRotation`), with the old key accepted before the stated height and
//! refused from it on.
#![allow(clippy::unwrap_used)]

use crate::harness::{Chain, Parties};
use tradeledger_contracts::testkit::{self, Actor, DAY_MS, T0_MS};
use tradeledger_contracts::*;
use tradeledger_types::domain::sha256;
use tradeledger_types::*;

/// A report by the device registered as `device` (a report under another device id would
/// contradict the signing key's registration).
fn sensor_by(device: &str, id: &str) -> Payload {
    let mut r = testkit::sensor_report(id, testkit::series(T0_MS + DAY_MS, 600_000, 3, 7_000));
    r.device_id = device.into();
    Payload::SensorReport(r)
}

fn clearance(id: &str) -> Payload {
    Payload::Clearance(ClearanceDecision {
        shipment_id: id.into(),
        decision: Decision::Release,
        reason: String::new(),
    })
}

fn register(name: &str) -> Payload {
    Payload::DeviceRegistration(DeviceRegistration {
        device_key: testkit::key(name).public(),
        device_id: name.into(),
        kinds: vec![EventKind::SensorReport],
    })
}

fn revoke(name: &str, effective_height: u64) -> Payload {
    Payload::DeviceRevocation(DeviceRevocation {
        device_key: testkit::key(name).public(),
        effective_height,
    })
}

fn rotation(old: &Actor, new: &Actor, effective_height: u64) -> Payload {
    rotate(old.key.public(), new.key.public(), effective_height)
}

fn rotate(old_key: PublicKey, new_key: PublicKey, effective_height: u64) -> Payload {
    Payload::KeyRotation(KeyRotation {
        old_key,
        new_key,
        effective_height,
    })
}

/// A shipment declaration from the exporter's organisation, with a fresh id per call.
fn declare(n: u32) -> Payload {
    Payload::ShipmentDeclaration(testkit::declaration(&format!("K{n}")))
}

fn code(o: &EventOutcome) -> Option<&'static str> {
    o.reject_code().map(RejectCode::as_str)
}

fn detail(o: &EventOutcome) -> String {
    match &o.status {
        Status::Rejected(r) => r.detail.clone(),
        Status::Applied => String::new(),
    }
}

#[test]
fn device_rotation_keeps_both_keys_until_the_stated_height() {
    let (mut chain, mut p) = crate::harness::declared("S1");
    let mut old = Actor::new("logger-old");
    let mut new = Actor::new("logger-new");
    chain.apply(&mut p.carrier, register("logger-old"));
    chain.apply(&mut old, sensor_by("logger-old", "S1"));
    // Rotation: register the new key, then revoke the old one three blocks ahead.
    chain.apply(&mut p.carrier, register("logger-new"));
    let h = chain.height + 3;
    assert!(
        chain
            .apply(&mut p.carrier, revoke("logger-old", h))
            .is_empty()
    );
    // Before h both keys sign.
    while chain.height + 1 < h {
        let b = chain.block(&[
            old.sign(sensor_by("logger-old", "S1")),
            new.sign(sensor_by("logger-new", "S1")),
        ]);
        assert!(b.outcomes.iter().all(EventOutcome::is_applied), "{b:?}");
    }
    // From h the old key is refused, with the height in the detail; the new one goes on.
    let b = chain.block(&[
        old.sign(sensor_by("logger-old", "S1")),
        new.sign(sensor_by("logger-new", "S1")),
    ]);
    assert_eq!(chain.height, h);
    assert_eq!(code(&b.outcomes[0]), Some("device_revoked"));
    assert!(
        detail(&b.outcomes[0]).contains(&format!("from height {h}")),
        "{}",
        detail(&b.outcomes[0])
    );
    assert!(b.outcomes[1].is_applied());
    // The refusal used up no sequence number: the old key's record still says so.
    let rec = signer(&chain.store, &old.key.public()).unwrap().unwrap();
    assert_eq!(rec.last_seq, old.next_seq - 2);
    assert_eq!(
        rec.device.unwrap().revoked_from_height,
        Some(h),
        "the stated height is kept"
    );
    // Later heights too.
    old.next_seq -= 1;
    assert_eq!(
        chain.try_apply(&mut old, sensor_by("logger-old", "S1")),
        Some(RejectCode::DeviceRevoked)
    );
    assert_eq!(
        chain.try_apply(&mut new, sensor_by("logger-new", "S1")),
        None
    );
}

#[test]
fn device_revocation_for_a_past_or_the_current_height_takes_effect_at_once() {
    for stated in [0, 1, 4] {
        let (mut chain, mut p) = crate::harness::declared("S1");
        let mut dev = Actor::new("logger-1");
        chain.apply(&mut p.carrier, register("logger-1"));
        chain.apply(&mut dev, sensor_by("logger-1", "S1"));
        // The next block is height 4: stated heights 0 and 1 are past, 4 is the current one.
        assert_eq!(chain.height + 1, 4);
        let b = chain.block(&[
            dev.sign(sensor_by("logger-1", "S1")),
            p.carrier.sign(revoke("logger-1", stated)),
            dev.sign(sensor_by("logger-1", "S1")),
        ]);
        assert!(
            b.outcomes[0].is_applied(),
            "before the revocation in the block"
        );
        assert!(b.outcomes[1].is_applied());
        assert_eq!(
            code(&b.outcomes[2]),
            Some("device_revoked"),
            "stated {stated}"
        );
        let rec = signer(&chain.store, &dev.key.public()).unwrap().unwrap();
        assert_eq!(rec.device.unwrap().revoked_from_height, Some(4));
    }
}

#[test]
fn party_key_rotation_old_key_until_the_height_new_key_at_once() {
    let mut chain = Chain::new();
    let mut p = Parties::new();
    let mut new = Actor::new("exporter-key-2");
    chain.apply(&mut p.exporter, declare(0));
    let h = chain.height + 4;
    let exporter_key = p.exporter.key.public();
    // The rotation and the new key's first event (sequence 1) in the same block.
    let b = chain.block(&[
        p.exporter.sign(rotate(exporter_key, new.key.public(), h)),
        new.sign(declare(1)),
    ]);
    assert!(b.outcomes.iter().all(EventOutcome::is_applied), "{b:?}");
    assert_eq!(
        b.outcomes[0].records,
        vec![Derived::KeyRotated {
            org: testkit::EXPORTER.into(),
            old_key: p.exporter.key.public(),
            new_key: new.key.public(),
            effective_height: h,
        }]
    );
    let rec = signer(&chain.store, &new.key.public()).unwrap().unwrap();
    assert_eq!((rec.org.as_str(), rec.last_seq), (testkit::EXPORTER, 1));
    let r = key_retirement(&chain.store, &p.exporter.key.public())
        .unwrap()
        .unwrap();
    assert_eq!((r.from_height, r.replaced_by), (h, new.key.public()));
    // Both keys sign until h − 1.
    let mut n = 2;
    while chain.height + 1 < h {
        let b = chain.block(&[p.exporter.sign(declare(n)), new.sign(declare(n + 1))]);
        assert!(b.outcomes.iter().all(EventOutcome::is_applied), "{b:?}");
        n += 2;
    }
    // From h the old key is refused with `key_revoked`, naming its replacement.
    let o = chain.one(p.exporter.sign(declare(n)));
    assert_eq!(chain.height, h);
    assert_eq!(code(&o), Some("key_revoked"));
    assert!(!o.consumes_sequence());
    let d = detail(&o);
    assert!(
        d.contains(&format!("from height {h}")) && d.contains(&new.key.public().to_string()),
        "{d}"
    );
    p.exporter.next_seq -= 1;
    assert_eq!(
        chain.try_apply(&mut p.exporter, declare(n + 1)),
        Some(RejectCode::KeyRevoked)
    );
    // The new key acts with the organisation's roles.
    assert_eq!(chain.try_apply(&mut new, declare(n + 2)), None);
    assert_eq!(
        chain.shipment(&format!("K{}", n + 2)).declared_by,
        testkit::EXPORTER
    );
}

#[test]
fn party_key_rotation_to_a_past_height_retires_the_key_at_once() {
    let mut chain = Chain::new();
    let mut p = Parties::new();
    let new = Actor::new("exporter-key-2");
    chain.block(&[]);
    chain.block(&[]);
    let exporter_key = p.exporter.key.public();
    let b = chain.block(&[
        p.exporter.sign(declare(0)),
        p.exporter.sign(rotate(exporter_key, new.key.public(), 1)),
        p.exporter.sign(declare(1)),
    ]);
    assert!(b.outcomes[0].is_applied() && b.outcomes[1].is_applied());
    assert_eq!(
        b.outcomes[1].records,
        vec![Derived::KeyRotated {
            org: testkit::EXPORTER.into(),
            old_key: p.exporter.key.public(),
            new_key: new.key.public(),
            effective_height: 3,
        }],
        "the effective height is raised to the rotation's own"
    );
    assert_eq!(code(&b.outcomes[2]), Some("key_revoked"));
}

#[test]
fn a_rotation_needs_a_current_key_of_the_same_organisation() {
    let mut chain = Chain::new();
    let mut p = Parties::new();
    let new = Actor::new("exporter-key-2");
    let mut dev = Actor::new("logger-1");
    chain.apply(&mut p.carrier, register("logger-1"));
    let cases: Vec<(&str, &str, Payload, RejectCode)> = vec![
        (
            "another organisation's key",
            "importer",
            rotation(&Actor::new(testkit::EXPORTER), &new, 10),
            RejectCode::UnknownKey,
        ),
        (
            "an auditor",
            "auditor",
            rotation(&Actor::new(testkit::AUDITOR), &new, 10),
            RejectCode::RoleNotAllowed,
        ),
        (
            "a device (registered for sensor reports only)",
            "device",
            rotation(&Actor::new("logger-1"), &new, 10),
            RejectCode::DeviceKindNotAllowed,
        ),
        (
            "a device key as the old key",
            "carrier",
            rotation(&Actor::new("logger-1"), &new, 10),
            RejectCode::UnknownKey,
        ),
        (
            "an unknown old key",
            "exporter",
            rotation(&Actor::new("nobody"), &new, 10),
            RejectCode::UnknownKey,
        ),
        (
            "a new key already in use",
            "exporter",
            rotation(
                &Actor::new(testkit::EXPORTER),
                &Actor::new(testkit::IMPORTER),
                10,
            ),
            RejectCode::KeyInUse,
        ),
        (
            "the same key twice",
            "exporter",
            rotation(
                &Actor::new(testkit::EXPORTER),
                &Actor::new(testkit::EXPORTER),
                10,
            ),
            RejectCode::InvalidPayload,
        ),
    ];
    for (what, who, payload, want) in cases {
        let actor = match who {
            "importer" => &mut p.importer,
            "auditor" => &mut p.auditor,
            "device" => &mut dev,
            "carrier" => &mut p.carrier,
            _ => &mut p.exporter,
        };
        assert_eq!(chain.try_apply(actor, payload), Some(want), "{what}");
    }
    // None of them changed anything: the exporter's key is not retired, the new key unknown.
    assert!(
        key_retirement(&chain.store, &p.exporter.key.public())
            .unwrap()
            .is_none()
    );
    assert!(signer(&chain.store, &new.key.public()).unwrap().is_none());
    // A key already retired cannot sign a rotation either (nor anything else).
    let mut replacement = Actor::new("exporter-key-2");
    let (old_key, new_key) = (p.exporter.key.public(), replacement.key.public());
    let third = Actor::new("exporter-key-3").key.public();
    chain.apply(&mut p.exporter, rotate(old_key, new_key, 0));
    assert_eq!(
        chain.try_apply(&mut p.exporter, rotate(new_key, third, 10)),
        Some(RejectCode::KeyRevoked)
    );
    // The replacement rotates itself onwards.
    assert_eq!(
        chain.try_apply(&mut replacement, rotate(new_key, third, 0)),
        None
    );
}

#[test]
fn a_rotation_cannot_be_replayed_or_undone() {
    let mut chain = Chain::new();
    let mut p = Parties::new();
    let mut new = Actor::new("exporter-key-2");
    let rot = p
        .exporter
        .sign(rotate(p.exporter.key.public(), new.key.public(), 20));
    assert!(chain.one(rot.clone()).is_applied());
    // The same signed event again: a replay.
    assert_eq!(code(&chain.one(rot)), Some("replayed_sequence"));
    // The same rotation signed again with the next number: already retired.
    let (old_key, new_key) = (p.exporter.key.public(), new.key.public());
    assert_eq!(
        chain.try_apply(&mut p.exporter, rotate(old_key, new_key, 20)),
        Some(RejectCode::AlreadyRevoked)
    );
    // Bringing the old key back: it is in use (a key retired never signs again).
    let old = Actor::new(testkit::EXPORTER);
    assert_eq!(
        chain.try_apply(&mut new, rotate(new_key, old_key, 30)),
        Some(RejectCode::KeyInUse)
    );
    // The pending retirement is unchanged.
    let r = key_retirement(&chain.store, &old.key.public())
        .unwrap()
        .unwrap();
    assert_eq!(r.from_height, 20);
}

#[test]
fn a_second_key_retires_a_compromised_one_at_once() {
    let mut g = testkit::genesis();
    let backup = Actor::new("exporter-backup");
    let org = g
        .organisations
        .iter_mut()
        .find(|o| o.id == testkit::EXPORTER)
        .unwrap();
    org.keys.push(backup.key.public());
    let mut chain = Chain::with_genesis(&g);
    let mut p = Parties::new();
    let mut backup = backup;
    let new = Actor::new("exporter-key-2");
    chain.apply(&mut p.exporter, declare(0));
    let rot = rotation(&p.exporter, &new, 0);
    chain.apply(&mut backup, rot);
    assert_eq!(
        chain.try_apply(&mut p.exporter, declare(1)),
        Some(RejectCode::KeyRevoked)
    );
    // The backup key itself is unaffected.
    assert_eq!(chain.try_apply(&mut backup, declare(2)), None);
}

#[test]
fn mempool_refusal_matches_execution() {
    let mut chain = Chain::new();
    let mut p = Parties::new();
    let new = Actor::new("exporter-key-2");
    chain.apply(&mut p.carrier, register("logger-1"));
    chain.apply(&mut p.carrier, revoke("logger-1", 10));
    let rot = rotation(&p.exporter, &new, 12);
    chain.apply(&mut p.exporter, rot);
    let refusal = |c: &Chain, k: &Actor, h| signer_refusal(&c.store, &k.key.public(), h).unwrap();
    let dev = Actor::new("logger-1");
    assert_eq!(refusal(&chain, &dev, 9), None);
    assert_eq!(
        refusal(&chain, &dev, 10).map(|r| r.code),
        Some(RejectCode::DeviceRevoked)
    );
    assert_eq!(refusal(&chain, &p.exporter, 11), None);
    assert_eq!(
        refusal(&chain, &p.exporter, 12).map(|r| r.code),
        Some(RejectCode::KeyRevoked)
    );
    assert_eq!(refusal(&chain, &new, 12), None);
    assert_eq!(
        refusal(&chain, &Actor::new("nobody"), 12),
        None,
        "unknown keys are execution's"
    );
    // The same code and detail as execution at that height.
    while chain.height + 1 < 12 {
        chain.block(&[]);
    }
    let o = chain.one(p.exporter.sign(declare(0)));
    let r = refusal(&chain, &p.exporter, 12).unwrap();
    assert_eq!(o.status, Status::Rejected(r));
}

/// The rotation scenario run twice on fresh stores gives identical stores and roots; and the
/// root recomputed from the values equals the incremental one.
#[test]
fn rotations_are_deterministic() {
    let run = || {
        let (mut chain, mut p) = crate::harness::declared("S1");
        let mut old = Actor::new("logger-old");
        let mut new_dev = Actor::new("logger-new");
        let mut new = Actor::new("customs-key-2");
        let customs_key = p.customs.key.public();
        let mut roots = Vec::new();
        let mut push = |b: BlockResults| roots.push((b.state_root, b.results_root));
        push(chain.block(&[p.carrier.sign(register("logger-old"))]));
        push(chain.block(&[
            old.sign(sensor_by("logger-old", "S1")),
            p.carrier.sign(register("logger-new")),
        ]));
        push(chain.block(&[
            p.carrier.sign(revoke("logger-old", 5)),
            p.customs.sign(rotate(customs_key, new.key.public(), 6)),
        ]));
        for _ in 0..3 {
            push(chain.block(&[
                old.sign(sensor_by("logger-old", "S1")),
                new_dev.sign(sensor_by("logger-new", "S1")),
                p.customs.sign(clearance("S1")),
                new.sign(clearance("S1")),
            ]));
        }
        let entries: Vec<(Vec<u8>, Vec<u8>)> = chain
            .store
            .entries()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        (roots, entries, state_root(&chain.store).unwrap())
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    assert_eq!(a.0.len(), 6);
    let mut values: Vec<(Hash32, Hash32)> =
        a.1.iter()
            .filter(|(k, _)| k.first() == Some(&b'v'))
            .map(|(k, v)| (sha256(&k[1..]), sha256(v)))
            .collect();
    values.sort();
    assert_eq!(smt::root_of_entries(&values), a.2);
}
