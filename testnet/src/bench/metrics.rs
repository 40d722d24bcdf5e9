//! Reading a node's Prometheus metrics.

use std::collections::BTreeMap;
use tradeledger_sdk::client::Client;

/// One scrape: series (name with labels) → value.
#[derive(Debug, Clone, Default)]
pub struct Scrape(pub BTreeMap<String, f64>);

impl Scrape {
    /// `GET /metrics` of the node (empty when it does not answer).
    pub async fn of(client: &Client) -> Scrape {
        let Ok(bytes) = client.get_bytes("/metrics").await else {
            return Scrape::default();
        };
        let text = String::from_utf8_lossy(&bytes);
        Scrape(
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.rsplit_once(' '))
                .filter_map(|(k, v)| v.parse::<f64>().ok().map(|v| (k.to_owned(), v)))
                .collect(),
        )
    }

    /// The sum of every series of `name` (any labels).
    pub fn sum(&self, name: &str) -> f64 {
        self.0
            .iter()
            .filter(|(k, _)| *k == name || k.starts_with(&format!("{name}{{")))
            .map(|(_, v)| v)
            .sum()
    }

    /// The name of a round-timeout counter, if the node exports one.
    pub fn timeout_counter(&self) -> Option<String> {
        self.0
            .keys()
            .map(|k| k.split('{').next().unwrap_or(k))
            .find(|k| k.contains("timeout") && k.ends_with("_total"))
            .map(str::to_owned)
    }
}

/// Round timeouts between two scrapes of one node: the node's timeout counter when it has one,
/// otherwise rounds that did not commit a block (rounds advanced − heights advanced), which is
/// the same count when every successful round commits one block. Returns the figure and its
/// source.
pub fn timeouts(before: &Scrape, after: &Scrape) -> (u64, String) {
    if let Some(name) = after.timeout_counter() {
        let d = after.sum(&name) - before.sum(&name);
        return (d.max(0.0) as u64, name);
    }
    let rounds = after.sum("tradeledger_round") - before.sum("tradeledger_round");
    let heights = after.sum("tradeledger_height") - before.sum("tradeledger_height");
    (
        (rounds - heights).max(0.0) as u64,
        "Δtradeledger_round − Δtradeledger_height".into(),
    )
}
