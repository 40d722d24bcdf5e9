//! Sensor batching: when reports are emitted, what they carry, and proofs of readings.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use tradeledger_sdk::recorder::{RecordError, Recorder, RecorderConfig, Series, encode_reading};
use tradeledger_sdk::signer::Signer;
use tradeledger_types::codec::to_canonical;
use tradeledger_types::{Payload, Reading, SecretKey, SensorKind, SensorReport};

fn recorder(config: RecorderConfig) -> Recorder {
    Recorder::new(
        Signer::new(SecretKey::from_seed([9; 32]), "tradeledger-demo"),
        "SHP-2026-000123",
        config,
    )
    .unwrap()
}

fn report(e: &tradeledger_sdk::recorder::Emitted) -> &SensorReport {
    match &e.event.body.payload {
        Payload::SensorReport(r) => r,
        other => panic!("not a sensor report: {other:?}"),
    }
}

const MIN: u64 = 60_000;

#[test]
fn emits_every_n_readings_per_device() {
    let mut rec = recorder(RecorderConfig {
        readings_per_report: 10,
        window_ms: u64::MAX,
        ..Default::default()
    });
    let mut emitted = Vec::new();
    for i in 0..25u64 {
        for dev in ["reefer-a", "reefer-b"] {
            emitted.extend(
                rec.record_value(
                    dev,
                    SensorKind::Temperature,
                    7_000 + i as i64,
                    "CEL",
                    i * MIN,
                )
                .unwrap(),
            );
        }
    }
    assert_eq!(emitted.len(), 4, "two full batches per device");
    assert_eq!(rec.pending(), 10);
    emitted.extend(rec.flush_all().unwrap());
    let seqs: Vec<u64> = emitted.iter().map(|e| e.event.body.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    let lens: Vec<(String, u32)> = emitted
        .iter()
        .map(|e| (report(e).device_id.clone(), report(e).series_len))
        .collect();
    assert_eq!(lens[4..], [("reefer-a".into(), 5), ("reefer-b".into(), 5)]);
    for e in &emitted {
        e.event.verify().unwrap();
        e.event.body.payload.validate().unwrap();
    }
    assert_eq!(rec.signer().next_seq(), 7);
}

#[test]
fn emits_on_reading_time_window_not_wall_clock() {
    let mut rec = recorder(RecorderConfig {
        readings_per_report: 1000,
        window_ms: 15 * MIN,
        ..Default::default()
    });
    let mut emitted = Vec::new();
    // One reading every 5 minutes for an hour: windows [0,15), [15,30), [30,45), [45,60).
    for i in 0..13u64 {
        emitted.extend(
            rec.record_value(
                "logger-1",
                SensorKind::Temperature,
                7_000,
                "CEL",
                i * 5 * MIN,
            )
            .unwrap(),
        );
    }
    let sizes: Vec<u32> = emitted.iter().map(|e| report(e).series_len).collect();
    assert_eq!(sizes, [3, 3, 3, 3]);
    assert_eq!(report(&emitted[1]).readings[0].time_ms, 15 * MIN);
    assert_eq!(rec.pending(), 1);
}

#[test]
fn large_batches_carry_a_sample_stats_and_a_provable_root() {
    let config = RecorderConfig {
        readings_per_report: 1000,
        window_ms: u64::MAX,
        carry_whole_max: 64,
        sample_len: 16,
    };
    let mut rec = recorder(config);
    let mut emitted = Vec::new();
    for i in 0..1000u64 {
        // An avocado reefer at 7 °C with an excursion to 11.5 °C around reading 600.
        let t = if (580..640).contains(&i) {
            11_500 - (i as i64 - 610).abs() * 100
        } else {
            7_000 + (i % 3) as i64 * 50
        };
        emitted.extend(
            rec.record_value("reefer-7", SensorKind::Temperature, t, "CEL", i * MIN)
                .unwrap(),
        );
        if i % 10 == 0 {
            emitted.extend(
                rec.record_value(
                    "reefer-7",
                    SensorKind::RelativeHumidity,
                    92_000,
                    "A93",
                    i * MIN,
                )
                .unwrap(),
            );
        }
    }
    emitted.extend(rec.flush_all().unwrap());
    let first = &emitted[0];
    let r = report(first);
    assert_eq!(r.series_len, 1000);
    assert!(
        r.readings.len() <= 16 + 4,
        "sample plus extremes, got {}",
        r.readings.len()
    );
    let temp = r
        .stats
        .iter()
        .find(|s| s.kind == SensorKind::Temperature)
        .unwrap();
    assert_eq!(temp.max_milli, 11_500);
    assert!(
        r.readings.iter().any(|x| x.value_milli == 11_500),
        "the peak is carried"
    );
    let root = r.series_root.unwrap();
    assert_eq!(first.series.root(), root);
    assert_eq!(first.series.len(), 1000);
    for i in [0, 1, 499, 610, 999] {
        let (reading, proof) = first.series.prove(i).unwrap();
        assert!(proof.verify(&to_canonical(&reading), &root), "reading {i}");
        let mut forged = reading.clone();
        forged.value_milli += 1;
        assert!(!proof.verify(&to_canonical(&forged), &root));
    }
    assert!(first.series.prove(1000).is_none());
    Payload::SensorReport(r.clone()).validate().unwrap();
}

#[test]
fn small_batches_are_carried_whole() {
    let mut rec = recorder(RecorderConfig {
        readings_per_report: 5,
        ..Default::default()
    });
    let mut out = Vec::new();
    for i in 0..5u64 {
        out.extend(
            rec.record(
                "dev-1",
                &Reading {
                    kind: SensorKind::DoorOpen,
                    value_milli: (i % 2) as i64 * 1000,
                    unit: "C62".into(),
                    time_ms: i,
                },
            )
            .unwrap(),
        );
    }
    let r = report(&out[0]);
    assert_eq!(
        (r.readings.len(), r.series_len, r.series_root),
        (5, 5, None)
    );
}

#[test]
fn refuses_out_of_order_and_bad_ids() {
    let mut rec = recorder(RecorderConfig::default());
    rec.record_value("dev-1", SensorKind::Temperature, 1, "CEL", 100)
        .unwrap();
    let err = rec
        .record_value("dev-1", SensorKind::Temperature, 1, "CEL", 99)
        .unwrap_err();
    assert!(
        matches!(
            err,
            RecordError::OutOfOrder {
                time_ms: 99,
                last_ms: 100,
                ..
            }
        ),
        "{err}"
    );
    let err = rec
        .record_value("bad device", SensorKind::Temperature, 1, "CEL", 100)
        .unwrap_err();
    assert!(
        matches!(&err, RecordError::Invalid(f) if f.field == "device_id"),
        "{err}"
    );
    let err = rec
        .record_value("dev-1", SensorKind::Other, 1, "", 100)
        .unwrap_err();
    assert!(
        matches!(&err, RecordError::Invalid(f) if f.field == "unit"),
        "{err}"
    );
    assert!(
        Recorder::new(
            Signer::new(SecretKey::from_seed([1; 32]), "c"),
            "",
            RecorderConfig::default()
        )
        .is_err()
    );
}

fn kind() -> impl Strategy<Value = SensorKind> {
    prop::sample::select(vec![
        SensorKind::Temperature,
        SensorKind::RelativeHumidity,
        SensorKind::Illuminance,
        SensorKind::DoorOpen,
        SensorKind::Shock,
        SensorKind::PulpTemperature,
        SensorKind::Other,
    ])
}

proptest! {
    /// The hand-written leaf encoder is byte-identical to the canonical codec.
    #[test]
    fn leaf_encoding_is_canonical(kind in kind(), value in any::<i64>(), unit in "[A-Z0-9]{1,40}", time in any::<u64>()) {
        let mut buf = Vec::new();
        encode_reading(kind, value, &unit, time, &mut buf);
        prop_assert_eq!(buf, to_canonical(&Reading { kind, value_milli: value, unit, time_ms: time }));
    }

    /// The series root equals the types crate's Merkle root over canonical readings.
    #[test]
    fn series_root_matches_merkle_root(values in prop::collection::vec(-50_000i64..50_000, 1..200)) {
        let readings: Vec<Reading> = values.iter().enumerate()
            .map(|(i, v)| Reading { kind: SensorKind::Temperature, value_milli: *v, unit: "CEL".into(), time_ms: i as u64 })
            .collect();
        let series = Series::from_readings("dev", &readings).unwrap();
        let leaves: Vec<Vec<u8>> = readings.iter().map(to_canonical).collect();
        prop_assert_eq!(series.root(), tradeledger_types::merkle::root(&leaves));
        let r = series.report("SHP-1", 64, 8);
        prop_assert!(Payload::SensorReport(r).validate().is_ok());
    }
}

#[test]
fn a_reading_delivered_twice_is_recorded_once() {
    let mut rec = recorder(RecorderConfig {
        readings_per_report: 4,
        window_ms: u64::MAX,
        ..Default::default()
    });
    let mut emitted = Vec::new();
    // A broker's QoS-1 redelivery repeats readings 1 and 2; another value at the same time is
    // a different reading and stays.
    for (value, t) in [
        (7_000, 0),
        (7_100, MIN),
        (7_100, MIN),
        (7_200, 2 * MIN),
        (7_200, 2 * MIN),
        (9_000, 2 * MIN),
        (7_300, 3 * MIN),
    ] {
        emitted.extend(
            rec.record_value("reefer-a", SensorKind::Temperature, value, "CEL", t)
                .unwrap(),
        );
    }
    emitted.extend(rec.flush_all().unwrap());
    let readings: Vec<(i64, u64)> = emitted
        .iter()
        .flat_map(|e| {
            report(e)
                .readings
                .iter()
                .map(|r| (r.value_milli, r.time_ms))
        })
        .collect();
    assert_eq!(
        readings,
        vec![
            (7_000, 0),
            (7_100, MIN),
            (7_200, 2 * MIN),
            (9_000, 2 * MIN),
            (7_300, 3 * MIN)
        ]
    );
}
