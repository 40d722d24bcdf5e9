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
                .map(|(e, m)| e.batch_item(m))
                .collect();
            let r = crypto::verify_batch(&items);
            assert!(r.iter().all(Result::is_ok));
        })
    });
    g.finish();

    // A block's events come from many devices: 256 events by 256 keys, checked with the keys
    // decompressed per batch (`verify_batch`) or kept across batches (`verify_batch_cached`,
    // warm, as in a node that has seen these devices before).
    let keys: Vec<SecretKey> = (0..256u32)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..4].copy_from_slice(&i.to_be_bytes());
            SecretKey::from_seed(seed)
        })
        .collect();
    let events: Vec<SignedEvent> = keys.iter().map(|k| body(1, k).sign(k)).collect();
    let messages: Vec<Vec<u8>> = events.iter().map(|e| e.body.signing_bytes()).collect();
    let items: Vec<BatchItem<'_>> = events
        .iter()
        .zip(&messages)
        .map(|(e, m)| e.batch_item(m))
        .collect();
    let cache = std::sync::Mutex::new(crypto::KeyCache::new(1024));
    assert!(
        crypto::verify_batch_cached(&items, &cache)
            .iter()
            .all(Result::is_ok)
    );
    let mut g = c.benchmark_group("batch_verify_256_devices");
    g.throughput(Throughput::Elements(256));
    g.bench_function("keys_per_batch", |b| {
        b.iter(|| {
            assert!(
                crypto::verify_batch(black_box(&items))
                    .iter()
                    .all(Result::is_ok)
            )
        })
    });
    g.bench_function("keys_cached", |b| {
        b.iter(|| {
            assert!(
                crypto::verify_batch_cached(black_box(&items), &cache)
                    .iter()
                    .all(Result::is_ok)
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
