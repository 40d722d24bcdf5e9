//! Golden vectors: the canonical bytes and hashes of a sample of every message kind, committed
//! under tests/golden/ so that any change to the encoding shows up in review.
//!
//! Regenerate after an intended change with `UPDATE_GOLDEN=1 cargo test -p tradeledger-types --test golden`.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::fmt::Write as _;
use tradeledger_types::*;

fn golden(name: &str, lines: &[(&str, String)]) {
    let mut text = String::new();
    for (k, v) in lines {
        writeln!(text, "{k}: {v}").unwrap();
    }
    let path = format!("{}/tests/golden/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {path}; run with UPDATE_GOLDEN=1"));
    assert_eq!(
        text, want,
        "encoding of {name} changed; if intended, regenerate with UPDATE_GOLDEN=1 and review the diff"
    );
}

fn bytes_and_hash(b: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        ("cbor", hex::encode(b)),
        ("sha256", domain::sha256(b).to_hex()),
    ]
}

#[test]
fn signed_events_of_every_kind() {
    for (seq, (name, payload)) in all_payloads().into_iter().enumerate() {
        let ev = signed(payload, 11, seq as u64 + 1);
        let body = codec::to_canonical(&ev.body);
        let lines = vec![
            ("signer_seed", hex::encode([11u8; 32])),
            ("body_cbor", hex::encode(&body)),
            ("signing_bytes", hex::encode(ev.body.signing_bytes())),
            ("signature", ev.signature.to_hex()),
            ("signed_event_cbor", hex::encode(ev.to_bytes())),
            ("event_id", ev.id().to_hex()),
        ];
        golden(&format!("event_{name}"), &lines);
    }
}

#[test]
fn block_header_and_block() {
    let b = block();
    let mut lines = bytes_and_hash(&codec::to_canonical(&b.header));
    lines.push(("block_hash", b.hash().to_hex()));
    golden("block_header", &lines);
    golden("block", &bytes_and_hash(&b.to_bytes()));
}

#[test]
fn votes_and_certificates() {
    let b = block();
    let v = Vote::sign(vote_data(&b), &key(2));
    let mut lines = bytes_and_hash(&codec::to_canonical(&v));
    lines.push(("signing_bytes", hex::encode(v.data.signing_bytes())));
    golden("vote", &lines);
    golden(
        "quorum_certificate",
        &bytes_and_hash(&codec::to_canonical(&qc(&b, &[1, 2, 4]))),
    );
    let t = timeout(7, 3);
    let mut lines = bytes_and_hash(&codec::to_canonical(&t));
    lines.push(("signing_bytes", hex::encode(t.data.signing_bytes())));
    golden("timeout", &lines);
    golden(
        "timeout_certificate",
        &bytes_and_hash(&codec::to_canonical(&tc(7, &[1, 2, 3]))),
    );
}

#[test]
fn genesis_hash() {
    let g = genesis();
    let mut lines = bytes_and_hash(&codec::to_canonical(&g));
    lines.push(("genesis_hash", g.hash().to_hex()));
    golden("genesis", &lines);
}

#[test]
fn event_proof() {
    golden(
        "event_proof",
        &bytes_and_hash(&common::event_proof().to_bytes()),
    );
}

#[test]
fn merkle_roots() {
    // Leaves are the byte strings "0", "1", ... so other implementations can reproduce them.
    let lines: Vec<(&str, String)> = [0usize, 1, 2, 3, 5, 8, 13]
        .iter()
        .map(|&n| {
            let leaves: Vec<Vec<u8>> = (0..n).map(|i| i.to_string().into_bytes()).collect();
            ("root", format!("n={n} {}", merkle::root(&leaves).to_hex()))
        })
        .collect();
    golden("merkle_roots", &lines);
}

/// docs/examples/genesis.toml is the sample genesis of these tests, kept in sync.
#[test]
fn example_genesis_file() {
    let path = format!(
        "{}/../docs/examples/genesis.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = format!(
        "# An example genesis: four organisations, each running one validator.\n# Keys are derived from fixed test seeds; never use them for a real chain.\n{}",
        genesis().to_toml()
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(format!("{}/../docs/examples", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}
