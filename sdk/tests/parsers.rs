//! Properties of the parsers of outside input: EPCIS documents with any value in any field
//! are accepted or rejected with the path of an actual field, never a panic; decimals convert
//! exactly both ways.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use tradeledger_sdk::epcis::decimal::{format_milli, parse_decimal_milli, to_milli};
use tradeledger_sdk::epcis::{ImportOptions, import_value};

fn valid_doc() -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-02T06:05:00Z",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "arriving", "disposition": "in_transit",
            "eventTime": "2026-03-02T06:00:00.000-06:00", "eventTimeZoneOffset": "-06:00",
            "epcList": ["urn:epc:id:sscc:0614141.1234567890"],
            "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
            "bizLocation": {"id": "urn:epc:id:sgln:0614141.00888.0"},
            "sensorElementList": [{"sensorMetadata": {"deviceID": "urn:epc:id:giai:4000001.111", "time": "2026-03-02T05:00:00Z"},
                "sensorReport": [{"type": "Temperature", "value": 7.5, "uom": "CEL"}]}]
        }]}
    })
}

/// Paths (as JSON pointers) of every value in the document.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| pointers(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| pointers(x, format!("{at}/{i}"), out)),
        _ => {}
    }
    out.push(at);
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::String),
        Just(json!("2026-13-45T99:00:00Z")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            inner.prop_map(|x| json!({"id": x}))
        ]
    })
}

/// The JSON pointer of an error path (`epcisBody.eventList[0].eventTime` → `/epcisBody/eventList/0/eventTime`).
fn as_pointer(path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    format!("/{}", path.replace(['.', '['], "/").replace(']', ""))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_value_anywhere_is_imported_or_rejected_at_a_real_path(pick in any::<prop::sample::Index>(), value in any_json()) {
        let mut doc = valid_doc();
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        all.retain(|p| !p.is_empty());
        let target = pick.get(&all).clone();
        *doc.pointer_mut(&target).unwrap() = value;
        match import_value(&doc, &ImportOptions::new("SHP-1")) {
            Ok(imported) => {
                for e in &imported.events {
                    for p in e.payloads() {
                        prop_assert!(p.validate().is_ok());
                    }
                }
            }
            Err(e) => {
                let pointer = as_pointer(&e.path);
                // The path names the replaced value, one of its parents, or a required child.
                let names_real = doc.pointer(&pointer).is_some() || pointer.starts_with(&target) || target.starts_with(&pointer);
                prop_assert!(names_real, "error path {} for a change at {}", e.path, target);
            }
        }
    }

    #[test]
    fn milli_decimals_round_trip(v in any::<i64>()) {
        let v = v / 2; // keep clear of i64::MIN, whose magnitude has no positive twin
        prop_assert_eq!(parse_decimal_milli(&format_milli(v)), Ok(v));
    }

    #[test]
    fn json_decimals_with_three_places_convert_exactly(int in -1_000_000i64..1_000_000, frac in 0u32..1000) {
        let text = format!("{}{}.{:03}", if int < 0 { "-" } else { "" }, int.abs(), frac);
        let n: serde_json::Number = serde_json::from_str(&text).unwrap();
        let sign = if int < 0 { -1 } else { 1 };
        prop_assert_eq!(to_milli(&n), Ok(int * 1000 + sign * i64::from(frac)));
    }
}
