//! Networking: one task owns the libp2p `Swarm` ([`swarm_task`]); everything else talks to it
//! through a [`NetworkHandle`] over a bounded channel, and receives what peers send through
//! the channels of [`Inbound`].
//!
//! Permissioned: only peers whose ids are in the genesis validator set may send consensus
//! messages and event batches; other peers are disconnected unless the config allows
//! read-only peers, which may only sync blocks.

// The `NetworkBehaviour` derive generates an event enum without docs.
#[allow(missing_docs)]
pub mod behaviour;
pub mod protocol;
pub mod swarm_task;

pub use protocol::{Request, Response, SyncedBlock};

use libp2p::PeerId;
use libp2p::request_response::ResponseChannel;
use tokio::sync::{mpsc, oneshot};

/// Capacity of the command channel.
pub const COMMAND_QUEUE: usize = 4096;

/// A command to the swarm task.
#[derive(Debug)]
pub enum Command {
    /// Send a request and ignore the answer (consensus messages, batches).
    Send {
        /// To whom.
        peer: PeerId,
        /// What.
        request: Request,
    },
    /// Send to every connected validator (except ourselves).
    Broadcast {
        /// What.
        request: Request,
    },
    /// Send a request and deliver the answer.
    Ask {
        /// To whom.
        peer: PeerId,
        /// What.
        request: Request,
        /// The answer or why there is none.
        reply: oneshot::Sender<Result<Response, String>>,
    },
    /// Answer an inbound request.
    Respond {
        /// The request's channel.
        channel: ResponseChannel<Response>,
        /// The answer.
        response: Response,
    },
    /// Cut (`blocked = true`) or restore links to peers.
    Filter {
        /// Peers.
        peers: Vec<PeerId>,
        /// Cut or restore.
        blocked: bool,
    },
    /// The current peers.
    Peers {
        /// The answer.
        reply: oneshot::Sender<PeerSnapshot>,
    },
}

/// What the network knows of its peers.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct PeerSnapshot {
    /// Connected peers (base58 ids) and whether each is a validator.
    pub connected: Vec<PeerStatus>,
    /// Peers cut by the admin filter.
    pub blocked: Vec<String>,
}

/// One connected peer.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PeerStatus {
    /// Its id.
    pub peer_id: String,
    /// True when it is in the validator set.
    pub validator: bool,
}

/// A request from a peer that the swarm task passes on.
#[derive(Debug)]
pub enum Inbound {
    /// An event batch from a validator (already acknowledged).
    Batch {
        /// Sender.
        from: PeerId,
        /// Batch bytes.
        bytes: Vec<u8>,
    },
    /// A sync or status request, to answer with [`Command::Respond`].
    Serve {
        /// Sender.
        from: PeerId,
        /// The request.
        request: Request,
        /// Where to answer.
        channel: ResponseChannel<Response>,
    },
}

/// Channels on which the swarm task delivers inbound traffic.
#[derive(Debug)]
pub struct InboundSenders {
    /// Consensus messages (to the driver thread): sender and bytes.
    pub consensus: std::sync::mpsc::SyncSender<crate::driver::DriverInput>,
    /// Event batches (to the mempool ingester).
    pub batches: mpsc::Sender<Inbound>,
    /// Sync and status requests (to the sync server).
    pub serve: mpsc::Sender<Inbound>,
}

/// A cheap, cloneable handle to the swarm task.
#[derive(Debug, Clone)]
pub struct NetworkHandle {
    commands: mpsc::Sender<Command>,
}

/// The network task has stopped (the node is shutting down).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("network task stopped")]
pub struct NetworkStopped;

impl NetworkHandle {
    /// A handle over a command channel.
    pub fn new(commands: mpsc::Sender<Command>) -> NetworkHandle {
        NetworkHandle { commands }
    }

    /// Queues a command (waits while the queue is full).
    pub async fn command(&self, c: Command) -> Result<(), NetworkStopped> {
        self.commands.send(c).await.map_err(|_| NetworkStopped)
    }

    /// Queues a command from a thread outside the async runtime (waits while the queue is full).
    pub fn blocking_command(&self, c: Command) -> Result<(), NetworkStopped> {
        self.commands.blocking_send(c).map_err(|_| NetworkStopped)
    }

    /// Sends a request to a peer and waits for its answer.
    pub async fn ask(&self, peer: PeerId, request: Request) -> Result<Response, String> {
        let (reply, answer) = oneshot::channel();
        self.command(Command::Ask {
            peer,
            request,
            reply,
        })
        .await
        .map_err(|e| e.to_string())?;
        answer.await.map_err(|_| NetworkStopped.to_string())?
    }

    /// The current peers.
    pub async fn peers(&self) -> Result<PeerSnapshot, NetworkStopped> {
        let (reply, answer) = oneshot::channel();
        self.command(Command::Peers { reply }).await?;
        answer.await.map_err(|_| NetworkStopped)
    }
}
