//! `tradeledger query shipment|event|block|status --node URL`: readable tables by default,
//! `--output json` for scripts.

use anyhow::{Context, Result};
use serde_json::Value;
use std::fmt::Write as _;
use tradeledger_sdk::client::BlockingClient;

/// Output of the query commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Readable tables.
    Table,
    /// The node's JSON, pretty-printed.
    Json,
}

/// What to query.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum What {
    /// A shipment: lane, flags, verdicts, timeline.
    Shipment {
        /// Shipment id.
        id: String,
        /// First timeline entry shown (0 is the declaration).
        #[arg(long, default_value_t = 0)]
        timeline_from: u32,
        /// Timeline entries shown (the node returns at most 1 000).
        #[arg(long, default_value_t = 200)]
        timeline_limit: u32,
    },
    /// An event: status, height, outcome, flags.
    Event {
        /// Event id (64 hex characters).
        id: String,
    },
    /// A block by height, or `latest`.
    Block {
        /// Height or `latest`.
        height: String,
    },
    /// The node: chain, height, round, peers.
    Status,
}

fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// Runs a query and returns the text to print.
pub fn run(node: &str, what: &What, output: Output) -> Result<String> {
    let client = BlockingClient::new(node)?;
    let v: Value = match what {
        What::Shipment {
            id,
            timeline_from,
            timeline_limit,
        } => client
            .shipment_page(id, *timeline_from, *timeline_limit)
            .with_context(|| format!("shipment {id}"))?,
        What::Event { id } => {
            let id: tradeledger_types::EventId =
                id.parse().with_context(|| format!("event id {id:?}"))?;
            client.get_json(&format!("/v1/events/{id}"))?
        }
        What::Block { height } => {
            let path = if height == "latest" {
                "/v1/blocks/latest".to_owned()
            } else {
                let h: u64 = height.parse().with_context(|| {
                    format!("block height {height:?} is not a number or `latest`")
                })?;
                format!("/v1/blocks/{h}")
            };
            client.get_json(&path)?
        }
        What::Status => client.get_json("/v1/status")?,
    };
    if output == Output::Json {
        return Ok(serde_json::to_string_pretty(&v)?);
    }
    let mut out = String::new();
    match what {
        What::Shipment { id, .. } => {
            writeln!(out, "shipment {id}   lane {}", s(&v["lane"]).to_uppercase())?;
            writeln!(out, "\nflags")?;
            let flags = v["flags"].as_array().cloned().unwrap_or_default();
            if flags.is_empty() {
                writeln!(out, "  none")?;
            }
            for f in flags {
                writeln!(
                    out,
                    "  {:<30} {:<9} v{:<3} height {:<6} {}",
                    s(&f["rule_id"]),
                    s(&f["severity"]),
                    s(&f["rule_set_version"]),
                    s(&f["height"]),
                    s(&f["detail"])
                )?;
            }
            writeln!(out, "\ntimeline")?;
            writeln!(
                out,
                "  {:<7} {:<22} {:<22} event",
                "height", "kind", "organisation"
            )?;
            for t in v["timeline"].as_array().cloned().unwrap_or_default() {
                writeln!(
                    out,
                    "  {:<7} {:<22} {:<22} {}",
                    s(&t["height"]),
                    s(&t["kind"]),
                    s(&t["org"]),
                    s(&t["event_id"])
                )?;
            }
            if let Some(next) = v["timeline_next"].as_u64() {
                writeln!(out, "  ... more entries: --timeline-from {next}")?;
            }
        }
        What::Event { .. } => {
            for k in [
                "id",
                "status",
                "height",
                "index",
                "block_hash",
                "outcome",
                "reject_code",
                "reason",
            ] {
                if !v[k].is_null() {
                    writeln!(out, "{k:<12} {}", s(&v[k]))?;
                }
            }
            for f in v["flags"].as_array().cloned().unwrap_or_default() {
                writeln!(
                    out,
                    "flag         {} [{}] {}",
                    s(&f["rule_id"]),
                    s(&f["severity"]),
                    s(&f["detail"])
                )?;
            }
        }
        What::Block { .. } => {
            let h = &v["block"]["header"];
            for k in [
                "height",
                "round",
                "parent_hash",
                "proposer",
                "block_time_ms",
                "event_count",
                "events_root",
                "state_root",
                "results_root",
            ] {
                writeln!(out, "{k:<14} {}", s(&h[k]))?;
            }
            writeln!(out, "{:<14} {}", "hash", s(&v["hash"]))?;
        }
        What::Status => {
            if let Value::Object(m) = &v {
                for (k, val) in m {
                    writeln!(out, "{k:<20} {}", s(val))?;
                }
            }
        }
    }
    Ok(out)
}
