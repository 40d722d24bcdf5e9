//! Benchmark: blocks committed and messages processed per second of wall-clock time when the
//! simulator runs a healthy network of real cores with real ed25519 signatures (votes, QCs,
//! proposals and their verification), one thread, empty blocks.
//!
//! ```text
//! cargo run -p tradeledger-consensus --release --example bench
//! ```
//!
//! Options: `--sim-seconds S` (simulated time per run, default 120), `--runs R` (default 3;
//! the median is reported).

use std::time::Instant;

use anyhow::{Context, bail};
use tradeledger_consensus::sim::{self, SimConfig};

fn main() -> anyhow::Result<()> {
    let mut sim_seconds: u64 = 120;
    let mut runs: usize = 3;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--sim-seconds" => sim_seconds = value.parse()?,
            "--runs" => runs = value.parse()?,
            other => bail!("unknown option {other}"),
        }
    }
    println!(
        "| validators | blocks committed | messages processed | wall s | blocks/s | messages/s | inputs/s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for validators in [4usize, 7] {
        let mut results = Vec::new();
        for run in 0..runs.max(1) {
            let cfg = SimConfig::healthy(run as u64, validators, sim_seconds * 1_000);
            let started = Instant::now();
            let report = sim::run(&cfg);
            let wall = started.elapsed().as_secs_f64();
            if !report.ok() {
                bail!(
                    "benchmark run failed: {:?} {:?}",
                    report.violations,
                    report.liveness_failure
                );
            }
            results.push((report.blocks_committed as f64 / wall, wall, report));
        }
        results.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (blocks_per_s, wall, r) = &results[results.len() / 2];
        println!(
            "| {validators} | {} | {} | {wall:.2} | {blocks_per_s:.0} | {:.0} | {:.0} |",
            r.blocks_committed,
            r.messages_delivered,
            r.messages_delivered as f64 / wall,
            r.inputs_processed as f64 / wall,
        );
    }
    Ok(())
}
