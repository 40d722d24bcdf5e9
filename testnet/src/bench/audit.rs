//! `tradeledger audit verify` over the bench's chain: events checked per second.

use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// What the audit run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// Blocks verified.
    pub blocks: u64,
    /// Events checked (signatures, Merkle roots, re-execution).
    pub events: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Events checked per second.
    pub events_per_s: f64,
}

/// Runs `node_bin audit verify` against `url` with the genesis file, from an empty state dir.
pub fn verify(node_bin: &Path, url: &str, genesis: &Path, state_dir: &Path) -> Result<Audit> {
    if state_dir.exists() {
        std::fs::remove_dir_all(state_dir)?;
    }
    let t = Instant::now();
    let out = Command::new(node_bin)
        .args(["audit", "verify", "--quiet", "--node", url, "--genesis"])
        .arg(genesis)
        .arg("--state-dir")
        .arg(state_dir)
        .output()
        .context("running tradeledger audit verify")?;
    let seconds = t.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "audit verify failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // "... (N blocks this run, resumed from H; M events checked)"
    let number_before = |what: &str| -> Option<u64> {
        let i = text.find(what)?;
        text[..i]
            .split_whitespace()
            .last()?
            .trim_matches('(')
            .parse()
            .ok()
    };
    let (Some(blocks), Some(events)) = (
        number_before(" blocks this run"),
        number_before(" events checked"),
    ) else {
        bail!("unexpected audit output: {text}");
    };
    Ok(Audit {
        blocks,
        events,
        seconds,
        events_per_s: events as f64 / seconds.max(1e-9),
    })
}
