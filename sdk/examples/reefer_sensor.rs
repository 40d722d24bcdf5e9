//! A reefer container's temperature logger: six hours of one-minute readings with a door-open
//! excursion, batched by the Recorder into signed sensor reports (min/max, a Merkle root over
//! each full series), then handed to online-or-spool delivery: posted when the node answers,
//! kept in the spool (and delivered in order later) when it does not. `--dry-run` prints the
//! reports instead.
//!
//! ```text
//! cargo run -p tradeledger-sdk --example reefer_sensor -- --dry-run
//! cargo run -p tradeledger-sdk --example reefer_sensor -- --node http://127.0.0.1:8080 \
//!     --chain-id tradeledger-demo --spool /tmp/reefer-spool
//! ```

use std::time::Duration;
use tradeledger_sdk::client::{BlockingClient, Retry};
use tradeledger_sdk::delivery::Delivery;
use tradeledger_sdk::recorder::{Recorder, RecorderConfig};
use tradeledger_sdk::signer::{SeqFile, Signer};
use tradeledger_types::{Payload, SecretKey, SensorKind};

fn main() -> Result<(), String> {
    let mut dry_run = false;
    let mut node = "http://127.0.0.1:8080".to_owned();
    let mut chain_id = "tradeledger-demo".to_owned();
    let mut spool_dir = std::env::temp_dir().join("tradeledger-reefer-spool");
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--dry-run" => dry_run = true,
            "--node" => node = value()?,
            "--chain-id" => chain_id = value()?,
            "--spool" => spool_dir = value()?.into(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let key = SecretKey::from_seed([0x52; 32]); // the logger's demo key
    let mut delivery = if dry_run {
        None
    } else {
        let client = BlockingClient::new(&node)
            .map_err(|e| e.to_string())?
            .with_retry(Retry {
                attempts: 1,
                ..Retry::default()
            });
        Some(Delivery::open(&spool_dir, client).map_err(|e| e.to_string())?)
    };
    let seq_file = SeqFile::new(spool_dir.join("seq"));
    let signer = match delivery.as_mut() {
        // Resume the sequence where an earlier run left it (sequence file and spool).
        Some(d) => d
            .spool_mut()
            .restore_signer(key, chain_id, &seq_file)
            .map_err(|e| e.to_string())?,
        None => Signer::new(key, chain_id),
    };
    let config = RecorderConfig {
        readings_per_report: 120,
        window_ms: 4 * 3_600_000,
        ..RecorderConfig::default()
    };
    let mut recorder =
        Recorder::new(signer, "SHP-2026-000123", config).map_err(|e| e.to_string())?;
    let start_ms = 1_777_629_600_000u64;
    let mut reports = Vec::new();
    for minute in 0..360u64 {
        // 5.0 °C ± 0.25, with the door open for 20 minutes in the fourth hour.
        let milli_c = if (200..220).contains(&minute) {
            11_500
        } else {
            5_000 + (minute % 3) as i64 * 125
        };
        let t = start_ms + minute * 60_000;
        reports.extend(
            recorder
                .record_value("reefer-7", SensorKind::Temperature, milli_c, "CEL", t)
                .map_err(|e| e.to_string())?,
        );
    }
    reports.extend(recorder.flush_all().map_err(|e| e.to_string())?);
    for r in &reports {
        let Payload::SensorReport(report) = &r.event.body.payload else {
            continue;
        };
        let s = &report.stats[0];
        println!(
            "{}",
            serde_json::json!({
                "id": r.event.id().to_string(), "seq": r.event.body.seq,
                "readings": report.series_len, "carried": report.readings.len(),
                "min_milli": s.min_milli, "max_milli": s.max_milli,
                "series_root": report.series_root.map(|h| h.to_string()),
            })
        );
        if let Some(d) = delivery.as_mut() {
            let sent = d.send(&r.event).map_err(|e| e.to_string())?;
            seq_file
                .store(recorder.signer().next_seq())
                .map_err(|e| e.to_string())?;
            if let Some(why) = sent.offline {
                eprintln!(
                    "  node unreachable, spooled ({} pending): {why}",
                    sent.pending
                );
            }
        }
    }
    if let Some(d) = delivery.as_mut() {
        let r = d
            .drain_blocking(Duration::from_secs(10))
            .map_err(|e| e.to_string())?;
        eprintln!(
            "delivered {}, {} still spooled in {}",
            r.delivered,
            r.pending,
            spool_dir.display()
        );
    }
    Ok(())
}
