//! A real chain for auditor tests: events executed by `contracts`, blocks certified by a quorum
//! of four validators with fixed keys. Used by unit tests and `node/tests/audit.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use tradeledger_consensus::CertifiedBlock;
use tradeledger_contracts::testkit::{self, Actor};
use tradeledger_contracts::{MemStore, execute_block, init_genesis, results_root};
use tradeledger_types::*;

pub fn validator_keys() -> Vec<SecretKey> {
    (91..95).map(|s| SecretKey::from_seed([s; 32])).collect()
}

pub fn genesis() -> Genesis {
    let mut g = testkit::genesis();
    g.validators = validator_keys()
        .iter()
        .enumerate()
        .map(|(i, k)| ValidatorInfo {
            name: format!("v{i}"),
            org: testkit::CUSTOMS.into(),
            consensus_key: k.public(),
            peer_id: format!("peer{i}"),
            voting_power: 1,
        })
        .collect();
    g
}

pub fn certify(g: &Genesis, block: &Block, signers: &[usize]) -> QuorumCertificate {
    let set = g.validator_set().unwrap();
    let data = VoteData {
        chain_id: g.chain_id.clone(),
        block_hash: block.hash(),
        height: block.header.height,
        round: block.header.round,
    };
    let keys = validator_keys();
    let votes: Vec<Vote> = signers
        .iter()
        .map(|&i| Vote::sign(data.clone(), &keys[i]))
        .collect();
    QuorumCertificate::from_votes(&set, &votes)
}

/// A valid chain of `n` blocks with real events, roots computed by executing them.
pub fn chain(n: u64) -> (Genesis, Vec<CertifiedBlock>) {
    let g = genesis();
    let mut store = MemStore::new();
    let mut state_root = init_genesis(&mut store, &g).unwrap();
    let mut results = results_root(&[]);
    let mut parent = g.hash();
    let mut justify = QuorumCertificate::genesis(&g.chain_id, g.hash());
    let mut shipper = Actor::new(testkit::EXPORTER);
    let mut out = Vec::new();
    for h in 1..=n {
        let events = vec![
            shipper.sign(Payload::ShipmentDeclaration(testkit::declaration(
                &format!("SHP-{h}"),
            ))),
        ];
        let ids: Vec<EventId> = events.iter().map(SignedEvent::id).collect();
        let header = BlockHeader {
            chain_id: g.chain_id.clone(),
            height: h,
            round: h,
            parent_hash: parent,
            proposer: validator_keys()[(h % 4) as usize].public(),
            block_time_ms: testkit::T0_MS + h * 1000,
            events_root: events_root(&ids),
            event_count: events.len() as u32,
            state_root,
            results_root: results,
        };
        let block = Block {
            header,
            justify: justify.clone(),
            timeout_cert: None,
            events,
        };
        let r = execute_block(&mut store, &block).unwrap();
        assert!(
            r.outcomes.iter().all(|o| o.is_applied()),
            "fixture events must apply"
        );
        state_root = r.state_root;
        results = r.results_root;
        parent = block.hash();
        let qc = certify(&g, &block, &[0, 1, 2]);
        justify = qc.clone();
        out.push(CertifiedBlock { block, qc });
    }
    (g, out)
}
