//! Fault injection on the running network: kill, restart, pause, resume, partition, heal.

use crate::network::{Network, NodeEntry};
use crate::{binary, process};
use anyhow::{Context, Result};
use clap::ValueEnum;
use nix::sys::signal::Signal;
use std::path::Path;

/// A fault.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Action {
    /// SIGKILL the node (like a power cut).
    Kill,
    /// Start the node again (after kill or down), with its data.
    Restart,
    /// SIGSTOP: the process freezes, its connections stay open.
    Pause,
    /// SIGCONT after pause.
    Resume,
    /// Cut the node's links to every other validator (both directions).
    Partition,
    /// Restore the node's links.
    Heal,
}

/// Applies `action` to each named node.
pub fn run(dir: &Path, action: Action, names: &[String]) -> Result<()> {
    let network = Network::load(dir)?;
    let nodes: Vec<&NodeEntry> = names
        .iter()
        .map(|n| network.node(n))
        .collect::<Result<_>>()?;
    for node in nodes {
        match action {
            Action::Kill => {
                let pid = process::signal(dir, node, Signal::SIGKILL)?;
                println!("killed {} (pid {pid})", node.name);
            }
            Action::Restart => {
                let pid = process::start(dir, node, &binary::node_binary()?)?;
                println!("started {} (pid {pid})", node.name);
            }
            Action::Pause => {
                process::signal(dir, node, Signal::SIGSTOP)?;
                println!("paused {}", node.name);
            }
            Action::Resume => {
                process::signal(dir, node, Signal::SIGCONT)?;
                println!("resumed {}", node.name);
            }
            Action::Partition | Action::Heal => {
                let cut = matches!(action, Action::Partition);
                // A link is cut when either end refuses it: tell the node and every other node.
                for other in network.nodes.iter().filter(|o| o.name != node.name) {
                    set_link(other, &node.peer_id, cut)?;
                    set_link(node, &other.peer_id, cut)?;
                }
                println!(
                    "{} {}",
                    if cut { "partitioned" } else { "healed" },
                    node.name
                );
            }
        }
    }
    Ok(())
}

fn set_link(at: &NodeEntry, peer: &str, cut: bool) -> Result<()> {
    let client = tradeledger_sdk::client::BlockingClient::new(&Network::url(at))?;
    client
        .admin_peer_filter(peer, cut)
        .with_context(|| format!("setting the peer filter on {}", at.name))
}
