//! Signatures: tampering with any byte is caught; batch verification agrees with single.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use std::sync::Mutex;
use tradeledger_types::crypto::{self, BatchItem, KeyCache};
use tradeledger_types::*;

/// Flip each bit of each byte of a signed event: the result never decodes to an event that
/// verifies (it fails to decode, or its signature fails).
#[test]
fn every_bit_flip_of_a_signed_event_is_caught() {
    for (name, payload) in all_payloads() {
        let good = signed(payload, 11, 1).to_bytes();
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[i] ^= 1 << bit;
                if let Ok((ev, _)) = SignedEvent::decode(&bad) {
                    assert!(
                        ev.verify().is_err(),
                        "{name}: flipping bit {bit} of byte {i} still verifies"
                    );
                }
            }
        }
    }
}

/// Flip each bit of each byte of an event proof: it never verifies.
#[test]
fn every_bit_flip_of_an_event_proof_is_caught() {
    let set = validator_set();
    let good = event_proof();
    good.verify(CHAIN, &set).unwrap();
    let bytes = good.to_bytes();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut bad = bytes.clone();
            bad[i] ^= 1 << bit;
            if let Ok(p) = EventProof::decode(&bad) {
                assert!(
                    p.verify(CHAIN, &set).is_err(),
                    "flipping bit {bit} of byte {i} still verifies"
                );
            }
        }
    }
}

#[test]
fn wrong_chain_or_signer_fails() {
    let k = key(5);
    let body = EventBody {
        chain_id: "other-chain".into(),
        signer: k.public(),
        seq: 1,
        payload: all_payloads().remove(7).1,
    };
    let ev = body.sign(&k);
    assert!(ev.verify().is_ok());
    let mut moved = ev.clone();
    moved.body.chain_id = CHAIN.into();
    assert_eq!(
        moved.verify(),
        Err(SignatureError::Invalid { signer: k.public() })
    );
    let mut other = ev;
    other.body.signer = key(6).public();
    assert!(other.verify().is_err());
}

#[test]
fn signature_domains_are_separated() {
    let k = key(9);
    let bytes = b"same bytes";
    let sig = k.sign(Domain::VOTE, bytes);
    assert!(crypto::verify(&k.public(), Domain::VOTE, bytes, &sig).is_ok());
    assert!(crypto::verify(&k.public(), Domain::TIMEOUT, bytes, &sig).is_err());
    assert!(crypto::verify(&k.public(), Domain::EVENT_SIGNATURE, bytes, &sig).is_err());
}

#[test]
fn weak_keys_are_rejected() {
    // The identity point (y = 1) has small order.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = PublicKey(identity);
    assert_eq!(
        crypto::verifying_key(&weak),
        Err(SignatureError::BadKey { key: weak })
    );
}

fn batch_of(n: usize) -> Vec<(PublicKey, Vec<u8>, Signature)> {
    (0..n)
        .map(|i| {
            let k = key(100 + i as u8);
            let msg = Domain::EVENT_SIGNATURE.prefix(format!("event {i}").as_bytes());
            let sig = k.sign(Domain::EVENT_SIGNATURE, format!("event {i}").as_bytes());
            (k.public(), msg, sig)
        })
        .collect()
}

fn batch_items(items: &[(PublicKey, Vec<u8>, Signature)]) -> Vec<BatchItem<'_>> {
    items
        .iter()
        .map(|(k, m, s)| BatchItem {
            key: k,
            message: m,
            signature: s,
        })
        .collect()
}

fn oks(results: Vec<Result<(), SignatureError>>) -> Vec<bool> {
    results.into_iter().map(|r| r.is_ok()).collect()
}

fn run_batch(items: &[(PublicKey, Vec<u8>, Signature)]) -> Vec<bool> {
    oks(crypto::verify_batch(&batch_items(items)))
}

fn run_cached(items: &[(PublicKey, Vec<u8>, Signature)], cache: &Mutex<KeyCache>) -> Vec<bool> {
    oks(crypto::verify_batch_cached(&batch_items(items), cache))
}

fn run_single(items: &[(PublicKey, Vec<u8>, Signature)]) -> Vec<bool> {
    items
        .iter()
        .map(|(k, m, s)| {
            let body = &m[Domain::EVENT_SIGNATURE.0.len() + 1..];
            crypto::verify(k, Domain::EVENT_SIGNATURE, body, s).is_ok()
        })
        .collect()
}

#[test]
fn batch_with_one_bad_signature_names_it() {
    let mut items = batch_of(64);
    assert!(run_batch(&items).iter().all(|&ok| ok));
    items[17].2.0[5] ^= 0x40;
    let batch = run_batch(&items);
    assert_eq!(batch, run_single(&items));
    assert_eq!(batch.iter().filter(|&&ok| !ok).count(), 1);
    assert!(!batch[17]);
}

#[test]
fn empty_batch_is_empty() {
    assert!(crypto::verify_batch(&[]).is_empty());
}

#[test]
fn cached_keys_give_the_same_answers_and_invalid_keys_are_never_cached() {
    let cache = Mutex::new(KeyCache::new(1024));
    let mut items = batch_of(16);
    // An invalid key (about half of all y coordinates are not on the curve) and a weak one,
    // with otherwise well-formed items.
    let not_a_point = (2u8..=255)
        .map(|b| {
            let mut k = [0u8; 32];
            k[0] = b;
            k
        })
        .find(|k| crypto::verifying_key(&PublicKey(*k)).is_err())
        .unwrap();
    let mut identity = [0u8; 32];
    identity[0] = 1;
    for bad in [not_a_point, identity] {
        let (_, m, s) = items[0].clone();
        items.push((PublicKey(bad), m, s));
    }
    let first = run_cached(&items, &cache);
    assert_eq!(first, run_single(&items));
    assert_eq!(first.iter().filter(|&&ok| ok).count(), 16);
    assert_eq!(
        cache.lock().unwrap().len(),
        16,
        "the 16 valid keys, and only those"
    );
    // Second pass: every valid key from the cache, same answers, also with a bad signature.
    items[3].2.0[9] ^= 1;
    let second = run_cached(&items, &cache);
    assert_eq!(second, run_single(&items));
    assert!(!second[3]);
    assert_eq!(cache.lock().unwrap().len(), 16);
}

#[test]
fn key_cache_stays_bounded_and_keeps_recent_keys() {
    let mut cache = KeyCache::new(8);
    let hot = key(1).public();
    cache.insert(hot, crypto::verifying_key(&hot).unwrap());
    for i in 2..60u8 {
        let k = key(i).public();
        cache.insert(k, crypto::verifying_key(&k).unwrap());
        // Used again, the hot key moves to the young generation and survives.
        let vk = cache.get(&hot).expect("hot key stays cached");
        cache.insert(hot, vk);
        assert!(cache.len() <= 8, "len {}", cache.len());
    }
    assert!(
        cache.get(&key(2).public()).is_none(),
        "cold keys are dropped"
    );
}

#[test]
#[should_panic(expected = "a cached key must be the key it is filed under")]
fn a_key_filed_under_another_key_is_refused() {
    let mut cache = KeyCache::new(8);
    let (a, b) = (key(1).public(), key(2).public());
    cache.insert(a, crypto::verifying_key(&b).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Whatever signatures are corrupted, the batch result equals the single results.
    #[test]
    fn batch_agrees_with_single(n in 1usize..40, corrupt in proptest::collection::vec((any::<usize>(), 0usize..64, 0u8..8), 0..5)) {
        let mut items = batch_of(n);
        for (which, byte, bit) in corrupt {
            let i = which % n;
            items[i].2.0[byte] ^= 1 << bit;
        }
        prop_assert_eq!(run_batch(&items), run_single(&items));
    }

    /// With a cache shared across batches (and warm from earlier ones), the answers are those
    /// of the uncached batch.
    #[test]
    fn cached_batch_agrees_with_uncached(n in 1usize..40, corrupt in proptest::collection::vec((any::<usize>(), 0usize..64, 0u8..8), 0..5)) {
        let cache = Mutex::new(KeyCache::new(16));
        let mut items = batch_of(n);
        prop_assert_eq!(run_cached(&items, &cache), run_batch(&items));
        for (which, byte, bit) in corrupt {
            let i = which % n;
            items[i].2.0[byte] ^= 1 << bit;
        }
        prop_assert_eq!(run_cached(&items, &cache), run_batch(&items));
    }
}
