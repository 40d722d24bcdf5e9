//! Hostile clients against a real single-validator node: every malformed, forged, replayed,
//! unauthorised or mis-typed request gets the right 4xx with a machine-readable `error` code,
//! nothing it carried is ever committed, and the node keeps serving (and committing) after.
//! Bursts from one client address get 429 with `Retry-After` while another address is served.

mod one_node;
mod support;

use one_node::{Answer, COMMIT_WAIT, OneNode, connect, send};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use tradeledger_contracts::testkit::{self, Actor};
use tradeledger_types::codec::{self, EVENT_BYTES_MAX};
use tradeledger_types::{
    ClearanceDecision, Decision, DeviceRegistration, EventBody, EventKind, Payload, SignedEvent,
};

fn post(api: SocketAddr, path: &str, ct: &str, body: &[u8]) -> Answer {
    send(api, None, "POST", path, Some(ct), body).expect("node answers")
}

fn get(api: SocketAddr, path: &str) -> Answer {
    send(api, None, "GET", path, None, b"").expect("node answers")
}

fn declaration(actor: &mut Actor, shipment: &str) -> SignedEvent {
    actor.sign(Payload::ShipmentDeclaration(testkit::declaration(shipment)))
}

fn clearance(shipment: &str) -> Payload {
    Payload::Clearance(ClearanceDecision {
        shipment_id: shipment.into(),
        decision: Decision::Release,
        reason: String::new(),
    })
}

/// Re-encodes the top-level array or map header of canonical bytes with a one-byte length
/// argument that fits in the initial byte: valid CBOR, not canonical (not minimal).
fn non_minimal(bytes: &[u8]) -> Vec<u8> {
    let first = bytes[0];
    let (major, n) = (first & 0xe0, first & 0x1f);
    assert!(
        (major == 0x80 || major == 0xa0) && n < 24,
        "expected a short array or map, got {first:#x}"
    );
    let mut out = vec![major | 24, n];
    out.extend_from_slice(&bytes[1..]);
    out
}

/// The id is unknown to the node (404) or remembered as refused at admission: never pending,
/// never committed.
fn assert_not_stored(api: SocketAddr, id: &str) {
    let r = get(api, &format!("/v1/events/{id}"));
    let status = r.json()["status"].as_str().map(str::to_owned);
    assert!(
        r.status == 404 || status.as_deref() == Some("rejected"),
        "event {id} must be neither pending nor committed: {} {}",
        r.status,
        r.json()
    );
}

#[test]
fn hostile_requests_get_a_4xx_with_a_code_and_nothing_is_stored() {
    let mut node = OneNode::start(&[]);
    let api = node.api;
    let mut exporter = Actor::new(testkit::EXPORTER);
    let mut accepted: BTreeSet<String> = BTreeSet::new();

    // A good event first: it commits (the baseline the abuse must not disturb).
    let good = declaration(&mut exporter, "ABUSE-1");
    let r = post(api, "/v1/events", "application/cbor", &good.to_bytes());
    assert_eq!(r.status, 202, "{}", r.json());
    accepted.insert(good.id().to_hex());
    support::wait_for("the good event to commit", COMMIT_WAIT, || {
        (get(api, &format!("/v1/events/{}", good.id())).json()["status"] == "committed")
            .then_some(())
    });

    let next = declaration(&mut exporter, "ABUSE-2");
    let bytes = next.to_bytes();
    let mut forged = declaration(&mut Actor::new(testkit::EXPORTER), "ABUSE-FORGED");
    forged.body.seq = exporter.next_seq;
    forged.signature = next.signature;
    let stranger = Actor::new("stranger-never-registered").sign_seq(
        Payload::ShipmentDeclaration(testkit::declaration("ABUSE-3")),
        1,
    );
    let exporter_key = testkit::key(testkit::EXPORTER);
    let other_chain = EventBody {
        chain_id: "other-chain".into(),
        signer: exporter_key.public(),
        seq: exporter.next_seq,
        payload: Payload::ShipmentDeclaration(testkit::declaration("ABUSE-4")),
    }
    .sign(&exporter_key);
    let carrier_clears = Actor::new(testkit::CARRIER).sign_seq(clearance("ABUSE-1"), 1);
    let auditor_declares = Actor::new(testkit::AUDITOR).sign_seq(
        Payload::ShipmentDeclaration(testkit::declaration("ABUSE-5")),
        1,
    );
    let replayed_seq = exporter.sign_seq(
        Payload::ShipmentDeclaration(testkit::declaration("ABUSE-6")),
        1,
    );
    let too_far = exporter.sign_seq(
        Payload::ShipmentDeclaration(testkit::declaration("ABUSE-7")),
        20_000,
    );
    let invalid_payload = exporter.sign_seq(
        Payload::ShipmentDeclaration(testkit::declaration("")),
        exporter.next_seq,
    );
    let mut huge = testkit::declaration("ABUSE-8");
    huge.goods[0].description = "x".repeat(EVENT_BYTES_MAX);
    let huge = exporter.sign_seq(Payload::ShipmentDeclaration(huge), exporter.next_seq);
    let json = |e: &SignedEvent| serde_json::to_vec(e).expect("json");

    // (case, content type, body, expected status, expected code, id that must not be stored)
    type Case<'a> = (&'a str, &'a str, Vec<u8>, u16, &'a str, Option<String>);
    let cbor = "application/cbor";
    let js = "application/json";
    let cases: Vec<Case> = vec![
        (
            "body over the API limit",
            cbor,
            vec![0xa0; 300 * 1024],
            413,
            "too_large",
            None,
        ),
        (
            "CBOR event over 64 KiB",
            cbor,
            vec![0x80; EVENT_BYTES_MAX + 1],
            413,
            "too_large",
            None,
        ),
        (
            "JSON event over 64 KiB",
            js,
            json(&huge),
            413,
            "too_large",
            None,
        ),
        (
            "truncated CBOR",
            cbor,
            bytes[..bytes.len() / 2].to_vec(),
            400,
            "malformed",
            None,
        ),
        ("empty body", cbor, Vec::new(), 400, "malformed", None),
        (
            "garbage CBOR",
            cbor,
            b"\xff\x00\x13garbage".to_vec(),
            400,
            "malformed",
            None,
        ),
        (
            "non-canonical CBOR",
            cbor,
            non_minimal(&bytes),
            400,
            "non_canonical",
            None,
        ),
        (
            "trailing bytes",
            cbor,
            [bytes.as_slice(), &[0x00]].concat(),
            400,
            "malformed",
            None,
        ),
        (
            "truncated JSON",
            js,
            b"{\"body\": {".to_vec(),
            400,
            "malformed",
            None,
        ),
        (
            "JSON of another shape",
            js,
            b"[1, 2, 3]".to_vec(),
            400,
            "malformed",
            None,
        ),
        (
            "JSON with a wrong field type",
            js,
            br#"{"body": 1, "signature": "00"}"#.to_vec(),
            400,
            "malformed",
            None,
        ),
        (
            "text/plain",
            "text/plain",
            bytes.clone(),
            415,
            "unsupported_media_type",
            None,
        ),
        (
            "application/xml",
            "application/xml",
            b"<event/>".to_vec(),
            415,
            "unsupported_media_type",
            None,
        ),
        (
            "forged signature",
            cbor,
            forged.to_bytes(),
            400,
            "bad_signature",
            Some(forged.id().to_hex()),
        ),
        (
            "unknown signer",
            cbor,
            stranger.to_bytes(),
            403,
            "unknown_signer",
            Some(stranger.id().to_hex()),
        ),
        (
            "signed for another chain",
            cbor,
            other_chain.to_bytes(),
            400,
            "wrong_chain",
            Some(other_chain.id().to_hex()),
        ),
        (
            "carrier issues a clearance",
            cbor,
            carrier_clears.to_bytes(),
            403,
            "role_not_allowed",
            Some(carrier_clears.id().to_hex()),
        ),
        (
            "auditor declares a shipment (JSON)",
            js,
            json(&auditor_declares),
            403,
            "role_not_allowed",
            Some(auditor_declares.id().to_hex()),
        ),
        (
            "replayed event",
            cbor,
            good.to_bytes(),
            409,
            "already_committed",
            None,
        ),
        (
            "sequence number already used",
            cbor,
            replayed_seq.to_bytes(),
            400,
            "stale_sequence",
            Some(replayed_seq.id().to_hex()),
        ),
        (
            "sequence number far ahead",
            cbor,
            too_far.to_bytes(),
            400,
            "sequence_too_far",
            Some(too_far.id().to_hex()),
        ),
        (
            "invalid payload field",
            cbor,
            invalid_payload.to_bytes(),
            400,
            "invalid_payload",
            Some(invalid_payload.id().to_hex()),
        ),
    ];
    for (what, ct, body, status, code, id) in &cases {
        let r = post(api, "/v1/events", ct, body);
        assert_eq!(
            r.error(),
            (*status, (*code).to_owned()),
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            r.json()["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: a reason is given: {}",
            r.json()
        );
        if let Some(id) = id {
            assert_not_stored(api, id);
        }
    }

    // The same refusals inside a batch: one answer per item, in order, same codes.
    let batch = vec![
        stranger.clone(),
        carrier_clears.clone(),
        other_chain.clone(),
        forged.clone(),
        good.clone(),
        next.clone(),
    ];
    let r = post(api, "/v1/events/batch", cbor, &codec::to_canonical(&batch));
    assert_eq!(r.status, 200, "{}", r.json());
    let items = r.json()["results"].as_array().cloned().expect("results");
    let got: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["status"].as_str().unwrap_or("").to_owned(),
                i["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("rejected", "unknown_signer"),
        ("rejected", "role_not_allowed"),
        ("rejected", "wrong_chain"),
        ("rejected", "bad_signature"),
        ("known", "already_committed"),
        ("pending", ""),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(got, want, "{}", r.json());
    accepted.insert(next.id().to_hex());
    for (what, ct, body, status, code) in [
        (
            "batch that is not CBOR",
            cbor,
            b"\xff\xff".to_vec(),
            400,
            "malformed",
        ),
        ("batch that is not JSON", js, b"{".to_vec(), 400, "bad_json"),
        ("empty batch", cbor, vec![0x80], 400, "empty_batch"),
        (
            "batch of text/plain",
            "text/plain",
            vec![0x80],
            415,
            "unsupported_media_type",
        ),
        (
            "batch over the body limit",
            cbor,
            vec![0x80; 17 * 256 * 1024],
            413,
            "too_large",
        ),
    ] {
        let r = post(api, "/v1/events/batch", ct, &body);
        assert_eq!(r.error(), (status, code.to_owned()), "{what}: {}", r.json());
    }

    // A key introduced in a batch (device registration) may sign other items of it, whatever
    // their order; a forged introduction lets nothing through.
    let mut carrier = Actor::new(testkit::CARRIER);
    let register = |carrier: &mut Actor, device: &Actor, id: &str| {
        carrier.sign(Payload::DeviceRegistration(DeviceRegistration {
            device_key: device.key.public(),
            device_id: id.into(),
            kinds: vec![EventKind::SensorReport],
        }))
    };
    let reading = |device: &mut Actor| {
        device.sign(Payload::SensorReport(testkit::sensor_report(
            "ABUSE-1",
            testkit::series(testkit::T0_MS, 60_000, 3, 7_000),
        )))
    };
    let mut logger = Actor::new("reefer-logger-1");
    let mut ghost = Actor::new("reefer-logger-ghost");
    // Registered under the device id its reports name (testkit's `reefer-logger-1`).
    let registration = register(&mut carrier, &logger, "reefer-logger-1");
    let mut forged_registration = register(&mut carrier, &ghost, "REEFER-GHOST");
    forged_registration.signature = registration.signature;
    let logged = reading(&mut logger);
    let ghost_logged = reading(&mut ghost);
    let batch = [&logged, &registration, &ghost_logged, &forged_registration];
    let r = post(api, "/v1/events/batch", cbor, &codec::to_canonical(&batch));
    let got: Vec<(String, String)> = r.json()["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|i| {
            (
                i["status"].as_str().unwrap_or("").to_owned(),
                i["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("pending", ""),
            ("pending", ""),
            ("rejected", "unknown_signer"),
            ("rejected", "bad_signature"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned())),
        "{}",
        r.json()
    );
    accepted.insert(logged.id().to_hex());
    accepted.insert(registration.id().to_hex());
    assert_not_stored(api, &ghost_logged.id().to_hex());

    // Bad paths, parameters and methods: JSON errors with codes, never a 5xx.
    for (what, method, path, status, code) in [
        ("event id not hex", "GET", "/v1/events/zz", 400, "bad_id"),
        (
            "event id too short",
            "GET",
            "/v1/events/abcd",
            400,
            "bad_id",
        ),
        (
            "event id not UTF-8",
            "GET",
            "/v1/events/%FF%FE",
            400,
            "bad_request",
        ),
        (
            "unknown event",
            "GET",
            &format!("/v1/events/{}", "0".repeat(64)),
            404,
            "not_found",
        ),
        (
            "proof of an unknown event",
            "GET",
            &format!("/v1/proofs/events/{}", "1".repeat(64)),
            404,
            "not_found",
        ),
        (
            "proof format",
            "GET",
            &format!("/v1/proofs/events/{}?format=xml", good.id()),
            400,
            "bad_format",
        ),
        (
            "shipment id too long",
            "GET",
            &format!("/v1/shipments/{}", "S".repeat(65)),
            400,
            "bad_id",
        ),
        (
            "unknown shipment",
            "GET",
            "/v1/shipments/NOPE",
            404,
            "not_found",
        ),
        (
            "height not a number",
            "GET",
            "/v1/blocks/abc",
            400,
            "bad_height",
        ),
        (
            "height out of range",
            "GET",
            "/v1/blocks/99999999999999999999999",
            400,
            "bad_height",
        ),
        (
            "height not committed",
            "GET",
            "/v1/blocks/18446744073709551615",
            404,
            "not_found",
        ),
        (
            "negative limit",
            "GET",
            "/v1/blocks?limit=-1",
            400,
            "bad_request",
        ),
        (
            "from not a number",
            "GET",
            "/v1/blocks?from=abc",
            400,
            "bad_request",
        ),
        (
            "block format",
            "GET",
            "/v1/blocks/latest?format=xml",
            400,
            "bad_format",
        ),
        (
            "stream severity",
            "GET",
            "/v1/stream?severity=loud",
            400,
            "bad_severity",
        ),
        ("no such endpoint", "GET", "/v1/nothing", 404, "no_route"),
        (
            "wrong method",
            "DELETE",
            "/v1/events",
            405,
            "method_not_allowed",
        ),
        (
            "GET on a POST endpoint",
            "GET",
            "/v1/events/batch",
            405,
            "method_not_allowed",
        ),
    ] {
        let r = send(api, None, method, path, None, b"").expect("node answers");
        assert_eq!(r.error(), (status, code.to_owned()), "{what}: {}", r.json());
    }

    // Nothing refused was committed: the blocks hold exactly the accepted events.
    node.assert_healthy();
    let after = declaration(&mut exporter, "ABUSE-AFTER");
    let r = post(api, "/v1/events", "application/json", &json(&after));
    assert_eq!(r.status, 202, "{}", r.json());
    accepted.insert(after.id().to_hex());
    support::wait_for("every accepted event to commit", COMMIT_WAIT, || {
        accepted
            .iter()
            .all(|id| get(api, &format!("/v1/events/{id}")).json()["status"] == "committed")
            .then_some(())
    });
    // Once its registration committed, the device may sign only the kinds registered.
    let wrong_kind = logger.sign(Payload::Custody(testkit::custody(
        "ABUSE-1",
        "shipping",
        "MXUPN",
        testkit::T0_MS,
        Vec::new(),
    )));
    let r = post(
        api,
        "/v1/events",
        "application/cbor",
        &wrong_kind.to_bytes(),
    );
    assert_eq!(
        r.error(),
        (403, "device_kind_not_allowed".to_owned()),
        "{}",
        r.json()
    );
    assert_not_stored(api, &wrong_kind.id().to_hex());
    assert_eq!(
        node.committed_ids(),
        accepted,
        "blocks hold only accepted events"
    );
    let metrics = String::from_utf8_lossy(&get(api, "/metrics").body).into_owned();
    for code in [
        "unknown_signer",
        "role_not_allowed",
        "wrong_chain",
        "bad_signature",
    ] {
        assert!(
            metrics.contains(&format!(
                "tradeledger_events_rejected_total{{reason=\"{code}\"}}"
            )),
            "metric for {code}:\n{metrics}"
        );
    }
    node.assert_healthy();
}

#[test]
fn a_burst_from_one_client_gets_429_while_another_client_is_served() {
    let mut node = OneNode::start(&[
        "--api-write-requests-per-s",
        "1",
        "--api-write-burst",
        "5",
        "--api-read-requests-per-s",
        "1",
        "--api-read-burst",
        "1000",
    ]);
    let api = node.api;
    let one = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let two = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    let submit = |source: Option<IpAddr>| {
        send(
            api,
            source,
            "POST",
            "/v1/events",
            Some("application/cbor"),
            b"\xff",
        )
        .expect("node answers")
    };
    // The burst: refused on its merits (malformed), not for its rate.
    for i in 0..5 {
        assert_eq!(
            submit(one).error(),
            (400, "malformed".into()),
            "request {i}"
        );
    }
    let limited = submit(one);
    assert_eq!(
        limited.error(),
        (429, "rate_limited".into()),
        "{}",
        limited.json()
    );
    let retry: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // Another address has its own bucket; reads have theirs.
    match connect(api, two) {
        Some(_) => assert_eq!(submit(two).error(), (400, "malformed".into())),
        None => eprintln!("cannot bind 127.0.0.2 here; the keyed limiter's unit test covers it"),
    }
    assert_eq!(
        get(api, "/v1/status").status,
        200,
        "reads are limited apart"
    );
    let metrics = String::from_utf8_lossy(&get(api, "/metrics").body).into_owned();
    assert!(
        metrics.contains("tradeledger_api_rate_limited_total{class=\"write\"} 1\n"),
        "{metrics}"
    );
    node.assert_healthy();
}
