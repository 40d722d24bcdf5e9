//! A short tour of the data model: sign a cargo event, encode it canonically, decode and verify
//! it, put it in a block, and prove its inclusion with a quorum certificate.
//!
//! Run: `cargo run -p tradeledger-types --example tour`
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use tradeledger_types::*;

fn main() {
    let carrier = SecretKey::from_seed([1; 32]);
    let body = EventBody {
        chain_id: "tradeledger-tour".into(),
        signer: carrier.public(),
        seq: 1,
        payload: Payload::Custody(CustodyEvent {
            shipment_id: "SHP-2026-000123".into(),
            event_type: EpcisEventType::Object,
            action: Some(Action::Observe),
            biz_step: "arriving".into(),
            disposition: Some("in_transit".into()),
            event_time_ms: 1_780_000_000_000,
            time_zone_offset_min: -360,
            read_point: Some(Location {
                locode: Some("USPHR".into()),
                lat_micro_deg: Some(26_194_000),
                lon_micro_deg: Some(-98_183_000),
                site: None,
            }),
            biz_location: None,
            epcs: vec!["urn:epc:id:sscc:0614141.1234567890".into()],
            parent: None,
            seal: Some(Seal {
                seal_id: "ESEAL-0042".into(),
                status: SealStatus::Intact,
            }),
            extensions: vec![],
        }),
    };
    body.payload.validate().unwrap();
    let event = body.sign(&carrier);
    let bytes = event.to_bytes();
    println!("signed event: {} bytes of canonical CBOR", bytes.len());
    println!("  {}", hex::encode(&bytes));
    let (decoded, id) = SignedEvent::decode(&bytes).unwrap();
    decoded.verify().unwrap();
    println!("event id {id}: decoded and signature verified");

    let mut tampered = bytes.clone();
    tampered[40] ^= 1;
    match SignedEvent::decode(&tampered).map(|(e, _)| e.verify()) {
        Ok(Ok(())) => panic!("tampering went unnoticed"),
        Ok(Err(e)) => println!("one flipped bit: {e}"),
        Err(e) => println!("one flipped bit: {e}"),
    }

    // Four validators certify a block holding the event.
    let validators: Vec<SecretKey> = (10..14).map(|i| SecretKey::from_seed([i; 32])).collect();
    let set = ValidatorSet::new(
        validators
            .iter()
            .enumerate()
            .map(|(i, k)| ValidatorInfo {
                name: format!("v{i}"),
                org: "org".into(),
                consensus_key: k.public(),
                peer_id: format!("peer{i}"),
                voting_power: 1,
            })
            .collect(),
    )
    .unwrap();
    let header = BlockHeader {
        chain_id: "tradeledger-tour".into(),
        height: 1,
        round: 1,
        parent_hash: Hash32::ZERO,
        proposer: validators[0].public(),
        block_time_ms: 1_780_000_001_000,
        events_root: events_root(&[id]),
        event_count: 1,
        state_root: Hash32::ZERO,
        results_root: Hash32::ZERO,
    };
    let data = VoteData {
        chain_id: "tradeledger-tour".into(),
        block_hash: header.hash(),
        height: 1,
        round: 1,
    };
    let votes: Vec<Vote> = validators[..3]
        .iter()
        .map(|k| Vote::sign(data.clone(), k))
        .collect();
    let qc = QuorumCertificate::from_votes(&set, &votes);
    println!(
        "block {} certified by {} of {} validators (quorum {})",
        header.hash(),
        votes.len(),
        set.len(),
        set.quorum_power()
    );
    let proof = EventProof {
        event,
        inclusion: merkle::prove(&[id], 0).unwrap(),
        header,
        certificate: qc,
    };
    proof.verify("tradeledger-tour", &set).unwrap();
    println!(
        "inclusion proof ({} bytes) verified: event -> Merkle root -> header -> QC",
        proof.to_bytes().len()
    );
}
