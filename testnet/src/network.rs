//! The testnet manifest (`DIR/testnet.toml`): which nodes and identities make up the network.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// File name of the manifest inside the testnet directory.
pub const MANIFEST: &str = "testnet.toml";

/// One validator node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeEntry {
    /// Short name (`shipper`, `carrier`, `customs`, `quarantine`, `agency-5`, ...).
    pub name: String,
    /// Organisation operating it.
    pub org: String,
    /// Home directory, relative to the testnet directory.
    pub home: PathBuf,
    /// HTTP API address (`127.0.0.1:PORT`).
    pub api: String,
    /// libp2p TCP port on 127.0.0.1.
    pub p2p_port: u16,
    /// libp2p peer id.
    pub peer_id: String,
}

/// A signing identity of an organisation (for the demo and the load generator).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityEntry {
    /// Short name (`shipper`, `rights_holder`, `auditor`, ...).
    pub name: String,
    /// Organisation id in genesis.
    pub org: String,
    /// Key file (seed hex), relative to the testnet directory.
    pub key: PathBuf,
}

/// The manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Network {
    /// Chain id.
    pub chain_id: String,
    /// Genesis file, relative to the testnet directory.
    pub genesis: PathBuf,
    /// Validators.
    pub nodes: Vec<NodeEntry>,
    /// Organisation signing identities.
    pub identities: Vec<IdentityEntry>,
}

impl Network {
    /// Reads `DIR/testnet.toml`.
    pub fn load(dir: &Path) -> Result<Network> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no testnet in {} (run `tradeledger-testnet up --dir {}` first)",
                dir.display(),
                dir.display()
            )
        })?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid testnet manifest", path.display()))
    }

    /// Writes `DIR/testnet.toml`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST);
        std::fs::write(&path, toml::to_string_pretty(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// The node with this name.
    pub fn node(&self, name: &str) -> Result<&NodeEntry> {
        self.nodes.iter().find(|n| n.name == name).with_context(|| {
            let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
            format!("no node named {name:?}; nodes are {}", names.join(", "))
        })
    }

    /// The identity with this name.
    pub fn identity(&self, name: &str) -> Result<&IdentityEntry> {
        self.identities
            .iter()
            .find(|i| i.name == name)
            .with_context(|| format!("no identity named {name:?} in the testnet"))
    }

    /// Base URL of a node's API.
    pub fn url(node: &NodeEntry) -> String {
        format!("http://{}", node.api)
    }
}
