//! `audit verify` / `prove` / `check-proof` over HTTP against a test server that serves a real
//! chain, or the same chain tampered with: each tampering is caught at the right height with the
//! right reason; verification resumes from its checkpoint; proofs of sampled events verify, and a
//! proof missing a signature or checked against another genesis does not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tradeledger_consensus::CertifiedBlock;
use tradeledger_node::audit::{check_proof, fetch_proof, fixture, verify_chain};
use tradeledger_sdk::client::BlockingClient;
use tradeledger_types::*;

type Chain = Arc<Mutex<Vec<CertifiedBlock>>>;

async fn status(State(c): State<Chain>) -> impl IntoResponse {
    let c = c.lock().unwrap();
    let chain_id = c
        .first()
        .map(|b| b.block.header.chain_id.clone())
        .unwrap_or_default();
    Json(serde_json::json!({"chain_id": chain_id, "height": c.len()}))
}

async fn blocks(
    State(c): State<Chain>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let from: usize = q.get("from").and_then(|v| v.parse().ok()).unwrap_or(1);
    let limit: usize = q.get("limit").and_then(|v| v.parse().ok()).unwrap_or(100);
    let c = c.lock().unwrap();
    let page: Vec<CertifiedBlock> = c.iter().skip(from - 1).take(limit).cloned().collect();
    (
        [(header::CONTENT_TYPE, "application/cbor")],
        codec::to_canonical(&page),
    )
}

async fn proof(State(c): State<Chain>, Path(id): Path<String>) -> axum::response::Response {
    let id: EventId = id.parse().unwrap();
    let c = c.lock().unwrap();
    for cb in c.iter() {
        let ids = cb.block.event_ids();
        if let Some(i) = ids.iter().position(|e| *e == id) {
            let p = EventProof {
                event: cb.block.events[i].clone(),
                inclusion: merkle::prove(&ids, i).unwrap(),
                header: cb.block.header.clone(),
                certificate: cb.qc.clone(),
            };
            return ([(header::CONTENT_TYPE, "application/cbor")], p.to_bytes()).into_response();
        }
    }
    (axum::http::StatusCode::NOT_FOUND, "no such event").into_response()
}

/// Serves `chain` on 127.0.0.1; returns the base URL and the shared chain to change later.
fn serve(chain: Vec<CertifiedBlock>) -> (String, Chain) {
    let shared: Chain = Arc::new(Mutex::new(chain));
    let app = Router::new()
        .route("/v1/status", get(status))
        .route("/v1/blocks", get(blocks))
        .route("/v1/proofs/events/{id}", get(proof))
        .with_state(shared.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    (url, shared)
}

fn verify_err(chain: Vec<CertifiedBlock>) -> String {
    let (url, _) = serve(chain);
    let dir = tempfile::tempdir().unwrap();
    let e = verify_chain(&url, &fixture::genesis(), dir.path(), false)
        .expect_err("tampering not caught");
    format!("{e:#}")
}

#[test]
fn the_real_chain_verifies_and_resumes() {
    let (g, blocks) = fixture::chain(12);
    let (url, shared) = serve(blocks[..7].to_vec());
    let dir = tempfile::tempdir().unwrap();
    let first = verify_chain(&url, &g, dir.path(), false).unwrap();
    assert_eq!(
        (first.height, first.resumed_from, first.blocks_this_run),
        (7, 0, 7)
    );
    shared.lock().unwrap().extend_from_slice(&blocks[7..]);
    let second = verify_chain(&url, &g, dir.path(), false).unwrap();
    assert_eq!(
        (second.height, second.resumed_from, second.blocks_this_run),
        (12, 7, 5)
    );
    assert_eq!(second.events_checked, 12);
}

#[test]
fn tampered_chains_fail_at_the_right_height() {
    let (g, good) = fixture::chain(8);
    let mut t = good.clone();
    t[4].block.events[0].body.seq += 1; // one byte of an event
    let e = verify_err(t);
    assert!(
        e.contains("height 5") && e.contains("events do not match"),
        "{e}"
    );

    let mut t = good.clone();
    t[2].qc = fixture::certify(&g, &t[2].block, &[1, 3]); // under quorum
    let e = verify_err(t);
    assert!(e.contains("height 3") && e.contains("quorum"), "{e}");

    let mut t = good.clone();
    t[5].qc.signatures[0] = t[5].qc.signatures[1]; // forged signature
    let e = verify_err(t);
    assert!(e.contains("height 6") && e.contains("signature"), "{e}");

    let mut t = good.clone();
    t[6].block.header.state_root.0[31] ^= 1; // wrong state root, re-certified
    t[6].qc = fixture::certify(&g, &t[6].block, &[0, 1, 2]);
    let e = verify_err(t);
    assert!(e.contains("height 7") && e.contains("state root"), "{e}");

    let mut t = good.clone();
    t.swap(3, 4); // reordered
    let e = verify_err(t);
    assert!(
        e.contains("height 4") && e.contains("expected height 4, got 5"),
        "{e}"
    );
}

#[test]
fn sampled_proofs_verify_and_damaged_ones_do_not() {
    let (g, blocks) = fixture::chain(10);
    let (url, _) = serve(blocks.clone());
    let client = BlockingClient::new(&url).unwrap();
    for cb in blocks.iter().step_by(3) {
        let id = cb.block.events[0].id();
        let p = fetch_proof(&client, &id).unwrap();
        check_proof(&p, &g).unwrap();
        // Saved and read back, it still verifies with no node.
        check_proof(&EventProof::decode(&p.to_bytes()).unwrap(), &g).unwrap();
        // One signature removed: below quorum (3 of 4 signed).
        let mut short = p.clone();
        short.certificate.signatures.pop();
        let bits = short
            .certificate
            .signer_indices(&g.validator_set().unwrap())
            .unwrap();
        short.certificate.signers =
            tradeledger_types::certificate::bitmap_of(bits[..bits.len() - 1].iter().copied(), 4);
        let e = check_proof(&short, &g).unwrap_err();
        assert!(format!("{e:#}").contains("quorum"), "{e:#}");
        // Another genesis (other validators).
        let mut other = g.clone();
        other.validators[0].consensus_key = SecretKey::from_seed([1; 32]).public();
        assert!(check_proof(&p, &other).is_err());
    }
}
