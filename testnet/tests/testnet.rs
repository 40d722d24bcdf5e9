//! The testnet end to end, with real node processes on 127.0.0.1: the demo runs to a verified
//! end, and a fault sequence (kill one validator, the rest keep committing, restart it, it
//! catches up) holds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn testnet_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tradeledger-testnet"))
}

/// The node binary next to ours (cargo builds it for the node's own integration tests).
fn node_bin() -> PathBuf {
    let p = testnet_bin().parent().unwrap().join("tradeledger");
    assert!(
        p.exists(),
        "{} missing: build it with `cargo build -p tradeledger-node`",
        p.display()
    );
    p
}

fn testnet(dir: &Path, args: &[&str]) -> Output {
    Command::new(testnet_bin())
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env("TRADELEDGER_BIN", node_bin())
        .output()
        .expect("running tradeledger-testnet")
}

/// Stops the network when the test ends, pass or fail.
struct Down(PathBuf);

impl Drop for Down {
    fn drop(&mut self) {
        let out = testnet(&self.0, &["down"]);
        if !out.status.success() {
            eprintln!("down failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

fn status(dir: &Path) -> serde_json::Value {
    let out = testnet(dir, &["status", "--output", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn height(s: &serde_json::Value, node: &str) -> Option<u64> {
    s["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == node)
        .and_then(|n| n["height"].as_u64())
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn demo_runs_to_a_verified_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let _down = Down(dir.clone());
    let out = testnet(&dir, &["demo"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "lane red",
        "risk.cold_chain_excursion",
        "risk.rfid_mismatch",
        "ipr.possible_counterfeit",
        "lane green",
        "demo complete",
    ] {
        assert!(
            stdout.contains(expected),
            "demo output lacks {expected:?}:\n{stdout}"
        );
    }
}

#[test]
fn kill_one_validator_commits_continue_and_it_catches_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let _down = Down(dir.clone());
    let out = testnet(&dir, &["up"]);
    assert!(
        out.status.success(),
        "up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = status(&dir);
    assert_eq!(s["nodes"].as_array().unwrap().len(), 4);
    assert!(s["genesis"].as_str().unwrap().ends_with("genesis.toml"));

    let out = testnet(&dir, &["fault", "kill", "carrier"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = status(&dir);
    let carrier = s["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "carrier")
        .unwrap()
        .clone();
    assert_eq!(carrier["running"], false);
    let before = height(&s, "shipper").unwrap();
    wait_until(
        "the other three commit 5 more blocks",
        Duration::from_secs(60),
        || {
            let s = status(&dir);
            ["shipper", "customs", "quarantine"]
                .iter()
                .all(|n| height(&s, n).is_some_and(|h| h >= before + 5))
        },
    );

    let out = testnet(&dir, &["fault", "restart", "carrier"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = height(&status(&dir), "shipper").unwrap();
    wait_until(
        "the restarted carrier catches up",
        Duration::from_secs(60),
        || height(&status(&dir), "carrier").is_some_and(|h| h >= target),
    );
}
