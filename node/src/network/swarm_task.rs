//! The task that owns the `Swarm`: dials peers with backoff, enforces the validator set,
//! routes inbound requests and executes [`Command`]s.

use super::behaviour::{Behaviour, BehaviourEvent};
use super::{Command, Inbound, InboundSenders, PeerSnapshot, PeerStatus, Request, Response};
use crate::config::PeerAddr;
use crate::metrics::{Metrics, P2pDrop};
use futures::StreamExt as _;
use libp2p::request_response::{self, Message, OutboundRequestId};
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::{Multiaddr, PeerId, Swarm, noise, tcp, yamux};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// First reconnect delay after a failure.
const BACKOFF_MIN: Duration = Duration::from_millis(250);
/// Longest reconnect delay.
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// How often dial targets are checked.
const DIAL_TICK: Duration = Duration::from_millis(250);
/// Connections stay open without traffic for this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Why the swarm could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Building the transport failed.
    #[error("libp2p transport: {0}")]
    Transport(String),
    /// Listening failed (address in use, ...).
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
}

struct DialTarget {
    addr: Multiaddr,
    next_at: Instant,
    backoff: Duration,
}

/// Settings of the swarm task.
#[derive(Debug, Clone)]
pub struct SwarmSettings {
    /// Our identity.
    pub keypair: libp2p::identity::Keypair,
    /// Where to listen.
    pub listen: Multiaddr,
    /// Peers to keep connected.
    pub peers: Vec<PeerAddr>,
    /// Peer ids of the validator set.
    pub validators: BTreeSet<PeerId>,
    /// Keep connections of peers outside the validator set (sync only).
    pub allow_read_only: bool,
}

/// The running task's state.
struct SwarmTask {
    swarm: Swarm<Behaviour>,
    settings: SwarmSettings,
    targets: HashMap<PeerId, DialTarget>,
    blocked: BTreeSet<PeerId>,
    pending: HashMap<OutboundRequestId, oneshot::Sender<Result<Response, String>>>,
    inbound: InboundSenders,
    metrics: Arc<Metrics>,
    listen_tx: watch::Sender<Vec<Multiaddr>>,
    listening: Vec<Multiaddr>,
}

/// Builds the swarm, starts listening and returns the task's future (spawn it). The task
/// stops when `commands` closes. `listen_tx` receives the actual listen addresses.
pub fn start(
    settings: SwarmSettings,
    commands: mpsc::Receiver<Command>,
    inbound: InboundSenders,
    metrics: Arc<Metrics>,
    listen_tx: watch::Sender<Vec<Multiaddr>>,
) -> Result<impl std::future::Future<Output = ()> + Send + 'static, StartError> {
    let codec_metrics = metrics.clone();
    let swarm = libp2p::SwarmBuilder::with_existing_identity(settings.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| StartError::Transport(e.to_string()))?
        .with_behaviour(|_| Behaviour::counting(Some(codec_metrics)))
        .map_err(|e| StartError::Transport(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_TIMEOUT))
        .build();
    let mut task = SwarmTask {
        swarm,
        targets: settings
            .peers
            .iter()
            .map(|p| {
                (
                    p.peer_id,
                    DialTarget {
                        addr: p.addr.clone(),
                        next_at: Instant::now(),
                        backoff: BACKOFF_MIN,
                    },
                )
            })
            .collect(),
        settings,
        blocked: BTreeSet::new(),
        pending: HashMap::new(),
        inbound,
        metrics,
        listen_tx,
        listening: Vec::new(),
    };
    task.swarm
        .listen_on(task.settings.listen.clone())
        .map_err(|e| StartError::Listen {
            addr: task.settings.listen.clone(),
            reason: e.to_string(),
        })?;
    Ok(task.run(commands))
}

impl SwarmTask {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut tick = tokio::time::interval(DIAL_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                c = commands.recv() => match c {
                    Some(c) => self.on_command(c),
                    None => break,
                },
                e = self.swarm.select_next_some() => self.on_swarm_event(e),
                _ = tick.tick() => self.dial_due(),
            }
        }
        tracing::info!("network task stopped");
    }

    fn is_validator(&self, peer: &PeerId) -> bool {
        self.settings.validators.contains(peer)
    }

    fn dial_due(&mut self) {
        let now = Instant::now();
        let due: Vec<(PeerId, Multiaddr)> = self
            .targets
            .iter()
            .filter(|(p, t)| {
                t.next_at <= now && !self.blocked.contains(p) && !self.swarm.is_connected(p)
            })
            .map(|(p, t)| (*p, t.addr.clone()))
            .collect();
        for (peer, addr) in due {
            if let Some(t) = self.targets.get_mut(&peer) {
                t.next_at = now + t.backoff;
                t.backoff = (t.backoff * 2).min(BACKOFF_MAX);
            }
            let opts = DialOpts::peer_id(peer).addresses(vec![addr]).build();
            if let Err(e) = self.swarm.dial(opts) {
                tracing::debug!(%peer, error = %e, "dial not started");
            }
        }
    }

    fn send(&mut self, peer: &PeerId, request: Request) -> Option<OutboundRequestId> {
        if self.blocked.contains(peer) || !self.swarm.is_connected(peer) {
            return None;
        }
        Some(self.swarm.behaviour_mut().rpc.send_request(peer, request))
    }

    fn on_command(&mut self, c: Command) {
        match c {
            Command::Send { peer, request } => {
                if self.send(&peer, request).is_none() {
                    self.metrics.consensus_dropped.inc("peer_not_connected");
                }
            }
            Command::Broadcast { request } => {
                let peers: Vec<PeerId> = self
                    .swarm
                    .connected_peers()
                    .filter(|p| self.is_validator(p))
                    .copied()
                    .collect();
                for p in peers {
                    self.send(&p, request.clone());
                }
            }
            Command::Ask {
                peer,
                request,
                reply,
            } => match self.send(&peer, request) {
                Some(id) => {
                    self.pending.insert(id, reply);
                }
                None => {
                    answer(reply, Err(format!("peer {peer} is not connected")));
                }
            },
            Command::Respond { channel, response } => {
                if self
                    .swarm
                    .behaviour_mut()
                    .rpc
                    .send_response(channel, response)
                    .is_err()
                {
                    tracing::debug!("response not sent: the peer closed the stream");
                }
            }
            Command::Filter { peers, blocked } => {
                for p in peers {
                    if blocked {
                        self.blocked.insert(p);
                        self.swarm.behaviour_mut().blocked.block_peer(p);
                    } else {
                        self.blocked.remove(&p);
                        self.swarm.behaviour_mut().blocked.unblock_peer(p);
                        if let Some(t) = self.targets.get_mut(&p) {
                            t.next_at = Instant::now();
                            t.backoff = BACKOFF_MIN;
                        }
                    }
                }
                tracing::warn!(blocked = ?self.blocked, "peer filter changed");
            }
            Command::Peers { reply } => {
                let connected = self
                    .swarm
                    .connected_peers()
                    .map(|p| PeerStatus {
                        peer_id: p.to_base58(),
                        validator: self.is_validator(p),
                    })
                    .collect();
                let blocked = self.blocked.iter().map(|p| p.to_base58()).collect();
                answer(reply, PeerSnapshot { connected, blocked });
            }
        }
    }

    fn update_peer_gauge(&self) {
        self.metrics.peers.store(
            self.swarm.connected_peers().count() as u64,
            Ordering::Relaxed,
        );
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "p2p listening");
                self.listening.push(address);
                self.listen_tx.send_replace(self.listening.clone());
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } => {
                if !self.is_validator(&peer_id) && !self.settings.allow_read_only {
                    tracing::info!(peer = %peer_id, "refusing a peer outside the validator set");
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                    return;
                }
                if let Some(t) = self.targets.get_mut(&peer_id) {
                    t.backoff = BACKOFF_MIN;
                }
                if num_established.get() == 1 {
                    tracing::info!(peer = %peer_id, addr = %endpoint.get_remote_address(), "peer connected");
                }
                self.update_peer_gauge();
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                cause,
                ..
            } => {
                if num_established == 0 {
                    tracing::info!(peer = %peer_id, cause = ?cause.map(|c| c.to_string()), "peer disconnected");
                }
                self.update_peer_gauge();
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, %error, "dial failed");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Rpc(e)) => self.on_rpc(e),
            _ => {}
        }
    }

    fn on_rpc(&mut self, event: request_response::Event<Request, Response>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                Message::Request {
                    request, channel, ..
                } => self.on_request(peer, request, channel),
                Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.pending.remove(&request_id) {
                        answer(reply, Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                tracing::debug!(%peer, %error, "request failed");
                if let Some(reply) = self.pending.remove(&request_id) {
                    answer(reply, Err(error.to_string()));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, %error, "inbound request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_request(
        &mut self,
        from: PeerId,
        request: Request,
        channel: request_response::ResponseChannel<Response>,
    ) {
        let validator = self.is_validator(&from);
        let respond = |swarm: &mut Swarm<Behaviour>, channel, r| {
            let _ = swarm.behaviour_mut().rpc.send_response(channel, r);
        };
        match request {
            Request::Consensus(bytes) => {
                if !validator {
                    self.metrics.consensus_dropped.inc("not_validator");
                    return respond(
                        &mut self.swarm,
                        channel,
                        Response::Refused("not_validator".into()),
                    );
                }
                let ok = self
                    .inbound
                    .consensus
                    .try_send(crate::driver::DriverInput::Consensus {
                        from,
                        bytes: bytes.0,
                    })
                    .is_ok();
                if !ok {
                    self.metrics.consensus_dropped.inc("queue_full");
                }
                respond(
                    &mut self.swarm,
                    channel,
                    if ok {
                        Response::Ack
                    } else {
                        Response::Refused("busy".into())
                    },
                );
            }
            Request::Batch(bytes) => {
                if !validator {
                    self.metrics
                        .p2p_dropped
                        .inc(P2pDrop::BatchNotValidator.label());
                    return respond(
                        &mut self.swarm,
                        channel,
                        Response::Refused("not_validator".into()),
                    );
                }
                let ok = self
                    .inbound
                    .batches
                    .try_send(Inbound::Batch {
                        from,
                        bytes: bytes.0,
                    })
                    .is_ok();
                if !ok {
                    self.metrics
                        .p2p_dropped
                        .inc(P2pDrop::BatchQueueFull.label());
                }
                respond(
                    &mut self.swarm,
                    channel,
                    if ok {
                        Response::Ack
                    } else {
                        Response::Refused("busy".into())
                    },
                );
            }
            request @ (Request::SyncBlocks { .. } | Request::Status) => {
                if let Err(mpsc::error::TrySendError::Full(Inbound::Serve { channel, .. })) =
                    self.inbound.serve.try_send(Inbound::Serve {
                        from,
                        request,
                        channel,
                    })
                {
                    respond(&mut self.swarm, channel, Response::Refused("busy".into()));
                }
            }
        }
    }
}

/// Answers a command. A requester that stopped waiting (its HTTP client left, its deadline
/// passed) no longer needs the answer; that is logged, not an error.
fn answer<T>(reply: oneshot::Sender<T>, value: T) {
    if reply.send(value).is_err() {
        tracing::debug!("network answer dropped: the requester stopped waiting");
    }
}
