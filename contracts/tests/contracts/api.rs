//! The API the node and the auditor use: genesis, queries, corrections, device lifetimes.

use crate::harness::{Chain, Parties, declared};
use tradeledger_contracts::testkit::{self, Actor, DAY_MS, T0_MS};
use tradeledger_contracts::*;
use tradeledger_types::*;

#[test]
fn genesis_once_and_execution_needs_it() {
    let mut store = MemStore::new();
    let ctx = BlockContext {
        height: 1,
        block_time_ms: T0_MS,
    };
    assert_eq!(
        execute(&mut store, &ctx, &[]),
        Err(ExecError::NotInitialised)
    );
    let root = init_genesis(&mut store, &testkit::genesis()).expect("valid genesis");
    assert_ne!(root, Hash32::ZERO);
    assert_eq!(state_root(&store).expect("memory store"), root);
    assert_eq!(
        init_genesis(&mut store, &testkit::genesis()),
        Err(ExecError::AlreadyInitialised)
    );
    assert_eq!(
        chain_id(&store).expect("memory store").as_deref(),
        Some(testkit::CHAIN_ID)
    );
    let exporter = signer(&store, &testkit::key(testkit::EXPORTER).public())
        .expect("memory store")
        .expect("genesis key");
    assert_eq!(
        (exporter.org.as_str(), exporter.last_seq),
        (testkit::EXPORTER, 0)
    );
    let mut bad = testkit::genesis();
    bad.rule_set.de_minimis_bp = 20_000;
    assert!(matches!(
        init_genesis(&mut MemStore::new(), &bad),
        Err(ExecError::Genesis(_))
    ));
}

#[test]
fn timeline_pages_and_status() {
    let (mut c, mut p) = declared("S1");
    for h in 0..5u64 {
        let e = testkit::custody(
            "S1",
            "departing",
            "MXUPN",
            T0_MS + DAY_MS + h * 600_000,
            vec![],
        );
        c.apply(&mut p.carrier, Payload::Custody(e));
    }
    let all = timeline(&c.store, "S1", 0, 100).expect("memory store");
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].kind, EventKind::ShipmentDeclaration);
    assert_eq!(all[0].org, testkit::EXPORTER);
    let page = timeline(&c.store, "S1", 2, 3).expect("memory store");
    assert_eq!(page, all[2..5].to_vec());
    assert!(
        timeline(&c.store, "S9", 0, 10)
            .expect("memory store")
            .is_empty()
    );
    let status = shipment_status(&c.store, "S1")
        .expect("memory store")
        .expect("exists");
    assert_eq!(
        (status.lane, status.lane_version, status.flags.len()),
        (Lane::Green, 1, 0)
    );
    let ev = event(&c.store, &all[1].event_id)
        .expect("memory store")
        .expect("applied");
    assert_eq!(
        (ev.kind, ev.shipment_id.as_deref()),
        (EventKind::Custody, Some("S1"))
    );
}

#[test]
fn corrected_declaration_replaces_the_one_in_force() {
    let mut c = Chain::new();
    let mut p = Parties::new();
    let d = testkit::declaration("S1");
    let ev = p.exporter.sign(Payload::ShipmentDeclaration(d.clone()));
    let id = ev.id();
    assert!(c.one(ev).is_applied());
    let mut fixed = d.clone();
    fixed.goods[0].value_minor = 1_000_000; // now far below the reference value
    let mut other = d;
    other.shipment_id = "S2".into();
    let cases = [
        (
            "replacement for another shipment",
            Payload::ShipmentDeclaration(other),
            Some(RejectCode::CorrectionMismatch),
        ),
        (
            "replacement of another kind (its role is checked first)",
            Payload::Clearance(ClearanceDecision {
                shipment_id: "S1".into(),
                decision: Decision::Release,
                reason: String::new(),
            }),
            Some(RejectCode::RoleNotAllowed),
        ),
        (
            "same kind, same shipment",
            Payload::ShipmentDeclaration(fixed),
            None,
        ),
    ];
    for (desc, replacement, expected) in cases {
        let corr = Payload::Correction(Correction {
            corrects: id,
            reason: "value".into(),
            replacement: Some(Box::new(replacement)),
        });
        assert_eq!(c.try_apply(&mut p.exporter, corr), expected, "{desc}");
    }
    let rec = c.shipment("S1");
    assert_eq!(rec.declaration.goods[0].value_minor, 1_000_000);
    assert_eq!(
        c.flags("S1"),
        vec![(risk::FLAG_VALUE_ANOMALY.to_owned(), Severity::Warning)]
    );
    assert!(
        event(&c.store, &id)
            .expect("memory store")
            .expect("applied")
            .corrected_by
            .is_some()
    );
}

#[test]
fn device_revoked_from_a_future_height() {
    let (mut c, mut p) = declared("S1"); // height 1
    let mut device = Actor::new("portal-7");
    let reg = DeviceRegistration {
        device_key: device.key.public(),
        device_id: "portal-7".into(),
        kinds: vec![EventKind::Custody],
    };
    c.apply(&mut p.carrier, Payload::DeviceRegistration(reg)); // height 2
    let rev = DeviceRevocation {
        device_key: device.key.public(),
        effective_height: 5,
    };
    c.apply(&mut p.carrier, Payload::DeviceRevocation(rev)); // height 3
    let read = |t: u64| {
        Payload::Custody(testkit::custody(
            "S1",
            "departing",
            "MXUPN",
            T0_MS + DAY_MS + t,
            vec![],
        ))
    };
    assert_eq!(
        c.try_apply(&mut device, read(1)),
        None,
        "height 4: still valid"
    );
    assert_eq!(
        c.try_apply(&mut device, read(2)),
        Some(RejectCode::DeviceRevoked),
        "height 5: revoked"
    );
}

#[test]
fn pending_rule_sets_are_bounded() {
    let mut c = Chain::new();
    let mut p = Parties::new();
    for v in 2..=9u32 {
        let u = RuleSetUpdate {
            version: v,
            effective_height: 1_000,
            changes: vec![RuleChange::SetLateArrival(v)],
            reason: "x".into(),
        };
        assert_eq!(
            c.try_apply(&mut p.customs, Payload::RuleSetUpdate(u)),
            None,
            "version {v}"
        );
    }
    let u = RuleSetUpdate {
        version: 10,
        effective_height: 1_000,
        changes: vec![RuleChange::SetLateArrival(1)],
        reason: "x".into(),
    };
    assert_eq!(
        c.try_apply(&mut p.customs, Payload::RuleSetUpdate(u)),
        Some(RejectCode::TooManyPendingRuleSets)
    );
    let (latest, effective) = latest_rule_set(&c.store).expect("memory store");
    assert_eq!(
        (latest.version, latest.late_arrival_hours_max, effective),
        (9, 9, 1_000)
    );
}

#[test]
fn buffered_execution_commits_the_same_state() {
    let mut direct = Chain::new();
    let mut base = Chain::new();
    let mut p = Parties::new();
    let mut events = vec![
        p.exporter
            .sign(Payload::ShipmentDeclaration(testkit::declaration("S1"))),
    ];
    for h in 0..4u64 {
        let e = testkit::custody(
            "S1",
            "departing",
            "MXUPN",
            T0_MS + DAY_MS + h * 600_000,
            vec![],
        );
        events.push(p.carrier.sign(Payload::Custody(e)));
    }
    let expected = direct.block(&events);
    let ctx = BlockContext {
        height: 1,
        block_time_ms: direct.time_ms,
    };
    let mut buffer = BufferedStore::new(&base.store);
    let got = execute(&mut buffer, &ctx, &events).expect("memory store");
    assert_eq!(
        timeline(&buffer, "S1", 1, 2).expect("memory store"),
        timeline(&direct.store, "S1", 1, 2).expect("memory store")
    );
    let changes = buffer.into_changes();
    assert_eq!(got, expected);
    base.store.apply(changes);
    assert_eq!(base.store, direct.store);
}
