//! A cluster of real `tradeledger` processes on 127.0.0.1 with ephemeral ports.

#![allow(dead_code)]

pub mod http;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tradeledger_contracts::testkit;
use tradeledger_node::keys::NodeKey;
use tradeledger_types::{Genesis, SignedEvent, ValidatorInfo};

/// The binary under test: Cargo's path for tests, else `tradeledger` next to the running
/// executable's directory (`target/<profile>/examples/..` for the load example).
pub fn bin() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_tradeledger") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("tradeledger"))
        .expect("target directory")
}

/// One node of the cluster.
pub struct Node {
    pub index: usize,
    pub home: PathBuf,
    pub api: SocketAddr,
    /// The libp2p TCP port it listens on (127.0.0.1).
    pub p2p_port: u16,
    pub peer_id: String,
    pub child: Option<Child>,
}

/// A running cluster; nodes are killed when it is dropped.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Node>,
    pub genesis: Genesis,
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
    pub fn pick(&mut self) -> u16 {
        let offset = (std::process::id().wrapping_mul(2_654_435_761) >> 16) as u16 % PORT_SPAN;
        for i in 0..PORT_SPAN {
            let port = PORT_FIRST + (offset + i) % PORT_SPAN;
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
                self.held.push(listener);
                return port;
            }
        }
        panic!(
            "no free port in 127.0.0.1:{PORT_FIRST}..{}",
            PORT_FIRST + PORT_SPAN
        )
    }
}

/// Polls `f` until it returns `Some` or the deadline passes (then panics naming `what`).
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Cluster {
    /// The node key of validator `i` (fixed seeds, so tests can act as a validator).
    pub fn key(i: usize) -> NodeKey {
        NodeKey::from_seed([200 + i as u8; 32])
    }

    /// Writes keys, a genesis with `n` validators, and `init`s every home. Does not start nodes.
    pub fn init(n: usize) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let orgs = [
            testkit::CUSTOMS,
            testkit::QUARANTINE,
            testkit::EXPORTER,
            testkit::CARRIER,
        ];
        let keys: Vec<NodeKey> = (0..n).map(Cluster::key).collect();
        let mut genesis = testkit::genesis();
        genesis.validators = keys
            .iter()
            .enumerate()
            .map(|(i, k)| ValidatorInfo {
                name: format!("validator-{i}"),
                org: orgs[i % orgs.len()].into(),
                consensus_key: k.public(),
                peer_id: k.peer_id().to_base58(),
                voting_power: 1,
            })
            .collect();
        genesis.validate().expect("test genesis is valid");
        let genesis_path = dir.path().join("genesis.toml");
        std::fs::write(&genesis_path, genesis.to_toml()).expect("write genesis");
        let mut ports = FreePorts::default();
        let p2p: Vec<u16> = (0..n).map(|_| ports.pick()).collect();
        let addrs: Vec<String> = keys
            .iter()
            .zip(&p2p)
            .map(|(k, port)| format!("/ip4/127.0.0.1/tcp/{port}/p2p/{}", k.peer_id()))
            .collect();
        let mut nodes = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let home = dir.path().join(format!("node{i}"));
            std::fs::create_dir_all(&home).expect("home");
            let key_path = dir.path().join(format!("key{i}"));
            key.write_new(&key_path).expect("key file");
            let api: SocketAddr = format!("127.0.0.1:{}", ports.pick()).parse().expect("addr");
            let peers: Vec<&str> = addrs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, a)| a.as_str())
                .collect();
            let out = Command::new(bin())
                .args(["init", "--genesis"])
                .arg(&genesis_path)
                .arg("--key")
                .arg(&key_path)
                .arg("--home")
                .arg(&home)
                .args(["--p2p-listen", &format!("/ip4/127.0.0.1/tcp/{}", p2p[i])])
                .args(["--api-listen", &api.to_string()])
                .args(["--peers", &peers.join(",")])
                .args(["--admin-api", "true"])
                .args(["--log-filter", "info,tradeledger_node=debug"])
                .output()
                .expect("run init");
            assert!(
                out.status.success(),
                "init failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            nodes.push(Node {
                index: i,
                home,
                api,
                p2p_port: p2p[i],
                peer_id: key.peer_id().to_base58(),
                child: None,
            });
        }
        Cluster {
            dir,
            nodes,
            genesis,
        }
    }

    /// Starts node `i` (appending to its log file).
    pub fn start(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(node.home.join("node.log"))
            .expect("log file");
        let child = Command::new(bin())
            .arg("run")
            .arg("--home")
            .arg(&node.home)
            // Test clients post from 127.0.0.1 as fast as they can: no per-client limit.
            .arg("--api-write-requests-per-s=0")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn node");
        node.child = Some(child);
    }

    /// Starts every node.
    pub fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.start(i);
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let pid = child.id().to_string();
            let ok = Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "could not signal node {i}");
            let status = wait_for(
                "node to exit after SIGTERM",
                Duration::from_secs(20),
                || child.try_wait().ok().flatten(),
            );
            assert!(
                status.success(),
                "node {i} exited with {status} after SIGTERM; log:\n{}",
                self.log_tail(i)
            );
        }
    }

    /// Kills with SIGKILL (no chance to clean up).
    pub fn kill9(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
    }

    /// The last lines of a node's log.
    pub fn log_tail(&self, i: usize) -> String {
        let text = std::fs::read_to_string(self.nodes[i].home.join("node.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The node's committed height, if it answers.
    pub fn height(&self, i: usize) -> Option<u64> {
        http::get(self.nodes[i].api, "/v1/status")
            .filter(|r| r.status == 200)
            .and_then(|r| r.json()["height"].as_u64())
    }

    /// Waits until node `i` answers and has committed at least `h`.
    pub fn wait_height(&self, i: usize, h: u64, timeout: Duration) -> u64 {
        wait_for(&format!("node {i} to reach height {h}"), timeout, || {
            self.height(i).filter(|x| *x >= h)
        })
    }

    /// Submits an event (canonical CBOR) to node `i`; returns the id hex.
    pub fn submit(&self, i: usize, event: &SignedEvent) -> String {
        let r = http::post_cbor(self.nodes[i].api, "/v1/events", &event.to_bytes())
            .expect("node answers");
        assert_eq!(
            r.status,
            202,
            "submission refused: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()["id"].as_str().expect("id").to_owned()
    }

    /// Waits until event `id` is committed on node `i`; returns its status JSON.
    pub fn wait_committed(&self, i: usize, id: &str, timeout: Duration) -> serde_json::Value {
        wait_for(
            &format!("event {id} committed on node {i}"),
            timeout,
            || {
                let r = http::get(self.nodes[i].api, &format!("/v1/events/{id}"))?;
                let v = r.json();
                (v["status"] == "committed").then_some(v)
            },
        )
    }

    /// Canonical CBOR of block `h` with its certificate, from node `i`.
    pub fn block_cbor(&self, i: usize, h: u64) -> Option<Vec<u8>> {
        http::get(self.nodes[i].api, &format!("/v1/blocks/{h}?format=cbor"))
            .filter(|r| r.status == 200)
            .map(|r| r.body)
    }

    pub fn home(&self, i: usize) -> &Path {
        &self.nodes[i].home
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for i in 0..self.nodes.len() {
                eprintln!("===== node {i} log (tail) =====\n{}", self.log_tail(i));
            }
        }
        for n in &mut self.nodes {
            if let Some(mut c) = n.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}
