//! Finding (and, under `cargo run`, building) the `tradeledger` node binary.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::Command;

/// Path of the `tradeledger` binary: `$TRADELEDGER_BIN`, else the one next to this executable.
/// When this program was started by `cargo run`, the node binary is rebuilt first (a no-op when
/// it is current) so the two never drift apart.
pub fn node_binary() -> Result<PathBuf> {
    static FOUND: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    if let Some(p) = FOUND.get() {
        return Ok(p.clone());
    }
    let p = locate()?;
    Ok(FOUND.get_or_init(|| p).clone())
}

fn locate() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("TRADELEDGER_BIN") {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe().context("cannot locate the current executable")?;
    let dir = me.parent().context("executable has no parent directory")?;
    let bin = dir.join("tradeledger");
    if let (Some(cargo), Some(manifest)) = (
        std::env::var_os("CARGO"),
        std::env::var_os("CARGO_MANIFEST_DIR"),
    ) {
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "tradeledger-node",
            "--bin",
            "tradeledger",
        ])
        .current_dir(PathBuf::from(manifest));
        if dir.ends_with("release") {
            cmd.arg("--release");
        }
        if !bin.exists() {
            eprintln!(
                "building the tradeledger node binary (the first build takes several minutes)..."
            );
        }
        let status = cmd.status().context("running cargo build for the node")?;
        if !status.success() {
            bail!("building the tradeledger node binary failed");
        }
    }
    if !bin.exists() {
        bail!(
            "{} not found: build it with `cargo build -p tradeledger-node` or set TRADELEDGER_BIN",
            bin.display()
        );
    }
    Ok(bin)
}
