//! The risk contract: cold chain by time outside range, treatments, seals, RFID at the border,
//! route, timing, value; the lane.

use crate::harness::{declared, flag_ids};
use tradeledger_contracts::testkit::{self, DAY_MS, HOUR_MS, T0_MS, temp};
use tradeledger_contracts::treatment::check_treatment;
use tradeledger_contracts::*;
use tradeledger_types::*;

const MIN_MS: u64 = 60_000;

/// In range (7 °C), then `minutes_out` minutes at `milli_c` (a reading every 10 minutes), then
/// back in range: exactly `minutes_out` minutes outside.
fn excursion(start: u64, minutes_out: u64, milli_c: i64) -> Vec<Reading> {
    let mut r = vec![temp(start, 7_000)];
    for i in 0..minutes_out / 10 {
        r.push(temp(start + (i + 1) * 10 * MIN_MS, milli_c));
    }
    r.push(temp(start + 10 * MIN_MS + minutes_out * MIN_MS, 7_000));
    r
}

#[test]
fn cold_chain_excursion_is_time_outside_the_range() {
    let s = T0_MS + DAY_MS;
    let cases: Vec<(&str, Vec<Vec<Reading>>, Option<Severity>)> = vec![
        (
            "avocado at 7 °C throughout",
            vec![testkit::series(s, 10 * MIN_MS, 100, 7_000)],
            None,
        ),
        (
            "one reading at 20 °C, back in range 10 minutes later",
            vec![excursion(s, 10, 20_000)],
            None,
        ),
        (
            "90 minutes at 3 °C: within the 120-minute tolerance",
            vec![excursion(s, 90, 3_000)],
            None,
        ),
        (
            "3 hours at 15 °C: 2 °C above, slight",
            vec![excursion(s, 180, 15_000)],
            Some(Severity::Warning),
        ),
        (
            "4 hours at 2 °C: 3 °C below, still slight",
            vec![excursion(s, 240, 2_000)],
            Some(Severity::Warning),
        ),
        (
            "3 hours at 16.5 °C: 3.5 °C above, beyond slight",
            vec![excursion(s, 180, 16_500)],
            Some(Severity::Critical),
        ),
        (
            "13 hours at 14 °C: longer than 12 hours",
            vec![excursion(s, 780, 14_000)],
            Some(Severity::Critical),
        ),
        (
            "140 minutes at 15 °C split across two reports add up",
            {
                let all = excursion(s, 140, 15_000);
                vec![all[..8].to_vec(), all[8..].to_vec()]
            },
            Some(Severity::Warning),
        ),
    ];
    for (desc, reports, expected) in cases {
        let (mut chain, mut p) = declared("S1");
        for readings in reports {
            chain.apply(
                &mut p.carrier,
                Payload::SensorReport(testkit::sensor_report("S1", readings)),
            );
        }
        let got = chain
            .flags("S1")
            .into_iter()
            .find(|(id, _)| id == risk::FLAG_COLD_CHAIN)
            .map(|(_, s)| s);
        assert_eq!(got, expected, "{desc}");
    }
}

fn cold(days: u64, step_min: u64, value: impl Fn(u64) -> i64) -> TreatmentRecord {
    let start = T0_MS;
    let end = start + days * DAY_MS;
    let n = days * DAY_MS / (step_min * MIN_MS);
    let readings = (0..=n)
        .map(|i| Reading {
            kind: SensorKind::PulpTemperature,
            value_milli: value(i),
            unit: "CEL".into(),
            time_ms: start + i * step_min * MIN_MS,
        })
        .collect();
    TreatmentRecord {
        kind: TreatmentKind::Cold,
        start_ms: start,
        end_ms: end,
        readings,
    }
}

fn hot_air(warm_up_min: u64, held_min: u64) -> TreatmentRecord {
    let start = T0_MS;
    let total = warm_up_min + held_min;
    let readings = (0..=total / 2)
        .map(|i| {
            let t = i * 2;
            let v = if t < warm_up_min {
                30_000 + i64::try_from(t).expect("small") * 300
            } else {
                44_500
            };
            Reading {
                kind: SensorKind::PulpTemperature,
                value_milli: v,
                unit: "CEL".into(),
                time_ms: start + t * MIN_MS,
            }
        })
        .collect();
    TreatmentRecord {
        kind: TreatmentKind::HotAir,
        start_ms: start,
        end_ms: start + total * MIN_MS,
        readings,
    }
}

#[test]
fn treatment_records_table() {
    let gap_max = testkit::rule_set().treatment_gap_minutes_max; // 30 minutes
    let mut gappy = cold(21, 30, |_| 0);
    gappy.readings.retain(|r| {
        !(r.time_ms > T0_MS + 5 * DAY_MS && r.time_ms < T0_MS + 5 * DAY_MS + 2 * HOUR_MS)
    });
    let mut hot_gap = hot_air(40, 120);
    hot_gap
        .readings
        .retain(|r| !(r.time_ms > T0_MS + 60 * MIN_MS && r.time_ms < T0_MS + 100 * MIN_MS));
    let mut humidity_only = cold(21, 30, |_| 0);
    for r in &mut humidity_only.readings {
        r.kind = SensorKind::RelativeHumidity;
    }
    let cases: Vec<(&str, TreatmentRecord, Option<TreatmentFault>)> = vec![
        (
            "cold: 0 °C for 21 days, every 30 minutes",
            cold(21, 30, |_| 0),
            None,
        ),
        ("cold: at exactly 0.55 °C", cold(21, 30, |_| 550), None),
        (
            "cold: one reading at 1.2 °C",
            cold(21, 30, |i| if i == 500 { 1_200 } else { 0 }),
            Some(TreatmentFault::Excursion),
        ),
        (
            "cold: two hours without readings",
            gappy,
            Some(TreatmentFault::Gap),
        ),
        (
            "cold: only 18 days",
            cold(18, 30, |_| 0),
            Some(TreatmentFault::TooShort),
        ),
        (
            "hot air: 44.5 °C held 120 minutes, every 2 minutes",
            hot_air(40, 120),
            None,
        ),
        (
            "hot air: held only 90 minutes",
            hot_air(40, 90),
            Some(TreatmentFault::TooShort),
        ),
        (
            "hot air: 40 minutes without readings",
            hot_gap,
            Some(TreatmentFault::Gap),
        ),
        (
            "no temperature readings",
            humidity_only,
            Some(TreatmentFault::NoReadings),
        ),
    ];
    for (desc, record, expected) in cases {
        let got = check_treatment(&record, gap_max).err().map(|(f, _)| f);
        assert_eq!(got, expected, "{desc}");
    }
}

#[test]
fn void_treatment_and_failed_inspection_are_critical() {
    let (mut chain, mut p) = declared("S1");
    // The record is of an 18-day treatment from T0, reported once it ended: blocks run after it
    // (a record dated ahead of the block time is refused).
    chain.time_ms = T0_MS + 20 * DAY_MS;
    let inspection = InspectionResult {
        shipment_id: "S1".into(),
        kind: InspectionKind::Phytosanitary,
        outcome: InspectionOutcome::PassAfterTreatment,
        findings: vec![],
        treatment: Some(cold(18, 30, |_| 0)),
        inspected_ms: T0_MS + 20 * DAY_MS,
    };
    let records = chain.apply(&mut p.quarantine, Payload::Inspection(inspection));
    assert!(records.iter().any(|r| matches!(r, Derived::Treatment(t) if !t.valid && t.fault == Some(TreatmentFault::TooShort))));
    assert_eq!(flag_ids(&records), vec![risk::FLAG_TREATMENT_VOID]);
    assert_eq!(chain.lane("S1"), Lane::Red);

    let (mut chain, mut p) = declared("S2");
    let fail = InspectionResult {
        shipment_id: "S2".into(),
        kind: InspectionKind::Phytosanitary,
        outcome: InspectionOutcome::Fail,
        findings: vec![Finding {
            code: "pest:anastrepha-ludens".into(),
            description: "Mexican fruit fly larvae".into(),
        }],
        treatment: None,
        inspected_ms: T0_MS + 2 * DAY_MS,
    };
    let records = chain.apply(&mut p.quarantine, Payload::Inspection(fail));
    assert_eq!(flag_ids(&records), vec![risk::FLAG_INSPECTION_FAILED]);
    assert_eq!(chain.lane("S2"), Lane::Red);
}

fn with_seal(mut e: CustodyEvent, status: SealStatus) -> CustodyEvent {
    e.seal = Some(Seal {
        seal_id: "ISO17712-000123".into(),
        status,
    });
    e
}

#[test]
fn custody_rules_table() {
    let t = T0_MS + DAY_MS;
    let both = vec![testkit::pallet(1), testkit::pallet(2)];
    let cases: Vec<(&str, CustodyEvent, Vec<(&str, Severity)>)> = vec![
        (
            "pickup at origin",
            testkit::custody("S1", "shipping", "MXUPN", t, vec![]),
            vec![],
        ),
        (
            "seal opened at the origin warehouse (authorised)",
            with_seal(
                testkit::custody("S1", "shipping", "MXUPN", t, vec![]),
                SealStatus::Opened,
            ),
            vec![],
        ),
        (
            "seal opened in Monterrey (not authorised)",
            with_seal(
                testkit::custody("S1", "departing", "MXMTY", t, vec![]),
                SealStatus::Opened,
            ),
            vec![(risk::FLAG_SEAL_BREAK, Severity::Critical)],
        ),
        (
            "seal found broken in Monterrey",
            with_seal(
                testkit::custody("S1", "departing", "MXMTY", t, vec![]),
                SealStatus::Broken,
            ),
            vec![(risk::FLAG_SEAL_BREAK, Severity::Critical)],
        ),
        (
            "seal intact anywhere",
            with_seal(
                testkit::custody("S1", "departing", "MXMTY", t, vec![]),
                SealStatus::Intact,
            ),
            vec![],
        ),
        (
            "custody in Guatemala, off the planned route",
            testkit::custody("S1", "departing", "GTGUA", t, vec![]),
            vec![(risk::FLAG_ROUTE_DEVIATION, Severity::Warning)],
        ),
        (
            "border read of both declared pallets",
            testkit::custody("S1", "arriving", "USLRD", t + DAY_MS, both.clone()),
            vec![],
        ),
        (
            "border read missing pallet 2",
            testkit::custody(
                "S1",
                "arriving",
                "USLRD",
                t + DAY_MS,
                vec![testkit::pallet(1)],
            ),
            vec![(risk::FLAG_RFID_MISMATCH, Severity::Critical)],
        ),
        (
            "border read with an undeclared pallet 3",
            testkit::custody(
                "S1",
                "arriving",
                "USLRD",
                t + DAY_MS,
                vec![testkit::pallet(1), testkit::pallet(2), testkit::pallet(3)],
            ),
            vec![(risk::FLAG_RFID_MISMATCH, Severity::Warning)],
        ),
        (
            "read point at the last route stop counts as the border portal",
            testkit::custody(
                "S1",
                "inspecting",
                "USLRD",
                t + DAY_MS,
                vec![testkit::pallet(2)],
            ),
            vec![(risk::FLAG_RFID_MISMATCH, Severity::Critical)],
        ),
        (
            "arrival 20 h late: within the 24 h tolerance",
            testkit::custody(
                "S1",
                "arriving",
                "USLRD",
                T0_MS + 3 * DAY_MS + 20 * HOUR_MS,
                both.clone(),
            ),
            vec![],
        ),
        (
            "arrival 30 h late",
            testkit::custody(
                "S1",
                "arriving",
                "USLRD",
                T0_MS + 3 * DAY_MS + 30 * HOUR_MS,
                both.clone(),
            ),
            vec![(risk::FLAG_LATE_ARRIVAL, Severity::Warning)],
        ),
    ];
    for (desc, event, expected) in cases {
        let (mut chain, mut p) = declared("S1");
        // Pickup at the origin warehouse first, so the case's event is not the first custody.
        chain.apply(
            &mut p.carrier,
            Payload::Custody(testkit::custody(
                "S1",
                "shipping",
                "MXUPN",
                t - HOUR_MS,
                vec![],
            )),
        );
        chain.apply(&mut p.carrier, Payload::Custody(event));
        let mut want: Vec<(String, Severity)> = expected
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b))
            .collect();
        want.sort();
        assert_eq!(chain.flags("S1"), want, "{desc}");
    }
}

#[test]
fn event_dated_in_the_future_is_a_timing_anomaly() {
    let (mut chain, mut p) = declared("S1");
    let far = chain.time_ms + 3 * HOUR_MS;
    chain.apply(
        &mut p.carrier,
        Payload::Custody(testkit::custody("S1", "shipping", "MXUPN", far, vec![])),
    );
    assert_eq!(
        chain.flags("S1"),
        vec![(risk::FLAG_TIMING_ANOMALY.to_owned(), Severity::Warning)]
    );
}

#[test]
fn door_opened_away_from_authorised_places() {
    let (mut chain, mut p) = declared("S1");
    chain.apply(
        &mut p.carrier,
        Payload::Custody(testkit::custody(
            "S1",
            "departing",
            "MXMTY",
            T0_MS + DAY_MS,
            vec![],
        )),
    );
    let door = Reading {
        kind: SensorKind::DoorOpen,
        value_milli: 1_000,
        unit: "C62".into(),
        time_ms: T0_MS + DAY_MS + HOUR_MS,
    };
    let records = chain.apply(
        &mut p.carrier,
        Payload::SensorReport(testkit::sensor_report("S1", vec![door])),
    );
    assert_eq!(flag_ids(&records), vec![risk::FLAG_SEAL_BREAK]);
}

#[test]
fn declared_value_against_reference() {
    // Reference for 080440 in USD: 250 cents per kg, tolerance 50 %.
    let cases = [
        ("USD 2.50/kg, the reference", 5_000_000, false),
        ("USD 3.50/kg, 40 % above", 7_000_000, false),
        ("USD 0.50/kg, 80 % below", 1_000_000, true),
        ("USD 10/kg, 300 % above", 20_000_000, true),
    ];
    for (desc, value, flagged) in cases {
        let mut chain = crate::harness::Chain::new();
        let mut p = crate::harness::Parties::new();
        let mut d = testkit::declaration("S1");
        d.goods[0].value_minor = value;
        let records = chain.apply(&mut p.exporter, Payload::ShipmentDeclaration(d));
        assert_eq!(
            flag_ids(&records).contains(&risk::FLAG_VALUE_ANOMALY.to_owned()),
            flagged,
            "{desc}"
        );
    }
}

#[test]
fn lane_from_flags_and_policy() {
    let policy = LanePolicy {
        warnings_for_red: 3,
    };
    let flag = |id: &str, s: Severity| Flag {
        rule_id: id.into(),
        severity: s,
        evidence: vec![],
        rule_set_version: 1,
        height: 1,
        detail: String::new(),
    };
    let cases = [
        ("no flags", vec![], Lane::Green),
        ("info only", vec![flag("a", Severity::Info)], Lane::Green),
        (
            "one warning",
            vec![flag("a", Severity::Warning)],
            Lane::Yellow,
        ),
        (
            "two warnings",
            vec![flag("a", Severity::Warning), flag("b", Severity::Warning)],
            Lane::Yellow,
        ),
        (
            "three warnings",
            vec![
                flag("a", Severity::Warning),
                flag("b", Severity::Warning),
                flag("c", Severity::Warning),
            ],
            Lane::Red,
        ),
        (
            "one critical",
            vec![flag("a", Severity::Critical)],
            Lane::Red,
        ),
    ];
    for (desc, flags, lane) in cases {
        assert_eq!(lane::lane_for(&flags, &policy), lane, "{desc}");
    }
}

#[test]
fn lane_changes_are_recorded_with_the_rule_set_version() {
    let mut chain = crate::harness::Chain::new();
    let mut p = crate::harness::Parties::new();
    let records = chain.apply(
        &mut p.exporter,
        Payload::ShipmentDeclaration(testkit::declaration("S1")),
    );
    assert!(records.iter().any(|r| matches!(r, Derived::Lane(l) if l.previous.is_none() && l.lane == Lane::Green && l.rule_set_version == 1)));
    let records = chain.apply(
        &mut p.carrier,
        Payload::SensorReport(testkit::sensor_report(
            "S1",
            excursion(T0_MS + DAY_MS, 180, 15_000),
        )),
    );
    assert!(records.iter().any(|r| matches!(r, Derived::Lane(l) if l.previous == Some(Lane::Green) && l.lane == Lane::Yellow)));
    let timeline = timeline(&chain.store, "S1", 0, 10).expect("memory store");
    assert_eq!(timeline.len(), 2);
    assert_eq!(timeline[1].kind, EventKind::SensorReport);
}
