//! Start-up and shutdown of a running node.
//!
//! Start-up: read and check config, genesis and key (a wrong value stops start-up with a
//! message naming it), open RocksDB and write the genesis state on first start, start the
//! network, mempool, gossip, sync and API tasks, and the consensus driver thread.
//! Shutdown on SIGTERM/SIGINT: stop accepting API requests, let the driver finish the input at
//! hand (a block commit is one atomic write, so there is nothing half-done to flush), stop the
//! network, close RocksDB.

use crate::api::{self, AppState};
use crate::config::{Config, ConfigArgs, LogFormat, ResolvedConfig};
use crate::driver::{Driver, DriverParts, INPUT_QUEUE};
use crate::execution::Executor;
use crate::keys::NodeKey;
use crate::mempool::Mempool;
use crate::metrics::Metrics;
use crate::network::swarm_task::{self, SwarmSettings};
use crate::network::{COMMAND_QUEUE, InboundSenders, NetworkHandle};
use crate::status::SharedStatus;
use crate::storage::{CacheBudget, Store};
use crate::{feed, gossip, sync};
use anyhow::{Context as _, anyhow, bail};
use libp2p::PeerId;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tokio::sync::{broadcast, mpsc, watch};
use tradeledger_consensus::ConsensusConfig;
use tradeledger_types::{Genesis, PublicKey};

/// Capacity of the inbound batch and sync-request queues.
const INBOUND_QUEUE: usize = 1024;

/// Runs the node in `home` until SIGTERM/SIGINT.
pub fn run(home: &Path, args: &ConfigArgs) -> anyhow::Result<()> {
    let mut config = Config::load(home)?;
    args.apply(&mut config);
    let rc = config.resolve(home)?;
    init_logging(&rc.config);
    let genesis_text = std::fs::read_to_string(&rc.genesis_path).with_context(|| {
        format!(
            "config field `genesis_file`: reading {}",
            rc.genesis_path.display()
        )
    })?;
    let genesis = Genesis::from_toml(&genesis_text)
        .with_context(|| format!("genesis {}", rc.genesis_path.display()))?;
    let key = NodeKey::read(&rc.key_path).context("config field `key_file`")?;
    let validator_peers = validator_peers(&genesis, &key)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tradeledger")
        .build()?;
    runtime.block_on(run_async(rc, genesis, key, validator_peers))
}

fn init_logging(c: &Config) {
    let filter = tracing_subscriber::EnvFilter::new(&c.log_filter);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests calling `run` twice) keeps the first subscriber.
    let _ = match c.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Each validator's consensus key and peer id; checks that our own entry matches our key.
fn validator_peers(genesis: &Genesis, key: &NodeKey) -> anyhow::Result<Vec<(PublicKey, PeerId)>> {
    let mut out = Vec::new();
    for (i, v) in genesis.validators.iter().enumerate() {
        let peer: PeerId = v.peer_id.parse().map_err(|e| {
            anyhow!(
                "genesis field validators[{i}].peer_id: {:?}: {e}",
                v.peer_id
            )
        })?;
        if v.consensus_key == key.public() && peer != key.peer_id() {
            bail!(
                "genesis field validators[{i}].peer_id is {peer}, but this node's key gives peer id {} (use the same key file for both)",
                key.peer_id()
            );
        }
        out.push((v.consensus_key, peer));
    }
    if !genesis
        .validators
        .iter()
        .any(|v| v.consensus_key == key.public())
    {
        bail!(
            "config field `key_file`: public key {} is not in the genesis validator set; \
             only validators can run (auditors use the HTTP API of a validator)",
            key.public()
        );
    }
    Ok(out)
}

async fn run_async(
    rc: ResolvedConfig,
    genesis: Genesis,
    key: NodeKey,
    validator_peers: Vec<(PublicKey, PeerId)>,
) -> anyhow::Result<()> {
    let genesis_hash = genesis.hash();
    let data_path = rc.data_path.clone();
    let cache = CacheBudget::split(rc.config.state_cache_mb << 20);
    let (store, executor) = {
        let genesis = genesis.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<(Store, Executor)> {
            std::fs::create_dir_all(&data_path).with_context(|| {
                format!("config field `data_dir`: creating {}", data_path.display())
            })?;
            // Opening and warming a large store takes seconds: say what the node is doing.
            tracing::info!(path = %data_path.display(), "opening storage");
            let store = Store::open_with_cache(&data_path, genesis_hash, cache)
                .with_context(|| format!("opening {}", data_path.display()))?;
            let started = std::time::Instant::now();
            let warmed = store
                .warm_state_cache()
                .with_context(|| format!("reading the state tree in {}", data_path.display()))?;
            let usage = store.state_cache_usage();
            tracing::info!(
                nodes = warmed,
                mib = usage.nodes_bytes >> 20,
                ms = started.elapsed().as_millis() as u64,
                "state cache warmed with the stored state tree"
            );
            let executor = Executor::open(store.clone(), &genesis)?;
            Ok((store, executor))
        })
        .await??
    };
    let metrics = Arc::new(Metrics::default());
    let status: SharedStatus = Arc::default();
    let (feed_tx, _) = broadcast::channel(feed::FEED_CAPACITY);
    let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
    let net = NetworkHandle::new(cmd_tx);
    let (driver_tx, driver_rx) = std::sync::mpsc::sync_channel(INPUT_QUEUE);
    let (batch_tx, batch_rx) = mpsc::channel(INBOUND_QUEUE);
    let (serve_tx, serve_rx) = mpsc::channel(INBOUND_QUEUE);
    let (listen_tx, _listen_rx) = watch::channel(Vec::new());
    let settings = SwarmSettings {
        keypair: key.libp2p_keypair(),
        listen: rc.p2p_listen.clone(),
        peers: rc
            .peers
            .iter()
            .filter(|p| p.peer_id != key.peer_id())
            .cloned()
            .collect(),
        validators: validator_peers
            .iter()
            .map(|(_, p)| *p)
            .collect::<BTreeSet<_>>(),
        allow_read_only: rc.config.allow_read_only_peers,
    };
    let inbound = InboundSenders {
        consensus: driver_tx.clone(),
        batches: batch_tx,
        serve: serve_tx,
    };
    let swarm = swarm_task::start(settings, cmd_rx, inbound, metrics.clone(), listen_tx)
        .context("config field `p2p_listen`")?;
    let swarm_handle = tokio::spawn(swarm);

    let (outgoing_tx, outgoing_rx) = mpsc::channel(gossip::OUTGOING_QUEUE);
    let mempool = Arc::new(Mempool::new(
        store.clone(),
        genesis.chain_id.clone(),
        rc.config.mempool_limits(),
        metrics.clone(),
        outgoing_tx,
    ));
    tokio::spawn(gossip::run_batcher(outgoing_rx, net.clone()));
    tokio::spawn(gossip::run_ingester(
        batch_rx,
        mempool.clone(),
        metrics.clone(),
    ));
    tokio::spawn(sync::run_server(
        serve_rx,
        store.clone(),
        net.clone(),
        rc.config.sync_blocks_max,
    ));
    tokio::spawn(sync::run_catchup(
        net.clone(),
        store.clone(),
        driver_tx,
        metrics.clone(),
        status.clone(),
        rc.config.sync_blocks_max,
    ));

    let shutdown = Arc::new(AtomicBool::new(false));
    let cfg = ConsensusConfig::from_genesis(&genesis)?;
    let parts = DriverParts {
        cfg,
        key: key.secret().clone(),
        store: store.clone(),
        executor,
        mempool: mempool.clone(),
        net: net.clone(),
        validator_peers,
        metrics: metrics.clone(),
        status: status.clone(),
        feed: feed_tx.clone(),
        inputs: driver_rx,
        shutdown: shutdown.clone(),
    };
    let (driver, inputs, flag) = tokio::task::spawn_blocking(move || Driver::new(parts))
        .await?
        .map_err(|e| anyhow!("{e}"))?;
    let driver_thread = std::thread::Builder::new()
        .name("consensus-driver".into())
        .spawn(move || driver.run(inputs, flag))?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let state = Arc::new(AppState {
        store,
        mempool,
        net: net.clone(),
        metrics,
        status,
        feed: feed_tx,
        genesis: Arc::new(genesis),
        genesis_hash,
        public_key: key.public(),
        peer_id: key.peer_id().to_base58(),
        rejections: Default::default(),
        stopping: stop_rx,
    });
    tokio::spawn(api::run_gap_expiry(state.clone()));
    let listener = tokio::net::TcpListener::bind(rc.api_listen)
        .await
        .with_context(|| format!("config field `api_listen`: cannot bind {}", rc.api_listen))?;
    tracing::info!(addr = %listener.local_addr()?, peer_id = %key.peer_id(), "API listening");
    let app = api::router(
        state,
        api::ApiOptions {
            body_bytes_max: rc.config.api_body_bytes_max,
            admin: rc.config.admin_api,
            rate: rc.config.rate_limits(),
        },
    );
    let graceful = async move {
        shutdown_signal().await;
        stop_tx.send_replace(true);
    };
    // The peer address keys the API's per-client rate limits.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(graceful)
        .await
        .context("API server")?;

    tracing::info!("shutting down");
    shutdown.store(true, std::sync::atomic::Ordering::Relaxed);
    tokio::task::spawn_blocking(move || driver_thread.join())
        .await?
        .map_err(|_| anyhow!("driver thread panicked"))?;
    drop(net);
    swarm_handle.abort();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
