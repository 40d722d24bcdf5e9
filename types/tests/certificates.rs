//! Quorum arithmetic, certificates and genesis files.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use tradeledger_types::*;

fn set_with_powers(powers: &[u64]) -> ValidatorSet {
    ValidatorSet::new(
        powers
            .iter()
            .enumerate()
            .map(|(i, &p)| ValidatorInfo {
                name: format!("v{i}"),
                org: "o".into(),
                consensus_key: SecretKey::from_seed([
                    i as u8, 0xc0, 0xde, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
                ])
                .public(),
                peer_id: "p".into(),
                voting_power: p,
            })
            .collect(),
    )
    .unwrap()
}

#[test]
fn quorum_table() {
    // (powers, quorum, max faulty): n = 3f+1 equal validators need 2f+1.
    let table: &[(&[u64], u64, u64)] = &[
        (&[1], 1, 0),
        (&[1, 1, 1], 3, 0),
        (&[1, 1, 1, 1], 3, 1),
        (&[1; 7], 5, 2),
        (&[1; 10], 7, 3),
        (&[1; 100], 67, 33),
        (&[10, 20, 30, 40], 67, 33),
        (
            &[u64::MAX / 2, u64::MAX / 2],
            (u128::from(u64::MAX / 2 * 2) * 2 / 3 + 1) as u64,
            (u64::MAX / 2 * 2 - 1) / 3,
        ),
    ];
    for (powers, quorum, faulty) in table {
        let s = set_with_powers(powers);
        assert_eq!(s.quorum_power(), *quorum, "{powers:?}");
        assert_eq!(s.max_faulty_power(), *faulty, "{powers:?}");
        // Two quorums overlap in more than the faulty power.
        assert!(
            2 * u128::from(s.quorum_power()) - u128::from(s.total_power())
                > u128::from(s.max_faulty_power())
        );
    }
}

#[test]
fn validator_set_errors() {
    assert_eq!(ValidatorSet::new(vec![]), Err(ValidatorSetError::Empty));
    let mut v = genesis().validators;
    v[2].voting_power = 0;
    assert_eq!(
        ValidatorSet::new(v),
        Err(ValidatorSetError::ZeroPower { index: 2 })
    );
    let mut v = genesis().validators;
    v[3].consensus_key = v[0].consensus_key;
    assert!(matches!(
        ValidatorSet::new(v),
        Err(ValidatorSetError::DuplicateKey { index: 3, .. })
    ));
}

#[test]
fn qc_verification() {
    let set = validator_set();
    let b = block();
    qc(&b, &[1, 2, 3]).verify(CHAIN, &set).unwrap();
    qc(&b, &[1, 2, 3, 4]).verify(CHAIN, &set).unwrap();
    assert_eq!(
        qc(&b, &[1, 2]).verify(CHAIN, &set),
        Err(CertificateError::BelowQuorum {
            power: 2,
            quorum: 3
        })
    );
    assert!(matches!(
        qc(&b, &[1, 2, 3]).verify("other", &set),
        Err(CertificateError::WrongChain { .. })
    ));

    // One signature removed while its bit stays set.
    let mut q = qc(&b, &[1, 2, 3]);
    q.signatures.pop();
    assert_eq!(
        q.verify(CHAIN, &set),
        Err(CertificateError::CountMismatch {
            signers: 3,
            signatures: 2
        })
    );
    // A signature swapped for another validator's.
    let mut q = qc(&b, &[1, 2, 3]);
    q.signatures.swap(0, 1);
    assert!(matches!(
        q.verify(CHAIN, &set),
        Err(CertificateError::BadSignature { .. })
    ));
    // Bits beyond the set, or a bitmap of the wrong length.
    let mut q = qc(&b, &[1, 2, 3]);
    q.signers.0[0] |= 0x80;
    assert!(matches!(
        q.verify(CHAIN, &set),
        Err(CertificateError::BadBitmap { .. })
    ));
    let mut q = qc(&b, &[1, 2, 3]);
    q.signers.0.push(0);
    assert!(matches!(
        q.verify(CHAIN, &set),
        Err(CertificateError::BadBitmap { .. })
    ));
    // A vote for another block does not certify this one.
    let mut q = qc(&b, &[1, 2, 3]);
    q.data.height += 1;
    assert!(matches!(
        q.verify(CHAIN, &set),
        Err(CertificateError::BadSignature { .. })
    ));
}

#[test]
fn tc_verification() {
    let set = validator_set();
    let t = tc(9, &[1, 2, 4]);
    t.verify(CHAIN, &set).unwrap();
    assert_eq!(t.max_high_qc_round(), 8);
    let mut bad = t.clone();
    bad.high_qc_rounds[0] += 1;
    assert!(matches!(
        bad.verify(CHAIN, &set),
        Err(CertificateError::BadSignature { index: 0 })
    ));
    assert!(matches!(
        tc(9, &[1, 2]).verify(CHAIN, &set),
        Err(CertificateError::BelowQuorum { .. })
    ));
}

#[test]
fn event_proof_checks_each_link() {
    let set = validator_set();
    let good = event_proof();
    good.verify(CHAIN, &set).unwrap();
    let mut p = good.clone();
    p.certificate = qc(&block(), &[1, 2]);
    assert!(matches!(
        p.verify(CHAIN, &set),
        Err(ProofError::Certificate(
            CertificateError::BelowQuorum { .. }
        ))
    ));
    let mut p = good.clone();
    p.inclusion.leaf_count += 1;
    assert!(matches!(
        p.verify(CHAIN, &set),
        Err(ProofError::LeafCount { .. })
    ));
    let mut p = good.clone();
    p.header.state_root.0[0] ^= 1;
    assert!(matches!(
        p.verify(CHAIN, &set),
        Err(ProofError::CertifiesOtherBlock { .. })
    ));
    let mut p = good.clone();
    p.event = block().events[0].clone();
    assert!(matches!(p.verify(CHAIN, &set), Err(ProofError::Inclusion)));
    // Another genesis (other validators) rejects the proof.
    let other = ValidatorSet::new(
        (0..4)
            .map(|i| ValidatorInfo {
                name: "x".into(),
                org: "o".into(),
                consensus_key: key(50 + i).public(),
                peer_id: "p".into(),
                voting_power: 1,
            })
            .collect(),
    )
    .unwrap();
    assert!(good.verify(CHAIN, &other).is_err());
}

#[test]
fn genesis_toml_round_trip() {
    let g = genesis();
    let text = g.to_toml();
    let back = Genesis::from_toml(&text).unwrap();
    assert_eq!(back, g);
    assert_eq!(back.hash(), g.hash());
    // The committed example parses and validates.
    let example = include_str!("../../docs/examples/genesis.toml");
    Genesis::from_toml(example).unwrap();
}

#[test]
fn genesis_errors_name_the_field() {
    type Case = (&'static str, Box<dyn Fn(&mut Genesis)>, &'static str);
    let table: Vec<Case> = vec![
        (
            "bad chain id",
            Box::new(|g| g.chain_id = "has space".into()),
            "chain_id",
        ),
        (
            "duplicate org",
            Box::new(|g| g.organisations[1].id = g.organisations[0].id.clone()),
            "organisations[1].id",
        ),
        (
            "no roles",
            Box::new(|g| g.organisations[2].roles.clear()),
            "organisations[2].roles",
        ),
        (
            "unknown validator org",
            Box::new(|g| g.validators[1].org = "nobody".into()),
            "validators[1].org",
        ),
        (
            "zero power",
            Box::new(|g| g.validators[3].voting_power = 0),
            "validator 3 has zero voting power",
        ),
        (
            "bad hs prefix",
            Box::new(|g| g.rule_set.commodities[0].hs_prefix = "8".into()),
            "rule_set.commodities[0].hs_prefix",
        ),
        (
            "timeouts",
            Box::new(|g| g.consensus.round_timeout_max_ms = 1),
            "consensus.round_timeout_max_ms",
        ),
    ];
    for (desc, mutate, field) in table {
        let mut g = genesis();
        mutate(&mut g);
        let err = Genesis::from_toml(&g.to_toml())
            .expect_err(desc)
            .to_string();
        assert!(err.contains(field), "{desc}: {err}");
    }
    let err = Genesis::from_toml("chain_id = 5").unwrap_err().to_string();
    assert!(err.contains("genesis is not valid TOML"), "{err}");
}
