//! EPCIS 2.0 import and export against GS1's example documents and schema, and our own.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use tradeledger_sdk::epcis::{
    ExportEvent, ExportOptions, ImportOptions, ImportedDocument, export_document, import_str,
    import_value,
};
use tradeledger_types::{Action, EpcisEventType, Payload, SealStatus, SensorKind};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn schema() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&read("gs1/EPCIS-JSON-Schema.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: export does not validate:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(doc).unwrap()
    );
}

fn gs1_examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data("gs1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonld"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 18,
        "the GS1 examples are missing from tests/data/gs1"
    );
    files
}

fn import_file(path: &Path, opts: &ImportOptions) -> ImportedDocument {
    import_str(&std::fs::read_to_string(path).unwrap(), opts)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_gs1_example_imports_exports_valid_and_round_trips() {
    let validator = schema();
    for keep in [true, false] {
        let opts = ImportOptions::new("SHP-2026-000123").keep_sensor_elements(keep);
        for path in gs1_examples() {
            let doc = import_file(&path, &opts);
            assert!(!doc.events.is_empty(), "{}", path.display());
            for ev in &doc.events {
                for p in ev.payloads() {
                    p.validate().unwrap();
                }
            }
            let exported = doc.to_epcis();
            assert_valid(&validator, &exported, &path.display().to_string());
            let again = import_value(&exported, &opts).unwrap();
            let a: Vec<_> = doc
                .events
                .iter()
                .map(|e| (&e.custody, &e.sensor_reports))
                .collect();
            let b: Vec<_> = again
                .events
                .iter()
                .map(|e| (&e.custody, &e.sensor_reports))
                .collect();
            assert_eq!(
                a,
                b,
                "{} (keep_sensor_elements = {keep}) does not round-trip",
                path.display()
            );
        }
    }
}

#[test]
fn gs1_object_event_maps_what_when_where_why() {
    let doc = import_file(
        &data("gs1/Example_9.6.1-ObjectEvent.jsonld"),
        &ImportOptions::new("SHP-1"),
    );
    let c = &doc.events[0].custody;
    assert_eq!(c.event_type, EpcisEventType::Object);
    assert_eq!(c.action, Some(Action::Observe));
    assert_eq!(
        (c.biz_step.as_str(), c.disposition.as_deref()),
        ("shipping", Some("in_transit"))
    );
    assert_eq!(
        (c.event_time_ms, c.time_zone_offset_min),
        (1_112_582_011_116, -360)
    );
    assert_eq!(
        c.read_point.as_ref().unwrap().site.as_deref(),
        Some("urn:epc:id:sgln:0614141.07346.1234")
    );
    assert_eq!(
        c.epcs,
        [
            "urn:epc:id:sgtin:0614141.107346.2017",
            "urn:epc:id:sgtin:0614141.107346.2018"
        ]
    );
    let names: Vec<&str> = c.extensions.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["bizTransactionList", "eventID"]);
    let second = &doc.events[1].custody;
    let mine = second
        .extensions
        .iter()
        .find(|x| x.name == "example:myField")
        .unwrap();
    assert_eq!(mine.json, "\"Example of a vendor/user extension\"");
    let exported = doc.to_epcis();
    assert_eq!(
        exported["epcisBody"]["eventList"][1]["example:myField"],
        "Example of a vendor/user extension"
    );
    assert_eq!(
        exported["epcisBody"]["eventList"][0]["eventTime"],
        "2005-04-03T20:33:31.116-06:00"
    );
}

#[test]
fn gs1_sensor_values_convert_exactly() {
    let doc = import_file(
        &data("gs1/SensorDataExample1.jsonld"),
        &ImportOptions::new("SHP-1"),
    );
    let reports = &doc.events[0].sensor_reports;
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(r.device_id, "urn:epc:id:giai:4000001.111");
    let temps: Vec<i64> = r
        .readings
        .iter()
        .filter(|x| x.kind == SensorKind::Temperature)
        .map(|x| x.value_milli)
        .collect();
    assert_eq!(temps, [26_000, 26_100, 26_200]);
    let lux: Vec<i64> = r
        .readings
        .iter()
        .filter(|x| x.kind == SensorKind::Illuminance)
        .map(|x| x.value_milli)
        .collect();
    assert_eq!(lux, [800_000, 801_000, 802_000]);
    let speed = r.readings.iter().find(|x| x.unit == "KMH").unwrap();
    assert_eq!(
        (speed.kind, speed.value_milli),
        (SensorKind::Other, 160_000)
    );
    let t = r
        .stats
        .iter()
        .find(|s| s.kind == SensorKind::Temperature)
        .unwrap();
    assert_eq!((t.count, t.min_milli, t.max_milli), (3, 26_000, 26_200));
    // Aggregate-only reports carry no reading and are reported as skipped.
    let agg = import_file(
        &data("gs1/SensorDataExample2.jsonld"),
        &ImportOptions::new("SHP-1"),
    );
    assert!(agg.events[0].sensor_reports.is_empty());
    assert_eq!(agg.events[0].skipped.len(), 4);
    assert_eq!(
        agg.events[0].skipped[0].path,
        "epcisBody.eventList[0].sensorElementList[0].sensorReport[0]"
    );
}

#[test]
fn own_border_crossing_document_covers_every_event_type() {
    let validator = schema();
    let opts = ImportOptions::new("SHP-2026-000123")
        .shipment_from_biz_transaction("urn:epcglobal:cbv:btt:bol");
    let doc = import_str(&read("avocado-border-crossing.jsonld"), &opts).unwrap();
    let types: Vec<EpcisEventType> = doc.events.iter().map(|e| e.custody.event_type).collect();
    assert_eq!(
        types,
        [
            EpcisEventType::Transformation,
            EpcisEventType::Aggregation,
            EpcisEventType::Association,
            EpcisEventType::Transaction,
            EpcisEventType::Object
        ]
    );
    let [transform, aggregate, associate, transact, observe] = &doc.events[..] else {
        panic!("five events")
    };
    assert_eq!(transform.custody.action, None);
    assert_eq!(transform.custody.biz_step, "commissioning");
    assert_eq!(transform.custody.disposition.as_deref(), Some("active"));
    assert_eq!(transform.custody.epcs.len(), 2);
    assert!(
        transform
            .custody
            .extensions
            .iter()
            .any(|x| x.name == "inputQuantityList" && x.json.contains("19200.5"))
    );
    assert_eq!(aggregate.custody.biz_step, "packing");
    assert_eq!(
        aggregate.custody.disposition.as_deref(),
        Some("in_progress")
    );
    assert_eq!(
        aggregate.custody.parent.as_deref(),
        Some("urn:epc:id:sscc:0614141.1234567890")
    );
    assert_eq!(
        associate.custody.parent.as_deref(),
        Some("urn:epc:id:giai:0614141.9001")
    );
    assert_eq!(transact.custody.shipment_id, "SHP-2026-000123");
    assert_eq!(transact.custody.biz_step, "shipping");
    let seal = observe.custody.seal.as_ref().unwrap();
    assert_eq!(
        (seal.seal_id.as_str(), seal.status),
        ("MXAV-0042117", SealStatus::Intact)
    );
    // The read point has more than an id: mapped, and also kept whole.
    assert!(
        observe
            .custody
            .extensions
            .iter()
            .any(|x| x.name == "readPoint" && x.json.contains("lane-4"))
    );
    assert!(
        observe
            .custody
            .extensions
            .iter()
            .any(|x| x.name == "mxav:driver")
    );
    let exported = doc.to_epcis();
    assert_valid(&validator, &exported, "avocado-border-crossing");
    assert_eq!(
        exported["epcisBody"]["eventList"][4]["tradeledger:seal"]["status"],
        "intact"
    );
    let again = import_value(&exported, &opts).unwrap();
    assert_eq!(
        again.events,
        doc.events
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.path = e.path.clone();
                e
            })
            .collect::<Vec<_>>()
    );
}

#[test]
fn shipment_id_from_biz_transaction_must_be_an_id() {
    let text = read("avocado-border-crossing.jsonld").replace(
        "urn:tradeledger:shipment:SHP-2026-000123",
        "bill of lading 55",
    );
    let opts = ImportOptions::new("SHP-1").shipment_from_biz_transaction("bol");
    let err = import_str(&text, &opts).unwrap_err();
    assert_eq!(
        err.path,
        "epcisBody.eventList[3].bizTransactionList[1].bizTransaction"
    );
}

#[test]
fn avocado_reefer_series_with_excursion() {
    let doc = import_str(
        &read("avocado-reefer-sensor-series.jsonld"),
        &ImportOptions::new("SHP-2026-000123"),
    )
    .unwrap();
    let ev = &doc.events[0];
    assert_eq!(ev.custody.biz_step, "sensor_reporting");
    let [report] = &ev.sensor_reports[..] else {
        panic!("one device")
    };
    assert_eq!(report.device_id, "urn:epc:id:giai:4000001.111");
    assert_eq!(report.series_len, 86);
    assert!(report.series_root.is_some(), "a long series carries a root");
    assert!(report.readings.len() < 86);
    let t = report
        .stats
        .iter()
        .find(|s| s.kind == SensorKind::Temperature)
        .unwrap();
    assert_eq!((t.count, t.min_milli, t.max_milli), (73, 6_900, 10_400));
    let h = report
        .stats
        .iter()
        .find(|s| s.kind == SensorKind::RelativeHumidity)
        .unwrap();
    assert_eq!((h.count, h.min_milli, h.max_milli), (13, 91_750, 93_000));
    // The excursion peak is among the carried readings.
    assert!(
        report
            .readings
            .iter()
            .any(|r| r.kind == SensorKind::Temperature && r.value_milli == 10_400)
    );
    Payload::SensorReport(report.clone()).validate().unwrap();
}

#[test]
fn malformed_documents_name_the_json_path() {
    let table = read("malformed/expected-paths.txt");
    let mut n = 0;
    for line in table.lines() {
        let (file, path) = line.split_once(' ').unwrap();
        let err = import_str(
            &read(&format!("malformed/{file}")),
            &ImportOptions::new("SHP-1"),
        )
        .expect_err(&format!("{file} should be rejected"));
        assert_eq!(err.path, path, "{file}: {err}");
        n += 1;
    }
    assert!(n >= 12);
    let err = import_str(
        &read("malformed/bad-event-time.json"),
        &ImportOptions::new("SHP-1"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "epcisBody.eventList[2].eventTime: not an RFC 3339 date-time"
    );
    let err = import_str(
        &read("malformed/too-precise-sensor-value.json"),
        &ImportOptions::new("SHP-1"),
    )
    .unwrap_err();
    assert!(err.problem.contains("more than 3 decimal places"), "{err}");
}

#[test]
fn query_documents_and_bare_events_import() {
    let event = r#"{"type": "ObjectEvent", "eventTime": "2026-03-02T06:00:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "epcList": [], "bizStep": "arriving"}"#;
    let bare = import_str(event, &ImportOptions::new("SHP-1")).unwrap();
    assert_eq!(bare.events[0].path, "");
    let query = format!(
        r#"{{"type": "EPCISQueryDocument", "schemaVersion": "2.0", "creationDate": "2026-03-02T06:00:00Z",
           "epcisBody": {{"queryResults": {{"queryName": "SimpleEventQuery", "resultsBody": {{"eventList": [{event}, {event}]}}}}}}}}"#
    );
    let q = import_str(&query, &ImportOptions::new("SHP-1")).unwrap();
    assert_eq!(q.events.len(), 2);
    assert_eq!(
        q.events[1].path,
        "epcisBody.queryResults.resultsBody.eventList[1]"
    );
}

#[test]
fn builder_made_events_export_valid() {
    use tradeledger_sdk::builders::{Build, CustodyBuilder, SensorReportBuilder};
    let validator = schema();
    let custody = match CustodyBuilder::new("SHP-1", "sealing_container", 1_772_431_200_000)
        .time_zone_offset_min(-360)
        .biz_locode("MXLZC")
        .epc("urn:epc:id:sscc:0614141.1234567890")
        .seal("MXAV-0042117", SealStatus::Applied)
        .build()
        .unwrap()
    {
        Payload::Custody(c) => c,
        _ => unreachable!(),
    };
    let report = match SensorReportBuilder::new("SHP-1", "reefer-7")
        .reading(SensorKind::Temperature, 7_125, 1_772_431_200_000)
        .reading(SensorKind::DoorOpen, 1_000, 1_772_431_260_000)
        .build()
        .unwrap()
    {
        Payload::SensorReport(r) => r,
        _ => unreachable!(),
    };
    let reports = [report];
    let doc = export_document(
        &[ExportEvent {
            custody: &custody,
            sensor_reports: &reports,
        }],
        &ExportOptions {
            context: None,
            creation_date_ms: 1_772_431_300_000,
        },
    );
    assert_valid(&validator, &doc, "builder-made");
    let ev = &doc["epcisBody"]["eventList"][0];
    assert_eq!(ev["bizStep"], "urn:tradeledger:bizstep:sealing_container");
    assert_eq!(
        ev["sensorElementList"][0]["sensorReport"][0]["value"],
        serde_json::json!(7.125)
    );
    let back = import_value(
        &doc,
        &ImportOptions::new("SHP-1").keep_sensor_elements(false),
    )
    .unwrap();
    assert_eq!(back.events[0].custody.biz_step, "sealing_container");
    assert_eq!(back.events[0].custody.seal, custody.seal);
    assert_eq!(
        back.events[0].sensor_reports[0].readings[0].value_milli,
        7_125
    );
}

#[test]
fn builder_made_events_of_every_type_export_valid() {
    use tradeledger_sdk::builders::{Build, CustodyBuilder};
    let validator = schema();
    let cases = [
        (EpcisEventType::Object, Some(Action::Observe)),
        (EpcisEventType::Aggregation, Some(Action::Add)),
        (EpcisEventType::Transaction, Some(Action::Add)),
        (EpcisEventType::Transformation, None),
        (EpcisEventType::Association, Some(Action::Delete)),
    ];
    for (event_type, action) in cases {
        let mut b = CustodyBuilder::new("SHP-1", "loading", 1_772_431_200_000)
            .kind(event_type, action)
            .read_point(tradeledger_types::Location {
                locode: None,
                lat_micro_deg: Some(19_412_345),
                lon_micro_deg: Some(-102_056_789),
                site: None,
            })
            .epc("urn:epc:id:sgtin:0614141.812345.6789");
        if matches!(
            event_type,
            EpcisEventType::Aggregation | EpcisEventType::Association | EpcisEventType::Transaction
        ) {
            b = b.parent("urn:epc:id:sscc:0614141.1234567890");
        }
        let Payload::Custody(custody) = b.build().unwrap() else {
            unreachable!()
        };
        let doc = export_document(
            &[ExportEvent {
                custody: &custody,
                sensor_reports: &[],
            }],
            &ExportOptions {
                context: None,
                creation_date_ms: 0,
            },
        );
        assert_valid(&validator, &doc, &format!("{event_type:?}"));
        assert_eq!(
            doc["epcisBody"]["eventList"][0]["readPoint"]["id"],
            "geo:19.412345,-102.056789"
        );
        let back = import_value(&doc, &ImportOptions::new("SHP-1")).unwrap();
        let c = &back.events[0].custody;
        assert_eq!(
            (c.event_type, c.action, &c.epcs, &c.parent),
            (
                custody.event_type,
                custody.action,
                &custody.epcs,
                &custody.parent
            )
        );
    }
}

#[test]
fn device_ids_that_are_not_uris_survive_export_and_import() {
    // Found by the epcis_document fuzz target: export writes such an id as
    // `urn:tradeledger:device:ID`, and import kept the prefix, so the report changed device.
    let event = r#"{"type": "ObjectEvent", "action": "OBSERVE",
        "eventTime": "2026-03-02T06:10:00Z", "eventTimeZoneOffset": "+00:00",
        "epcList": ["urn:epc:id:sscc:0614141.1234567890"],
        "sensorElementList": [{"sensorReport": [
            {"type": "Temperature", "value": 4.5, "uom": "CEL", "deviceID": "reefer-7"}]}]}"#;
    let opts = ImportOptions::new("SHP-1").keep_sensor_elements(false);
    let doc = import_str(event, &opts).unwrap();
    assert_eq!(doc.events[0].sensor_reports[0].device_id, "reefer-7");
    let again = import_value(&doc.to_epcis(), &opts).unwrap();
    assert_eq!(again.events[0].sensor_reports, doc.events[0].sensor_reports);
}
