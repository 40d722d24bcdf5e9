//! Events that contradict the ledger (issue 22): the signing device's registration, the
//! shipment's declaration and life, the block's time. Each row `{ desc, input, expected field }`
//! must be rejected as `invalid_payload` naming the field. And no single reading, however dated,
//! may blind the cold-chain rule to those after it.

use crate::harness::{Chain, Parties, declared};
use tradeledger_contracts::records::ColdChain;
use tradeledger_contracts::testkit::{self, Actor, DAY_MS, HOUR_MS, T0_MS, temp};
use tradeledger_contracts::*;
use tradeledger_types::*;

const MIN_MS: u64 = 60_000;
const DEVICE: &str = "reefer-7";

/// Who signs a row: the carrier's organisation key or its registered device `reefer-7`.
#[derive(Clone, Copy)]
enum By {
    Carrier,
    Device,
    Exporter,
    Quarantine,
}

/// The fixture shipment `S1`, with the device `reefer-7` registered by the carrier.
fn setup() -> (Chain, Parties, Actor) {
    let (mut chain, mut p) = declared("S1");
    chain.apply(
        &mut p.carrier,
        Payload::DeviceRegistration(DeviceRegistration {
            device_key: testkit::key(DEVICE).public(),
            device_id: DEVICE.into(),
            kinds: vec![EventKind::SensorReport, EventKind::Custody],
        }),
    );
    (chain, p, Actor::new(DEVICE))
}

fn report(device_id: &str, readings: Vec<Reading>) -> Payload {
    let mut r = testkit::sensor_report("S1", readings);
    r.device_id = device_id.into();
    Payload::SensorReport(r)
}

fn custody_with(f: impl FnOnce(&mut CustodyEvent)) -> Payload {
    let mut e = testkit::custody("S1", "departing", "MXUPN", T0_MS + DAY_MS, vec![]);
    f(&mut e);
    Payload::Custody(e)
}

fn coordinates() -> Location {
    Location {
        locode: None,
        lat_micro_deg: Some(19_411_000),
        lon_micro_deg: Some(-102_056_000),
        site: None,
    }
}

fn inspection(inspected_ms: u64, treatment: Option<TreatmentRecord>) -> Payload {
    Payload::Inspection(InspectionResult {
        shipment_id: "S1".into(),
        kind: InspectionKind::Phytosanitary,
        outcome: InspectionOutcome::Pass,
        findings: vec![],
        treatment,
        inspected_ms,
    })
}

/// `block_ms` is the time of the block the row's event lands in.
type Input = Box<dyn Fn(u64) -> (By, Payload)>;

#[test]
fn contradictions_with_the_ledger_are_refused_naming_the_field() {
    let s = T0_MS + DAY_MS;
    let cases: Vec<(&str, Input, &str)> = vec![
        (
            "device reports under another device's id",
            Box::new(move |_| {
                (
                    By::Device,
                    report("reefer-9", testkit::series(s, 600_000, 3, 7_000)),
                )
            }),
            "device_id",
        ),
        (
            "a reading two hours ahead of the block time",
            Box::new(move |b| {
                (
                    By::Carrier,
                    report("logger", vec![temp(s, 7_000), temp(b + 2 * HOUR_MS, 7_000)]),
                )
            }),
            "readings[1].time_ms",
        ),
        (
            "a reading three weeks ahead (the high-water-mark attack)",
            Box::new(|b| {
                (
                    By::Device,
                    report(DEVICE, vec![temp(b + 21 * DAY_MS, 7_000)]),
                )
            }),
            "readings[0].time_ms",
        ),
        (
            "a reading 40 days before the planned departure",
            Box::new(move |_| {
                (
                    By::Carrier,
                    report("logger", vec![temp(s - 40 * DAY_MS, 7_000)]),
                )
            }),
            "readings[0].time_ms",
        ),
        (
            "custody event with coordinates only",
            Box::new(|_| {
                (
                    By::Carrier,
                    custody_with(|e| e.read_point = Some(coordinates())),
                )
            }),
            "read_point.locode",
        ),
        (
            "custody event with a site id only",
            Box::new(|_| {
                (
                    By::Carrier,
                    custody_with(|e| {
                        e.read_point = None;
                        e.biz_location = Some(Location {
                            locode: None,
                            lat_micro_deg: None,
                            lon_micro_deg: None,
                            site: Some("urn:epc:id:sgln:0614141.00777.0".into()),
                        });
                    }),
                )
            }),
            "biz_location.locode",
        ),
        (
            "custody event with no location at all",
            Box::new(|_| (By::Carrier, custody_with(|e| e.read_point = None))),
            "read_point",
        ),
        (
            "custody event dated two days ahead of the block",
            Box::new(|b| {
                (
                    By::Device,
                    custody_with(|e| e.event_time_ms = b + 2 * DAY_MS),
                )
            }),
            "event_time_ms",
        ),
        (
            "custody event dated a year before the shipment",
            Box::new(|_| {
                (
                    By::Carrier,
                    custody_with(|e| e.event_time_ms = T0_MS - 365 * DAY_MS),
                )
            }),
            "event_time_ms",
        ),
        (
            "certificate for a line the declaration lacks",
            Box::new(|_| {
                let mut c = testkit::certificate(&testkit::declaration("S1"), "COO-1");
                c.goods[0].line = 7;
                (By::Exporter, Payload::CertificateOfOrigin(c))
            }),
            "goods[0].line",
        ),
        (
            "certificate signed a day ahead of the block",
            Box::new(|b| {
                let mut c = testkit::certificate(&testkit::declaration("S1"), "COO-1");
                c.signed_ms = b + DAY_MS;
                (By::Exporter, Payload::CertificateOfOrigin(c))
            }),
            "signed_ms",
        ),
        (
            "inspection dated ahead of the block",
            Box::new(|b| (By::Quarantine, inspection(b + 2 * HOUR_MS, None))),
            "inspected_ms",
        ),
        (
            "treatment record ending ahead of the block",
            Box::new(|b| {
                let t = TreatmentRecord {
                    kind: TreatmentKind::Fumigation,
                    start_ms: b - HOUR_MS,
                    end_ms: b + DAY_MS,
                    readings: vec![Reading {
                        kind: SensorKind::PulpTemperature,
                        value_milli: 20_000,
                        unit: "CEL".into(),
                        time_ms: b - HOUR_MS,
                    }],
                };
                (By::Quarantine, inspection(b - HOUR_MS, Some(t)))
            }),
            "treatment.end_ms",
        ),
    ];
    for (desc, input, field) in cases {
        let (mut chain, mut p, mut device) = setup();
        let (by, payload) = input(chain.time_ms + 600_000);
        let actor = match by {
            By::Carrier => &mut p.carrier,
            By::Device => &mut device,
            By::Exporter => &mut p.exporter,
            By::Quarantine => &mut p.quarantine,
        };
        let o = chain.one(actor.sign(payload));
        match o.status {
            Status::Rejected(r) => {
                assert_eq!(r.code, RejectCode::InvalidPayload, "{desc}: {}", r.detail);
                assert!(
                    r.detail.starts_with(&format!("{field}: ")),
                    "{desc}: expected field {field}, got {}",
                    r.detail
                );
            }
            Status::Applied => panic!("{desc}: applied"),
        }
    }
}

#[test]
fn consistent_events_of_a_registered_device_are_applied() {
    let (mut chain, _p, mut device) = setup();
    let s = T0_MS + DAY_MS;
    chain.apply(
        &mut device,
        report(DEVICE, testkit::series(s, 600_000, 3, 7_000)),
    );
    chain.apply(
        &mut device,
        custody_with(|e| {
            e.read_point = Some(coordinates());
            e.biz_location = Some(testkit::at("MXUPN"));
        }),
    );
}

#[test]
fn a_correction_is_checked_against_the_ledger_too() {
    let (mut chain, mut p) = declared("S1");
    let d = testkit::declaration("S1");
    let ev = p
        .exporter
        .sign(Payload::CertificateOfOrigin(testkit::certificate(
            &d, "COO-1",
        )));
    let original = ev.id();
    assert_eq!(chain.one(ev).status, Status::Applied);
    let mut bad = testkit::certificate(&d, "COO-1");
    bad.goods[0].line = 2;
    let o = chain.one(p.exporter.sign(Payload::Correction(Correction {
        corrects: original,
        reason: "wrong line".into(),
        replacement: Some(Box::new(Payload::CertificateOfOrigin(bad))),
    })));
    match o.status {
        Status::Rejected(r) => {
            assert_eq!(r.code, RejectCode::InvalidPayload);
            assert!(
                r.detail.starts_with("replacement.goods[0].line: "),
                "{}",
                r.detail
            );
        }
        Status::Applied => panic!("applied"),
    }
}

fn cold_chain_flag(chain: &Chain) -> Option<Severity> {
    chain
        .flags("S1")
        .into_iter()
        .find(|(id, _)| id == risk::FLAG_COLD_CHAIN)
        .map(|(_, s)| s)
}

/// The incident of issue 22: a reading dated weeks ahead, then a real excursion. The bad report
/// is refused, and the excursion after it still raises the flag and leaves the green lane.
#[test]
fn a_far_future_reading_does_not_blind_the_cold_chain_rule() {
    let (mut chain, _p, mut device) = setup();
    let s = T0_MS + DAY_MS;
    chain.apply(
        &mut device,
        report(DEVICE, testkit::series(s, 10 * MIN_MS, 6, 7_000)),
    );
    let weeks_ahead = chain.time_ms + 21 * DAY_MS;
    let o = chain.one(device.sign(report(DEVICE, vec![temp(weeks_ahead, 7_000)])));
    assert_eq!(o.reject_code(), Some(RejectCode::InvalidPayload));
    // Three hours at 15 °C (2 °C above the avocado range), in range again after.
    let mut excursion = testkit::series(s + HOUR_MS, 10 * MIN_MS, 19, 15_000);
    excursion.push(temp(s + 4 * HOUR_MS + 10 * MIN_MS, 7_000));
    chain.apply(&mut device, report(DEVICE, excursion));
    assert_eq!(cold_chain_flag(&chain), Some(Severity::Warning));
    assert_ne!(chain.lane("S1"), Lane::Green);
}

/// Even were such a reading admitted (by a rule set or a caller that skips the opening checks),
/// the measurement itself is not blinded: a report older than the latest reading still counts.
#[test]
fn cold_chain_measurement_is_robust_to_order() {
    let rule = testkit::rule_set().commodities[0].clone();
    let s = T0_MS + DAY_MS;
    let three_hours_at_15 = || {
        let mut r = testkit::series(s + HOUR_MS, 10 * MIN_MS, 19, 15_000);
        r.push(temp(s + 4 * HOUR_MS + 10 * MIN_MS, 7_000));
        r
    };
    let cases: Vec<(&str, Vec<Vec<Reading>>, u64)> = vec![
        (
            "in order, as before",
            vec![
                testkit::series(s, 10 * MIN_MS, 6, 7_000),
                three_hours_at_15(),
            ],
            190,
        ),
        (
            "after a reading dated weeks ahead",
            vec![vec![temp(s + 30 * DAY_MS, 7_000)], three_hours_at_15()],
            190,
        ),
        (
            "an excursion reported after later in-range readings",
            vec![
                testkit::series(s + 5 * HOUR_MS, 10 * MIN_MS, 6, 7_000),
                three_hours_at_15(),
            ],
            190,
        ),
        (
            "the same excursion from two loggers counts once",
            vec![three_hours_at_15(), three_hours_at_15()],
            190,
        ),
        (
            "an open excursion continues into the next report",
            vec![vec![temp(s, 15_000)], vec![temp(s + 200 * MIN_MS, 7_000)]],
            200,
        ),
        (
            "an out-of-order report does not stretch into time it did not cover",
            vec![
                testkit::series(s + 10 * HOUR_MS, 10 * MIN_MS, 3, 7_000),
                vec![temp(s, 7_000), temp(s + 10 * MIN_MS, 15_000)],
            ],
            0,
        ),
    ];
    for (desc, reports, minutes) in cases {
        let mut cc = ColdChain::default();
        for r in &reports {
            risk::accumulate(&mut cc, &rule, r);
        }
        assert_eq!(cc.outside_ms / MIN_MS, minutes, "{desc}");
    }
}

#[test]
fn many_separate_excursions_stay_bounded_and_are_not_undercounted() {
    let rule = testkit::rule_set().commodities[0].clone();
    let mut cc = ColdChain::default();
    // 100 ten-minute excursions an hour apart, reported newest first.
    for k in (0..100u64).rev() {
        let t = T0_MS + k * HOUR_MS;
        risk::accumulate(
            &mut cc,
            &rule,
            &[temp(t, 15_000), temp(t + 10 * MIN_MS, 7_000)],
        );
    }
    assert!(cc.outside_intervals.len() <= risk::OUTSIDE_INTERVALS_MAX);
    assert!(cc.outside_ms >= 100 * 10 * MIN_MS);
}

#[test]
fn both_locations_of_a_custody_event_are_on_the_route() {
    let (mut chain, mut p) = declared("S1");
    chain.apply(
        &mut p.carrier,
        custody_with(|e| e.biz_location = Some(testkit::at("CNSHA"))),
    );
    assert!(
        chain
            .flags("S1")
            .iter()
            .any(|(id, _)| id == risk::FLAG_ROUTE_DEVIATION),
        "a business location in China is off the MX-US route"
    );
}
