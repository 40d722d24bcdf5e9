//! `tradeledger-testnet bench --quick` runs the whole performance matrix small on real node
//! processes and writes a Markdown table with a number in every row. The values are not
//! asserted (timing belongs in BENCHMARKS.md); the full run is `tradeledger-testnet bench`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

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

/// The rows the table must hold, each with figures.
const ROWS: [&str; 11] = [
    "verification bound",
    "client signing",
    "4 validators, offered",
    "maximum throughput, 4 validators",
    "half the maximum",
    "maximum throughput, 7 validators",
    "filling the chain",
    "throughput on the filled chain",
    "`GET /v1/shipments/{id}`",
    "`tradeledger audit verify`",
    "catch-up of a stopped validator",
];

#[test]
fn quick_bench_writes_every_row_with_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let out_file = tmp.path().join("bench.md");
    let out = Command::new(testnet_bin())
        .arg("--dir")
        .arg(&dir)
        .args(["bench", "--quick", "--out"])
        .arg(&out_file)
        .env("TRADELEDGER_BIN", node_bin())
        .output()
        .expect("running tradeledger-testnet bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(table, stdout, "--out holds what was printed");
    assert!(table.contains("Machine: "), "{table}");
    assert!(table.contains("| # | measure | measured | target | met |"));
    for row in ROWS {
        let line = table
            .lines()
            .find(|l| l.starts_with('|') && l.contains(row))
            .unwrap_or_else(|| panic!("no row {row:?} in\n{table}"));
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | # | measure | measured | target | met |
        assert_eq!(cells.len(), 7, "{line}");
        assert!(
            cells[3].chars().any(|c| c.is_ascii_digit()),
            "row {row:?} has no measured figure: {line}"
        );
        assert!(!cells[4].is_empty() && !cells[5].is_empty(), "{line}");
    }
    // The shipment row says whether the queries ran on an idle chain.
    assert!(
        table
            .lines()
            .any(|l| l.contains("GET /v1/shipments") && l.contains("mempools")),
        "{table}"
    );
    // Every node of both networks is stopped at the end.
    for n in ["bench-4", "bench-7"] {
        for entry in std::fs::read_dir(dir.join(n).join("nodes")).unwrap() {
            let pid: i32 = std::fs::read_to_string(entry.unwrap().path().join("node.pid"))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| !s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')));
            assert!(!alive, "node pid {pid} of {n} still runs");
        }
    }
}

#[test]
fn catch_up_restores_a_validator_behind_and_counts_what_it_caught_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let out = Command::new(testnet_bin())
        .arg("--dir")
        .arg(&dir)
        .args([
            "catch-up",
            "--blocks",
            "30",
            "--block-events-max",
            "5",
            "--rate",
            "200",
            "--output",
            "json",
        ])
        .env("TRADELEDGER_BIN", node_bin())
        .output()
        .expect("running tradeledger-testnet catch-up");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "catch-up failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let blocks = r["blocks_behind"].as_u64().unwrap();
    let events = r["events"].as_u64().unwrap();
    assert!(blocks >= 30, "{r}");
    // Every caught-up block holds at most 5 events (the genesis cap), and load was running.
    assert!(events > 0 && events <= blocks * 5, "{r}");
    assert!(r["seconds"].as_f64().unwrap() > 0.0, "{r}");
    // The restarted validator is the same one the copy was taken from, and reached the others.
    assert_eq!(r["node"], "quarantine", "{r}");
    let genesis = std::fs::read_to_string(dir.join("catch-up").join("genesis.toml")).unwrap();
    assert!(genesis.contains("block_events_max = 5"), "{genesis}");
}
