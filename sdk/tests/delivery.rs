//! Online-or-spool delivery: the spool first, the node when reachable, in order, exactly once
//! by id; the HTTP client as the spool's transport.
#![allow(clippy::unwrap_used)]

mod common;

use common::fake_node::FakeNode;
use std::time::Duration;
use tradeledger_sdk::builders::{Build, ClearanceBuilder};
use tradeledger_sdk::client::{BlockingClient, Client, Retry};
use tradeledger_sdk::delivery::{Backoff, Delivery, Transient};
use tradeledger_sdk::signer::Signer;
use tradeledger_sdk::spool::{Spool, SpooledEvent, Submit};
use tradeledger_types::{Decision, EventId, SecretKey, SignedEvent};

#[derive(Debug)]
enum FakeError {
    Down,
    Refused,
}

impl std::fmt::Display for FakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl Transient for FakeError {
    fn is_transient(&self) -> bool {
        matches!(self, FakeError::Down)
    }
}

/// A node that can be down, and refuses events with the given sequence numbers.
#[derive(Default)]
struct FakeTransport {
    up: bool,
    refuse_seq: Vec<u64>,
    got: Vec<EventId>,
    seqs: Vec<u64>,
}

impl Submit for FakeTransport {
    type Error = FakeError;
    fn submit(&mut self, e: &SpooledEvent) -> Result<(), FakeError> {
        if !self.up {
            return Err(FakeError::Down);
        }
        let seq = e.event().unwrap().body.seq;
        if self.refuse_seq.contains(&seq) {
            return Err(FakeError::Refused);
        }
        self.got.push(e.id);
        self.seqs.push(seq);
        Ok(())
    }
}

fn events(n: usize) -> Vec<SignedEvent> {
    let mut s = Signer::new(SecretKey::from_seed([4; 32]), "demo");
    (0..n)
        .map(|i| {
            ClearanceBuilder::new(format!("SHP-{i}"), Decision::Release)
                .sign(&mut s)
                .unwrap()
        })
        .collect()
}

const NO_WAIT: Backoff = Backoff {
    initial: Duration::ZERO,
    max: Duration::ZERO,
};

#[test]
fn send_delivers_at_once_when_the_node_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FakeTransport {
        up: true,
        ..Default::default()
    };
    let mut d = Delivery::open(dir.path(), transport).unwrap();
    for e in events(3) {
        let r = d.send(&e).unwrap();
        assert_eq!((r.delivered, r.pending, r.offline), (1, 0, None));
    }
    assert_eq!(d.transport().seqs, [1, 2, 3]);
}

#[test]
fn offline_events_are_spooled_then_delivered_in_order_once() {
    let dir = tempfile::tempdir().unwrap();
    let evs = events(5);
    {
        let mut d = Delivery::open(dir.path(), FakeTransport::default())
            .unwrap()
            .with_backoff(NO_WAIT);
        for e in &evs[..3] {
            let r = d.send(e).unwrap();
            assert!(r.offline.is_some());
            assert_eq!(r.delivered, 0);
        }
        assert_eq!(d.pending(), 3);
    } // the process "restarts": the spool is on disk
    let mut d = Delivery::open(dir.path(), FakeTransport::default())
        .unwrap()
        .with_backoff(NO_WAIT);
    assert_eq!(d.pending(), 3);
    d.send(&evs[3]).unwrap();
    assert_eq!(d.pending(), 4);
    // Back online: the next send drains the backlog first, in order.
    let mut d = Delivery::open(
        dir.path(),
        FakeTransport {
            up: true,
            ..Default::default()
        },
    )
    .unwrap();
    let r = d.send(&evs[4]).unwrap();
    assert_eq!((r.delivered, r.pending), (5, 0));
    assert_eq!(d.transport().seqs, [1, 2, 3, 4, 5]);
    let ids: Vec<EventId> = evs.iter().map(SignedEvent::id).collect();
    assert_eq!(d.transport().got, ids);
    assert_eq!(d.drain().unwrap().delivered, 0);
}

#[test]
fn a_backoff_in_force_spools_without_trying() {
    let dir = tempfile::tempdir().unwrap();
    let backoff = Backoff {
        initial: Duration::from_secs(3600),
        max: Duration::from_secs(3600),
    };
    let mut d = Delivery::open(dir.path(), FakeTransport::default())
        .unwrap()
        .with_backoff(backoff);
    let evs = events(2);
    assert!(d.send(&evs[0]).unwrap().offline.is_some());
    assert!(!d.is_due());
    assert!(d.next_attempt().is_some());
    let r = d.send(&evs[1]).unwrap();
    assert_eq!((r.offline, r.pending), (None, 2));
}

#[test]
fn a_refused_record_is_set_aside_and_delivery_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FakeTransport {
        up: true,
        refuse_seq: vec![2],
        ..Default::default()
    };
    let mut d = Delivery::open(dir.path(), transport).unwrap();
    let evs = events(3);
    let mut rejected = Vec::new();
    for e in &evs {
        rejected.extend(d.send(e).unwrap().rejected);
    }
    assert_eq!(d.transport().seqs, [1, 3]);
    assert_eq!(rejected.len(), 1);
    assert_eq!((rejected[0].index, rejected[0].id), (1, evs[1].id()));
    let dead = std::fs::read_to_string(dir.path().join("rejected.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(dead.trim()).unwrap();
    assert_eq!(line["id"], evs[1].id().to_string());
    assert_eq!(line["bytes_hex"], hex::encode(evs[1].to_bytes()));
}

#[test]
fn the_blocking_client_delivers_the_spool_and_takes_409_as_delivered() {
    let node = FakeNode::start();
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path()).unwrap();
    let evs = events(3);
    for e in &evs {
        spool.append(e).unwrap();
    }
    // The reply to the first post is lost: the client re-posts, the node answers 409.
    node.seen.lock().unwrap().lose_next_reply = true;
    let mut client = BlockingClient::new(&node.url()).unwrap().with_retry(Retry {
        attempts: 3,
        backoff_initial: Duration::from_millis(1),
        backoff_max: Duration::from_millis(1),
    });
    assert_eq!(spool.deliver(&mut client).unwrap(), 3);
    let seen = node.seen.lock().unwrap();
    assert_eq!(seen.duplicates, 1);
    let ids: Vec<EventId> = seen.events.iter().map(SignedEvent::id).collect();
    assert_eq!(ids, evs.iter().map(SignedEvent::id).collect::<Vec<_>>());
}

#[test]
fn the_async_client_delivers_the_spool_and_stops_when_the_node_is_down() {
    let mut node = FakeNode::start();
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path()).unwrap();
    let evs = events(4);
    for e in &evs[..2] {
        spool.append(e).unwrap();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::new(&node.url()).unwrap().with_retry(Retry {
        attempts: 1,
        ..Retry::default()
    });
    assert_eq!(rt.block_on(client.deliver_spool(&mut spool)).unwrap(), 2);
    node.stop();
    for e in &evs[2..] {
        spool.append(e).unwrap();
    }
    let err = rt.block_on(client.deliver_spool(&mut spool)).unwrap_err();
    assert!(err.to_string().contains("record 2"), "{err}");
    assert_eq!(spool.pending(), 2);
    node.restart();
    assert_eq!(rt.block_on(client.deliver_spool(&mut spool)).unwrap(), 2);
    assert_eq!(node.count(), 4);
}
