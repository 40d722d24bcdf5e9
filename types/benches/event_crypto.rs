//! Encode+sign, decode+verify, and batch verification of a typical ~300-byte custody event.
//!
//! Run: `cargo bench -p tradeledger-types --bench event_crypto`
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tradeledger_types::crypto::{self, BatchItem};
use tradeledger_types::*;

/// An RFID portal read at the border: one pallet, coordinates, a seal check.
fn body(seq: u64, key: &SecretKey) -> EventBody {
    EventBody {
        chain_id: "tradeledger-bench".into(),
        signer: key.public(),
        seq,
        payload: Payload::Custody(CustodyEvent {
            shipment_id: "SHP-2026-000123".into(),
            event_type: EpcisEventType::Object,
            action: Some(Action::Observe),
            biz_step: "arriving".into(),
            disposition: Some("in_transit".into()),
            event_time_ms: 1_780_000_000_000 + seq,
            time_zone_offset_min: -360,
            read_point: Some(Location {
                locode: Some("USPHR".into()),
                lat_micro_deg: Some(26_194_000),
                lon_micro_deg: Some(-98_183_000),
                site: Some("urn:epc:id:sgln:0614141.00777.0".into()),
            }),
            biz_location: None,
            epcs: vec!["urn:epc:id:sscc:0614141.1234567890".into()],
            parent: None,
            seal: Some(Seal {
                seal_id: "ESEAL-0042".into(),
                status: SealStatus::Intact,
            }),
            extensions: vec![],
        }),
    }
}

fn bench(c: &mut Criterion) {
    let key = SecretKey::from_seed([42; 32]);
    let sample = body(1, &key).sign(&key).to_bytes();
    eprintln!("typical event: {} bytes", sample.len());

    let mut g = c.benchmark_group("event");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode_sign", |b| {
        let mut seq = 0;
        b.iter(|| {
            seq += 1;
            black_box(body(seq, &key).sign(&key).to_bytes())
        })
    });
    g.bench_function("decode_verify", |b| {
        b.iter(|| {
            let (ev, id) = SignedEvent::decode(black_box(&sample)).unwrap();
            ev.verify().unwrap();
            black_box(id)
        })
    });
    g.finish();

    let events: Vec<SignedEvent> = (1..=256).map(|s| body(s, &key).sign(&key)).collect();
    let messages: Vec<Vec<u8>> = events.iter().map(|e| e.body.signing_bytes()).collect();
    let mut g = c.benchmark_group("batch_verify");
    g.throughput(Throughput::Elements(256));
    g.bench_with_input(BenchmarkId::from_parameter(256), &events, |b, evs| {
        b.iter(|| {
            let items: Vec<BatchItem<'_>> = evs
                .iter()
                .zip(&messages)
                .map(|(e, m)| BatchItem {
                    key: &e.body.signer,
                    message: m,
                    signature: &e.signature,
                })
                .collect();
            let r = crypto::verify_batch(&items);
            assert!(r.iter().all(Result::is_ok));
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
