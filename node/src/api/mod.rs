//! The HTTP API (axum): events, shipments, blocks, proofs, status, a live stream, metrics, the
//! OpenAPI document, and (when enabled) admin endpoints for fault injection.
//!
//! Every handler reads RocksDB on a blocking thread; no input can make a handler panic; request
//! bodies are capped at `api_body_bytes_max`.

mod admin;
pub mod admission;
mod batch;
mod blocks;
mod error;
mod event_answer;
mod events;
mod gap_expiry;
mod openapi;
pub mod rate_limit;
mod shipment_schema;
mod shipments;
mod status;
mod stream;

pub use error::ApiError;
pub use event_answer::Applied;
pub use gap_expiry::run_gap_expiry;

use crate::feed::FeedItem;
use crate::mempool::Mempool;
use crate::metrics::Metrics;
use crate::network::NetworkHandle;
use crate::status::SharedStatus;
use crate::storage::Store;
use axum::Extension;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tradeledger_types::{EventId, Genesis, Hash32, PublicKey};

/// Admission rejections remembered for `GET /v1/events/{id}`.
const REJECTIONS_REMEMBERED: usize = 16_384;

/// A remembered rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Stable code (`invalid_payload`, `sequence_gap`, ...).
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
    /// For an event dropped after waiting behind a sequence gap: what it waited for, and how
    /// long.
    pub gap: Option<crate::mempool::GapExpired>,
}

/// Recent rejections: refusals at admission, and events dropped from the mempool after
/// waiting behind a sequence gap (bounded, oldest forgotten first).
#[derive(Debug, Default)]
pub struct Rejections {
    by_id: HashMap<EventId, Rejected>,
    order: VecDeque<EventId>,
}

impl Rejections {
    /// Remembers a rejection.
    pub fn add(&mut self, id: EventId, code: &'static str, message: String) {
        self.remember(
            id,
            Rejected {
                code,
                message,
                gap: None,
            },
        );
    }

    /// Remembers that an event was dropped after waiting behind a sequence gap.
    pub fn add_expired(&mut self, expired: crate::mempool::GapExpired) {
        let w = &expired.waiting;
        let reject = crate::mempool::Reject::GapExpired {
            signer: w.signer,
            missing_seq: w.waits_for_seq(),
            committed_seq: w.committed_seq,
            waited_ms: expired.waited_ms,
        };
        self.remember(
            expired.id,
            Rejected {
                code: reject.code(),
                message: reject.to_string(),
                gap: Some(expired),
            },
        );
    }

    fn remember(&mut self, id: EventId, rejected: Rejected) {
        if self.by_id.insert(id, rejected).is_none() {
            self.order.push_back(id);
            while self.order.len() > REJECTIONS_REMEMBERED {
                if let Some(old) = self.order.pop_front() {
                    self.by_id.remove(&old);
                }
            }
        }
    }

    /// The rejection of `id`, if remembered.
    pub fn get(&self, id: &EventId) -> Option<Rejected> {
        self.by_id.get(id).cloned()
    }
}

/// What the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// Storage.
    pub store: Store,
    /// Mempool.
    pub mempool: Arc<Mempool>,
    /// Network.
    pub net: NetworkHandle,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Consensus status.
    pub status: SharedStatus,
    /// Feed of committed events and flags.
    pub feed: broadcast::Sender<FeedItem>,
    /// Genesis.
    pub genesis: Arc<Genesis>,
    /// Its hash.
    pub genesis_hash: Hash32,
    /// This node's consensus key.
    pub public_key: PublicKey,
    /// This node's libp2p id.
    pub peer_id: String,
    /// Recent admission rejections.
    pub rejections: Mutex<Rejections>,
    /// Becomes true when the node shuts down (ends open streams).
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// Shared state handle.
pub type State = Arc<AppState>;

/// What the router is built with, from the node's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiOptions {
    /// Largest request body of `POST /v1/events` (the batch endpoint takes
    /// [`batch::BATCH_BODY_FACTOR`] times this).
    pub body_bytes_max: usize,
    /// Serve `/admin/*`.
    pub admin: bool,
    /// Per-client rate limits.
    pub rate: rate_limit::RateLimits,
}

/// The router. `options.admin` adds `/admin/*`. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()`: the rate limits key on the peer
/// address, and a router served without it is not rate-limited.
pub fn router(state: State, options: ApiOptions) -> Router {
    let body_bytes_max = options.body_bytes_max;
    let limiter: rate_limit::SharedLimiter = Arc::new(rate_limit::Limiter::new(options.rate));
    let mut r = Router::new()
        .route("/v1/events", post(events::submit))
        .route(
            "/v1/events/batch",
            post(batch::submit).layer(DefaultBodyLimit::max(
                body_bytes_max.saturating_mul(batch::BATCH_BODY_FACTOR),
            )),
        )
        .route("/v1/events/{id}", get(events::get_event))
        .route("/v1/proofs/events/{id}", get(events::proof))
        .route("/v1/shipments/{id}", get(shipments::get_shipment))
        .route("/v1/blocks", get(blocks::list))
        .route("/v1/blocks/latest", get(blocks::latest))
        .route("/v1/blocks/{height}", get(blocks::by_height))
        .route("/v1/status", get(status::status))
        .route("/v1/stream", get(stream::stream))
        .route("/metrics", get(status::metrics))
        .route("/openapi.json", get(openapi::document));
    if options.admin {
        r = r
            .route("/admin/peers", get(admin::peers))
            .route("/admin/peers/block", post(admin::block))
            .route("/admin/peers/unblock", post(admin::unblock));
    }
    r.fallback(error::no_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_bytes_max))
        .layer(Extension(limiter.clone()))
        .layer(Extension(Arc::new(admission::PendingKeys::default())))
        .layer(axum::middleware::from_fn_with_state(
            limiter,
            rate_limit::middleware,
        ))
        .with_state(state)
}
