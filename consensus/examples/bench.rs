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
//!
//! Rates are given per second of wall-clock time and, on Linux, per second of this thread's CPU
//! time (from `/proc/thread-self/stat`, 100 ticks per second), which stays meaningful when other
//! work shares the machine.

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
        "| validators | blocks committed | messages processed | wall s | CPU s | blocks/s (wall) | messages/s (wall) | blocks/s (CPU) | messages/s (CPU) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for validators in [4usize, 7] {
        let mut results = Vec::new();
        for run in 0..runs.max(1) {
            let cfg = SimConfig::healthy(run as u64, validators, sim_seconds * 1_000);
            let started = Instant::now();
            let cpu_before = thread_cpu_seconds();
            let report = sim::run(&cfg);
            let wall = started.elapsed().as_secs_f64();
            let cpu = match (cpu_before, thread_cpu_seconds()) {
                (Some(a), Some(b)) if b > a => b - a,
                _ => wall,
            };
            if !report.ok() {
                bail!(
                    "benchmark run failed: {:?} {:?}",
                    report.violations,
                    report.liveness_failure
                );
            }
            results.push((report.blocks_committed as f64 / cpu, wall, cpu, report));
        }
        results.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (_, wall, cpu, r) = &results[results.len() / 2];
        let (blocks, messages) = (r.blocks_committed as f64, r.messages_delivered as f64);
        println!(
            "| {validators} | {} | {} | {wall:.2} | {cpu:.2} | {:.0} | {:.0} | {:.0} | {:.0} |",
            r.blocks_committed,
            r.messages_delivered,
            blocks / wall,
            messages / wall,
            blocks / cpu,
            messages / cpu,
        );
    }
    Ok(())
}

/// CPU time (user + system) of the calling thread, from `/proc/thread-self/stat`; `None` off
/// Linux.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, i.e. 11 and 12 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}
