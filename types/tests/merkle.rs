//! Merkle trees: proofs verify for every leaf of every size, and fail when tampered.
#![allow(clippy::unwrap_used)]

use tradeledger_types::merkle::{self, InclusionProof};
use tradeledger_types::*;

fn leaves(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| i.to_string().into_bytes()).collect()
}

#[test]
fn rfc6962_shape() {
    let h = |b: &[u8]| domain::sha256(b);
    assert_eq!(merkle::root::<Vec<u8>>(&[]), h(b""));
    assert_eq!(merkle::root(&leaves(1)), h(&[&[0u8][..], b"0"].concat()));
    let l0 = merkle::leaf_hash(b"0");
    let l1 = merkle::leaf_hash(b"1");
    let l2 = merkle::leaf_hash(b"2");
    assert_eq!(merkle::root(&leaves(2)), merkle::node_hash(&l0, &l1));
    // Three leaves split 2 + 1.
    assert_eq!(
        merkle::root(&leaves(3)),
        merkle::node_hash(&merkle::node_hash(&l0, &l1), &l2)
    );
}

#[test]
fn every_proof_verifies_and_no_other_leaf_does() {
    for n in 1..=40 {
        let ls = leaves(n);
        let root = merkle::root(&ls);
        for i in 0..n {
            let p = merkle::prove(&ls, i).unwrap();
            assert!(p.verify(&ls[i], &root), "n={n} i={i}");
            assert!(!p.verify(b"not a leaf", &root));
            if n > 1 {
                assert!(
                    !p.verify(&ls[(i + 1) % n], &root),
                    "n={n} i={i}: proof accepted a different leaf"
                );
                let moved = InclusionProof {
                    index: ((i + 1) % n) as u64,
                    ..p.clone()
                };
                assert!(
                    !moved.verify(&ls[i], &root),
                    "n={n} i={i}: proof accepted at another index"
                );
            }
            for j in 0..p.path.len() {
                let mut bad = p.clone();
                bad.path[j].0[0] ^= 1;
                assert!(!bad.verify(&ls[i], &root));
            }
            let mut short = p.clone();
            if short.path.pop().is_some() {
                assert!(!short.verify(&ls[i], &root));
            }
        }
        assert!(merkle::prove(&ls, n).is_none());
    }
}

#[test]
fn out_of_range_proof_rejected() {
    let ls = leaves(4);
    let root = merkle::root(&ls);
    let p = InclusionProof {
        index: 4,
        leaf_count: 4,
        path: vec![],
    };
    assert!(!p.verify(&ls[0], &root));
    let p = InclusionProof {
        index: 0,
        leaf_count: 0,
        path: vec![],
    };
    assert!(!p.verify(&ls[0], &root));
}
