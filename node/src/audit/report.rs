//! `audit report SHIPMENT`: a shipment dossier with every event's proof checked.

use super::{check_proof, fetch_proof};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;
use tradeledger_sdk::client::BlockingClient;
use tradeledger_types::{EventId, Genesis};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown, for people.
    Md,
    /// JSON, for programs.
    Json,
    /// CSV of the timeline, for spreadsheets.
    Csv,
}

/// One event of the dossier.
#[derive(Debug, Clone, Serialize)]
pub struct DossierEvent {
    /// Event id.
    pub event_id: String,
    /// Event kind.
    pub kind: String,
    /// Organisation that signed it.
    pub org: String,
    /// Signer key.
    pub signer: String,
    /// Block height.
    pub height: u64,
    /// Block time (Unix ms).
    pub block_time_ms: u64,
    /// `verified` or `FAILED: reason`.
    pub proof: String,
}

/// The dossier.
#[derive(Debug, Clone, Serialize)]
pub struct Dossier {
    /// Shipment id.
    pub shipment_id: String,
    /// Chain id.
    pub chain_id: String,
    /// Current lane.
    pub lane: Value,
    /// Flags (rule id, severity, rule-set version, height, detail, evidence).
    pub flags: Value,
    /// Origin, IPR and treatment verdicts.
    pub verdicts: Value,
    /// Lane changes.
    pub lane_history: Value,
    /// Events, in order, with proof status.
    pub events: Vec<DossierEvent>,
}

/// Timeline entries fetched per request while paging.
const TIMELINE_PAGE: u32 = 1_000;

/// Every timeline entry of a shipment: `first` (the answer to the plain `GET`) and the pages
/// that follow it.
fn whole_timeline(client: &BlockingClient, shipment: &str, first: &Value) -> Result<Vec<Value>> {
    let page_of = |v: &Value| {
        (
            v.get("timeline")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            v.get("timeline_next").and_then(Value::as_u64),
        )
    };
    let (mut all, mut next) = page_of(first);
    while let Some(from) = next {
        let from = u32::try_from(from).context("timeline_next is not a 32-bit entry number")?;
        let page = client
            .shipment_page(shipment, from, TIMELINE_PAGE)
            .with_context(|| format!("shipment {shipment} timeline from entry {from}"))?;
        let (entries, after) = page_of(&page);
        if entries.is_empty() || after.is_some_and(|a| a <= u64::from(from)) {
            bail!("shipment {shipment}: the node's timeline page from {from} does not advance");
        }
        all.extend(entries);
        next = after;
    }
    Ok(all)
}

/// Builds the dossier, fetching and checking a proof for every event.
pub fn build(client: &BlockingClient, genesis: &Genesis, shipment: &str) -> Result<Dossier> {
    let s = client
        .shipment(shipment)
        .with_context(|| format!("shipment {shipment}"))?;
    let timeline = whole_timeline(client, shipment, &s)?;
    let mut events = Vec::new();
    for t in timeline {
        let id_hex = t
            .get("event_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let id: EventId = id_hex
            .parse()
            .with_context(|| format!("timeline event id {id_hex:?}"))?;
        let (signer, proof) = match fetch_proof(client, &id) {
            Ok(p) => {
                let signer = p.event.body.signer.to_hex();
                match check_proof(&p, genesis) {
                    Ok(()) => (signer, "verified".to_owned()),
                    Err(e) => (signer, format!("FAILED: {e:#}")),
                }
            }
            Err(e) => (String::new(), format!("FAILED: {e:#}")),
        };
        events.push(DossierEvent {
            event_id: id_hex,
            kind: t
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            org: t
                .get("org")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            signer,
            height: t.get("height").and_then(Value::as_u64).unwrap_or(0),
            block_time_ms: t.get("block_time_ms").and_then(Value::as_u64).unwrap_or(0),
            proof,
        });
    }
    Ok(Dossier {
        shipment_id: shipment.to_owned(),
        chain_id: genesis.chain_id.clone(),
        lane: s.get("lane").cloned().unwrap_or(Value::Null),
        flags: s.get("flags").cloned().unwrap_or(Value::Null),
        verdicts: s.get("verdicts").cloned().unwrap_or(Value::Null),
        lane_history: s.get("lane_history").cloned().unwrap_or(Value::Null),
        events,
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Renders the dossier.
pub fn render(d: &Dossier, format: Format) -> Result<String> {
    let mut out = String::new();
    match format {
        Format::Json => out = serde_json::to_string_pretty(d)?,
        Format::Csv => {
            writeln!(out, "event_id,kind,org,signer,height,block_time_ms,proof")?;
            for e in &d.events {
                let row = [
                    &e.event_id,
                    &e.kind,
                    &e.org,
                    &e.signer,
                    &e.height.to_string(),
                    &e.block_time_ms.to_string(),
                    &e.proof,
                ];
                writeln!(
                    out,
                    "{}",
                    row.iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(",")
                )?;
            }
        }
        Format::Md => {
            writeln!(out, "# Shipment {} on {}\n", d.shipment_id, d.chain_id)?;
            writeln!(out, "**Lane:** {}\n", text(&d.lane))?;
            writeln!(out, "## Flags\n")?;
            let flags = d.flags.as_array().cloned().unwrap_or_default();
            if flags.is_empty() {
                writeln!(out, "None.\n")?;
            } else {
                writeln!(
                    out,
                    "| rule | severity | rule set | height | detail |\n|---|---|---|---|---|"
                )?;
                for f in flags {
                    writeln!(
                        out,
                        "| {} | {} | v{} | {} | {} |",
                        text(&f["rule_id"]),
                        text(&f["severity"]),
                        f["rule_set_version"],
                        f["height"],
                        text(&f["detail"])
                    )?;
                }
                writeln!(out)?;
            }
            writeln!(out, "## Verdicts\n")?;
            for v in d.verdicts.as_array().cloned().unwrap_or_default() {
                writeln!(out, "- height {}: `{}`", v["height"], v["record"])?;
            }
            writeln!(out, "\n## Lane history\n")?;
            for l in d.lane_history.as_array().cloned().unwrap_or_default() {
                writeln!(out, "- height {}: `{}`", l["height"], l["change"])?;
            }
            writeln!(
                out,
                "\n## Timeline\n\n| height | kind | signed by | event | proof |\n|---|---|---|---|---|"
            )?;
            for e in &d.events {
                writeln!(
                    out,
                    "| {} | {} | {} | `{}` | {} |",
                    e.height,
                    e.kind,
                    e.org,
                    &e.event_id[..16.min(e.event_id.len())],
                    e.proof
                )?;
            }
        }
    }
    Ok(out)
}
