//! Load on a local four-validator cluster: `cargo run -p tradeledger-node --example cluster_load
//! [EVENTS]` (build the binary first: `cargo build -p tradeledger-node`).
//!
//! Starts four `tradeledger` processes on 127.0.0.1, submits EVENTS shipment declarations
//! (default 2000) over HTTP from two signers (two client threads, each to its own node), waits
//! until node 0 has committed them all, and prints the submission rate, the commit throughput
//! and node 0's commit latency histogram. Numbers for BENCHMARKS.md.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};
use support::{Cluster, http};
use tradeledger_contracts::testkit::{self, Actor};
use tradeledger_types::Payload;

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
}

fn main() {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let mut c = Cluster::init(4);
    c.start_all();
    for i in 0..4 {
        c.wait_height(i, 1, Duration::from_secs(30));
    }
    let start_height = c.height(0).unwrap_or(0);
    let apis: Vec<_> = c.nodes.iter().map(|n| n.api).collect();
    let start = Instant::now();
    let threads: Vec<_> = [(testkit::EXPORTER, 0usize), (testkit::IMPORTER, 1usize)]
        .into_iter()
        .map(|(org, node)| {
            let api = apis[node];
            let n = total / 2;
            std::thread::spawn(move || {
                let mut actor = Actor::new(org);
                for i in 0..n {
                    let e = actor.sign(Payload::ShipmentDeclaration(testkit::declaration(
                        &format!("{org}-{i}"),
                    )));
                    loop {
                        match http::post_cbor(api, "/v1/events", &e.to_bytes()) {
                            Some(r) if r.status == 202 => break,
                            Some(r) if r.status == 503 => {
                                std::thread::sleep(Duration::from_millis(20))
                            }
                            other => panic!(
                                "submission failed: {:?}",
                                other.map(|r| (
                                    r.status,
                                    String::from_utf8_lossy(&r.body).into_owned()
                                ))
                            ),
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    let submitted = start.elapsed();
    let expected = (total / 2 * 2) as f64;
    let text = support::wait_for(
        "all events committed on node 0",
        Duration::from_secs(300),
        || {
            let m = String::from_utf8(http::get(apis[0], "/metrics")?.body).ok()?;
            (metric(&m, "tradeledger_events_committed_total")? >= expected).then_some(m)
        },
    );
    let committed = start.elapsed();
    let blocks = c.height(0).unwrap_or(0) - start_height;
    println!("events: {expected}, blocks: {blocks}");
    println!(
        "submitted in {:.2}s ({:.0} events/s over HTTP, 2 clients)",
        submitted.as_secs_f64(),
        expected / submitted.as_secs_f64()
    );
    println!(
        "all committed on node 0 after {:.2}s ({:.0} events/s end to end)",
        committed.as_secs_f64(),
        expected / committed.as_secs_f64()
    );
    for l in text
        .lines()
        .filter(|l| l.starts_with("tradeledger_commit_latency_seconds"))
    {
        println!("  {l}");
    }
    for i in 0..4 {
        c.stop(i);
    }
}
