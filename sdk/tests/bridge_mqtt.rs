//! The bridge against a real Mosquitto broker on 127.0.0.1 and a stand-in node: readings and
//! RFID reads published over MQTT become signed events at the node, in sequence order, across
//! an outage of the node and a restart of the bridge, none lost or duplicated.
//!
//! Needs the `mosquitto` binary (Debian package `mosquitto`). Without it the test fails when
//! `CI` is set and is skipped with a message otherwise.
#![allow(clippy::unwrap_used)]

mod common;

use common::fake_node::FakeNode;
use common::{ChildGuard, free_port, wait_until};
use rumqttc::{Client, MqttOptions, QoS};
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tradeledger_types::{Payload, SecretKey};

const WAIT: Duration = Duration::from_secs(30);

fn mosquitto_binary() -> Option<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()]);
    candidates
        .map(|d: PathBuf| d.join("mosquitto"))
        .find(|p| p.is_file())
}

fn start_mosquitto(bin: &Path) -> (ChildGuard, u16) {
    let port = free_port();
    let child = Command::new(bin)
        .args(["-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = ChildGuard(child);
    wait_until("mosquitto to listen", WAIT, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (guard, port)
}

/// A running bridge and the stderr lines it has written so far.
struct Bridge {
    _child: ChildGuard,
    log: Arc<Mutex<Vec<String>>>,
}

impl Bridge {
    fn start(node: &str, key: &Path, spool: &Path, broker_port: u16) -> Bridge {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tradeledger-bridge"))
            .args(["run", "--node", node, "--chain-id", "bridge-test", "--key"])
            .arg(key)
            .arg("--spool")
            .arg(spool)
            .args(["--mqtt", &format!("127.0.0.1:{broker_port}")])
            .args(["--topic", "devices/#", "--readings-per-report", "2"])
            .args(["--max-backoff-ms", "200", "--client-id"])
            .arg(format!("bridge-test-{}", std::process::id()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                sink.lock().unwrap().push(line);
            }
        });
        let bridge = Bridge {
            _child: ChildGuard(child),
            log,
        };
        bridge.wait_for("the MQTT subscription", 1, |l| {
            l.starts_with("mqtt: subscribed")
        });
        bridge
    }

    fn count(&self, f: impl Fn(&str) -> bool) -> usize {
        self.log.lock().unwrap().iter().filter(|l| f(l)).count()
    }

    fn wait_for(&self, what: &str, n: usize, f: impl Fn(&str) -> bool) {
        let deadline = std::time::Instant::now() + WAIT;
        while self.count(&f) < n {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}; bridge log:\n{}",
                self.dump()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn dump(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

/// A publisher with its connection driven on a thread.
fn publisher(port: u16) -> Client {
    let opts = MqttOptions::new(
        format!("test-pub-{}", std::process::id()),
        "127.0.0.1",
        port,
    );
    let (client, mut conn) = Client::new(opts, 64);
    std::thread::spawn(move || for _ in conn.iter() {});
    client
}

fn publish(client: &Client, topic: &str, msg: &str) {
    client
        .publish(topic, QoS::AtLeastOnce, false, msg.as_bytes().to_vec())
        .unwrap();
}

fn reading(value: &str, minute: u32) -> String {
    format!(
        r#"{{"type":"reading","shipment":"SHP-7","device":"reefer-7","kind":"temperature","value":"{value}","unit":"CEL","time":"2026-05-01T10:{minute:02}:00Z"}}"#
    )
}

fn rfid(hex: &str, step: &str, minute: u32) -> String {
    format!(
        r#"{{"type":"rfid","shipment":"SHP-7","epc_hex":"{hex}","read_point":"USPHR","biz_step":"{step}","time":"2026-05-01T11:{minute:02}:00Z"}}"#
    )
}

fn is_event(l: &str) -> bool {
    l.starts_with("event ")
}

#[test]
fn bridge_over_mosquitto_delivers_in_order_across_an_outage_and_a_restart() {
    let Some(bin) = mosquitto_binary() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "mosquitto is not installed (CI must install the Debian package `mosquitto`)"
        );
        eprintln!("SKIPPED: mosquitto is not installed (apt-get install mosquitto)");
        return;
    };
    let (_broker, broker_port) = start_mosquitto(&bin);
    let mut node = FakeNode::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("device.key");
    std::fs::write(&key, format!("{}\n", "2a".repeat(32))).unwrap();
    let spool = dir.path().join("spool");
    let device = SecretKey::from_seed([0x2a; 32]).public();

    let bridge = Bridge::start(&node.url(), &key, &spool, broker_port);
    let mqtt = publisher(broker_port);

    // Online: four readings (two reports of two), two bad messages, an RFID read.
    publish(&mqtt, "devices/reefer-7", &reading("7.5", 0));
    publish(&mqtt, "devices/reefer-7", &reading("7.75", 1));
    publish(&mqtt, "devices/reefer-7", &reading("8", 2));
    publish(&mqtt, "devices/reefer-7", &reading("12.25", 3));
    publish(
        &mqtt,
        "devices/portal",
        r#"{"type":"reading","shipment":"SHP-7","device":"reefer-7","kind":"warmth","value":"1","time":0}"#,
    );
    publish(&mqtt, "devices/portal", "not json");
    publish(
        &mqtt,
        "devices/portal",
        &rfid("3074257BF7194E4000001A85", "arriving", 0),
    );
    wait_until("3 events at the node", WAIT, || node.count() >= 3);
    bridge.wait_for("two bad messages", 2, |l| l.starts_with("bad message"));
    assert_eq!(
        bridge.count(|l| l.contains("field `kind`") && l.contains("warmth")),
        1,
        "{}",
        bridge.dump()
    );
    assert_eq!(bridge.count(|l| l.contains("field `message`")), 1);

    // The node goes down: new events (a report of two readings, a custody event) are spooled.
    node.stop();
    publish(&mqtt, "devices/reefer-7", &reading("6.5", 4));
    publish(&mqtt, "devices/reefer-7", &reading("6.25", 5));
    publish(
        &mqtt,
        "devices/portal",
        &rfid("3154257BF4499602D2000000", "departing", 1),
    );
    bridge.wait_for("5 events signed", 5, is_event);
    bridge.wait_for("an outage noticed", 1, |l| {
        l.starts_with("node unreachable")
    });
    assert_eq!(node.count(), 3);

    // The bridge dies while the node is down, and comes back on the same spool.
    drop(bridge);
    let bridge = Bridge::start(&node.url(), &key, &spool, broker_port);
    assert_eq!(
        bridge.count(|l| l.contains("next seq 6, 2 spooled")),
        1,
        "{}",
        bridge.dump()
    );
    publish(
        &mqtt,
        "devices/portal",
        &rfid("3074257BF7194E4000001A86", "arriving", 2),
    );
    bridge.wait_for("the 6th event signed", 1, is_event);

    // The node is back; the reply to the first re-posted event is lost, so it is posted twice.
    node.seen.lock().unwrap().lose_next_reply = true;
    node.restart();
    wait_until("6 events at the node", WAIT, || node.count() >= 6);
    bridge.wait_for("the spool drained", 1, |l| l.contains("(pending 0)"));

    let events = node.events();
    let seqs: Vec<u64> = events.iter().map(|e| e.body.seq).collect();
    assert_eq!(seqs, (1..=6).collect::<Vec<_>>(), "{}", bridge.dump());
    assert!(node.seen.lock().unwrap().duplicates >= 1);
    for e in &events {
        e.verify().unwrap();
        assert_eq!(e.body.signer, device);
        assert_eq!(e.body.chain_id, "bridge-test");
    }
    let values: Vec<Vec<i64>> = events
        .iter()
        .filter_map(|e| match &e.body.payload {
            Payload::SensorReport(r) => {
                assert_eq!(
                    (r.shipment_id.as_str(), r.device_id.as_str()),
                    ("SHP-7", "reefer-7")
                );
                Some(r.readings.iter().map(|x| x.value_milli).collect())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        values,
        [vec![7_500, 7_750], vec![8_000, 12_250], vec![6_500, 6_250]]
    );
    let custody: Vec<(String, String, String)> = events
        .iter()
        .filter_map(|e| match &e.body.payload {
            Payload::Custody(c) => Some((
                c.biz_step.clone(),
                c.epcs.join(","),
                c.read_point
                    .as_ref()
                    .and_then(|l| l.locode.clone())
                    .unwrap_or_default(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        custody,
        [
            (
                "arriving".into(),
                "urn:epc:id:sgtin:0614141.812345.6789".into(),
                "USPHR".into()
            ),
            (
                "departing".into(),
                "urn:epc:id:sscc:0614141.1234567890".into(),
                "USPHR".into()
            ),
            (
                "arriving".into(),
                "urn:epc:id:sgtin:0614141.812345.6790".into(),
                "USPHR".into()
            ),
        ]
    );
}
