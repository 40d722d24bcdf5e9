//! Issue 21: the sequence-number rule as a client meets it on a real single-validator node.
//! A refusal at submission uses up no number (`seq` in docs/data-model.md), so a client that
//! goes on with the next number leaves a gap: its event is pending but says what it waits for,
//! and once it waited longer than `mempool_gap_wait_s` it is dropped and reads as `rejected`
//! with `sequence_gap`. Sending the missing number and the dropped event again commits both.

mod one_node;
mod support;

use one_node::{OneNode, send, submit, wait_committed};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tradeledger_contracts::testkit::{self, Actor};
use tradeledger_types::{Payload, SignedEvent};

/// The node's bound: long enough that the first look at a waiting event comes well before it,
/// short enough for a test.
const GAP_WAIT_S: u64 = 5;
/// How long a test waits for the expiry (bound + tick + a slow machine).
const EXPIRY_WAIT: Duration = Duration::from_secs(60);

fn get(api: SocketAddr, id: &str) -> Value {
    let r = send(api, None, "GET", &format!("/v1/events/{id}"), None, b"").expect("node answers");
    assert_eq!(r.status, 200, "GET {id}: {}", r.json());
    r.json()
}

fn declaration(actor: &Actor, shipment: &str, seq: u64) -> SignedEvent {
    actor.sign_seq(
        Payload::ShipmentDeclaration(testkit::declaration(shipment)),
        seq,
    )
}

/// Polls until `id` reads as rejected, and returns the answer.
fn wait_rejected(api: SocketAddr, id: &str) -> Value {
    support::wait_for("the gap's event to be dropped", EXPIRY_WAIT, || {
        let v = get(api, id);
        (v["status"] == "rejected").then_some(v)
    })
}

#[test]
fn an_event_behind_a_refused_sequence_says_what_it_waits_for_then_is_rejected_as_a_gap() {
    let mut node = OneNode::start(&["--mempool-gap-wait-s", &GAP_WAIT_S.to_string()]);
    let api = node.api;
    let exporter = Actor::new(testkit::EXPORTER);
    let signer = exporter.sign_seq(Payload::ShipmentDeclaration(testkit::declaration("X")), 1);
    let signer = signer.body.signer.to_hex();

    // Sequence 1 is refused at submission (400): it uses up nothing.
    let refused = exporter.sign_seq(Payload::ShipmentDeclaration(testkit::declaration("")), 1);
    let r = send(
        api,
        None,
        "POST",
        "/v1/events",
        Some("application/cbor"),
        &refused.to_bytes(),
    )
    .expect("node answers");
    assert_eq!(
        r.error(),
        (400, "invalid_payload".to_owned()),
        "{}",
        r.json()
    );

    // A client that took it as used up sends 2: admitted (202), but it waits for 1.
    let two = declaration(&exporter, "GAP-2", 2);
    let two_id = submit(api, &two);
    let v = get(api, &two_id);
    assert_eq!(v["status"], "pending", "{v}");
    let w = &v["waiting"];
    assert_eq!(w["signer"], signer.as_str(), "{v}");
    assert_eq!(w["seq"], 2, "{v}");
    assert_eq!(w["committed_seq"], 0, "{v}");
    assert_eq!(w["waits_for_seq"], 1, "{v}");
    assert_eq!(w["missing_seqs"], serde_json::json!([1]), "{v}");
    assert_eq!(w["wait_max_ms"], GAP_WAIT_S * 1_000, "{v}");
    assert!(w["since_ms"].as_u64().is_some_and(|t| t > 0), "{v}");

    // The gap is never filled: after the bound it is dropped and reported.
    let v = wait_rejected(api, &two_id);
    assert_eq!(v["reject_code"], "sequence_gap", "{v}");
    let reason = v["reason"].as_str().expect("reason");
    assert!(
        reason.contains("sequence 1 of signer") && reason.contains(&signer),
        "the reason names the missing sequence and the signer: {reason}"
    );
    assert_eq!(v["waiting"]["waits_for_seq"], 1, "{v}");
    assert!(
        v["waiting"]["waited_ms"]
            .as_u64()
            .is_some_and(|ms| ms > GAP_WAIT_S * 1_000),
        "{v}"
    );

    // The rule's remedy: send sequence 1, then the dropped event again; both commit.
    let one_id = submit(api, &declaration(&exporter, "GAP-1", 1));
    let two_id = submit(api, &two);
    wait_committed(api, &[one_id, two_id.clone()]);
    assert_eq!(get(api, &two_id)["outcome"], "applied");

    // The batch endpoint follows the same rule: an item refused there uses up nothing.
    let batch: Vec<SignedEvent> = vec![
        exporter.sign_seq(Payload::ShipmentDeclaration(testkit::declaration("")), 3),
        declaration(&exporter, "GAP-4", 4),
    ];
    let body = serde_json::to_vec(&batch).expect("json");
    let r = send(
        api,
        None,
        "POST",
        "/v1/events/batch",
        Some("application/json"),
        &body,
    )
    .expect("node answers");
    assert_eq!(r.status, 200, "{}", r.json());
    let results = &r.json()["results"];
    assert_eq!(results[0]["status"], "rejected", "{results}");
    assert_eq!(results[1]["status"], "pending", "{results}");
    let four_id = batch[1].id().to_hex();
    let v = get(api, &four_id);
    assert_eq!(v["waiting"]["waits_for_seq"], 3, "{v}");
    assert_eq!(v["waiting"]["committed_seq"], 2, "{v}");
    let v = wait_rejected(api, &four_id);
    assert_eq!(v["reject_code"], "sequence_gap", "{v}");

    // Nothing of the gap was committed, and the node is healthy.
    let committed = node.committed_ids();
    assert!(!committed.contains(&four_id));
    assert!(!committed.contains(&refused.id().to_hex()));
    node.assert_healthy();
}
