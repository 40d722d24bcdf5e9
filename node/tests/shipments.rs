//! `GET /v1/shipments/{id}` on a shipment with more timeline entries than one page: the timeline
//! comes in pages that join up exactly, the history (verdicts) is found through its own index,
//! bad paging parameters get a 400 naming them, and `audit report` pages through the whole
//! timeline.

mod one_node;
mod support;

use one_node::{OneNode, send, submit, wait_committed};
use std::process::Command;
use tradeledger_contracts::testkit::{self, Actor};
use tradeledger_types::Payload;

const SHIPMENT: &str = "SHP-PAGED";
/// Custody events after the declaration and the certificate: more than one default page (200).
const CUSTODY_EVENTS: u64 = 260;

#[test]
fn timeline_pages_join_up_and_history_comes_from_its_index() {
    let node = OneNode::start(&["--api-write-requests-per-s", "0"]);
    let api = node.api;
    let post = |e: &tradeledger_types::SignedEvent| submit(api, e);
    let mut exporter = Actor::new(testkit::EXPORTER);
    let mut carrier = Actor::new(testkit::CARRIER);
    let declaration = testkit::declaration(SHIPMENT);
    let mut ids = vec![post(
        &exporter.sign(Payload::ShipmentDeclaration(declaration.clone())),
    )];
    let certificate = exporter.sign(Payload::CertificateOfOrigin(testkit::certificate(
        &declaration,
        "COO-PAGED",
    )));
    let certificate_id = post(&certificate);
    ids.push(certificate_id.clone());
    for i in 0..CUSTODY_EVENTS {
        ids.push(post(&carrier.sign(Payload::Custody(testkit::custody(
            SHIPMENT,
            "departing",
            "MXZLO",
            testkit::T0_MS + i * 60_000,
            vec![testkit::pallet(1)],
        )))));
    }
    wait_committed(api, &ids);

    let get = |query: &str| {
        let r = send(
            api,
            None,
            "GET",
            &format!("/v1/shipments/{SHIPMENT}{query}"),
            None,
            b"",
        )
        .expect("node answers");
        (r.status, r.json())
    };
    // The default page, then the rest, join up into every event in commit order.
    let (status, first) = get("");
    assert_eq!(status, 200, "{first}");
    let page = |v: &serde_json::Value| -> Vec<String> {
        v["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|t| t["event_id"].as_str().expect("event id").to_owned())
            .collect()
    };
    assert_eq!(page(&first).len(), 200);
    assert_eq!(first["timeline_from"], 0);
    let next = first["timeline_next"].as_u64().expect("a next page");
    let (status, rest) = get(&format!("?timeline_from={next}&timeline_limit=1000"));
    assert_eq!(status, 200, "{rest}");
    assert!(rest["timeline_next"].is_null(), "{}", rest["timeline_next"]);
    let mut all = page(&first);
    all.extend(page(&rest));
    // Every event is a timeline entry, in commit order.
    assert!(
        all == ids,
        "{} timeline entries for {} events; first difference at entry {:?}",
        all.len(),
        ids.len(),
        all.iter().zip(&ids).position(|(a, b)| a != b)
    );
    // A page of one, from the middle.
    let (_, one) = get("?timeline_from=7&timeline_limit=1");
    assert_eq!(page(&one), vec![ids[7].clone()]);
    assert_eq!(one["timeline_next"], 8);
    // The origin verdict is found through the history index, with the event that produced it.
    let verdicts = first["verdicts"].as_array().expect("verdicts");
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    assert_eq!(verdicts[0]["event_id"], certificate_id.as_str());

    for (query, field) in [
        ("?timeline_from=-1", "timeline_from"),
        ("?timeline_limit=many", "timeline_limit"),
        ("?timeline_from=4294967296", "timeline_from"),
    ] {
        let (status, body) = get(query);
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(field)),
            "{query}: {body}"
        );
    }

    // `tradeledger query shipment` shows one page and says where the next one starts.
    let out = Command::new(support::bin())
        .args(["query", "shipment", SHIPMENT, "--timeline-from", "250"])
        .args(["--timeline-limit", "5", "--node"])
        .arg(format!("http://{api}"))
        .output()
        .expect("run query shipment");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for id in &ids[250..255] {
        assert!(text.contains(id.as_str()), "{id} missing from:\n{text}");
    }
    assert!(!text.contains(ids[255].as_str()), "{text}");
    assert!(text.contains("more entries: --timeline-from 255"), "{text}");

    // The dossier follows the pages: every event, each with a verified proof.
    let genesis = node
        .home
        .parent()
        .expect("home has a parent")
        .join("genesis.toml");
    let out = Command::new(support::bin())
        .args(["audit", "report", SHIPMENT, "--format", "json", "--node"])
        .arg(format!("http://{api}"))
        .arg("--genesis")
        .arg(&genesis)
        .output()
        .expect("run audit report");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dossier: serde_json::Value = serde_json::from_slice(&out.stdout).expect("dossier JSON");
    let events = dossier["events"].as_array().expect("events");
    let dossier_ids: Vec<&str> = events
        .iter()
        .map(|e| e["event_id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        dossier_ids,
        ids.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(
        events.iter().all(|e| e["proof"] == "verified"),
        "{events:?}"
    );
    let mut node = node;
    node.assert_healthy();
}
