//! One real `tradeledger` validator (n = 1, it forms every quorum alone) on 127.0.0.1, and a
//! raw HTTP/1.1 client that can pick its source address and shows the answer's headers. Shared
//! by the API abuse and schemathesis tests.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tradeledger_contracts::testkit;
use tradeledger_node::keys::NodeKey;
use tradeledger_types::codec;
use tradeledger_types::{CertifiedBlock, SignedEvent, ValidatorInfo};

use super::support;

/// How long a test waits for a commit.
pub const COMMIT_WAIT: Duration = Duration::from_secs(30);

/// One validator (n = 1: it forms every quorum alone), started with extra `init` flags.
pub struct OneNode {
    _dir: tempfile::TempDir,
    /// Home directory.
    pub home: PathBuf,
    /// API address.
    pub api: SocketAddr,
    child: Option<Child>,
}

impl OneNode {
    pub fn start(extra: &[&str]) -> OneNode {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = NodeKey::from_seed([210; 32]);
        let mut genesis = testkit::genesis();
        genesis.validators = vec![ValidatorInfo {
            name: "validator-0".into(),
            org: testkit::CUSTOMS.into(),
            consensus_key: key.public(),
            peer_id: key.peer_id().to_base58(),
            voting_power: 1,
        }];
        genesis.validate().expect("test genesis is valid");
        let genesis_path = dir.path().join("genesis.toml");
        std::fs::write(&genesis_path, genesis.to_toml()).expect("write genesis");
        let key_path = dir.path().join("node.key");
        key.write_new(&key_path).expect("key file");
        let home = dir.path().join("home");
        let mut ports = support::FreePorts::default();
        let api: SocketAddr = format!("127.0.0.1:{}", ports.pick()).parse().expect("addr");
        let out = Command::new(support::bin())
            .args(["init", "--genesis"])
            .arg(&genesis_path)
            .arg("--key")
            .arg(&key_path)
            .arg("--home")
            .arg(&home)
            .args([
                "--p2p-listen",
                &format!("/ip4/127.0.0.1/tcp/{}", ports.pick()),
            ])
            .args(["--api-listen", &api.to_string()])
            .args(extra)
            .output()
            .expect("run init");
        assert!(
            out.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The node binds them itself now.
        drop(ports);
        let log = std::fs::File::create(home.join("node.log")).expect("log file");
        let child = Command::new(support::bin())
            .arg("run")
            .arg("--home")
            .arg(&home)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn node");
        let node = OneNode {
            _dir: dir,
            home,
            api,
            child: Some(child),
        };
        support::wait_for("the node to commit a block", COMMIT_WAIT, || {
            let r = send(node.api, None, "GET", "/v1/status", None, b"")?;
            (r.status == 200 && r.json()["height"].as_u64() >= Some(1)).then_some(())
        });
        node
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.join("node.log")).unwrap_or_default()
    }

    /// Healthy: answers its status, is still running, and logged no panic.
    pub fn assert_healthy(&mut self) {
        let r = send(self.api, None, "GET", "/v1/status", None, b"").expect("node answers");
        assert_eq!(r.status, 200, "status after abuse");
        let exited = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten());
        assert!(exited.is_none(), "node exited: {exited:?}");
        assert!(
            !self.log().contains("panicked"),
            "node log:\n{}",
            self.log()
        );
    }

    /// Every event id in every committed block.
    pub fn committed_ids(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut from = 1u64;
        loop {
            let r = send(
                self.api,
                None,
                "GET",
                &format!("/v1/blocks?from={from}&format=cbor"),
                None,
                b"",
            )
            .expect("blocks answer");
            assert_eq!(r.status, 200);
            let page: Vec<CertifiedBlock> =
                codec::from_canonical(&r.body, 1 << 30, "blocks").expect("canonical blocks");
            let Some(last) = page.last() else { break };
            from = last.block.header.height + 1;
            for cb in &page {
                out.extend(cb.block.event_ids().iter().map(|id| id.to_hex()));
            }
        }
        out
    }
}

impl Drop for OneNode {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            eprintln!(
                "===== node log (tail) =====\n{}",
                lines[lines.len().saturating_sub(40)..].join("\n")
            );
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// An HTTP answer with its header block (lower-cased).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_owned())
        })
    }

    /// `(status, error code)`.
    pub fn error(&self) -> (u16, String) {
        (
            self.status,
            self.json()["error"]
                .as_str()
                .unwrap_or("<no code>")
                .to_owned(),
        )
    }
}

/// Connects to `api`, from `source` when given (any 127/8 address is local on Linux).
pub fn connect(api: SocketAddr, source: Option<IpAddr>) -> Option<TcpStream> {
    let Some(source) = source else {
        return TcpStream::connect_timeout(&api, Duration::from_secs(2)).ok();
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let s = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().ok()?;
        sock.bind(SocketAddr::new(source, 0)).ok()?;
        sock.connect(api).await.ok()
    })?;
    let s = s.into_std().ok()?;
    s.set_nonblocking(false).ok()?;
    Some(s)
}

/// Posts `event` as CBOR to `POST /v1/events`, checks it was accepted (202), and returns its id
/// in hex.
pub fn submit(api: SocketAddr, event: &SignedEvent) -> String {
    let r = send(
        api,
        None,
        "POST",
        "/v1/events",
        Some("application/cbor"),
        &event.to_bytes(),
    )
    .expect("node answers");
    assert_eq!(r.status, 202, "{}", r.json());
    event.id().to_hex()
}

/// Waits (at most [`COMMIT_WAIT`]) until every event of `ids` (hex) reads as committed.
pub fn wait_committed(api: SocketAddr, ids: &[String]) {
    support::wait_for("the events to commit", COMMIT_WAIT, || {
        ids.iter()
            .all(|id| {
                send(api, None, "GET", &format!("/v1/events/{id}"), None, b"")
                    .is_some_and(|r| r.json()["status"] == "committed")
            })
            .then_some(())
    });
}

/// One HTTP/1.1 request; `None` on a transport failure.
pub fn send(
    api: SocketAddr,
    source: Option<IpAddr>,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<Answer> {
    let mut s = connect(api, source)?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let ct = content_type
        .map(|c| format!("Content-Type: {c}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {api}\r\nConnection: close\r\n{ct}Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    // A server may answer (413) before reading a large body and close: keep the answer.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body)?;
    }
    Some(Answer { status, head, body })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = b.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&b[..end]).ok()?.trim(), 16).ok()?;
        b = &b[end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}
