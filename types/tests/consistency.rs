//! Events that contradict themselves (issue 22): each row is `{ desc, input, expected field }`;
//! validation must refuse the input naming that field. The fixtures of `common` pass untouched.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use tradeledger_types::*;

struct Case {
    desc: &'static str,
    input: Payload,
    field: &'static str,
}

fn decl(f: impl FnOnce(&mut ShipmentDeclaration)) -> Payload {
    let mut d = declaration();
    f(&mut d);
    Payload::ShipmentDeclaration(d)
}

fn cert(f: impl FnOnce(&mut CertificateOfOrigin)) -> Payload {
    let mut c = certificate_of_origin();
    f(&mut c);
    Payload::CertificateOfOrigin(c)
}

fn cust(f: impl FnOnce(&mut CustodyEvent)) -> Payload {
    let mut e = custody();
    f(&mut e);
    Payload::Custody(e)
}

fn sens(f: impl FnOnce(&mut SensorReport)) -> Payload {
    let mut s = sensor_report();
    f(&mut s);
    Payload::SensorReport(s)
}

fn insp(f: impl FnOnce(&mut InspectionResult)) -> Payload {
    let mut i = inspection();
    f(&mut i);
    Payload::Inspection(i)
}

fn material(hs: &str, value_minor: u64) -> Material {
    Material {
        description: format!("material {hs}"),
        hs_code: hs.into(),
        value_minor,
        originating: false,
    }
}

fn reading(kind: SensorKind, value_milli: i64, unit: &str, time_ms: u64) -> Reading {
    Reading {
        kind,
        value_milli,
        unit: unit.into(),
        time_ms,
    }
}

fn cases() -> Vec<Case> {
    let c = |desc, input, field| Case { desc, input, field };
    vec![
        // HS nomenclature.
        c(
            "HS chapter 00 does not exist",
            decl(|d| d.goods[0].hs_code = "000440".into()),
            "goods[0].hs_code",
        ),
        c(
            "HS chapter 77 is reserved",
            decl(|d| d.goods[0].hs_code = "770100".into()),
            "goods[0].hs_code",
        ),
        c(
            "HS chapter 98 is national use",
            decl(|d| d.goods[0].hs_code = "980100".into()),
            "goods[0].hs_code",
        ),
        c(
            "HS chapter 99 is national use",
            decl(|d| d.goods[0].hs_code = "990100".into()),
            "goods[0].hs_code",
        ),
        c(
            "HS heading 00 does not exist",
            decl(|d| d.goods[0].hs_code = "080010".into()),
            "goods[0].hs_code",
        ),
        c(
            "material in chapter 77",
            decl(|d| {
                d.goods[0].cost = Some(CostData {
                    transaction_value_minor: 100,
                    net_cost_minor: 90,
                    materials: vec![material("770000", 10)],
                });
            }),
            "goods[0].cost.materials[0].hs_code",
        ),
        c(
            "certified good in chapter 77",
            cert(|c| c.goods[0].hs_code = "771234".into()),
            "goods[0].hs_code",
        ),
        c(
            "IPR recordation for chapter 77",
            Payload::IprRecordation(IprRecordation {
                recordation_id: "R1".into(),
                mark: "ACME".into(),
                registration_no: "1".into(),
                owner: "acme".into(),
                hs_prefixes: vec!["77".into()],
                authorised_manufacturers: vec![],
                authorised_importers: vec![],
                valid_from_ms: T0,
                valid_until_ms: T0 + 1,
                gray_market_restricted: false,
            }),
            "hs_prefixes[0]",
        ),
        // Quantities and values.
        c(
            "zero quantity",
            decl(|d| d.goods[0].quantity = 0),
            "goods[0].quantity",
        ),
        c(
            "zero customs value",
            decl(|d| d.goods[0].value_minor = 0),
            "goods[0].value_minor",
        ),
        c(
            "line values overflow their total",
            decl(|d| {
                let mut g = d.goods[0].clone();
                g.line = 2;
                g.value_minor = u64::MAX;
                d.goods.push(g);
            }),
            "goods[1].value_minor",
        ),
        c(
            "line number 0",
            decl(|d| d.goods[0].line = 0),
            "goods[0].line",
        ),
        c(
            "materials worth more than the transaction value",
            decl(|d| {
                d.goods[0].cost = Some(CostData {
                    transaction_value_minor: 100_000,
                    net_cost_minor: 0,
                    materials: vec![material("392690", 60_000), material("392690", 50_000)],
                });
            }),
            "goods[0].cost.transaction_value_minor",
        ),
        c(
            "materials worth more than the net cost",
            decl(|d| {
                d.goods[0].cost = Some(CostData {
                    transaction_value_minor: 200_000,
                    net_cost_minor: 90_000,
                    materials: vec![material("392690", 95_000)],
                });
            }),
            "goods[0].cost.net_cost_minor",
        ),
        c(
            "materials' total overflows",
            decl(|d| {
                d.goods[0].cost = Some(CostData {
                    transaction_value_minor: 1,
                    net_cost_minor: 1,
                    materials: vec![material("392690", u64::MAX), material("392690", 1)],
                });
            }),
            "goods[0].cost.materials[1].value_minor",
        ),
        // Countries and route.
        c(
            "unassigned country code",
            decl(|d| d.importer.country = "ZZ".into()),
            "importer.country",
        ),
        c(
            "locode in an unassigned country",
            decl(|d| d.route[1].locode = Some("XXPHR".into())),
            "route[1].locode",
        ),
        c(
            "route stop's locode in another country",
            decl(|d| d.route[1].locode = Some("MXNLD".into())),
            "route[1].locode",
        ),
        c(
            "route does not start in the origin country",
            decl(|d| {
                d.route[0] = RouteStop {
                    country: "GT".into(),
                    locode: None,
                }
            }),
            "route[0].country",
        ),
        c(
            "route does not end in the destination country",
            decl(|d| {
                d.route[1] = RouteStop {
                    country: "CA".into(),
                    locode: None,
                }
            }),
            "route[1].country",
        ),
        // GS1 keys, every form.
        c(
            "GTIN with a wrong check digit",
            decl(|d| d.goods[0].gtin = Some("00614141000419".into())),
            "goods[0].gtin",
        ),
        c(
            "SSCC URN with too few digits",
            decl(|d| d.epcs[0] = "urn:epc:id:sscc:0614141.123456789".into()),
            "epcs[0]",
        ),
        c(
            "SGTIN URN with too many digits",
            decl(|d| d.epcs[0] = "urn:epc:id:sgtin:0614141.8123456.6789".into()),
            "epcs[0]",
        ),
        c(
            "SGTIN URN without a serial",
            decl(|d| d.epcs[0] = "urn:epc:id:sgtin:0614141.812345".into()),
            "epcs[0]",
        ),
        c(
            "SGLN URN with a short location reference",
            decl(|d| d.epcs[0] = "urn:epc:id:sgln:0614141.0077.0".into()),
            "epcs[0]",
        ),
        c(
            "GRAI URN with a letter in the asset type",
            decl(|d| d.epcs[0] = "urn:epc:id:grai:0614141.1234A.5".into()),
            "epcs[0]",
        ),
        c(
            "LGTIN class URN with a short item reference",
            decl(|d| d.epcs[0] = "urn:epc:class:lgtin:0614141.81234.LOT1".into()),
            "epcs[0]",
        ),
        c(
            "company prefix of 5 digits",
            decl(|d| d.epcs[0] = "urn:epc:id:sscc:06141.123456789012".into()),
            "epcs[0]",
        ),
        c(
            "Digital Link GTIN with a wrong check digit",
            decl(|d| d.epcs[0] = "https://id.gs1.org/01/09506000134353/21/abc".into()),
            "epcs[0]",
        ),
        c(
            "Digital Link SSCC with a wrong check digit",
            decl(|d| d.epcs[0] = "https://id.gs1.org/00/106141412345678907".into()),
            "epcs[0]",
        ),
        c(
            "Digital Link GLN with a wrong check digit",
            cust(|e| {
                e.read_point.as_mut().unwrap().site =
                    Some("https://id.gs1.org/414/9506000134368".into())
            }),
            "read_point.site",
        ),
        c(
            "Digital Link without a primary key",
            decl(|d| d.epcs[0] = "https://example.com/pallet/1".into()),
            "epcs[0]",
        ),
        c(
            "plain GLN site with a wrong check digit",
            cust(|e| e.read_point.as_mut().unwrap().site = Some("9506000134368".into())),
            "read_point.site",
        ),
        c(
            "the same EPC declared twice",
            decl(|d| d.epcs[1] = d.epcs[0].clone()),
            "epcs[1]",
        ),
        c(
            "the same EPC read twice",
            cust(|e| e.epcs.push(e.epcs[0].clone())),
            "epcs[1]",
        ),
        c(
            "aggregation parent among its children",
            cust(|e| e.parent = Some(e.epcs[0].clone())),
            "parent",
        ),
        c(
            "device id an EPC with a bad key",
            sens(|s| s.device_id = "urn:epc:id:giai:06141.1".into()),
            "device_id",
        ),
        // Custody event shape.
        c(
            "object event without an action",
            cust(|e| e.action = None),
            "action",
        ),
        c(
            "transformation event with an action",
            cust(|e| e.event_type = EpcisEventType::Transformation),
            "action",
        ),
        // Certificate lines.
        c(
            "certificate line 0",
            cert(|c| c.goods[0].line = 0),
            "goods[0].line",
        ),
        c(
            "certificate names a line twice",
            cert(|c| c.goods.push(c.goods[0].clone())),
            "goods[1].line",
        ),
        // Sensor report: units against kinds, impossible values.
        c(
            "temperature in a humidity unit",
            sens(|s| s.readings[2].unit = "A93".into()),
            "readings[2].unit",
        ),
        c(
            "temperature in Fahrenheit (read as Celsius)",
            sens(|s| s.readings[0].unit = "FAH".into()),
            "readings[0].unit",
        ),
        c(
            "humidity in Celsius",
            sens(|s| {
                s.readings.push(reading(
                    SensorKind::RelativeHumidity,
                    90_000,
                    "CEL",
                    T0 + 9_000_000,
                ));
                s.series_len = 7;
                s.stats.push(SeriesStats {
                    kind: SensorKind::RelativeHumidity,
                    count: 1,
                    min_milli: 90_000,
                    max_milli: 90_000,
                });
            }),
            "readings[6].unit",
        ),
        c(
            "temperature below absolute zero",
            sens(|s| {
                s.readings[0].value_milli = -300_000;
                s.stats[0].min_milli = -300_000;
            }),
            "readings[0].value_milli",
        ),
        c(
            "relative humidity above 100 %",
            sens(|s| {
                s.readings.push(reading(
                    SensorKind::RelativeHumidity,
                    120_000,
                    "P1",
                    T0 + 9_000_000,
                ));
                s.series_len = 7;
                s.stats.push(SeriesStats {
                    kind: SensorKind::RelativeHumidity,
                    count: 1,
                    min_milli: 120_000,
                    max_milli: 120_000,
                });
            }),
            "readings[6].value_milli",
        ),
        c(
            "door half open",
            sens(|s| {
                s.readings
                    .push(reading(SensorKind::DoorOpen, 500, "C62", T0 + 9_000_000));
                s.series_len = 7;
                s.stats.push(SeriesStats {
                    kind: SensorKind::DoorOpen,
                    count: 1,
                    min_milli: 500,
                    max_milli: 500,
                });
            }),
            "readings[6].value_milli",
        ),
        c(
            "readings out of time order",
            sens(|s| s.readings.swap(1, 2)),
            "readings[2].time_ms",
        ),
        // Sensor report: stats against the readings.
        c(
            "stats count differs from the whole series",
            sens(|s| s.stats[0].count = 5),
            "stats[0].count",
        ),
        c(
            "stats max above every carried reading",
            sens(|s| s.stats[0].max_milli = 9_000),
            "stats[0].max_milli",
        ),
        c(
            "stats min below every carried reading",
            sens(|s| s.stats[0].min_milli = 6_000),
            "stats[0].min_milli",
        ),
        c(
            "a carried reading outside min/max",
            sens(|s| s.stats[0].max_milli = 8_000),
            "stats[0]",
        ),
        c(
            "stats min above max",
            sens(|s| {
                s.stats[0].min_milli = 9_000;
                s.stats[0].max_milli = 8_000
            }),
            "stats[0]",
        ),
        c(
            "a kind summarised twice",
            sens(|s| s.stats.push(s.stats[0].clone())),
            "stats[1].kind",
        ),
        c(
            "stats of a kind with no reading",
            sens(|s| {
                s.stats.push(SeriesStats {
                    kind: SensorKind::Illuminance,
                    count: 0,
                    min_milli: 0,
                    max_milli: 0,
                })
            }),
            "stats[1].count",
        ),
        c(
            "stats for a kind the whole series lacks",
            sens(|s| {
                s.stats.push(SeriesStats {
                    kind: SensorKind::Illuminance,
                    count: 1,
                    min_milli: 0,
                    max_milli: 0,
                });
            }),
            "stats[1].count",
        ),
        c(
            "a carried kind without stats",
            sens(|s| {
                s.readings
                    .push(reading(SensorKind::Illuminance, 10, "LUX", T0 + 9_000_000));
                s.series_len = 7;
            }),
            "readings[6].kind",
        ),
        c(
            "sampled series: stats count fewer than carried",
            sens(|s| {
                s.series_len = 100;
                s.series_root = Some(Hash32([7; 32]));
                s.stats[0].count = 4;
            }),
            "stats[0].count",
        ),
        c(
            "sampled series: stats counts do not add up to series_len",
            sens(|s| {
                s.series_len = 100;
                s.series_root = Some(Hash32([7; 32]));
                s.stats[0].count = 90;
            }),
            "series_len",
        ),
        c(
            "series root given for a series carried whole",
            sens(|s| s.series_root = Some(Hash32([7; 32]))),
            "series_root",
        ),
        c(
            "series_len below the readings carried",
            sens(|s| s.series_len = 5),
            "series_len",
        ),
        // Inspections.
        c(
            "treatment reading in a light unit",
            insp(|i| i.treatment.as_mut().unwrap().readings[0].unit = "LUX".into()),
            "treatment.readings[0].unit",
        ),
        c(
            "failed inspection without a finding",
            insp(|i| {
                i.outcome = InspectionOutcome::Fail;
                i.findings.clear()
            }),
            "findings",
        ),
        // A correction's replacement is checked the same way.
        c(
            "correction replacing with a contradictory report",
            Payload::Correction(Correction {
                corrects: Hash32([1; 32]),
                reason: "resend".into(),
                replacement: Some(Box::new(sens(|s| s.stats[0].count = 5))),
            }),
            "replacement.stats[0].count",
        ),
    ]
}

#[test]
fn fixtures_are_consistent() {
    for (name, p) in all_payloads() {
        assert_eq!(p.validate(), Ok(()), "{name}");
    }
}

#[test]
fn contradictions_are_refused_naming_the_field() {
    for Case { desc, input, field } in cases() {
        match input.validate() {
            Err(e) => assert_eq!(e.field, field, "{desc}: {e}"),
            Ok(()) => panic!("{desc}: accepted"),
        }
    }
}

#[test]
fn every_accepted_form_of_a_gs1_key_passes_with_its_check_digit() {
    let good = [
        "urn:epc:id:sgtin:0614141.812345.6789",
        "urn:epc:id:sscc:0614141.1234567890",
        "urn:epc:id:sgln:0614141.00777.0",
        "urn:epc:id:sgln:061414112345..0",
        "urn:epc:id:grai:0614141.12345.400",
        "urn:epc:id:giai:4000001.111",
        "urn:epc:class:lgtin:0614141.812345.LOT1",
        "urn:epc:id:gid:95100000.12345.400",
        "https://id.gs1.org/01/09506000134352/21/abc",
        "https://example.com/shop/01/09506000134352?17=261231",
        "https://id.gs1.org/00/106141412345678908",
        "https://id.gs1.org/414/9506000134369",
        "https://id.gs1.org/8004/0614141ABC",
    ];
    for e in good {
        assert_eq!(validate::epc("epc", e), Ok(()), "{e}");
    }
    for g in ["00614141000418", "0614141000012", "09506000134352"] {
        assert_eq!(validate::gtin("gtin", g), Ok(()), "{g}");
    }
    assert_eq!(gs1::sscc("sscc", "106141412345678908"), Ok(()));
    assert_eq!(gs1::gln("gln", "9506000134369"), Ok(()));
    assert!(gs1::sscc("sscc", "106141412345678907").is_err());
}

#[test]
fn hs_nomenclature_bounds() {
    for (code, ok) in [
        ("010121", true),
        ("970110", true),
        ("760110", true),
        ("780110", true),
        ("050100", true),
        ("000000", false),
        ("770000", false),
        ("980000", false),
        ("080000", false),
    ] {
        assert_eq!(validate::hs_code("hs", code).is_ok(), ok, "{code}");
    }
    assert!(rules::hs_prefix("p", "77").is_err());
    assert!(rules::hs_prefix("p", "0804").is_ok());
    assert!(rules::hs_prefix("p", "0800").is_err());
}
