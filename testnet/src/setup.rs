//! Creating a testnet: keys, genesis, node homes.

use crate::network::{IdentityEntry, Network, NodeEntry};
use anyhow::{Context, Result, bail};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use tradeledger_types::*;

/// Chain id of local testnets.
pub const CHAIN_ID: &str = "tradeledger-local";

/// The four stakeholder agencies that run validators, then the non-validator identities.
const AGENCIES: [(&str, &str, &str, Role); 4] = [
    ("shipper", "mx-avocado-exports", "MX", Role::Shipper),
    ("carrier", "mx-reefer-lines", "MX", Role::Carrier),
    ("customs", "us-customs", "US", Role::Customs),
    ("quarantine", "us-quarantine", "US", Role::Quarantine),
];
const OTHERS: [(&str, &str, &str, Role); 3] = [
    ("steel_exporter", "ca-northern-steel", "CA", Role::Shipper),
    ("rights_holder", "voltara-brands", "US", Role::RightsHolder),
    ("auditor", "us-inspector-general", "US", Role::Auditor),
];

/// Most events per block in a testnet's genesis unless told otherwise.
///
/// Four validators share this machine's cores: a 10 000-event block (the node's default)
/// takes each of them over a second to verify, execute and write, longer than the round
/// timeout, so under a backlog rounds time out and throughput collapses. Blocks of 2 000 keep a
/// round well inside its timeout and lose nothing at the rates reached here.
pub const BLOCK_EVENTS_MAX: u32 = 2_000;

/// Creates keys, genesis and node homes for `validators` validators in `dir`, with at most
/// `block_events_max` events per block.
pub fn create(
    dir: &Path,
    validators: usize,
    block_events_max: u32,
    node_bin: &Path,
) -> Result<Network> {
    if validators < 4 {
        bail!("--validators must be at least 4 (n = 3f+1 with f ≥ 1), got {validators}");
    }
    if block_events_max == 0 {
        bail!("--block-events-max must be positive");
    }
    std::fs::create_dir_all(dir.join("keys"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let mut orgs = Vec::new();
    let mut identities = Vec::new();
    let mut agencies: Vec<(String, String, String, Role)> = AGENCIES
        .iter()
        .map(|(n, o, c, r)| ((*n).to_owned(), (*o).to_owned(), (*c).to_owned(), *r))
        .collect();
    for i in 5..=validators {
        agencies.push((
            format!("agency-{i}"),
            format!("agency-{i}"),
            "US".to_owned(),
            Role::Auditor,
        ));
    }
    let everyone = agencies.iter().cloned().chain(
        OTHERS
            .iter()
            .map(|(n, o, c, r)| ((*n).to_owned(), (*o).to_owned(), (*c).to_owned(), *r)),
    );
    for (name, org, country, role) in everyone {
        let key_rel = Path::new("keys").join(format!("{name}.key"));
        let key = write_key(&dir.join(&key_rel))?;
        orgs.push(Organisation {
            id: org.clone(),
            name: legal_name(&org),
            country,
            roles: vec![role],
            keys: vec![key.public()],
        });
        identities.push(IdentityEntry {
            name,
            org,
            key: key_rel,
        });
    }
    let mut nodes = Vec::new();
    let mut infos = Vec::new();
    let mut ports = FreePorts::default();
    for (name, org, _, _) in &agencies {
        let home = Path::new("nodes").join(name);
        std::fs::create_dir_all(dir.join(&home))?;
        let key_path = dir.join("keys").join(format!("{name}-node.key"));
        let node_key = write_key(&key_path)?;
        let peer_id = peer_id(node_bin, &key_path)?;
        infos.push(ValidatorInfo {
            name: format!("{name}-validator"),
            org: org.clone(),
            consensus_key: node_key.public(),
            peer_id: peer_id.clone(),
            voting_power: 1,
        });
        nodes.push(NodeEntry {
            name: name.clone(),
            org: org.clone(),
            home,
            api: format!("127.0.0.1:{}", ports.pick()?),
            p2p_port: ports.pick()?,
            peer_id,
        });
    }
    let genesis = Genesis {
        chain_id: CHAIN_ID.into(),
        genesis_time_ms: now_ms(),
        organisations: orgs,
        validators: infos,
        rule_set: crate::rules::initial_rule_set(),
        consensus: ConsensusParams {
            round_timeout_base_ms: 1_000,
            round_timeout_max_ms: 8_000,
            block_events_max,
            ..ConsensusParams::default()
        },
    };
    genesis
        .validate()
        .context("generated genesis is invalid (a bug in the testnet)")?;
    std::fs::write(dir.join("genesis.toml"), genesis.to_toml())?;
    let network = Network {
        chain_id: CHAIN_ID.into(),
        genesis: "genesis.toml".into(),
        nodes,
        identities,
    };
    for node in &network.nodes {
        init_home(dir, &network, node, node_bin)?;
    }
    network.save(dir)?;
    Ok(network)
}

fn init_home(dir: &Path, network: &Network, node: &NodeEntry, node_bin: &Path) -> Result<()> {
    let peers: Vec<String> = network
        .nodes
        .iter()
        .filter(|n| n.name != node.name)
        .map(|n| format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", n.p2p_port, n.peer_id))
        .collect();
    let out = Command::new(node_bin)
        .arg("init")
        .arg("--genesis")
        .arg(dir.join(&network.genesis))
        .arg("--key")
        .arg(dir.join("keys").join(format!("{}-node.key", node.name)))
        .arg("--home")
        .arg(dir.join(&node.home))
        .arg("--p2p-listen")
        .arg(format!("/ip4/127.0.0.1/tcp/{}", node.p2p_port))
        .arg("--api-listen")
        .arg(&node.api)
        .arg("--peers")
        .arg(peers.join(","))
        .arg("--admin-api")
        .arg("true")
        // The load generator submits from 127.0.0.1: no per-client rate limits here.
        .args([
            "--api-write-requests-per-s=0",
            "--api-read-requests-per-s=0",
        ])
        .output()
        .context("running tradeledger init")?;
    if !out.status.success() {
        bail!(
            "tradeledger init for {} failed: {}",
            node.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn legal_name(org: &str) -> String {
    match org {
        "mx-avocado-exports" => "Aguacates de Michoacán S.A. de C.V.".into(),
        "mx-reefer-lines" => "Transportes Refrigerados del Bajío".into(),
        "us-customs" => "U.S. Customs and Border Protection (testnet)".into(),
        "us-quarantine" => "USDA APHIS Plant Protection and Quarantine (testnet)".into(),
        "ca-northern-steel" => "Northern Steel Works Ltd.".into(),
        "voltara-brands" => "Voltara Brands Inc.".into(),
        "us-inspector-general" => "Office of the Inspector General (testnet)".into(),
        other => format!("Agency {other}"),
    }
}

/// A fresh key from the operating system's random source.
pub fn fresh_key() -> Result<SecretKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness for a key: {e}"))?;
    Ok(SecretKey::from_seed(seed))
}

/// Writes a new key file (64 hex characters, mode 0600) and returns the key.
pub fn write_key(path: &Path) -> Result<SecretKey> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness for a key: {e}"))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating key file {}", path.display()))?;
    writeln!(f, "{}", hex::encode(seed))?;
    Ok(SecretKey::from_seed(seed))
}

/// Reads a key file written by [`write_key`] or `tradeledger keys generate`.
pub fn read_key(path: &Path) -> Result<SecretKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading key file {}", path.display()))?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed)
        .with_context(|| format!("{}: expected 64 hex characters", path.display()))?;
    Ok(SecretKey::from_seed(seed))
}

fn peer_id(node_bin: &Path, key: &Path) -> Result<String> {
    let out = Command::new(node_bin)
        .args(["keys", "show"])
        .arg(key)
        .output()
        .context("running tradeledger keys show")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("peer_id = ")
                .map(|v| v.trim_matches('"').to_owned())
        })
        .with_context(|| format!("tradeledger keys show printed no peer_id: {text}"))
}

/// First port [`FreePorts`] hands out: below Linux's ephemeral range (32768–60999), so no
/// outgoing connection (a starting node dialling its peers) can take a port before the node
/// it was picked for binds it. Ports from a bind to port 0 come from that range, and once a
/// node's dial took the port another node was about to listen on (seen in the byzantine test,
/// about one run in three).
const PORT_FIRST: u16 = 20_000;
/// How many ports after [`PORT_FIRST`] are tried.
const PORT_SPAN: u16 = 12_000;

/// Free ports for one network, each distinct: every picked port's listener is held until the
/// picker is dropped (after the nodes' configs are written, before they start), so one pick
/// never returns a port another pick holds.
#[derive(Default)]
pub struct FreePorts {
    held: Vec<TcpListener>,
}

impl FreePorts {
    /// A free port (a held one does not bind, so no pick repeats another). The search starts at an offset
    /// drawn from the process id, so networks of parallel test processes rarely meet.
    pub fn pick(&mut self) -> Result<u16> {
        let offset = (std::process::id().wrapping_mul(2_654_435_761) >> 16) as u16 % PORT_SPAN;
        for i in 0..PORT_SPAN {
            let port = PORT_FIRST + (offset + i) % PORT_SPAN;
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
                self.held.push(listener);
                return Ok(port);
            }
        }
        anyhow::bail!(
            "no free port in 127.0.0.1:{PORT_FIRST}..{}",
            PORT_FIRST + PORT_SPAN
        )
    }
}

/// Milliseconds since the Unix epoch (the testnet is an edge tool; it may read the clock).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
