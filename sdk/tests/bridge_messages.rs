//! The bridge's message format: parse errors name the field; a bad message changes nothing.
#![allow(clippy::unwrap_used)]

use tradeledger_sdk::bridge::{Mapper, Message, parse_message};
use tradeledger_sdk::recorder::RecorderConfig;
use tradeledger_sdk::signer::Signer;
use tradeledger_types::{Payload, SecretKey, SensorKind};

fn field_of(msg: &str) -> String {
    parse_message(msg.as_bytes()).unwrap_err().field
}

#[test]
fn a_reading_parses_with_exact_decimals_and_default_unit() {
    let m = parse_message(br#"{"type":"reading","shipment":"S","device":"D","kind":"pulp_temperature","value":"-0.55","time":"2026-05-01T10:00:00.250+02:00"}"#).unwrap();
    let Message::Reading(r) = m else { panic!() };
    assert_eq!(
        (r.kind, r.value_milli, r.unit.as_str()),
        (SensorKind::PulpTemperature, -550, "CEL")
    );
    assert_eq!(r.time_ms, 1_777_622_400_250);
}

#[test]
fn errors_name_the_field() {
    let cases = [
        ("[1]", "message"),
        (r#"{"shipment":"S"}"#, "type"),
        (r#"{"type":"reading","device":"D"}"#, "shipment"),
        (r#"{"type":"gps","shipment":"S"}"#, "type"),
        (
            r#"{"type":"reading","shipment":"S","kind":"temperature","value":"1","time":0}"#,
            "device",
        ),
        (
            r#"{"type":"reading","shipment":"S","device":"D","kind":"heat","value":"1","time":0}"#,
            "kind",
        ),
        (
            r#"{"type":"reading","shipment":"S","device":"D","kind":"temperature","value":"1.0005","time":0}"#,
            "value",
        ),
        (
            r#"{"type":"reading","shipment":"S","device":"D","kind":"temperature","value":true,"time":0}"#,
            "value",
        ),
        (
            r#"{"type":"reading","shipment":"S","device":"D","kind":"other","value":"1","time":0}"#,
            "unit",
        ),
        (
            r#"{"type":"reading","shipment":"S","device":"D","kind":"temperature","value":"1","time":"yesterday"}"#,
            "time",
        ),
        (
            r#"{"type":"reading","shipment":"S","device":"D","kind":"temperature","value":"1"}"#,
            "time",
        ),
        (
            r#"{"type":"rfid","shipment":"S","epc_hex":"ZZ","biz_step":"arriving","time":0}"#,
            "epc_hex",
        ),
        (
            r#"{"type":"rfid","shipment":"S","epc_hex":"3074257BF7194E4000001A85","time":0}"#,
            "biz_step",
        ),
        (
            r#"{"type":"rfid","shipment":"S","epc_hex":"3074257BF7194E4000001A85","biz_step":"arriving","read_point":5,"time":0}"#,
            "read_point",
        ),
    ];
    for (msg, field) in cases {
        assert_eq!(field_of(msg), field, "{msg}");
    }
}

#[test]
fn mapping_errors_name_the_field_and_consume_no_sequence_number() {
    let signer = Signer::new(SecretKey::from_seed([3; 32]), "demo");
    let config = RecorderConfig {
        readings_per_report: 2,
        ..Default::default()
    };
    let mut mapper = Mapper::new(signer, config).unwrap();
    let bad_shipment = parse_message(br#"{"type":"reading","shipment":"has space","device":"D","kind":"temperature","value":"1","time":0}"#).unwrap();
    assert_eq!(mapper.handle(&bad_shipment).unwrap_err().field, "shipment");
    let bad_rfid = parse_message(br#"{"type":"rfid","shipment":"no spaces please","epc_hex":"3074257BF7194E4000001A85","biz_step":"arriving","time":0}"#).unwrap();
    let err = mapper.handle(&bad_rfid).unwrap_err();
    assert_eq!(err.field, "shipment", "{err}");
    assert_eq!(mapper.signer().next_seq(), 1);
    let r = |t: u64| {
        parse_message(format!(r#"{{"type":"reading","shipment":"S","device":"D","kind":"temperature","value":"1","time":{t}}}"#).as_bytes()).unwrap()
    };
    assert!(mapper.handle(&r(10)).unwrap().is_empty());
    assert_eq!(mapper.handle(&r(5)).unwrap_err().field, "time");
    let out = mapper.handle(&r(20)).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].body.seq, 1);
    assert!(matches!(&out[0].body.payload, Payload::SensorReport(s) if s.series_len == 2));
}

#[test]
fn readings_of_several_shipments_batch_separately_under_one_key() {
    let signer = Signer::new(SecretKey::from_seed([3; 32]), "demo");
    let mut mapper = Mapper::new(signer, RecorderConfig::default()).unwrap();
    for (i, ship) in ["A", "B", "A"].iter().enumerate() {
        let m = parse_message(format!(r#"{{"type":"reading","shipment":"{ship}","device":"D","kind":"temperature","value":"{i}","time":{i}}}"#).as_bytes()).unwrap();
        assert!(mapper.handle(&m).unwrap().is_empty());
    }
    assert_eq!(mapper.pending_readings(), 3);
    let out = mapper.flush().unwrap();
    let got: Vec<(String, u32, u64)> = out
        .iter()
        .map(|e| match &e.body.payload {
            Payload::SensorReport(r) => (r.shipment_id.clone(), r.series_len, e.body.seq),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, [("A".into(), 2, 1), ("B".into(), 1, 2)]);
}
