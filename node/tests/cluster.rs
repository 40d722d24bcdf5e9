//! Real `tradeledger` processes on 127.0.0.1: consensus over libp2p, the HTTP API, stop and
//! restart with catch-up, and `kill -9` recovery.

mod support;

use std::time::Duration;
use support::{Cluster, http};
use tradeledger_contracts::testkit::{self, Actor};
use tradeledger_types::{ClearanceDecision, Decision, Payload};

const COMMIT_WAIT: Duration = Duration::from_secs(30);

/// Events for `n` shipments: a declaration each, by the exporter (sequence 1, 2, ...).
fn declarations(
    exporter: &mut Actor,
    from: usize,
    n: usize,
) -> Vec<tradeledger_types::SignedEvent> {
    (from..from + n)
        .map(|i| {
            exporter.sign(Payload::ShipmentDeclaration(testkit::declaration(
                &format!("SHP-{i}"),
            )))
        })
        .collect()
}

#[test]
fn four_nodes_commit_events_with_identical_blocks_and_serve_the_api() {
    let mut c = Cluster::init(4);
    c.start_all();
    for i in 0..4 {
        c.wait_height(i, 1, COMMIT_WAIT);
    }
    let mut exporter = Actor::new(testkit::EXPORTER);
    let events = declarations(&mut exporter, 0, 6);
    // Spread submissions over the nodes: each must reach every validator's mempool.
    let ids: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, e)| c.submit(i % 4, e))
        .collect();
    for id in &ids {
        for i in 0..4 {
            let v = c.wait_committed(i, id, COMMIT_WAIT);
            assert_eq!(v["outcome"], "applied", "event {id} on node {i}: {v}");
        }
    }
    // Identical blocks (and so identical lagged state and results roots) on every node.
    let top = (0..4).filter_map(|i| c.height(i)).min().expect("heights");
    for h in 1..=top {
        let first = c.block_cbor(0, h).expect("block on node 0");
        for i in 1..4 {
            assert_eq!(
                c.block_cbor(i, h).as_ref(),
                Some(&first),
                "block {h} differs on node {i}"
            );
        }
    }

    // The API: a shipment with its timeline, a proof, status, metrics, OpenAPI, errors.
    let api = c.nodes[1].api;
    let s = http::get(api, "/v1/shipments/SHP-0")
        .expect("answer")
        .json();
    assert_eq!(s["lane"], "green", "{s}");
    assert_eq!(s["timeline"].as_array().map(Vec::len), Some(1), "{s}");
    let p = http::get(api, &format!("/v1/proofs/events/{}", ids[0]))
        .expect("answer")
        .json();
    assert_eq!(p["event_id"], ids[0].as_str());
    assert!(
        p["certificate"]["signatures"]
            .as_array()
            .is_some_and(|s| s.len() >= 3),
        "{p}"
    );
    let proof_bytes = http::get(api, &format!("/v1/proofs/events/{}?format=cbor", ids[0]))
        .expect("answer")
        .body;
    let proof = tradeledger_types::EventProof::decode(&proof_bytes).expect("canonical EventProof");
    let set = c.genesis.validator_set().expect("set");
    proof
        .verify(&c.genesis.chain_id, &set)
        .expect("the proof verifies against genesis alone");
    let st = http::get(api, "/v1/status").expect("answer").json();
    assert_eq!(st["chain_id"], testkit::CHAIN_ID);
    assert_eq!(st["validators"].as_array().map(Vec::len), Some(4));
    let metrics =
        String::from_utf8(http::get(api, "/metrics").expect("answer").body).expect("utf8");
    assert!(metrics.contains("tradeledger_height "), "{metrics}");
    // Executing the cluster's blocks read state: some through the cache's misses at least.
    let misses = metrics
        .lines()
        .find_map(|l| l.strip_prefix("tradeledger_state_cache_lookups_total{result=\"miss\"} "))
        .and_then(|v| v.parse::<u64>().ok());
    assert!(misses.is_some_and(|m| m > 0), "{metrics}");
    // The genesis state's tree was warmed into the cache at start, or written through since.
    let tree_bytes = metrics
        .lines()
        .find_map(|l| l.strip_prefix("tradeledger_state_cache_bytes{class=\"nodes\"} "))
        .and_then(|v| v.parse::<u64>().ok());
    assert!(tree_bytes.is_some_and(|b| b > 0), "{metrics}");
    assert!(
        metrics.contains("tradeledger_commit_latency_seconds_count"),
        "{metrics}"
    );
    let doc = http::get(api, "/openapi.json").expect("answer").json();
    assert!(doc["paths"]["/v1/events"].is_object());

    // The stream pushes a committed event of the shipment it is filtered on.
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let watcher = std::thread::spawn(move || {
        http::read_stream_until(
            api,
            "/v1/stream?shipment=SHP-99",
            "SHP-99",
            COMMIT_WAIT,
            ready_tx,
        )
    });
    ready.recv_timeout(COMMIT_WAIT).expect("the stream answers");
    let late = declarations(&mut exporter, 99, 1);
    let late_id = c.submit(2, &late[0]);
    let seen = watcher.join().expect("stream reader");
    assert!(
        seen.contains("event: event") && seen.contains(&late_id),
        "stream output: {seen}"
    );

    // A batch: one answer per event, in order; the good ones commit.
    let mut batch = declarations(&mut exporter, 200, 3);
    batch.push(events[1].clone());
    let mut forged = declarations(&mut exporter, 203, 1).remove(0);
    forged.signature = batch[0].signature;
    batch.push(forged);
    let r = http::post_cbor(
        api,
        "/v1/events/batch",
        &tradeledger_types::codec::to_canonical(&batch),
    )
    .expect("answer");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answer = r.json();
    let statuses: Vec<&str> = answer["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|item| item["status"].as_str().expect("status"))
        .collect();
    assert_eq!(
        statuses,
        ["pending", "pending", "pending", "known", "rejected"],
        "{answer}"
    );
    assert_eq!(answer["accepted"], 3, "{answer}");
    assert_eq!(answer["results"][4]["error"], "bad_signature", "{answer}");
    for item in &answer["results"].as_array().expect("results")[..3] {
        let id = item["id"].as_str().expect("id");
        assert_eq!(
            batch[0..3].iter().filter(|e| e.id().to_hex() == id).count(),
            1
        );
        let v = c.wait_committed(3, id, COMMIT_WAIT);
        assert_eq!(v["outcome"], "applied", "batched event {id}: {v}");
    }
    let empty = http::post_cbor(api, "/v1/events/batch", &[0x80]).expect("answer");
    assert_eq!(
        (empty.status, empty.json()["error"].as_str()),
        (400, Some("empty_batch"))
    );

    let garbage = http::post_cbor(api, "/v1/events", &[0xff, 0x00, 0x13]).expect("answer");
    assert_eq!(garbage.status, 400);
    assert_eq!(
        garbage.json()["error"],
        "malformed",
        "{}",
        String::from_utf8_lossy(&garbage.body)
    );
    let replay = http::post_cbor(api, "/v1/events", &events[0].to_bytes()).expect("answer");
    assert_eq!(
        replay.status,
        409,
        "{}",
        String::from_utf8_lossy(&replay.body)
    );
    let customs = Actor::new(testkit::CUSTOMS);
    let mut wrong_chain = customs.sign_seq(
        Payload::Clearance(ClearanceDecision {
            shipment_id: "SHP-0".into(),
            decision: Decision::Release,
            reason: String::new(),
        }),
        1,
    );
    wrong_chain.body.chain_id = "other-chain".into();
    let r = http::post_json(
        api,
        "/v1/events",
        &serde_json::to_value(&wrong_chain).expect("json"),
    )
    .expect("answer");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "wrong_chain");
    let big = vec![0u8; 2 * 1024 * 1024];
    let r = http::post_cbor(api, "/v1/events", &big);
    assert!(
        r.is_none_or(|r| r.status == 413),
        "oversized body must be refused"
    );
    assert_eq!(http::get(api, "/v1/events/zz").expect("answer").status, 400);
    let bad_query = http::get(api, "/v1/blocks?from=abc").expect("answer");
    assert_eq!(
        (bad_query.status, bad_query.json()["error"].as_str()),
        (400, Some("bad_request"))
    );
    assert_eq!(
        http::get(api, "/v1/blocks/999999").expect("answer").status,
        404
    );

    for i in 0..4 {
        c.stop(i);
    }
}

/// Canonical bytes of blocks `1..=top` on node `i`.
fn blocks(c: &Cluster, i: usize, top: u64) -> Vec<Vec<u8>> {
    (1..=top)
        .map(|h| {
            c.block_cbor(i, h)
                .unwrap_or_else(|| panic!("node {i} lacks block {h}"))
        })
        .collect()
}

#[test]
fn a_stopped_node_catches_up_and_a_killed_node_keeps_every_committed_block() {
    let mut c = Cluster::init(4);
    c.start_all();
    for i in 0..4 {
        c.wait_height(i, 2, COMMIT_WAIT);
    }
    let mut exporter = Actor::new(testkit::EXPORTER);

    // Stop one validator cleanly: the other three (more than two thirds) keep committing.
    c.stop(3);
    let before = c.height(0).expect("node 0 answers");
    let ids: Vec<String> = declarations(&mut exporter, 0, 4)
        .iter()
        .map(|e| c.submit(0, e))
        .collect();
    for id in &ids {
        for i in 0..3 {
            c.wait_committed(i, id, COMMIT_WAIT);
        }
    }
    c.wait_height(0, before + 5, COMMIT_WAIT);

    // Restart it: it catches up by sync and holds the same blocks.
    c.start(3);
    let target = c.height(0).expect("node 0 answers");
    c.wait_height(3, target, COMMIT_WAIT);
    for id in &ids {
        c.wait_committed(3, id, COMMIT_WAIT);
    }
    assert_eq!(
        blocks(&c, 3, target),
        blocks(&c, 0, target),
        "node 3 synced different blocks"
    );

    // kill -9 a validator while events are flowing.
    let load: Vec<_> = declarations(&mut exporter, 4, 20);
    let mut load_ids = Vec::new();
    for (n, e) in load.iter().enumerate() {
        load_ids.push(c.submit(1, e));
        if n == 10 {
            let h = c.height(2).expect("node 2 answers");
            let before_kill = blocks(&c, 2, h);
            c.kill9(2);
            // Restarted, it still holds every block it had committed, byte for byte.
            c.start(2);
            c.wait_height(2, h, COMMIT_WAIT);
            assert_eq!(
                blocks(&c, 2, h),
                before_kill,
                "blocks changed across kill -9"
            );
        }
    }
    for id in &load_ids {
        for i in 0..4 {
            c.wait_committed(i, id, COMMIT_WAIT);
        }
    }
    let top = (0..4).filter_map(|i| c.height(i)).min().expect("heights");
    let reference = blocks(&c, 0, top);
    for i in 1..4 {
        assert_eq!(
            blocks(&c, i, top),
            reference,
            "node {i} differs after the faults"
        );
    }
    for i in 0..4 {
        c.stop(i);
    }
}
