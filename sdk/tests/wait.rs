//! `Client::wait_committed` against a stand-in node whose `GET /v1/events/{id}` answers a fixed
//! status: an event waiting behind a sequence gap fails with a typed error naming the signer
//! and the missing number, and so does one the node dropped as `sequence_gap` (issue 21).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tradeledger_sdk::client::{Client, ClientError};
use tradeledger_types::{EventId, PublicKey, SecretKey};

/// Serves `answer` for every event id; returns the base URL.
async fn stand_in(answer: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = Router::new()
        .route(
            "/v1/events/{id}",
            get(|State(a): State<Arc<Value>>| async move { axum::Json((*a).clone()) }),
        )
        .with_state(Arc::new(answer));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn ids() -> (EventId, PublicKey) {
    (
        tradeledger_types::Hash32([7; 32]),
        SecretKey::from_seed([3; 32]).public(),
    )
}

fn waiting(signer: PublicKey) -> Value {
    json!({
        "signer": signer,
        "seq": 2,
        "committed_seq": 0,
        "waits_for_seq": 1,
        "missing_seqs": [1],
        "since_ms": 1_000,
        "waited_ms": 500,
        "wait_max_ms": 60_000,
    })
}

#[tokio::test]
async fn a_wait_that_runs_out_behind_a_gap_names_the_signer_and_the_missing_sequence() {
    let (id, signer) = ids();
    let url = stand_in(json!({"id": id, "status": "pending", "waiting": waiting(signer)})).await;
    let client = Client::new(&url).expect("client");
    let e = client
        .wait_committed(&id, Duration::from_millis(300))
        .await
        .expect_err("never commits");
    assert_eq!(
        e,
        ClientError::WaitingForSequence {
            id,
            signer,
            missing_seq: 1,
            committed_seq: 0,
            after: Duration::from_millis(300),
        }
    );
    assert!(e.to_string().contains("sequence 1 of signer"), "{e}");
}

#[tokio::test]
async fn an_event_dropped_as_sequence_gap_is_a_typed_error() {
    let (id, signer) = ids();
    let mut w = waiting(signer);
    w["waited_ms"] = json!(60_400);
    let url = stand_in(json!({
        "id": id,
        "status": "rejected",
        "reject_code": "sequence_gap",
        "reason": "waited 60 s for sequence 1 ...",
        "waiting": w,
    }))
    .await;
    let client = Client::new(&url).expect("client");
    let e = client
        .wait_committed(&id, Duration::from_secs(30))
        .await
        .expect_err("dropped");
    assert_eq!(
        e,
        ClientError::SequenceGap {
            id,
            signer,
            missing_seq: 1,
            committed_seq: 0,
            waited_ms: 60_400,
        }
    );
}

#[tokio::test]
async fn a_plain_pending_event_still_times_out_as_before() {
    let (id, _) = ids();
    let url = stand_in(json!({"id": id, "status": "pending"})).await;
    let client = Client::new(&url).expect("client");
    let e = client
        .wait_committed(&id, Duration::from_millis(200))
        .await
        .expect_err("never commits");
    assert!(matches!(e, ClientError::Timeout { .. }), "{e:?}");
}
