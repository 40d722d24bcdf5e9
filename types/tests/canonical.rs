//! Decoders reject non-canonical bytes, trailing bytes, tags and oversize input, with an error
//! that says which.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use proptest::prelude::*;
use tradeledger_types::codec::{self, DecodeError, EVENT_BYTES_MAX};
use tradeledger_types::*;

fn sample() -> Vec<u8> {
    signed(all_payloads().remove(5).1, 11, 1).to_bytes()
}

/// The clearance sample: 82 (array 2) 84 (array 4) 72 "tradeledger-test-1" 58 20 <key> 01 (seq) ...
#[test]
fn table_of_non_canonical_forms() {
    let good = sample();
    assert!(SignedEvent::decode(&good).is_ok());
    assert_eq!(good[0], 0x82);
    assert_eq!(good[1], 0x84);
    let seq_at = 2 + 1 + 18 + 2 + 32; // after chain id (text, 18 bytes) and key (bytes, 32)
    assert_eq!(good[seq_at], 0x01, "layout assumption");

    type Case = (&'static str, Vec<u8>, fn(&DecodeError) -> bool);
    let mut cases: Vec<Case> = Vec::new();
    // Integer 1 in a two-byte form (0x18 0x01) instead of one byte.
    let mut long_int = good.clone();
    long_int.splice(seq_at..=seq_at, [0x18, 0x01]);
    cases.push(("non-shortest integer", long_int, |e| {
        matches!(e, DecodeError::NonCanonical { .. })
    }));
    // Outer array with indefinite length (0x9f ... 0xff).
    let mut indefinite = good.clone();
    indefinite[0] = 0x9f;
    indefinite.push(0xff);
    cases.push(("indefinite-length array", indefinite, |e| {
        matches!(
            e,
            DecodeError::NonCanonical { .. } | DecodeError::Malformed { .. }
        )
    }));
    // Array length written in a long form (0x98 0x02).
    let mut long_len = good.clone();
    long_len.splice(0..1, [0x98, 0x02]);
    cases.push(("non-shortest length", long_len, |e| {
        matches!(e, DecodeError::NonCanonical { .. })
    }));
    // A tag (0xc0 = tag 0) in front of the item.
    let mut tagged = vec![0xc6];
    tagged.extend_from_slice(&good);
    cases.push(("tagged item", tagged, |e| {
        matches!(e, DecodeError::UnknownTag { tag: 6, .. })
    }));
    // Trailing byte.
    let mut trailing = good.clone();
    trailing.push(0x00);
    cases.push(("trailing bytes", trailing, |e| {
        matches!(e, DecodeError::TrailingBytes { extra: 1, .. })
    }));
    // Truncated.
    cases.push(("truncated", good[..good.len() - 1].to_vec(), |e| {
        matches!(e, DecodeError::Malformed { .. })
    }));
    // Empty.
    cases.push(("empty", vec![], |e| {
        matches!(e, DecodeError::Malformed { .. })
    }));
    // Sequence number as a float (0xf9 half-precision 1.0 = 0x3c00).
    let mut float = good.clone();
    float.splice(seq_at..=seq_at, [0xf9, 0x3c, 0x00]);
    cases.push(("float instead of integer", float, |e| {
        matches!(
            e,
            DecodeError::Malformed { .. } | DecodeError::NonCanonical { .. }
        )
    }));
    // Oversize.
    cases.push(("oversize", vec![0u8; EVENT_BYTES_MAX + 1], |e| {
        matches!(e, DecodeError::Oversize { .. })
    }));
    // Extra field in the body (array of 5).
    let mut extra = good.clone();
    extra[1] = 0x85;
    extra.push(0x00);
    cases.push(("extra field", extra, |e| {
        matches!(e, DecodeError::Malformed { .. })
    }));

    for (desc, bytes, expected) in cases {
        let err = SignedEvent::decode(&bytes).expect_err(desc);
        assert!(expected(&err), "{desc}: unexpected error {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn errors_name_what_failed() {
    let err = SignedEvent::decode(&[0x82, 0x01, 0x02]).unwrap_err();
    assert!(
        err.to_string().starts_with("signed event: malformed CBOR"),
        "{err}"
    );
    let mut bad = sample();
    bad[1] = 0x83; // body with three fields
    let err = SignedEvent::decode(&bad).unwrap_err().to_string();
    assert!(err.contains("EventBody"), "{err}");
}

proptest! {
    /// Any definite-length array header rewritten in a longer form is rejected.
    #[test]
    fn long_form_headers_rejected(payload in any::<Payload>(), seq in 0u64..24) {
        let k = key(3);
        let ev = EventBody { chain_id: "c".into(), signer: k.public(), seq, payload }.sign(&k);
        let good = ev.to_bytes();
        prop_assume!(good.len() < EVENT_BYTES_MAX - 1);
        let mut bad = vec![0x98, 0x02];
        bad.extend_from_slice(&good[1..]);
        prop_assert!(matches!(SignedEvent::decode(&bad), Err(DecodeError::NonCanonical { .. })), "long-form header: {:?}", SignedEvent::decode(&bad).err());
        let mut trailing = good.clone();
        trailing.push(0xf6);
        prop_assert!(matches!(SignedEvent::decode(&trailing), Err(DecodeError::TrailingBytes { .. })), "trailing bytes accepted");
    }

    /// Random bytes never panic the decoder, and whatever it accepts is canonical.
    #[test]
    fn random_bytes_decode_only_canonically(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok((ev, id)) = SignedEvent::decode(&bytes) {
            prop_assert_eq!(ev.to_bytes(), bytes.clone());
            prop_assert_eq!(id, domain::sha256(&bytes));
        }
        let _ = Block::decode(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// The ids and size from one encoding per event equal the ids and the size of the whole
    /// events array encoded, and a block put together from its events' encodings is its
    /// encoding, across the CBOR array-head boundaries (23/24, 255/256 items).
    #[test]
    fn ids_size_and_block_bytes_from_event_encodings_match(mut block in any::<Block>(), extra in prop::sample::select(vec![0usize, 1, 22, 23, 24, 254, 255, 256, 300])) {
        let k = key(5);
        let payloads = all_payloads();
        for seq in 0..extra as u64 {
            let payload = payloads[seq as usize % payloads.len()].1.clone();
            block.events.push(EventBody { chain_id: "c".into(), signer: k.public(), seq, payload }.sign(&k));
        }
        let (ids, size) = block.event_ids_and_size();
        prop_assert_eq!(ids, block.event_ids());
        prop_assert_eq!(size, codec::to_canonical(&block.events).len());
        let event_bytes: Vec<Vec<u8>> = block.events.iter().map(SignedEvent::to_bytes).collect();
        prop_assert_eq!(block.to_bytes_with_events(&event_bytes), block.to_bytes());
    }
}

#[test]
fn canonical_maps_for_enums() {
    // Unit variants are text; newtype variants are one-entry maps keyed by the snake_case name.
    assert_eq!(
        codec::to_canonical(&Role::RightsHolder),
        [&[0x6d][..], b"rights_holder"].concat()
    );
    let p = Payload::IprAcceptance(IprAcceptance {
        recordation_id: "R".into(),
    });
    let mut want = vec![0xa1, 0x6e];
    want.extend_from_slice(b"ipr_acceptance");
    want.extend_from_slice(&[0x81, 0x61, b'R']);
    assert_eq!(codec::to_canonical(&p), want);
}
