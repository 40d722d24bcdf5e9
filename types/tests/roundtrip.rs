//! Property: every type survives canonical CBOR and JSON round trips unchanged, and its
//! canonical encoding is a fixed point (encode ∘ decode ∘ encode = encode).
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use std::fmt::Debug;
use tradeledger_types::*;

fn check<T: Serialize + DeserializeOwned + PartialEq + Debug>(v: &T) {
    let bytes = codec::to_canonical(v);
    let back: T = codec::from_canonical(&bytes, usize::MAX, "test").unwrap();
    assert_eq!(&back, v);
    assert_eq!(codec::to_canonical(&back), bytes);
    assert_eq!(codec::encoded_len(v), bytes.len());
    let json = serde_json::to_string(v).unwrap();
    let from_json: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&from_json, v, "JSON round trip of {json}");
}

macro_rules! roundtrip {
    ($($name:ident: $ty:ty),* $(,)?) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            $( #[test] fn $name(v in any::<$ty>()) { check(&v); } )*
        }
    };
}

roundtrip! {
    signed_event: SignedEvent,
    event_body: EventBody,
    payload: Payload,
    shipment_declaration: ShipmentDeclaration,
    certificate_of_origin: CertificateOfOrigin,
    custody_event: CustodyEvent,
    sensor_report: SensorReport,
    inspection_result: InspectionResult,
    clearance: ClearanceDecision,
    ipr_recordation: IprRecordation,
    ipr_licence: IprLicence,
    ipr_revocation: IprRevocation,
    device_registration: DeviceRegistration,
    device_revocation: DeviceRevocation,
    rule_set_update: RuleSetUpdate,
    rule_set: RuleSet,
    correction: Correction,
    block_header: BlockHeader,
    block: Block,
    certified_block: CertifiedBlock,
    vote: Vote,
    quorum_certificate: QuorumCertificate,
    timeout: Timeout,
    timeout_certificate: TimeoutCertificate,
    genesis: Genesis,
    inclusion_proof: InclusionProof,
    event_proof: EventProof,
    hash: Hash32,
    public_key: PublicKey,
    signature: Signature,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Signing is deterministic and any decoded event with a correct signature verifies.
    #[test]
    fn signed_events_verify_after_round_trip(seed in any::<[u8; 32]>(), seq in 1u64.., payload in any::<Payload>()) {
        let k = SecretKey::from_seed(seed);
        let ev = EventBody { chain_id: "c".into(), signer: k.public(), seq, payload }.sign(&k);
        let bytes = ev.to_bytes();
        let back: SignedEvent = codec::from_canonical(&bytes, usize::MAX, "event").unwrap();
        prop_assert_eq!(domain::sha256(&bytes), ev.id());
        prop_assert!(back.verify().is_ok());
    }
}
