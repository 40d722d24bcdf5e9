//! The `tradeledger-bridge` command line: `epc`, `epcis import --dry-run`, and `run --stdin`
//! against a stand-in node.
#![allow(clippy::unwrap_used)]

mod common;

use common::fake_node::FakeNode;
use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use tradeledger_types::Payload;

fn bridge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tradeledger-bridge"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn epc_decode_prints_pure_and_tag_uris() {
    let o = bridge(&["epc", "decode", "3074257BF7194E4000001A85"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "urn:epc:id:sgtin:0614141.812345.6789\nurn:epc:tag:sgtin-96:3.0614141.812345.6789\n"
    );
    let o = bridge(&[
        "epc",
        "decode",
        "3074257BF7194E4000001A85",
        "--output",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["pure_uri"], "urn:epc:id:sgtin:0614141.812345.6789");
    assert_eq!(v["tag_uri"], "urn:epc:tag:sgtin-96:3.0614141.812345.6789");
    assert_eq!(
        (v["filter"].as_u64(), v["serial"].as_u64()),
        (Some(3), Some(6789))
    );
}

#[test]
fn epc_decode_refuses_a_bad_header() {
    let o = bridge(&["epc", "decode", "3574257BF7194E4000001A85"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("header 0x35"), "{}", stderr(&o));
}

#[test]
fn epc_encode_takes_a_tag_uri_or_a_pure_uri_with_filter() {
    let o = bridge(&[
        "epc",
        "encode",
        "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
    ]);
    assert_eq!(stdout(&o), "3074257BF7194E4000001A85\n");
    let o = bridge(&["epc", "encode", "urn:epc:id:sscc:0614141.1234567890"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--filter"), "{}", stderr(&o));
    let o = bridge(&[
        "epc",
        "encode",
        "urn:epc:id:sscc:0614141.1234567890",
        "--filter",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let hex = stdout(&o);
    let back = bridge(&["epc", "decode", hex.trim()]);
    assert!(stdout(&back).starts_with("urn:epc:id:sscc:0614141.1234567890\n"));
}

#[test]
fn epcis_import_dry_run_prints_payloads_and_submits_nothing() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/avocado-reefer-sensor-series.jsonld"
    );
    let o = bridge(&["epcis", "import", file, "--shipment", "SHP-9", "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let payloads: Vec<Payload> = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(!payloads.is_empty());
    assert!(
        payloads
            .iter()
            .any(|p| matches!(p, Payload::SensorReport(_)))
    );
    for p in &payloads {
        p.validate().unwrap();
        match p {
            Payload::Custody(c) => assert_eq!(c.shipment_id, "SHP-9"),
            Payload::SensorReport(r) => assert_eq!(r.shipment_id, "SHP-9"),
            other => panic!("unexpected payload {other:?}"),
        }
    }
}

#[test]
fn epcis_import_of_a_malformed_document_fails_naming_the_json_path() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/malformed/bad-event-time.json"
    );
    let o = bridge(&["epcis", "import", file, "--dry-run"]);
    assert!(!o.status.success());
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).contains("epcisBody.eventList[2].eventTime"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_on_stdin_delivers_events_and_counts_bad_lines() {
    let node = FakeNode::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "11".repeat(32)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tradeledger-bridge"))
        .args([
            "run",
            "--stdin",
            "--chain-id",
            "cli-test",
            "--node",
            &node.url(),
        ])
        .arg("--key")
        .arg(&key)
        .arg("--spool")
        .arg(dir.path().join("spool"))
        .args(["--readings-per-report", "10"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = [
        r#"{"type":"reading","shipment":"SHP-3","device":"logger-1","kind":"temperature","value":"4.125","time":"2026-05-01T10:00:00Z"}"#,
        r#"{"type":"reading","shipment":"SHP-3","device":"logger-1","kind":"relative_humidity","value":81.5,"time":1777629660000}"#,
        r#"{"type":"reading","shipment":"SHP-3","device":"logger-1","kind":"temperature","value":"4.0001","time":"2026-05-01T10:02:00Z"}"#,
        r#"{"type":"rfid","shipment":"SHP-3","epc_hex":"3074257BF7194E4000001A85","biz_step":"loading","time":"2026-05-01T10:03:00+02:00"}"#,
        r#"{"type":"rfid","shipment":"SHP-3","epc_hex":"3074257BF7194E4000001A8","biz_step":"loading","time":"2026-05-01T10:03:00Z"}"#,
        r#"{"type":"rfid","shipment":"SHP-3","epc_hex":"3074257BF7194E4000001A85","time":"2026-05-01T10:03:00Z"}"#,
        r#"{"type":"door","shipment":"SHP-3"}"#,
    ];
    let mut stdin = child.stdin.take().unwrap();
    for l in lines {
        writeln!(stdin, "{l}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let summary: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        summary,
        serde_json::json!({"messages": 7, "bad": 4, "events": 2, "delivered": 2, "rejected": 0, "pending": 0})
    );
    for field in [
        "`value`: more than three decimal places",
        "`epc_hex`",
        "`biz_step`: is required",
        "`type`",
    ] {
        assert!(err.contains(field), "no error naming {field}:\n{err}");
    }
    // The custody event first; the open batch of two readings flushed at the end of input.
    let events = node.events();
    assert_eq!(
        events.iter().map(|e| e.body.seq).collect::<Vec<_>>(),
        [1, 2]
    );
    let Payload::Custody(c) = &events[0].body.payload else {
        panic!("{events:?}")
    };
    assert_eq!(
        (c.biz_step.as_str(), c.time_zone_offset_min),
        ("loading", 120)
    );
    let Payload::SensorReport(r) = &events[1].body.payload else {
        panic!("{events:?}")
    };
    let values: Vec<(i64, &str)> = r
        .readings
        .iter()
        .map(|x| (x.value_milli, x.unit.as_str()))
        .collect();
    assert_eq!(values, [(4_125, "CEL"), (81_500, "A93")]);
}

#[test]
fn epcis_import_signs_and_delivers_every_payload_in_order() {
    let node = FakeNode::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "22".repeat(32)).unwrap();
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/avocado-border-crossing.jsonld"
    );
    let dry = bridge(&["epcis", "import", file, "--shipment", "SHP-5", "--dry-run"]);
    let payloads: Vec<Payload> = serde_json::from_str(&stdout(&dry)).unwrap();
    let spool = dir.path().join("spool");
    let args = [
        "epcis",
        "import",
        file,
        "--shipment",
        "SHP-5",
        "--chain-id",
        "cli-test",
        "--node",
        &node.url(),
    ];
    let o = Command::new(env!("CARGO_BIN_EXE_tradeledger-bridge"))
        .args(args)
        .arg("--key")
        .arg(&key)
        .arg("--spool")
        .arg(&spool)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(summary["pending"], 0);
    assert_eq!(summary["delivered"].as_u64(), Some(payloads.len() as u64));
    let events = node.events();
    let got: Vec<(u64, Payload)> = events
        .iter()
        .map(|e| (e.body.seq, e.body.payload.clone()))
        .collect();
    let want: Vec<(u64, Payload)> = (1..).zip(payloads).collect();
    assert_eq!(got, want);
}
