//! `GET /v1/status` and `GET /metrics`.

use super::rate_limit::SharedLimiter;
use super::{ApiError, State};
use crate::network::PeerSnapshot;
use crate::status::SyncState;
use axum::extract::State as AxState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Serialize;
use std::sync::atomic::Ordering;
use tradeledger_types::{Hash32, PublicKey, ValidatorInfo};

/// The answer of `GET /v1/status`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NodeStatus {
    /// The chain (genesis `chain_id`); events must be signed for it.
    pub chain_id: String,
    /// Latest accepted rule-set version (it may come into force at a later height); a rule-set
    /// update must carry this plus one.
    pub rule_set_version: u32,
    /// Height from which that version is in force.
    pub rule_set_effective_height: u64,
    /// Hash of the genesis.
    pub genesis_hash: Hash32,
    /// This node.
    pub node: NodeInfo,
    /// Height of the last committed block (0 before the first).
    pub height: u64,
    /// Hash of the last committed block (the genesis hash at height 0).
    #[schema(required = true)]
    pub tip_hash: Option<Hash32>,
    /// Current consensus round.
    pub round: u64,
    /// The validator set, from genesis.
    pub validators: Vec<ValidatorInfo>,
    /// Connected and blocked peers.
    pub peers: PeerSnapshot,
    /// Whether the node keeps up with its peers.
    pub sync: SyncInfo,
    /// Events waiting to be proposed.
    pub mempool: MempoolInfo,
}

/// Who this node is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NodeInfo {
    /// Its libp2p peer id (base58).
    pub peer_id: String,
    /// Its consensus key.
    pub consensus_key: PublicKey,
    /// True when that key is in the validator set.
    pub validator: bool,
}

/// Sync state of the node.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SyncInfo {
    /// Starting, synced or catching up.
    pub state: SyncState,
    /// Highest committed height a peer reported.
    pub peer_max_height: u64,
    /// Blocks the node is behind that height.
    pub lag_blocks: u64,
}

/// What the mempool holds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MempoolInfo {
    /// Events.
    pub events: usize,
    /// Their canonical bytes.
    pub bytes: usize,
}

/// `GET /v1/status`: chain, height, round, validators, peers, sync state.
#[utoipa::path(
    get,
    path = "/v1/status",
    operation_id = "status",
    tag = "node",
    responses(
        (status = 200, description = "The node's view of the chain.", body = NodeStatus),
    )
)]
pub async fn status(AxState(st): AxState<State>) -> Result<Json<NodeStatus>, ApiError> {
    let s = crate::status::snapshot(&st.status);
    let peers = st.net.peers().await.unwrap_or_default();
    let validator = st
        .genesis
        .validators
        .iter()
        .any(|v| v.consensus_key == st.public_key);
    let mempool = {
        let pool = st.mempool.lock();
        MempoolInfo {
            events: pool.len(),
            bytes: pool.bytes(),
        }
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
    Ok(Json(NodeStatus {
        chain_id: st.genesis.chain_id.clone(),
        rule_set_version,
        rule_set_effective_height,
        genesis_hash: st.genesis_hash,
        node: NodeInfo {
            peer_id: st.peer_id.clone(),
            consensus_key: st.public_key,
            validator,
        },
        height: s.height,
        tip_hash: s.tip_hash,
        round: s.round,
        validators: st.genesis.validators.clone(),
        peers,
        sync: SyncInfo {
            state: s.sync,
            peer_max_height: s.peer_max_height,
            lag_blocks: st.metrics.sync_lag_blocks.load(Ordering::Relaxed),
        },
        mempool,
    }))
}

/// `GET /metrics`: Prometheus text format (the node's metrics and the API's rate limiter).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "node",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4: tradeledger_height, \
            tradeledger_round, tradeledger_commit_latency_seconds (histogram), \
            tradeledger_mempool_events, tradeledger_mempool_bytes, tradeledger_peers, \
            tradeledger_sync_lag_blocks, tradeledger_events_rejected_total{reason}, \
            tradeledger_consensus_messages_dropped_total{reason}, \
            tradeledger_blocks_committed_total, tradeledger_events_committed_total, \
            tradeledger_events_accepted_total, tradeledger_api_rate_limited_total{class}, and more.",
            body = String, content_type = "text/plain"),
    )
)]
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
