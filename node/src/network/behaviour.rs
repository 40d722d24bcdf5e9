//! The libp2p behaviour: the request-response protocol and a block list (the peer filter).

use super::protocol::{FrameCodec, PROTOCOL};
use crate::metrics::Metrics;
use libp2p::allow_block_list::{self, BlockedPeers};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use std::sync::Arc;
use std::time::Duration;

/// How long an outbound request may wait for its response.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Concurrent streams per connection.
pub const STREAMS_MAX: usize = 256;

/// The composed behaviour.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Peers cut by the operator (admin peer filter).
    pub blocked: allow_block_list::Behaviour<BlockedPeers>,
    /// Consensus, batches and sync.
    pub rpc: request_response::Behaviour<FrameCodec>,
}

impl Behaviour {
    /// A fresh behaviour that counts nothing.
    pub fn new() -> Behaviour {
        Behaviour::counting(None)
    }

    /// A fresh behaviour whose codec counts refused frames in `metrics`.
    pub fn counting(metrics: Option<Arc<Metrics>>) -> Behaviour {
        let cfg = request_response::Config::default()
            .with_request_timeout(REQUEST_TIMEOUT)
            .with_max_concurrent_streams(STREAMS_MAX);
        Behaviour {
            blocked: allow_block_list::Behaviour::default(),
            rpc: request_response::Behaviour::with_codec(
                FrameCodec { metrics },
                [(PROTOCOL, ProtocolSupport::Full)],
                cfg,
            ),
        }
    }
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour::new()
    }
}
