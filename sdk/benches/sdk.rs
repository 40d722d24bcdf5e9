//! SDK throughput: sensor readings recorded, batched and signed; EPCIS events imported; EPC
//! decodes. Run with `cargo bench -p tradeledger-sdk --bench sdk`; numbers in BENCHMARKS.md.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tradeledger_sdk::epc::Epc96;
use tradeledger_sdk::epcis::{ImportOptions, import_str};
use tradeledger_sdk::recorder::{Recorder, RecorderConfig};
use tradeledger_sdk::signer::Signer;
use tradeledger_types::{SecretKey, SensorKind};

fn recorder(c: &mut Criterion) {
    const READINGS: u64 = 100_000;
    let mut g = c.benchmark_group("recorder");
    g.throughput(Throughput::Elements(READINGS));
    for per_report in [1_000usize, 10_000] {
        g.bench_function(BenchmarkId::new("record_batch_sign", per_report), |b| {
            let signer = Signer::new(SecretKey::from_seed([9; 32]), "tradeledger-demo");
            let config = RecorderConfig {
                readings_per_report: per_report,
                window_ms: u64::MAX,
                ..Default::default()
            };
            let mut rec =
                Recorder::new(signer, "SHP-2026-000123", config).expect("valid shipment id");
            let mut t = 0u64;
            b.iter(|| {
                let mut reports = 0usize;
                for i in 0..READINGS {
                    t += 1_000;
                    let v = 7_000 + (i % 50) as i64;
                    reports += rec
                        .record_value("reefer-7", SensorKind::Temperature, v, "CEL", t)
                        .expect("in order")
                        .len();
                }
                black_box(reports)
            });
        });
    }
    g.finish();
}

fn epcis(c: &mut Criterion) {
    let mut g = c.benchmark_group("epcis_import");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    for (name, file) in [
        ("border_crossing_5_events", "avocado-border-crossing.jsonld"),
        ("gs1_9.6.1_2_events", "gs1/Example_9.6.1-ObjectEvent.jsonld"),
        (
            "reefer_series_86_readings",
            "avocado-reefer-sensor-series.jsonld",
        ),
    ] {
        let text = std::fs::read_to_string(format!("{dir}{file}")).expect("test data present");
        let opts = ImportOptions::new("SHP-2026-000123");
        let events = import_str(&text, &opts).expect("imports").events.len() as u64;
        g.throughput(Throughput::Elements(events));
        g.bench_function(name, |b| {
            b.iter(|| black_box(import_str(black_box(&text), &opts).expect("imports")))
        });
    }
    g.finish();
}

fn epc(c: &mut Criterion) {
    let hexes = [
        "3074257BF7194E4000001A85",
        "31AC16465751CCD0C2000000",
        "3374257BF40C0E400000162E",
        "3434257BF40000000000162E",
    ];
    let mut g = c.benchmark_group("epc");
    g.throughput(Throughput::Elements(hexes.len() as u64));
    g.bench_function("decode_hex_to_pure_uri", |b| {
        b.iter(|| {
            for h in hexes {
                black_box(Epc96::from_hex(black_box(h)).expect("valid").pure_uri());
            }
        })
    });
    g.bench_function("encode_tag_uri_to_hex", |b| {
        let uris: Vec<String> = hexes
            .iter()
            .map(|h| Epc96::from_hex(h).expect("valid").tag_uri())
            .collect();
        b.iter(|| {
            for u in &uris {
                black_box(Epc96::from_tag_uri(black_box(u)).expect("valid").to_hex());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, recorder, epcis, epc);
criterion_main!(benches);
