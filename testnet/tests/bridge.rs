//! A carrier feeds a running testnet with nothing but the SDK's bridge: reefer readings and an
//! RFID portal read as JSON lines, first while the node is unreachable (spooled), then online
//! (delivered in order), ending in committed events and a cold-chain flag on the shipment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tradeledger_sdk::client::BlockingClient;
use tradeledger_sdk::signer::Signer;
use tradeledger_types::*;

fn bin(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_BIN_EXE_tradeledger-testnet"))
        .parent()
        .unwrap()
        .join(name);
    assert!(
        p.exists(),
        "{} missing: build the workspace first",
        p.display()
    );
    p
}

fn testnet(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin("tradeledger-testnet"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env("TRADELEDGER_BIN", bin("tradeledger"))
        .output()
        .unwrap()
}

struct Down(PathBuf);
impl Drop for Down {
    fn drop(&mut self) {
        testnet(&self.0, &["down"]);
    }
}

fn key_of(dir: &Path, name: &str) -> SecretKey {
    let hex_seed = std::fs::read_to_string(dir.join("keys").join(format!("{name}.key"))).unwrap();
    let mut seed = [0u8; 32];
    hex::decode_to_slice(hex_seed.trim(), &mut seed).unwrap();
    SecretKey::from_seed(seed)
}

/// Runs the bridge on stdin with `lines`; returns its JSON summary.
fn bridge(node: &str, key: &Path, spool: &Path, lines: &[String]) -> serde_json::Value {
    let mut child = Command::new(bin("tradeledger-bridge"))
        .args([
            "run",
            "--stdin",
            "--chain-id",
            "tradeledger-local",
            "--readings-per-report",
            "6",
            "--window-secs",
            "86400",
            "--drain-secs",
            "5",
            "--max-backoff-ms",
            "200",
            "--node",
            node,
            "--key",
        ])
        .arg(key)
        .arg("--spool")
        .arg(spool)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for l in lines {
            writeln!(stdin, "{l}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok());
    summary.unwrap_or_else(|| {
        panic!(
            "bridge printed no summary: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn a_carrier_feeds_the_testnet_through_the_bridge_with_an_offline_period() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let _down = Down(dir.clone());
    let out = testnet(&dir, &["up"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("testnet.toml")).unwrap()).unwrap();
    let url = format!("http://{}", manifest["nodes"][0]["api"].as_str().unwrap());
    let client = BlockingClient::new(&url).unwrap();

    // The carrier registers a reefer logger's key; the shipper declares the shipment.
    let device = SecretKey::from_seed([77; 32]);
    let device_file = tmp.path().join("reefer.key");
    std::fs::write(&device_file, hex::encode(device.seed())).unwrap();
    let t0 = 1_790_000_000_000u64;
    let shipment = "AVO-BRIDGE-1";
    let epc = "urn:epc:id:sgtin:0614141.812345.6789";
    let mut carrier = Signer::new(key_of(&dir, "carrier"), "tradeledger-local");
    let mut shipper = Signer::new(key_of(&dir, "shipper"), "tradeledger-local");
    let party = |org: &str, c: &str| Party {
        org: Some(org.into()),
        name: org.into(),
        address: "1 Dock Rd".into(),
        contact: "ops@example.org".into(),
        country: c.into(),
    };
    let setup = [
        carrier
            .sign(Payload::DeviceRegistration(DeviceRegistration {
                device_key: device.public(),
                device_id: "REEFER-1".into(),
                kinds: vec![EventKind::SensorReport, EventKind::Custody],
            }))
            .unwrap(),
        shipper
            .sign(Payload::ShipmentDeclaration(ShipmentDeclaration {
                shipment_id: shipment.into(),
                exporter: party("mx-avocado-exports", "MX"),
                importer: party("us-fresh-imports", "US"),
                producer: None,
                carrier: "mx-reefer-lines".into(),
                goods: vec![GoodsLine {
                    line: 1,
                    description: "Hass avocados".into(),
                    gtin: None,
                    hs_code: "080440".into(),
                    quantity: 1000,
                    unit: "KGM".into(),
                    value_minor: 250_000,
                    currency: "USD".into(),
                    brand: None,
                    manufacturer: None,
                    origin_country: "MX".into(),
                    cost: None,
                }],
                origin_country: "MX".into(),
                destination_country: "US".into(),
                route: vec![
                    RouteStop {
                        country: "MX".into(),
                        locode: Some("MXUPN".into()),
                    },
                    RouteStop {
                        country: "US".into(),
                        locode: Some("USPHR".into()),
                    },
                ],
                epcs: vec![epc.into()],
                departure_ms: t0,
                arrival_ms: t0 + 86_400_000,
            }))
            .unwrap(),
    ];
    for ev in &setup {
        let r = client.submit(ev).unwrap();
        let s = client
            .wait_committed(&r.id, Duration::from_secs(30))
            .unwrap();
        assert_eq!(s.details["outcome"], "applied", "{s:?}");
    }

    // Offline: the node address is dead; everything goes to the spool.
    let spool = tmp.path().join("spool");
    let reading = |i: u64, milli: &str| {
        format!(
            r#"{{"type":"reading","shipment":"{shipment}","device":"REEFER-1","kind":"temperature","value":"{milli}","unit":"CEL","time":{}}}"#,
            t0 + i * 15 * 60_000
        )
    };
    let rfid = format!(
        r#"{{"type":"rfid","shipment":"{shipment}","epc_hex":"3074257BF7194E4000001A85","read_point":"MXUPN","biz_step":"shipping","time":{t0}}}"#
    );
    let mut offline = vec![rfid];
    offline.extend((0..12).map(|i| reading(i, "15.5")));
    let dead = format!(
        "http://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    );
    let s1 = bridge(&dead, &device_file, &spool, &offline);
    assert_eq!(s1["delivered"], 0, "{s1}");
    assert_eq!(
        s1["pending"], 3,
        "one custody event and two reports of 6 readings spooled: {s1}"
    );

    // Online: the backlog goes first, in order, then the new readings.
    let online: Vec<String> = (12..24).map(|i| reading(i, "7.0")).collect();
    let s2 = bridge(&url, &device_file, &spool, &online);
    assert_eq!(s2["pending"], 0, "{s2}");
    assert_eq!(s2["rejected"], 0, "{s2}");
    assert_eq!(s2["delivered"], 5, "3 spooled + 2 new reports: {s2}");

    // Every event committed and applied; the excursion (3 h at 15.5 °C) is flagged.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let v = client.shipment(shipment).unwrap();
        let timeline = v["timeline"].as_array().unwrap().len();
        let flagged = v["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "risk.cold_chain_excursion");
        if timeline == 6 && flagged {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "shipment never showed 6 events and the flag: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
