//! A chain in memory: genesis, then blocks of events.

use tradeledger_contracts::testkit::{self, Actor, T0_MS};
use tradeledger_contracts::*;
use tradeledger_types::{Genesis, Payload, SignedEvent};

pub struct Chain {
    pub store: MemStore,
    pub height: u64,
    pub time_ms: u64,
}

impl Chain {
    pub fn new() -> Self {
        Self::with_genesis(&testkit::genesis())
    }

    pub fn with_genesis(g: &Genesis) -> Self {
        let mut store = MemStore::new();
        init_genesis(&mut store, g).expect("fixture genesis is valid");
        // Blocks start ten days after genesis time, so fixture events (dated from T0 + 1 day) are
        // in the past, as they would be when reported.
        Chain {
            store,
            height: 0,
            time_ms: T0_MS + 10 * testkit::DAY_MS,
        }
    }

    /// Executes a block at the next height, 10 minutes after the previous one.
    pub fn block(&mut self, events: &[SignedEvent]) -> BlockResults {
        self.height += 1;
        self.time_ms += 600_000;
        let ctx = BlockContext {
            height: self.height,
            block_time_ms: self.time_ms,
        };
        execute(&mut self.store, &ctx, events).expect("memory store does not fail")
    }

    /// Executes one event in its own block and returns its outcome.
    pub fn one(&mut self, ev: SignedEvent) -> EventOutcome {
        self.block(&[ev]).outcomes.remove(0)
    }

    /// Signs and executes; asserts it was applied; returns the derived records.
    pub fn apply(&mut self, actor: &mut Actor, p: Payload) -> Vec<Derived> {
        let o = self.one(actor.sign(p));
        assert_eq!(
            o.status,
            Status::Applied,
            "expected the event to be applied"
        );
        o.records
    }

    /// Signs and executes; returns the rejection code (None if applied). An event rejected
    /// after its envelope checks still uses up its sequence number; one rejected by them (chain,
    /// signer, device, sequence) does not, so the actor's counter is rewound then.
    pub fn try_apply(&mut self, actor: &mut Actor, p: Payload) -> Option<RejectCode> {
        let o = self.one(actor.sign(p));
        if !o.consumes_sequence() {
            actor.next_seq -= 1;
        }
        o.reject_code()
    }

    pub fn shipment(&self, id: &str) -> ShipmentRecord {
        shipment(&self.store, id)
            .expect("memory store")
            .expect("shipment exists")
    }

    pub fn flags(&self, id: &str) -> Vec<(String, tradeledger_types::Severity)> {
        self.shipment(id)
            .flags
            .into_iter()
            .map(|f| (f.rule_id, f.severity))
            .collect()
    }

    pub fn lane(&self, id: &str) -> Lane {
        self.shipment(id).lane
    }
}

/// Actors for every fixture organisation.
pub struct Parties {
    pub exporter: Actor,
    pub importer: Actor,
    pub carrier: Actor,
    pub other_carrier: Actor,
    pub customs: Actor,
    pub quarantine: Actor,
    pub rights: Actor,
    pub auditor: Actor,
}

impl Parties {
    pub fn new() -> Self {
        Parties {
            exporter: Actor::new(testkit::EXPORTER),
            importer: Actor::new(testkit::IMPORTER),
            carrier: Actor::new(testkit::CARRIER),
            other_carrier: Actor::new(testkit::OTHER_CARRIER),
            customs: Actor::new(testkit::CUSTOMS),
            quarantine: Actor::new(testkit::QUARANTINE),
            rights: Actor::new(testkit::RIGHTS_HOLDER),
            auditor: Actor::new(testkit::AUDITOR),
        }
    }
}

/// A chain with the fixture shipment `id` declared by the exporter.
pub fn declared(id: &str) -> (Chain, Parties) {
    let mut c = Chain::new();
    let mut p = Parties::new();
    c.apply(
        &mut p.exporter,
        Payload::ShipmentDeclaration(testkit::declaration(id)),
    );
    (c, p)
}

pub fn flag_ids(records: &[Derived]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match r {
            Derived::Flag { flag, .. } => Some(flag.rule_id.clone()),
            _ => None,
        })
        .collect()
}
