//! The verifier catches each kind of tampering at the right height, and accepts the real chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::fixture::{certify, chain, genesis};
use super::verify::{ChainVerifier, Reason};
use tradeledger_consensus::CertifiedBlock;
use tradeledger_types::*;

fn verify_all(g: &Genesis, blocks: &[CertifiedBlock]) -> Result<u64, (u64, Reason)> {
    let mut v = ChainVerifier::new(g).unwrap();
    for cb in blocks {
        v.verify(cb).map_err(|f| (f.height, f.reason))?;
    }
    Ok(v.tip().height)
}

#[test]
fn the_real_chain_verifies() {
    let (g, blocks) = chain(6);
    assert_eq!(verify_all(&g, &blocks), Ok(6));
}

#[test]
fn each_tampering_is_caught_at_its_height() {
    let (g, good) = chain(6);
    type Tamper = (
        &'static str,
        Box<dyn Fn(&mut Vec<CertifiedBlock>)>,
        u64,
        fn(&Reason) -> bool,
    );
    let cases: Vec<Tamper> = vec![
        (
            "one byte of an event changed",
            Box::new(|b| {
                let ev = &mut b[2].block.events[0];
                ev.body.seq ^= 1 << 20;
            }),
            3,
            |r| matches!(r, Reason::EventsRoot),
        ),
        (
            "an event re-signed by someone else, header fixed up",
            Box::new(|b| {
                let k = SecretKey::from_seed([5; 32]);
                let mut body = b[3].block.events[0].body.clone();
                body.signer = k.public();
                let mut ev = body.sign(&k);
                ev.signature.0[0] ^= 1;
                b[3].block.events[0] = ev;
                let ids = b[3].block.event_ids();
                b[3].block.header.events_root = events_root(&ids);
            }),
            4,
            |r| matches!(r, Reason::EventSignature { index: 0, .. }),
        ),
        (
            "under-quorum certificate",
            Box::new(|b| {
                let g = genesis();
                b[1].qc = certify(&g, &b[1].block, &[0, 1]);
            }),
            2,
            |r| matches!(r, Reason::Certificate(m) if m.contains("quorum")),
        ),
        (
            "forged certificate signature",
            Box::new(|b| b[4].qc.signatures[1].0[10] ^= 0x20),
            5,
            |r| matches!(r, Reason::Certificate(m) if m.contains("signature")),
        ),
        (
            "certificate of another block",
            Box::new(|b| b[2].qc = b[3].qc.clone()),
            3,
            |r| matches!(r, Reason::CertifiesOther { .. }),
        ),
        (
            "wrong state root (header and its certificate re-signed by a quorum)",
            Box::new(|b| {
                let g = genesis();
                b[3].block.header.state_root.0[0] ^= 1;
                b[3].qc = certify(&g, &b[3].block, &[0, 1, 3]);
            }),
            4,
            |r| matches!(r, Reason::StateRoot { executed: 3, .. }),
        ),
        ("reordered blocks", Box::new(|b| b.swap(2, 3)), 3, |r| {
            matches!(
                r,
                Reason::Height {
                    expected: 3,
                    found: 4
                }
            )
        }),
        (
            "missing block",
            Box::new(|b| {
                b.remove(1);
            }),
            2,
            |r| {
                matches!(
                    r,
                    Reason::Height {
                        expected: 2,
                        found: 3
                    }
                )
            },
        ),
        (
            "parent hash broken",
            Box::new(|b| {
                let g = genesis();
                b[4].block.header.parent_hash.0[3] ^= 1;
                b[4].qc = certify(&g, &b[4].block, &[0, 1, 2]);
            }),
            5,
            |r| matches!(r, Reason::ParentHash { .. }),
        ),
    ];
    for (desc, tamper, height, reason) in cases {
        let mut blocks = good.clone();
        tamper(&mut blocks);
        match verify_all(&g, &blocks) {
            Ok(h) => panic!("{desc}: not caught (verified to {h})"),
            Err((h, r)) => {
                assert_eq!(h, height, "{desc}: caught at the wrong height ({r})");
                assert!(reason(&r), "{desc}: wrong reason: {r}");
            }
        }
    }
}

#[test]
fn another_genesis_rejects_the_chain() {
    let (mut g, blocks) = chain(2);
    g.validators[0].consensus_key = SecretKey::from_seed([7; 32]).public();
    assert!(matches!(
        verify_all(&g, &blocks),
        Err((1, Reason::ParentHash { .. }))
    ));
}
