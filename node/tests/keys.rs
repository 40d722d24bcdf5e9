//! Key rotation on a running 4-validator cluster, without restarting any node: a carrier's
//! reefer logger is replaced (register the new device, revoke the old one from a height) and
//! an exporter's organisation key is rotated (`KeyRotation`), while another organisation's
//! events keep committing. Before the stated height both keys sign; from it the old keys are
//! refused with their reason (`device_revoked`, `key_revoked`) at submission, and an old-key
//! event that reaches a block after an immediate rotation is rejected there with the same code.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use support::{Cluster, http, wait_for};
use tradeledger_contracts::testkit::{self, Actor, DAY_MS, T0_MS};
use tradeledger_sdk::rotation::{device_rotation, party_key_rotation};
use tradeledger_sdk::signer::Signer;
use tradeledger_types::{EventKind, Payload, SignedEvent};

const COMMIT_WAIT: Duration = Duration::from_secs(60);
/// Blocks between submitting the rotations and their effective height: enough for the
/// rotations and the before-height events to commit (an idle chain makes about three blocks a
/// second, a busy one more), short enough to keep the test quick.
const MARGIN: u64 = 100;

/// Report `n` of the device registered as `device` (the id its reports must name).
fn sensor(device: &str, n: u64) -> Payload {
    let mut r = testkit::sensor_report(
        "SHP-K",
        testkit::series(T0_MS + DAY_MS + n * 600_000, 60_000, 3, 7_000),
    );
    r.device_id = device.into();
    Payload::SensorReport(r)
}

fn declaration(id: &str) -> Payload {
    Payload::ShipmentDeclaration(testkit::declaration(id))
}

/// Submits `event` to `api`: `Ok(id)` when admitted, `Err((status, code, message))` when not.
fn try_submit(api: SocketAddr, event: &SignedEvent) -> Result<String, (u16, String, String)> {
    let r = http::post_cbor(api, "/v1/events", &event.to_bytes()).expect("node answers");
    let v = r.json();
    if r.status == 202 {
        return Ok(v["id"].as_str().expect("id").to_owned());
    }
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    Err((r.status, s("error"), s("message")))
}

/// Waits until `id` commits on node 0; returns (height, outcome, reject code).
fn committed(c: &Cluster, id: &str) -> (u64, String, Option<String>) {
    let v = c.wait_committed(0, id, COMMIT_WAIT);
    (
        v["height"].as_u64().expect("height"),
        v["outcome"].as_str().unwrap_or_default().to_owned(),
        v["reject_code"].as_str().map(str::to_owned),
    )
}

fn applied_below(c: &Cluster, id: &str, h: u64, what: &str) {
    let (height, outcome, code) = committed(c, id);
    assert_eq!(outcome, "applied", "{what}: rejected with {code:?}");
    assert!(
        height < h,
        "{what} committed at {height}, not before the effective height {h}: raise MARGIN"
    );
}

#[test]
fn device_and_party_keys_rotate_while_events_keep_committing() {
    let mut c = Cluster::init(4);
    c.start_all();
    for i in 0..4 {
        c.wait_height(i, 1, COMMIT_WAIT);
    }
    let apis: Vec<SocketAddr> = c.nodes.iter().map(|n| n.api).collect();

    // Background: the importer declares a shipment every 300 ms, through every node in turn.
    let stop = Arc::new(AtomicBool::new(false));
    let background = {
        let (stop, apis) = (stop.clone(), apis.clone());
        std::thread::spawn(move || {
            let mut importer = Actor::new(testkit::IMPORTER);
            let mut ids = Vec::new();
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let ev = importer.sign(declaration(&format!("BG-{n}")));
                match try_submit(apis[n % apis.len()], &ev) {
                    Ok(id) => ids.push(id),
                    Err(e) => panic!("background event refused: {e:?}"),
                }
                n += 1;
                std::thread::sleep(Duration::from_millis(300));
            }
            ids
        })
    };

    // Setup: the exporter's shipment (carried by the carrier) and the carrier's old logger.
    let mut exporter = Signer::new(testkit::key(testkit::EXPORTER), testkit::CHAIN_ID);
    let mut carrier = Signer::new(testkit::key(testkit::CARRIER), testkit::CHAIN_ID);
    let mut old_logger = Signer::new(testkit::key("logger-old"), testkit::CHAIN_ID);
    let mut new_logger = Signer::new(testkit::key("logger-new"), testkit::CHAIN_ID);
    let declared = c.submit(0, &exporter.sign(declaration("SHP-K")).expect("valid"));
    let register_old = tradeledger_sdk::builders::DeviceRegistrationBuilder::new(
        old_logger.public(),
        "logger-old",
    )
    .may_sign(EventKind::SensorReport);
    let registered = c.submit(
        1,
        &tradeledger_sdk::builders::Build::sign(register_old, &mut carrier).expect("valid"),
    );
    for id in [&declared, &registered] {
        assert_eq!(committed(&c, id).1, "applied");
    }
    let first = c.submit(2, &old_logger.sign(sensor("logger-old", 0)).expect("valid"));
    assert_eq!(committed(&c, &first).1, "applied");

    // The rotations, both effective MARGIN blocks from now.
    let h = c.height(0).expect("height") + MARGIN;
    let [register_new, revoke_old] = device_rotation(
        &mut carrier,
        old_logger.public(),
        new_logger.public(),
        "logger-new",
        &[EventKind::SensorReport],
        h,
    )
    .expect("valid rotation");
    let (rotation, mut exporter2) =
        party_key_rotation(&mut exporter, testkit::key("exporter-key-2"), h).expect("valid");
    let ids: Vec<String> = [&register_new, &revoke_old, &rotation]
        .into_iter()
        .map(|e| c.submit(3, e))
        .collect();
    for id in &ids {
        applied_below(&c, id, h, "a rotation event");
    }
    let (_, _, _) = committed(&c, &ids[2]);
    let rot = c.wait_committed(0, &ids[2], COMMIT_WAIT);
    assert_eq!(
        rot["records"][0]["key_rotated"]["effective_height"], h,
        "{rot}"
    );

    // Between the rotation and the effective height both keys of each pair sign.
    let before: Vec<(String, &str)> = vec![
        (
            c.submit(0, &old_logger.sign(sensor("logger-old", 1)).expect("valid")),
            "old logger before h",
        ),
        (
            c.submit(1, &new_logger.sign(sensor("logger-new", 2)).expect("valid")),
            "new logger",
        ),
        (
            c.submit(2, &exporter.sign(declaration("SHP-K1")).expect("valid")),
            "old exporter key before h",
        ),
        (
            c.submit(3, &exporter2.sign(declaration("SHP-K2")).expect("valid")),
            "new exporter key (sequence 1)",
        ),
    ];
    for (id, what) in &before {
        applied_below(&c, id, h, what);
    }

    // From the effective height the old keys are refused at submission, with the reason.
    for i in 0..4 {
        c.wait_height(i, h - 1, Duration::from_secs(120));
    }
    let refused = [
        (
            old_logger.sign(sensor("logger-old", 3)).expect("valid"),
            "device_revoked",
        ),
        (
            exporter.sign(declaration("SHP-K3")).expect("valid"),
            "key_revoked",
        ),
    ];
    for (i, (ev, want)) in refused.iter().enumerate() {
        let (status, code, message) = try_submit(apis[i], ev).expect_err("old key refused");
        assert_eq!((status, code.as_str()), (403, *want), "{message}");
        assert!(message.contains(&format!("from height {h}")), "{message}");
    }
    // The new keys go on.
    let after = [
        c.submit(0, &new_logger.sign(sensor("logger-new", 4)).expect("valid")),
        c.submit(1, &exporter2.sign(declaration("SHP-K4")).expect("valid")),
    ];
    for id in &after {
        let (height, outcome, code) = committed(&c, id);
        assert_eq!(outcome, "applied", "new key after h: {code:?}");
        assert!(height >= h);
    }

    // An immediate rotation (effective height 0: at once) followed by an event of the key it
    // retires: admitted before the rotation commits, the event is rejected in its block.
    let (rotation2, mut exporter3) =
        party_key_rotation(&mut exporter2, testkit::key("exporter-key-3"), 0).expect("valid");
    let stale = exporter2.sign(declaration("SHP-K5")).expect("valid");
    let rot2 = c.submit(2, &rotation2);
    match try_submit(apis[2], &stale) {
        Ok(id) => {
            let (_, outcome, code) = committed(&c, &id);
            assert_eq!(
                (outcome.as_str(), code.as_deref()),
                ("rejected", Some("key_revoked"))
            );
        }
        // The rotation committed between the two submissions: refused at admission instead.
        Err((status, code, _)) => assert_eq!((status, code.as_str()), (403, "key_revoked")),
    }
    assert_eq!(committed(&c, &rot2).1, "applied");
    let last = c.submit(3, &exporter3.sign(declaration("SHP-K6")).expect("valid"));
    assert_eq!(committed(&c, &last).1, "applied");

    // The background events all committed, before and after the effective height: no downtime.
    stop.store(true, Ordering::Relaxed);
    let bg = background.join().expect("background thread");
    assert!(bg.len() >= 10, "only {} background events", bg.len());
    let heights: Vec<u64> = bg
        .iter()
        .map(|id| {
            let (height, outcome, code) = committed(&c, id);
            assert_eq!(outcome, "applied", "background event {id}: {code:?}");
            height
        })
        .collect();
    assert!(heights.iter().any(|x| *x < h) && heights.iter().any(|x| *x >= h));
    // Every node holds the same chain up to the lowest tip.
    let top = wait_for("all nodes past h", COMMIT_WAIT, || {
        (0..4)
            .map(|i| c.height(i))
            .collect::<Option<Vec<u64>>>()?
            .into_iter()
            .min()
            .filter(|m| *m >= h)
    });
    for height in [h - 1, h, top] {
        let first = c.block_cbor(0, height).expect("block on node 0");
        for i in 1..4 {
            assert_eq!(
                c.block_cbor(i, height).as_ref(),
                Some(&first),
                "block {height} on node {i}"
            );
        }
    }
}
