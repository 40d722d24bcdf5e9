//! `GET /v1/status` and `GET /metrics`.

use super::rate_limit::SharedLimiter;
use super::{ApiError, State};
use axum::extract::State as AxState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

/// `GET /v1/status`: chain, height, round, validators, peers, sync state.
pub async fn status(AxState(st): AxState<State>) -> Result<Json<Value>, ApiError> {
    let s = crate::status::snapshot(&st.status);
    let peers = st.net.peers().await.unwrap_or_default();
    let validator = st
        .genesis
        .validators
        .iter()
        .any(|v| v.consensus_key == st.public_key);
    let mempool = {
        let pool = st.mempool.lock();
        json!({ "events": pool.len(), "bytes": pool.bytes() })
    };
    // The latest accepted rule set (maybe not yet in force): governance builds on its version.
    let (rule_set_version, rule_set_effective_height) = st
        .store
        .blocking(|s| {
            let view = crate::execution::OverlayState::new(s, Vec::new());
            let (rules, effective) = tradeledger_contracts::latest_rule_set(&view)
                .map_err(|e| crate::storage::StorageError::Task(e.to_string()))?;
            Ok((rules.version, effective))
        })
        .await?;
    Ok(Json(json!({
        "chain_id": st.genesis.chain_id,
        "rule_set_version": rule_set_version,
        "rule_set_effective_height": rule_set_effective_height,
        "genesis_hash": st.genesis_hash,
        "node": { "peer_id": st.peer_id, "consensus_key": st.public_key, "validator": validator },
        "height": s.height,
        "tip_hash": s.tip_hash,
        "round": s.round,
        "validators": st.genesis.validators,
        "peers": peers,
        "sync": {
            "state": s.sync,
            "peer_max_height": s.peer_max_height,
            "lag_blocks": st.metrics.sync_lag_blocks.load(Ordering::Relaxed),
        },
        "mempool": mempool,
    })))
}

/// `GET /metrics`: Prometheus text format (the node's metrics and the API's rate limiter).
pub async fn metrics(
    AxState(st): AxState<State>,
    limiter: Option<Extension<SharedLimiter>>,
) -> impl IntoResponse {
    let (hits, misses) = st.store.state_cache_lookups();
    st.metrics.state_cache_lookups.set("hit", hits);
    st.metrics.state_cache_lookups.set("miss", misses);
    let usage = st.store.state_cache_usage();
    let bytes = |b: usize| u64::try_from(b).unwrap_or(u64::MAX);
    st.metrics
        .state_cache_bytes
        .set("nodes", bytes(usage.nodes_bytes));
    st.metrics
        .state_cache_bytes
        .set("values", bytes(usage.values_bytes));
    let mut text = st.metrics.render();
    if let Some(Extension(l)) = limiter {
        text.push_str(&l.render());
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
