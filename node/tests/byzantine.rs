//! One Byzantine validator among four, over the real libp2p network: three real `tradeledger`
//! processes and, in this test process, validator 3's key driving [`attacker::Attacker`]
//! (equivocation, broken signatures, forged QCs and TCs, replays, junk frames, floods of
//! invalid events). The honest three keep safety (identical blocks) and liveness (heights
//! advance, submitted events commit), and count every kind of bad message in `/metrics`.
//!
//! Why a test-side attacker rather than a `byzantine` feature of the node: nothing Byzantine
//! is compiled into the binary operators run, the test runs in every CI build without feature
//! juggling, and the attacker controls the bytes on the wire (lying length prefixes,
//! non-canonical frames) that the node's own codec would refuse to write.

mod support;

#[path = "byzantine/attacker.rs"]
mod attacker;
#[path = "byzantine/forge.rs"]
mod forge;
#[path = "byzantine/wire.rs"]
mod wire;

use attacker::{Attacker, Report};
use futures::StreamExt as _;
use libp2p::request_response::{self, Message};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Cluster, http};
use tradeledger_consensus::{CertifiedBlock, ConsensusConfig};
use tradeledger_contracts::testkit::{self, Actor};
use tradeledger_node::execution::Executor;
use tradeledger_node::storage::Store;
use tradeledger_types::{Payload, PublicKey};

const WAIT: Duration = Duration::from_secs(40);
/// The Byzantine validator's index.
const BYZANTINE: usize = 3;
const HONEST: [usize; 3] = [0, 1, 2];
/// How often the attacker sends its timed misdeeds.
const TICK: Duration = Duration::from_millis(200);

/// Where a counter must show up on the honest nodes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Sent to every validator: every honest node counts it.
    Everywhere,
    /// The attacker sends these votes to the next leader only: some honest node counts it.
    Somewhere,
}

/// Counters the honest nodes must show, as (metric family, reason, where).
const EXPECTED: [(&str, &str, Seen); 15] = [
    (
        "tradeledger_consensus_messages_dropped_total",
        "equivocation",
        Seen::Somewhere,
    ),
    (
        "tradeledger_consensus_messages_dropped_total",
        "bad_signature",
        Seen::Everywhere,
    ),
    (
        "tradeledger_consensus_messages_dropped_total",
        "bad_quorum_certificate",
        Seen::Everywhere,
    ),
    (
        "tradeledger_consensus_messages_dropped_total",
        "bad_timeout_certificate",
        Seen::Everywhere,
    ),
    (
        "tradeledger_consensus_messages_dropped_total",
        "not_leader",
        Seen::Everywhere,
    ),
    (
        "tradeledger_consensus_messages_dropped_total",
        "stale_round",
        Seen::Everywhere,
    ),
    (
        "tradeledger_consensus_messages_dropped_total",
        "duplicate",
        Seen::Somewhere,
    ),
    (
        "tradeledger_consensus_messages_dropped_total",
        "malformed",
        Seen::Everywhere,
    ),
    (
        "tradeledger_consensus_messages_dropped_total",
        "wrong_chain",
        Seen::Somewhere,
    ),
    (
        "tradeledger_p2p_messages_dropped_total",
        "oversize_frame",
        Seen::Everywhere,
    ),
    (
        "tradeledger_p2p_messages_dropped_total",
        "undecodable_frame",
        Seen::Everywhere,
    ),
    (
        "tradeledger_p2p_messages_dropped_total",
        "undecodable_batch",
        Seen::Everywhere,
    ),
    (
        "tradeledger_p2p_messages_dropped_total",
        "duplicate_batch",
        Seen::Everywhere,
    ),
    (
        "tradeledger_events_rejected_total",
        "bad_signature",
        Seen::Everywhere,
    ),
    (
        "tradeledger_events_rejected_total",
        "wrong_chain",
        Seen::Everywhere,
    ),
];

/// Every `family{reason="..."} value` line of a node's `/metrics`.
fn counters(c: &Cluster, i: usize) -> BTreeMap<(String, String), u64> {
    let Some(r) = http::get(c.nodes[i].api, "/metrics") else {
        return BTreeMap::new();
    };
    let text = String::from_utf8_lossy(&r.body).into_owned();
    text.lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once("{reason=\"")?;
            let (reason, value) = rest.split_once("\"} ")?;
            Some(((name.to_owned(), reason.to_owned()), value.parse().ok()?))
        })
        .collect()
}

/// Sum over the honest nodes of one counter.
fn honest_sum(per_node: &[BTreeMap<(String, String), u64>], family: &str, reason: &str) -> u64 {
    per_node
        .iter()
        .map(|m| {
            m.get(&(family.to_owned(), reason.to_owned()))
                .copied()
                .unwrap_or(0)
        })
        .sum()
}

/// Replays of honest events may be refused as pending duplicates or, once committed, as
/// committed or out of sequence: all are the same misdeed.
fn replayed_events(per_node: &[BTreeMap<(String, String), u64>]) -> u64 {
    ["duplicate", "already_committed", "stale_sequence"]
        .iter()
        .map(|r| honest_sum(per_node, "tradeledger_events_rejected_total", r))
        .sum()
}

/// Runs the attacker until `stop`; returns what it did.
fn run_attacker(
    c: &Cluster,
    data_dir: std::path::PathBuf,
    stop: Arc<AtomicBool>,
    report: Arc<Mutex<Report>>,
) -> std::thread::JoinHandle<()> {
    let genesis = c.genesis.clone();
    let source = c.nodes[HONEST[0]].api;
    let key = Cluster::key(BYZANTINE);
    let listen: Multiaddr = format!("/ip4/127.0.0.1/tcp/{}", c.nodes[BYZANTINE].p2p_port)
        .parse()
        .expect("multiaddr");
    let honest: Vec<(PublicKey, PeerId, Multiaddr)> = HONEST
        .iter()
        .map(|&i| {
            let k = Cluster::key(i);
            let addr = format!("/ip4/127.0.0.1/tcp/{}", c.nodes[i].p2p_port)
                .parse()
                .expect("multiaddr");
            (k.public(), k.peer_id(), addr)
        })
        .collect();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let store = Store::open(&data_dir, genesis.hash()).expect("attacker store");
            let executor = Executor::open(store, &genesis).expect("attacker executor");
            let cfg = ConsensusConfig::from_genesis(&genesis).expect("consensus config");
            let fetch: attacker::FetchBlock = Box::new(move |h| {
                let r = http::get(source, &format!("/v1/blocks/{h}?format=cbor"))?;
                tradeledger_types::codec::from_canonical::<CertifiedBlock>(
                    &r.body,
                    tradeledger_types::codec::MESSAGE_BYTES_MAX,
                    "certified block",
                )
                .ok()
                .map(|cb| cb.block)
            });
            let mut attacker = Attacker::new(
                cfg,
                key.secret().clone(),
                honest.iter().map(|(k, p, _)| (*k, *p)).collect(),
                executor,
                fetch,
            );
            let mut swarm = wire::swarm(key.libp2p_keypair(), listen);
            let mut tick = tokio::time::interval(TICK);
            let mut dial = tokio::time::interval(Duration::from_millis(500));
            while !stop.load(Ordering::Relaxed) {
                let out = tokio::select! {
                    e = swarm.select_next_some() => match e {
                        SwarmEvent::Behaviour(request_response::Event::Message {
                            peer,
                            message: Message::Request { request, channel, .. },
                            ..
                        }) => {
                            let (response, out) = attacker.on_request(peer, &request);
                            let _ = swarm.behaviour_mut().send_response(channel, response);
                            out
                        }
                        _ => Vec::new(),
                    },
                    _ = tick.tick() => attacker.on_tick(),
                    _ = dial.tick() => {
                        for (_, p, a) in &honest {
                            if !swarm.is_connected(p) {
                                let _ = swarm.dial(
                                    libp2p::swarm::dial_opts::DialOpts::peer_id(*p)
                                        .addresses(vec![a.clone()])
                                        .build(),
                                );
                            }
                        }
                        Vec::new()
                    }
                };
                for (peer, bytes) in out {
                    swarm.behaviour_mut().send_request(&peer, bytes);
                }
                *report.lock().expect("report lock") = attacker.report.clone();
            }
        });
    })
}

#[test]
fn three_honest_validators_keep_safety_and_liveness_against_a_byzantine_fourth() {
    let mut c = Cluster::init(4);
    let stop = Arc::new(AtomicBool::new(false));
    let report = Arc::new(Mutex::new(Report::default()));
    let attacker = run_attacker(
        &c,
        c.dir.path().join("byzantine-data"),
        stop.clone(),
        report.clone(),
    );
    for i in HONEST {
        c.start(i);
    }
    for i in HONEST {
        c.wait_height(i, 2, WAIT);
    }
    let start = HONEST
        .iter()
        .filter_map(|&i| c.height(i))
        .min()
        .expect("heights");

    // Liveness under attack: events submitted to each honest node commit on all three.
    let mut exporter = Actor::new(testkit::EXPORTER);
    let mut ids = Vec::new();
    for round in 0..3 {
        for (k, &i) in HONEST.iter().enumerate() {
            let e = exporter.sign(Payload::ShipmentDeclaration(testkit::declaration(
                &format!("BYZ-{round}-{k}"),
            )));
            ids.push(c.submit(i, &e));
        }
        std::thread::sleep(Duration::from_millis(700));
    }
    for id in &ids {
        for i in HONEST {
            let v = c.wait_committed(i, id, WAIT);
            assert_eq!(v["outcome"], "applied", "event {id} on node {i}: {v}");
        }
    }
    // Heights advance, and every kind of misdeed has been counted somewhere.
    for i in HONEST {
        c.wait_height(i, start + 10, WAIT);
    }
    let deadline = std::time::Instant::now() + WAIT;
    let (per_node, missing) = loop {
        let per_node: Vec<_> = HONEST.iter().map(|&i| counters(&c, i)).collect();
        let mut missing: Vec<String> = EXPECTED
            .iter()
            .filter(|(f, r, seen)| match seen {
                Seen::Somewhere => honest_sum(&per_node, f, r) == 0,
                Seen::Everywhere => per_node.iter().any(|m| {
                    m.get(&(f.to_string(), r.to_string()))
                        .is_none_or(|v| *v == 0)
                }),
            })
            .map(|(f, r, _)| format!("{f}{{reason=\"{r}\"}}"))
            .collect();
        if replayed_events(&per_node) == 0 {
            missing.push("replayed events rejected".into());
        }
        if !report
            .lock()
            .expect("report lock")
            .did
            .contains_key("rounds_led_with_equivocation")
        {
            missing.push("a round led by the Byzantine validator".into());
        }
        if missing.is_empty() || std::time::Instant::now() > deadline {
            break (per_node, missing);
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    stop.store(true, Ordering::Relaxed);
    attacker.join().expect("attacker thread");

    // Safety: the honest nodes hold identical blocks (and so identical lagged state and
    // results roots) up to the lowest of their heights.
    let top = HONEST
        .iter()
        .filter_map(|&i| c.height(i))
        .min()
        .expect("heights");
    assert!(top >= start + 10, "heights stalled: {start} -> {top}");
    let byzantine_key = Cluster::key(BYZANTINE).public();
    let mut byzantine_blocks = 0;
    for h in 1..=top {
        let first = c.block_cbor(HONEST[0], h).expect("block on node 0");
        let cb: CertifiedBlock = tradeledger_types::codec::from_canonical(
            &first,
            tradeledger_types::codec::MESSAGE_BYTES_MAX,
            "certified block",
        )
        .expect("canonical certified block");
        if cb.block.header.proposer == byzantine_key {
            byzantine_blocks += 1;
        }
        for &i in &HONEST[1..] {
            assert_eq!(
                c.block_cbor(i, h).as_ref(),
                Some(&first),
                "block {h} differs on node {i}"
            );
        }
    }

    // The figures for docs/security.md.
    let did = report.lock().expect("report lock").did.clone();
    println!(
        "byzantine validator did (heights {start} -> {top}; {byzantine_blocks} of its equivocating proposals committed):"
    );
    for (what, n) in &did {
        println!("  {what:<34} {n}");
    }
    println!("honest nodes counted (node 0 / node 1 / node 2):");
    let mut families: Vec<(String, String)> = per_node
        .iter()
        .flat_map(|m| m.keys().cloned())
        .filter(|(f, _)| f.ends_with("_dropped_total") || f.ends_with("_rejected_total"))
        .collect();
    families.sort();
    families.dedup();
    for (f, r) in &families {
        let v: Vec<String> = per_node
            .iter()
            .map(|m| {
                m.get(&(f.clone(), r.clone()))
                    .copied()
                    .unwrap_or(0)
                    .to_string()
            })
            .collect();
        println!("  {f}{{reason=\"{r}\"}} {}", v.join(" / "));
    }
    assert!(missing.is_empty(), "not seen: {missing:?}");
    for i in HONEST {
        c.stop(i);
    }
}
