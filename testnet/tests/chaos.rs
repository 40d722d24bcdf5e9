//! A short crash loop under load on real node processes: a validator is `kill -9`ed every few
//! seconds and restarted while events are posted; afterwards every validator holds the same
//! chain and every event seen committed is committed everywhere, applied, and none is lost.
//! The long run (several minutes) is `tradeledger-testnet chaos` with its defaults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

#[test]
fn crash_loop_under_load_loses_nothing_and_chains_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let _down = Down(dir.clone());
    let out = testnet(&dir, &["up"]);
    assert!(
        out.status.success(),
        "up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A fixed seed: the same kills every run (and a failure replays with the same command).
    let out = testnet(
        &dir,
        &[
            "chaos",
            "--duration",
            "30",
            "--kill-every",
            "5",
            "--rate",
            "100",
            "--seed",
            "20261121",
            "--settle",
            "60",
            "--output",
            "json",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("chaos printed no report ({e}):\n{stderr}"));
    let events = &report["events"];
    let consistency = &report["consistency"];
    assert!(out.status.success(), "chaos failed:\n{report:#}\n{stderr}");
    assert!(report["kills"].as_u64().unwrap() >= 4, "{report:#}");
    assert_eq!(report["kills"], report["restarts"]);
    assert_eq!(events["submitted"], 3000, "{report:#}");
    assert_eq!(events["committed"], events["submitted"], "{report:#}");
    assert_eq!(events["never_committed"], 0, "{report:#}");
    assert_eq!(events["lost"], 0, "{report:#}");
    assert_eq!(consistency["chains_identical"], true, "{report:#}");
    assert_eq!(consistency["state_roots_equal"], true, "{report:#}");
    assert_eq!(consistency["events_not_applied"], 0, "{report:#}");
    assert!(consistency["compared_height"].as_u64().unwrap() > 0);
    let heights = consistency["final_heights"].as_object().unwrap();
    assert_eq!(heights.len(), 4);
}
