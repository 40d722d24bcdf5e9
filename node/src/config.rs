//! The node's configuration: `HOME/config.toml`, every value also a flag and an environment
//! variable (`TRADELEDGER_*`). Flags and variables override the file.

use clap::Args;
use libp2p::{Multiaddr, PeerId, multiaddr::Protocol};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A configuration value that stops start-up; the message names the field.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape (unknown fields are rejected).
    #[error("{path}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// The parser's message (names the field).
        message: String,
    },
    /// A field has a wrong value.
    #[error("config field `{field}`: {problem}")]
    Field {
        /// The field (as written in config.toml).
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
}

fn field(field: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Field {
        field,
        problem: problem.into(),
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The contents of `config.toml`. Relative paths are relative to the home directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Genesis file.
    pub genesis_file: PathBuf,
    /// Node key file (ed25519 seed, hex): consensus key and libp2p identity.
    pub key_file: PathBuf,
    /// RocksDB directory.
    pub data_dir: PathBuf,
    /// libp2p listen address (multiaddr), e.g. `/ip4/0.0.0.0/tcp/26656`.
    pub p2p_listen: String,
    /// HTTP API listen address, e.g. `127.0.0.1:8080`.
    pub api_listen: String,
    /// Peers to dial: multiaddrs ending in `/p2p/<peer id>`.
    pub peers: Vec<String>,
    /// Accept connections from peers outside the validator set (read-only: sync only).
    pub allow_read_only_peers: bool,
    /// Most events held in the mempool.
    pub mempool_events_max: usize,
    /// Most bytes of events held in the mempool.
    pub mempool_bytes_max: usize,
    /// Longest an event may wait in the mempool behind a sequence gap of its signer (an
    /// earlier number neither committed nor pending), seconds; then it is dropped and
    /// `GET /v1/events/{id}` answers `rejected` with `sequence_gap`.
    pub mempool_gap_wait_s: u64,
    /// Largest HTTP request body accepted, bytes.
    pub api_body_bytes_max: usize,
    /// Most blocks in one sync response.
    pub sync_blocks_max: u32,
    /// Memory for committed state (state-tree nodes and values) kept out of RocksDB, MiB.
    /// Seven eighths go to the tree: once the tree outgrows half of that, each block's
    /// execution reads tree nodes from disk and throughput falls (docs/performance.md).
    pub state_cache_mb: usize,
    /// Serve `/admin/*` (peer filter for fault injection) on the API address.
    pub admin_api: bool,
    /// Event submissions (`POST /v1/events`, `/v1/events/batch`) per second per client IP,
    /// sustained; 0 turns the write limit off.
    pub api_write_requests_per_s: u32,
    /// Event submissions a client IP may send at once.
    pub api_write_burst: u32,
    /// Other API requests per second per client IP, sustained; 0 turns the read limit off.
    pub api_read_requests_per_s: u32,
    /// Other API requests a client IP may send at once.
    pub api_read_burst: u32,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info,tradeledger_node=debug`.
    pub log_filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            genesis_file: PathBuf::from("genesis.toml"),
            key_file: PathBuf::from("node.key"),
            data_dir: PathBuf::from("data"),
            p2p_listen: "/ip4/0.0.0.0/tcp/26656".into(),
            api_listen: "127.0.0.1:8080".into(),
            peers: Vec::new(),
            allow_read_only_peers: false,
            mempool_events_max: 100_000,
            mempool_bytes_max: 256 * 1024 * 1024,
            // Long enough for a client to notice a refusal and send the missing number, or for
            // gossip to deliver events out of order; short enough that a client waiting for the
            // commit learns of the gap within its own timeout.
            mempool_gap_wait_s: 60,
            api_body_bytes_max: 256 * 1024,
            sync_blocks_max: 64,
            state_cache_mb: crate::storage::STATE_CACHE_BYTES >> 20,
            admin_api: false,
            // A client's gateway posts batches of up to 1 000 events: 50 requests/s is up to
            // 50 000 events/s, beyond what a node commits, while a flood of single-event
            // requests from one address is cut at 50/s after a burst of 200.
            api_write_requests_per_s: 50,
            api_write_burst: 200,
            // Readers poll events while waiting for commits (the SDK from every 10 ms).
            api_read_requests_per_s: 500,
            api_read_burst: 1_000,
            log_format: LogFormat::Text,
            log_filter: "info".into(),
        }
    }
}

/// Every config value as an optional flag / environment variable.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// Genesis file (relative to home).
    #[arg(long, env = "TRADELEDGER_GENESIS_FILE")]
    pub genesis_file: Option<PathBuf>,
    /// Node key file (relative to home).
    #[arg(long, env = "TRADELEDGER_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// RocksDB directory (relative to home).
    #[arg(long, env = "TRADELEDGER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// libp2p listen multiaddr.
    #[arg(long, env = "TRADELEDGER_P2P_LISTEN")]
    pub p2p_listen: Option<String>,
    /// HTTP API listen address (host:port).
    #[arg(long, env = "TRADELEDGER_API_LISTEN")]
    pub api_listen: Option<String>,
    /// Peers (multiaddrs with /p2p/<peer id>), comma-separated; replaces the file's list.
    #[arg(long, env = "TRADELEDGER_PEERS", value_delimiter = ',')]
    pub peers: Option<Vec<String>>,
    /// Accept read-only peers outside the validator set.
    #[arg(long, env = "TRADELEDGER_ALLOW_READ_ONLY_PEERS")]
    pub allow_read_only_peers: Option<bool>,
    /// Most events in the mempool.
    #[arg(long, env = "TRADELEDGER_MEMPOOL_EVENTS_MAX")]
    pub mempool_events_max: Option<usize>,
    /// Most bytes in the mempool.
    #[arg(long, env = "TRADELEDGER_MEMPOOL_BYTES_MAX")]
    pub mempool_bytes_max: Option<usize>,
    /// Longest an event waits behind a sequence gap before it is dropped, seconds.
    #[arg(long, env = "TRADELEDGER_MEMPOOL_GAP_WAIT_S")]
    pub mempool_gap_wait_s: Option<u64>,
    /// Largest HTTP body, bytes.
    #[arg(long, env = "TRADELEDGER_API_BODY_BYTES_MAX")]
    pub api_body_bytes_max: Option<usize>,
    /// Most blocks per sync response.
    #[arg(long, env = "TRADELEDGER_SYNC_BLOCKS_MAX")]
    pub sync_blocks_max: Option<u32>,
    /// Memory for committed state kept out of RocksDB, MiB.
    #[arg(long, env = "TRADELEDGER_STATE_CACHE_MB")]
    pub state_cache_mb: Option<usize>,
    /// Serve the admin (fault-injection) endpoints.
    #[arg(long, env = "TRADELEDGER_ADMIN_API")]
    pub admin_api: Option<bool>,
    /// Event submissions per second per client IP (0: unlimited).
    #[arg(long, env = "TRADELEDGER_API_WRITE_REQUESTS_PER_S")]
    pub api_write_requests_per_s: Option<u32>,
    /// Event submissions a client IP may send at once.
    #[arg(long, env = "TRADELEDGER_API_WRITE_BURST")]
    pub api_write_burst: Option<u32>,
    /// Other API requests per second per client IP (0: unlimited).
    #[arg(long, env = "TRADELEDGER_API_READ_REQUESTS_PER_S")]
    pub api_read_requests_per_s: Option<u32>,
    /// Other API requests a client IP may send at once.
    #[arg(long, env = "TRADELEDGER_API_READ_BURST")]
    pub api_read_burst: Option<u32>,
    /// Log format.
    #[arg(long, env = "TRADELEDGER_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Log filter.
    #[arg(long, env = "TRADELEDGER_LOG_FILTER")]
    pub log_filter: Option<String>,
}

impl ConfigArgs {
    /// Applies the values given over `config`.
    pub fn apply(&self, config: &mut Config) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = &self.$f { config.$f = v.clone(); } )* };
        }
        set!(
            genesis_file,
            key_file,
            data_dir,
            p2p_listen,
            api_listen,
            peers,
            allow_read_only_peers,
            mempool_events_max,
            mempool_bytes_max,
            mempool_gap_wait_s,
            api_body_bytes_max,
            sync_blocks_max,
            state_cache_mb,
            admin_api,
            api_write_requests_per_s,
            api_write_burst,
            api_read_requests_per_s,
            api_read_burst,
            log_format,
            log_filter
        );
    }
}

impl Config {
    /// The mempool's caps and gap bound.
    pub fn mempool_limits(&self) -> crate::mempool::Limits {
        crate::mempool::Limits {
            events_max: self.mempool_events_max,
            bytes_max: self.mempool_bytes_max,
            gap_wait_ms: self.mempool_gap_wait_s.saturating_mul(1_000),
        }
    }

    /// The API's per-client rate limits.
    pub fn rate_limits(&self) -> crate::api::rate_limit::RateLimits {
        use crate::api::rate_limit::{Bucket, RateLimits};
        RateLimits {
            write: Bucket {
                per_s: self.api_write_requests_per_s,
                burst: self.api_write_burst,
            },
            read: Bucket {
                per_s: self.api_read_requests_per_s,
                burst: self.api_read_burst,
            },
        }
    }
}

/// A peer to dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerAddr {
    /// Its identity.
    pub peer_id: PeerId,
    /// Where to dial (the multiaddr without the `/p2p` suffix).
    pub addr: Multiaddr,
}

/// A checked configuration with paths resolved against the home directory.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    /// The values as written.
    pub config: Config,
    /// Home directory.
    pub home: PathBuf,
    /// Genesis file path.
    pub genesis_path: PathBuf,
    /// Key file path.
    pub key_path: PathBuf,
    /// Data directory path.
    pub data_path: PathBuf,
    /// Parsed p2p listen address.
    pub p2p_listen: Multiaddr,
    /// Parsed API address.
    pub api_listen: SocketAddr,
    /// Parsed peers.
    pub peers: Vec<PeerAddr>,
}

/// Largest `mempool_gap_wait_s` accepted (a day): a longer wait keeps a lost gap's events
/// for nothing.
pub const MEMPOOL_GAP_WAIT_S_MAX: u64 = 86_400;

/// Smallest `state_cache_mb` accepted.
pub const STATE_CACHE_MB_MIN: usize = 8;
/// Largest `state_cache_mb` accepted (1 TiB).
pub const STATE_CACHE_MB_MAX: usize = 1 << 20;

/// Name of the config file inside the home directory.
pub const CONFIG_FILE: &str = "config.toml";

impl Config {
    /// Reads `home/config.toml`.
    pub fn load(home: &Path) -> Result<Config, ConfigError> {
        let path = home.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path,
            message: e.to_string(),
        })
    }

    /// The TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("config is always representable as TOML")
    }

    /// Checks every value and resolves paths against `home`.
    pub fn resolve(self, home: &Path) -> Result<ResolvedConfig, ConfigError> {
        let p2p_listen: Multiaddr = self.p2p_listen.parse().map_err(|e| {
            field(
                "p2p_listen",
                format!("{:?} is not a multiaddr: {e}", self.p2p_listen),
            )
        })?;
        let api_listen: SocketAddr = self.api_listen.parse().map_err(|e| {
            field(
                "api_listen",
                format!("{:?} is not host:port: {e}", self.api_listen),
            )
        })?;
        let mut peers = Vec::new();
        for p in &self.peers {
            peers.push(parse_peer(p).map_err(|problem| field("peers", problem))?);
        }
        if self.mempool_events_max == 0 {
            return Err(field("mempool_events_max", "must be positive"));
        }
        if self.mempool_bytes_max < tradeledger_types::codec::EVENT_BYTES_MAX {
            return Err(field(
                "mempool_bytes_max",
                "must hold at least one event (65536 bytes)",
            ));
        }
        // 0 would drop an event that gossip merely delivered before its predecessor.
        if !(1..=MEMPOOL_GAP_WAIT_S_MAX).contains(&self.mempool_gap_wait_s) {
            return Err(field(
                "mempool_gap_wait_s",
                format!("must be between 1 and {MEMPOOL_GAP_WAIT_S_MAX}"),
            ));
        }
        if self.api_body_bytes_max < 1024 {
            return Err(field("api_body_bytes_max", "must be at least 1024"));
        }
        for (name, per_s, burst_name, burst) in [
            (
                "api_write_requests_per_s",
                self.api_write_requests_per_s,
                "api_write_burst",
                self.api_write_burst,
            ),
            (
                "api_read_requests_per_s",
                self.api_read_requests_per_s,
                "api_read_burst",
                self.api_read_burst,
            ),
        ] {
            if per_s > 0 && burst == 0 {
                return Err(field(
                    burst_name,
                    format!("must be positive while {name} limits requests"),
                ));
            }
        }
        if self.sync_blocks_max == 0 {
            return Err(field("sync_blocks_max", "must be positive"));
        }
        // Below a few MiB the top of the tree alone does not fit; above a TiB is a typo.
        if !(STATE_CACHE_MB_MIN..=STATE_CACHE_MB_MAX).contains(&self.state_cache_mb) {
            return Err(field(
                "state_cache_mb",
                format!("must be between {STATE_CACHE_MB_MIN} and {STATE_CACHE_MB_MAX}"),
            ));
        }
        if self
            .log_filter
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return Err(field(
                "log_filter",
                format!("{:?} is not a valid filter", self.log_filter),
            ));
        }
        Ok(ResolvedConfig {
            genesis_path: home.join(&self.genesis_file),
            key_path: home.join(&self.key_file),
            data_path: home.join(&self.data_dir),
            home: home.to_path_buf(),
            p2p_listen,
            api_listen,
            peers,
            config: self,
        })
    }
}

/// Parses `/ip4/1.2.3.4/tcp/26656/p2p/12D3Koo...` into a dial address and a peer id.
pub fn parse_peer(text: &str) -> Result<PeerAddr, String> {
    let mut addr: Multiaddr = text
        .parse()
        .map_err(|e| format!("{text:?} is not a multiaddr: {e}"))?;
    match addr.pop() {
        Some(Protocol::P2p(peer_id)) => Ok(PeerAddr { peer_id, addr }),
        _ => Err(format!("{text:?} must end with /p2p/<peer id>")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_round_trips_and_resolves() {
        let c = Config::default();
        let back: Config = toml::from_str(&c.to_toml()).expect("parse");
        assert_eq!(back, c);
        let r = back.resolve(Path::new("/h")).expect("resolve");
        assert_eq!(r.data_path, PathBuf::from("/h/data"));
    }

    #[test]
    fn wrong_values_name_the_field() {
        let mut c = Config {
            api_listen: "nope".into(),
            ..Config::default()
        };
        let e = c
            .clone()
            .resolve(Path::new("/h"))
            .expect_err("bad api_listen");
        assert!(e.to_string().contains("api_listen"), "{e}");
        c.api_listen = "127.0.0.1:1".into();
        c.peers = vec!["/ip4/127.0.0.1/tcp/1".into()];
        let e = c.resolve(Path::new("/h")).expect_err("peer without id");
        assert!(e.to_string().contains("peers"), "{e}");
        let e = toml::from_str::<Config>("mempol_events_max = 3").expect_err("unknown field");
        assert!(e.to_string().contains("mempol_events_max"), "{e}");
        for wait_s in [0, MEMPOOL_GAP_WAIT_S_MAX + 1] {
            let c = Config {
                mempool_gap_wait_s: wait_s,
                ..Config::default()
            };
            let e = c
                .resolve(Path::new("/h"))
                .expect_err("gap wait out of range");
            assert!(e.to_string().contains("mempool_gap_wait_s"), "{e}");
        }
        let c = Config {
            api_write_requests_per_s: 10,
            api_write_burst: 0,
            ..Config::default()
        };
        let e = c
            .resolve(Path::new("/h"))
            .expect_err("a limit without a burst");
        assert!(e.to_string().contains("api_write_burst"), "{e}");
        let c = Config {
            api_read_requests_per_s: 0,
            api_read_burst: 0,
            ..Config::default()
        };
        assert!(
            c.resolve(Path::new("/h")).is_ok(),
            "0 turns the read limit off"
        );
        let c = Config {
            state_cache_mb: 2,
            ..Config::default()
        };
        let e = c.resolve(Path::new("/h")).expect_err("too small a cache");
        assert!(e.to_string().contains("state_cache_mb"), "{e}");
        assert!(e.to_string().contains("between 8 and"), "{e}");
    }

    #[test]
    fn flags_override_file_values() {
        let mut c = Config::default();
        let args = ConfigArgs {
            api_listen: Some("127.0.0.1:9".into()),
            admin_api: Some(true),
            ..ConfigArgs::default()
        };
        args.apply(&mut c);
        assert_eq!(c.api_listen, "127.0.0.1:9");
        assert!(c.admin_api);
    }
}
