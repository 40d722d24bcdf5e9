//! EPC (RFID) decoders of the SDK and the device bridge: 96-bit EPC as raw bytes and as hex,
//! tag URIs and pure-identity URIs.
//!
//! The same input is tried as 12 raw bytes, as hex text, as a tag URI and as a pure-identity
//! URI (with the first byte's low bits as filter).

use tradeledger_sdk::epc::Epc96;

/// Whatever decodes has one encoding: bytes, hex, tag URI and pure URI all decode back to the
/// same EPC, and each text form reads back as the text given.
pub fn run(data: &[u8]) {
    if let Some(bytes) = data.first_chunk::<12>()
        && let Ok(epc) = Epc96::from_bytes(bytes)
    {
        assert_eq!(&epc.to_bytes(), bytes, "bytes→EPC→bytes changed the bytes");
        forms_agree(&epc);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(epc) = Epc96::from_hex(text) {
        assert_eq!(epc.to_hex(), text.to_ascii_uppercase(), "hex round trip");
        forms_agree(&epc);
    }
    if let Ok(epc) = Epc96::from_tag_uri(text) {
        assert_eq!(epc.tag_uri(), text, "tag URI round trip");
        forms_agree(&epc);
    }
    let filter = data.first().map_or(0, |b| b % 8);
    if let Ok(epc) = Epc96::from_pure_uri(text, filter) {
        assert_eq!(epc.pure_uri(), text, "pure URI round trip");
        assert_eq!(epc.filter(), filter, "filter not kept");
        forms_agree(&epc);
    }
}

fn forms_agree(epc: &Epc96) {
    let from_bytes = Epc96::from_bytes(&epc.to_bytes()).expect("an EPC's bytes decode");
    assert_eq!(&from_bytes, epc, "bytes form");
    let from_hex = Epc96::from_hex(&epc.to_hex()).expect("an EPC's hex decodes");
    assert_eq!(&from_hex, epc, "hex form");
    let from_tag = Epc96::from_tag_uri(&epc.tag_uri()).expect("an EPC's tag URI decodes");
    assert_eq!(&from_tag, epc, "tag URI form");
    let from_pure =
        Epc96::from_pure_uri(&epc.pure_uri(), epc.filter()).expect("an EPC's pure URI decodes");
    assert_eq!(&from_pure, epc, "pure URI form");
}
