//! `epcis import`.

use crate::cli::EpcisCommand;
use crate::run::Outbox;
use anyhow::Context as _;
use tradeledger_sdk::epcis::{ImportOptions, import_str};

pub fn main(cmd: EpcisCommand) -> anyhow::Result<()> {
    let EpcisCommand::Import {
        file,
        shipment,
        dry_run,
        node,
    } = cmd;
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let doc = import_str(&text, &ImportOptions::new(shipment))
        .with_context(|| format!("{} is not a valid EPCIS document", file.display()))?;
    let payloads: Vec<_> = doc.events.iter().flat_map(|e| e.payloads()).collect();
    for e in &doc.events {
        for s in &e.skipped {
            eprintln!("note: {}: {}", s.path, s.reason);
        }
    }
    if dry_run {
        println!("{}", serde_json::to_string_pretty(&payloads)?);
        return Ok(());
    }
    let (mut outbox, mut signer) = Outbox::open(&node)?;
    for payload in payloads {
        let event = signer.sign(payload)?;
        outbox.send(&event, signer.next_seq())?;
    }
    let report = outbox.finish(std::time::Duration::from_secs(30))?;
    if report.pending > 0 {
        eprintln!(
            "{} events stay spooled: any later `tradeledger-bridge run` or `epcis import` with \
             the same --spool delivers them (do not import the document again)",
            report.pending
        );
    }
    println!(
        "{}",
        serde_json::json!({
            "events": doc.events.len(),
            "delivered": outbox.delivered,
            "rejected": outbox.rejected,
            "pending": report.pending,
        })
    );
    Ok(())
}
