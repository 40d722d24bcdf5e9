//! Permissions: the role matrix, sequence numbers, devices, references.

use crate::harness::{Chain, Parties};
use tradeledger_contracts::testkit::{self, Actor, DAY_MS, T0_MS};
use tradeledger_contracts::*;
use tradeledger_types::*;

fn clearance(id: &str) -> Payload {
    Payload::Clearance(ClearanceDecision {
        shipment_id: id.into(),
        decision: Decision::Release,
        reason: String::new(),
    })
}

fn inspection(id: &str, kind: InspectionKind) -> Payload {
    Payload::Inspection(InspectionResult {
        shipment_id: id.into(),
        kind,
        outcome: InspectionOutcome::Pass,
        findings: vec![],
        treatment: None,
        inspected_ms: T0_MS + 2 * DAY_MS,
    })
}

fn custody(id: &str) -> Payload {
    Payload::Custody(testkit::custody(
        id,
        "departing",
        "MXUPN",
        T0_MS + DAY_MS,
        vec![],
    ))
}

fn sensor(id: &str) -> Payload {
    Payload::SensorReport(testkit::sensor_report(
        id,
        testkit::series(T0_MS + DAY_MS, 600_000, 3, 7_000),
    ))
}

type Step = (
    &'static str,
    Box<dyn Fn(&mut Parties, &mut Actor) -> SignedEvent>,
    Option<RejectCode>,
);

#[test]
fn role_matrix_sequences_and_references() {
    let mut chain = Chain::new();
    let mut p = Parties::new();
    let device_key = testkit::key("reefer-logger-1");
    let steps: Vec<Step> = vec![
        (
            "exporter declares",
            Box::new(|p, _| {
                p.exporter
                    .sign(Payload::ShipmentDeclaration(testkit::declaration("S1")))
            }),
            None,
        ),
        (
            "same id again",
            Box::new(|p, _| {
                p.exporter
                    .sign(Payload::ShipmentDeclaration(testkit::declaration("S1")))
            }),
            Some(RejectCode::DuplicateShipment),
        ),
        (
            "carrier may not declare",
            Box::new(|p, _| {
                p.carrier
                    .sign(Payload::ShipmentDeclaration(testkit::declaration("S2")))
            }),
            Some(RejectCode::RoleNotAllowed),
        ),
        (
            "importer (a named party with the shipper role) declares",
            Box::new(|p, _| {
                p.importer
                    .sign(Payload::ShipmentDeclaration(testkit::declaration("S3")))
            }),
            None,
        ),
        (
            "declaration naming a non-carrier as carrier",
            Box::new(|p, _| {
                let mut d = testkit::declaration("S4");
                d.carrier = testkit::CUSTOMS.into();
                p.exporter.sign(Payload::ShipmentDeclaration(d))
            }),
            Some(RejectCode::UnknownCarrier),
        ),
        (
            "declaration by a shipper that is not a party",
            Box::new(|p, _| {
                let mut d = testkit::declaration("S5");
                d.exporter = testkit::party("someone-else", "MX");
                p.exporter.sign(Payload::ShipmentDeclaration(d))
            }),
            Some(RejectCode::NotAParty),
        ),
        (
            "wrong chain",
            Box::new(|p, _| {
                let mut ev = p.exporter.sign(clearance("S1"));
                ev.body.chain_id = "another-chain".into();
                ev
            }),
            Some(RejectCode::WrongChain),
        ),
        (
            "replayed sequence number",
            Box::new(|p, _| {
                p.exporter
                    .sign_seq(Payload::ShipmentDeclaration(testkit::declaration("S6")), 1)
            }),
            Some(RejectCode::ReplayedSequence),
        ),
        (
            "gap in sequence numbers",
            Box::new(|p, _| {
                p.exporter
                    .sign_seq(Payload::ShipmentDeclaration(testkit::declaration("S6")), 9)
            }),
            Some(RejectCode::SequenceGap),
        ),
        (
            "unknown signer",
            Box::new(|_, _| Actor::new("stranger").sign(clearance("S1"))),
            Some(RejectCode::UnknownSigner),
        ),
        (
            "named carrier records custody",
            Box::new(|p, _| p.carrier.sign(custody("S1"))),
            None,
        ),
        (
            "other carrier may not",
            Box::new(|p, _| p.other_carrier.sign(custody("S1"))),
            Some(RejectCode::NotShipmentCarrier),
        ),
        (
            "custody for an unknown shipment",
            Box::new(|p, _| p.carrier.sign(custody("NOPE"))),
            Some(RejectCode::UnknownShipment),
        ),
        (
            "quarantine may not clear",
            Box::new(|p, _| p.quarantine.sign(clearance("S1"))),
            Some(RejectCode::RoleNotAllowed),
        ),
        (
            "customs may not do a phytosanitary inspection",
            Box::new(|p, _| {
                p.customs
                    .sign(inspection("S1", InspectionKind::Phytosanitary))
            }),
            Some(RejectCode::RoleNotAllowed),
        ),
        (
            "quarantine does the phytosanitary inspection",
            Box::new(|p, _| {
                p.quarantine
                    .sign(inspection("S1", InspectionKind::Phytosanitary))
            }),
            None,
        ),
        (
            "quarantine may not do a customs physical inspection",
            Box::new(|p, _| {
                p.quarantine
                    .sign(inspection("S1", InspectionKind::Physical))
            }),
            Some(RejectCode::RoleNotAllowed),
        ),
        (
            "customs clears",
            Box::new(|p, _| p.customs.sign(clearance("S1"))),
            None,
        ),
        (
            "auditor writes nothing",
            Box::new(|p, _| p.auditor.sign(clearance("S1"))),
            Some(RejectCode::RoleNotAllowed),
        ),
        (
            "invalid payload names the field",
            Box::new(|p, _| {
                p.customs.sign(Payload::Clearance(ClearanceDecision {
                    shipment_id: "S1".into(),
                    decision: Decision::Hold,
                    reason: String::new(),
                }))
            }),
            Some(RejectCode::InvalidPayload),
        ),
        (
            "carrier registers a reefer logger for sensor reports",
            Box::new(move |p, _| {
                p.carrier
                    .sign(Payload::DeviceRegistration(DeviceRegistration {
                        device_key: testkit::key("reefer-logger-1").public(),
                        device_id: "reefer-logger-1".into(),
                        kinds: vec![EventKind::SensorReport],
                    }))
            }),
            None,
        ),
        (
            "device key registered twice",
            Box::new(move |p, _| {
                p.other_carrier
                    .sign(Payload::DeviceRegistration(DeviceRegistration {
                        device_key: testkit::key("reefer-logger-1").public(),
                        device_id: "x".into(),
                        kinds: vec![EventKind::Custody],
                    }))
            }),
            Some(RejectCode::KeyInUse),
        ),
        (
            "device reports for its organisation",
            Box::new(|_, d| d.sign(sensor("S1"))),
            None,
        ),
        (
            "device may not sign custody events",
            Box::new(|_, d| d.sign(custody("S1"))),
            Some(RejectCode::DeviceKindNotAllowed),
        ),
        (
            "other carrier may not revoke it",
            Box::new(move |p, _| {
                p.other_carrier
                    .sign(Payload::DeviceRevocation(DeviceRevocation {
                        device_key: testkit::key("reefer-logger-1").public(),
                        effective_height: 0,
                    }))
            }),
            Some(RejectCode::UnknownDevice),
        ),
        (
            "carrier revokes it now",
            Box::new(move |p, _| {
                p.carrier.sign(Payload::DeviceRevocation(DeviceRevocation {
                    device_key: testkit::key("reefer-logger-1").public(),
                    effective_height: 0,
                }))
            }),
            None,
        ),
        (
            "revoked device",
            Box::new(|_, d| d.sign(sensor("S1"))),
            Some(RejectCode::DeviceRevoked),
        ),
        (
            "correction of an unknown event",
            Box::new(|p, _| {
                p.exporter.sign(Payload::Correction(Correction {
                    corrects: Hash32([7; 32]),
                    reason: "typo".into(),
                    replacement: None,
                }))
            }),
            Some(RejectCode::UnknownEvent),
        ),
    ];
    let mut device = Actor {
        key: device_key,
        next_seq: 1,
    };
    for (desc, make, expected) in steps {
        let ev = make(&mut p, &mut device);
        let (signer, seq) = (ev.body.signer, ev.body.seq);
        let o = chain.one(ev);
        assert_eq!(o.reject_code(), expected, "{desc}");
        if expected.is_some_and(|c| !c.consumes_sequence())
            && !matches!(
                expected,
                Some(RejectCode::ReplayedSequence | RejectCode::SequenceGap)
            )
        {
            // An envelope rejection consumes no sequence number: rewind whoever signed it.
            for a in [
                &mut p.exporter,
                &mut p.importer,
                &mut p.carrier,
                &mut p.other_carrier,
                &mut p.customs,
                &mut p.quarantine,
                &mut p.auditor,
                &mut device,
            ] {
                if a.key.public() == signer && seq + 1 == a.next_seq {
                    a.next_seq -= 1;
                }
            }
        }
    }
}

#[test]
fn rejected_events_change_no_state_but_sequence_numbers() {
    let mut chain = Chain::new();
    let mut p = Parties::new();
    chain.apply(
        &mut p.exporter,
        Payload::ShipmentDeclaration(testkit::declaration("S1")),
    );
    // Values in the store live under `v` ‖ key; signer records under `k\0`; tree nodes under `t`.
    let values_but_signers = |store: &tradeledger_contracts::MemStore| -> Vec<(Vec<u8>, Vec<u8>)> {
        store
            .entries()
            .filter(|(k, _)| k.first() == Some(&b'v') && !k[1..].starts_with(b"k\0"))
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect()
    };
    let before = values_but_signers(&chain.store);
    let seq_of = |chain: &Chain, a: &Actor| {
        tradeledger_contracts::signer(&chain.store, &a.key.public())
            .expect("memory store")
            .map_or(0, |s| s.last_seq)
    };
    let (carrier0, other0, exporter0) = (
        seq_of(&chain, &p.carrier),
        seq_of(&chain, &p.other_carrier),
        seq_of(&chain, &p.exporter),
    );
    let bad = vec![
        // role_not_allowed and not_shipment_carrier: valid envelopes, numbers used up.
        p.carrier
            .sign(Payload::ShipmentDeclaration(testkit::declaration("S9"))),
        p.other_carrier.sign(custody("S1")),
        // replayed_sequence: an envelope rejection, the number is not used up.
        p.exporter.sign_seq(clearance("S1"), 1),
    ];
    let r = chain.block(&bad);
    assert!(
        r.outcomes
            .iter()
            .all(|o| !o.is_applied() && o.records.is_empty())
    );
    assert_eq!(
        values_but_signers(&chain.store),
        before,
        "rejections change nothing but signers' sequence numbers"
    );
    assert_eq!(seq_of(&chain, &p.carrier), carrier0 + 1);
    assert_eq!(seq_of(&chain, &p.other_carrier), other0 + 1);
    assert_eq!(seq_of(&chain, &p.exporter), exporter0);
    assert_ne!(r.results_root, Hash32::ZERO, "and they are in the results");
}

#[test]
fn correction_by_another_organisation_is_rejected() {
    let mut chain = Chain::new();
    let mut p = Parties::new();
    let ev = p
        .exporter
        .sign(Payload::ShipmentDeclaration(testkit::declaration("S1")));
    let id = ev.id();
    assert!(chain.one(ev).is_applied());
    let withdraw = Payload::Correction(Correction {
        corrects: id,
        reason: "not ours".into(),
        replacement: None,
    });
    assert_eq!(
        chain.try_apply(&mut p.importer, withdraw),
        Some(RejectCode::NotAParty)
    );
}

#[test]
fn reject_codes_are_stable_snake_case() {
    let cases = [
        (RejectCode::WrongChain, "wrong_chain"),
        (RejectCode::ReplayedSequence, "replayed_sequence"),
        (RejectCode::SequenceGap, "sequence_gap"),
        (RejectCode::NotShipmentCarrier, "not_shipment_carrier"),
        (RejectCode::InvalidCustomRule, "invalid_custom_rule"),
    ];
    for (code, name) in cases {
        assert_eq!(code.as_str(), name);
        assert_eq!(
            serde_json::to_string(&code).expect("json"),
            format!("\"{name}\"")
        );
    }
}
