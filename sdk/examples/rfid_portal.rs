//! An RFID portal at a border crossing: decode the reader's EPC hex, build one custody event
//! per tag (ObjectEvent OBSERVE, `arriving`, read point a UN/LOCODE), sign, and submit to a node
//! (then wait for commitment and print the outcome and flags), or print them with `--dry-run`.
//!
//! ```text
//! cargo run -p tradeledger-sdk --example rfid_portal -- --dry-run
//! cargo run -p tradeledger-sdk --example rfid_portal -- --node http://127.0.0.1:8080 \
//!     --key device.key --chain-id tradeledger-demo --shipment SHP-2026-000123 [HEX ...]
//! ```
//! Without HEX arguments it replays a few reads, one of them garbled (reported, skipped).

use std::time::Duration;
use tradeledger_sdk::builders::{Build, CustodyBuilder};
use tradeledger_sdk::client::BlockingClient;
use tradeledger_sdk::epc::Epc96;
use tradeledger_sdk::signer::Signer;
use tradeledger_types::{Location, SecretKey};

struct Args {
    dry_run: bool,
    node: String,
    key: Option<String>,
    chain_id: String,
    shipment: String,
    locode: String,
    reads: Vec<String>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        dry_run: false,
        node: "http://127.0.0.1:8080".into(),
        key: None,
        chain_id: "tradeledger-demo".into(),
        shipment: "SHP-2026-000123".into(),
        locode: "USPHR".into(),
        reads: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--dry-run" => a.dry_run = true,
            "--node" => a.node = value("--node")?,
            "--key" => a.key = Some(value("--key")?),
            "--chain-id" => a.chain_id = value("--chain-id")?,
            "--shipment" => a.shipment = value("--shipment")?,
            "--locode" => a.locode = value("--locode")?,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            hex => a.reads.push(hex.to_owned()),
        }
    }
    if a.reads.is_empty() {
        a.reads = [
            "3074257BF7194E4000001A85", // SGTIN-96: a case of avocados
            "3074257BF7194E4000001A86",
            "3154257BF4499602D2000000", // SSCC-96: the pallet
            "3574257BF7194E4000001A85", // garbled header
        ]
        .map(String::from)
        .to_vec();
    }
    Ok(a)
}

fn key(path: Option<&str>) -> Result<SecretKey, String> {
    let Some(path) = path else {
        return Ok(SecretKey::from_seed([0x51; 32])); // a demo key
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed)
        .map_err(|_| format!("{path}: expected 64 hex characters"))?;
    Ok(SecretKey::from_seed(seed))
}

fn main() -> Result<(), String> {
    let a = args()?;
    let mut signer = Signer::new(key(a.key.as_deref())?, a.chain_id.clone());
    let client = if a.dry_run {
        None
    } else {
        Some(BlockingClient::new(&a.node).map_err(|e| e.to_string())?)
    };
    for (i, hex) in a.reads.iter().enumerate() {
        let epc = match Epc96::from_hex(hex) {
            Ok(epc) => epc,
            Err(e) => {
                eprintln!("read {hex}: {e} (skipped)");
                continue;
            }
        };
        let event = CustodyBuilder::new(
            a.shipment.clone(),
            "arriving",
            1_777_629_600_000 + i as u64 * 1000,
        )
        .read_point(Location {
            locode: Some(a.locode.clone()),
            lat_micro_deg: None,
            lon_micro_deg: None,
            site: None,
        })
        .epc(epc.pure_uri())
        .sign(&mut signer)
        .map_err(|e| e.to_string())?;
        println!(
            "{}",
            serde_json::json!({"id": event.id().to_string(), "seq": event.body.seq,
                               "tag": epc.tag_uri(), "epc": epc.pure_uri()})
        );
        if let Some(client) = &client {
            client.submit(&event).map_err(|e| e.to_string())?;
            let status = client
                .wait_committed(&event.id(), Duration::from_secs(30))
                .map_err(|e| e.to_string())?;
            println!(
                "  {} at height {:?}: {:?}",
                status.status, status.height, status.details
            );
        }
    }
    Ok(())
}
