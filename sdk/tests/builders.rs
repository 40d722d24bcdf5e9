//! Builders: every event kind builds, validates before signing, and names the failing field.

#![allow(clippy::unwrap_used)]

use tradeledger_sdk::builders::*;
use tradeledger_sdk::signer::Signer;
use tradeledger_types::{
    Action, CertifierRole, CommodityRule, Decision, EpcisEventType, EventKind, GoodsLine, Hash32,
    InspectionKind, InspectionOutcome, LicenceScope, OriginCriterion, Payload, Reading, RuleChange,
    SealStatus, SecretKey, SensorKind, TreatmentKind,
};

const DAY: u64 = 86_400_000;
const T0: u64 = 1_772_431_200_000;

fn party(name: &str, country: &str) -> tradeledger_types::Party {
    PartyBuilder::new(name, "Av. Reforma 1, Uruapan", country)
        .contact("ops@example.com")
        .done()
}

fn avocados(line: u32) -> GoodsLine {
    GoodsLine {
        line,
        description: "Fresh Hass avocados, 10 kg cartons".into(),
        gtin: Some("00614141000012".into()),
        hs_code: "080440".into(),
        quantity: 19_200,
        unit: "KGM".into(),
        value_minor: 4_800_000,
        currency: "USD".into(),
        brand: None,
        manufacturer: None,
        origin_country: "MX".into(),
        cost: None,
    }
}

fn shipment() -> ShipmentBuilder {
    ShipmentBuilder::new("SHP-2026-000123")
        .exporter(party("Aguacates del Sur SA", "MX").clone())
        .importer(party("Fresh Imports LLC", "US"))
        .carrier("mx-reefer-lines")
        .goods(avocados(1))
        .countries("MX", "US")
        .stop("MX", Some("MXUPN"))
        .stop("US", Some("USLRD"))
        .epc("urn:epc:id:sscc:0614141.1234567890")
        .schedule(T0, T0 + 3 * DAY)
}

#[test]
fn every_kind_builds_and_signs() {
    let mut s = Signer::new(SecretKey::from_seed([4; 32]), "tradeledger-demo");
    let device = SecretKey::from_seed([5; 32]).public();
    let temp = |v, t| Reading {
        kind: SensorKind::PulpTemperature,
        value_milli: v,
        unit: "CEL".into(),
        time_ms: t,
    };
    let events = vec![
        shipment().sign(&mut s).unwrap(),
        CertificateOfOriginBuilder::new("COO-1", "SHP-2026-000123", CertifierRole::Exporter)
            .certifier(party("Aguacates del Sur SA", "MX"))
            .exporter(party("Aguacates del Sur SA", "MX"))
            .importer(party("Fresh Imports LLC", "US"))
            .good(1, "Fresh Hass avocados", "080440", OriginCriterion::A)
            .blanket(T0, T0 + 180 * DAY)
            .signed_by("María López", T0)
            .sign(&mut s)
            .unwrap(),
        CustodyBuilder::new("SHP-2026-000123", "departing", T0)
            .kind(EpcisEventType::Aggregation, Some(Action::Add))
            .parent("urn:epc:id:sscc:0614141.1234567890")
            .epcs(["urn:epc:id:sgtin:0614141.812345.6789"])
            .read_point_site("urn:epc:id:sgln:0614141.00001.0")
            .disposition("in_transit")
            .seal("MXAV-0042117", SealStatus::Applied)
            .extension("mxav:lane", "\"4\"")
            .extension("example:a", "1")
            .sign(&mut s)
            .unwrap(),
        SensorReportBuilder::new("SHP-2026-000123", "reefer-7")
            .reading(SensorKind::Temperature, 7_000, T0)
            .sign(&mut s)
            .unwrap(),
        InspectionBuilder::new(
            "SHP-2026-000123",
            InspectionKind::Phytosanitary,
            InspectionOutcome::PassAfterTreatment,
            T0 + DAY,
        )
        .finding("pest:none", "no live pests found")
        .treatment(
            TreatmentKind::HotAir,
            T0,
            T0 + 100 * 60_000,
            vec![temp(44_500, T0), temp(44_600, T0 + 120_000)],
        )
        .sign(&mut s)
        .unwrap(),
        ClearanceBuilder::new("SHP-2026-000123", Decision::Release)
            .sign(&mut s)
            .unwrap(),
        IprRecordationBuilder::new("REC-1", "AGUASUR", "US-5550123", "aguasur-brands")
            .hs_prefix("0804")
            .manufacturer("Aguacates del Sur SA")
            .importer("Fresh Imports LLC")
            .valid(T0, T0 + 365 * DAY)
            .gray_market_restricted(true)
            .sign(&mut s)
            .unwrap(),
        IprAcceptanceBuilder::new("REC-1").sign(&mut s).unwrap(),
        IprLicenceBuilder::new(
            "LIC-1",
            "REC-1",
            "Fresh Imports LLC",
            LicenceScope::Import,
            T0,
            T0 + 90 * DAY,
        )
        .parent("LIC-0")
        .sign(&mut s)
        .unwrap(),
        IprRevocationBuilder::new("LIC-1", T0 + 30 * DAY, "licence breach")
            .sign(&mut s)
            .unwrap(),
        DeviceRegistrationBuilder::new(device, "reefer-7")
            .may_sign(EventKind::SensorReport)
            .may_sign(EventKind::Custody)
            .sign(&mut s)
            .unwrap(),
        DeviceRevocationBuilder::new(device, 1_000)
            .sign(&mut s)
            .unwrap(),
        RuleSetUpdateBuilder::new(2, 500, "avocado season thresholds")
            .change(RuleChange::SetCommodity(CommodityRule {
                hs_prefix: "080440".into(),
                name: "avocado, mature-green".into(),
                min_milli_c: 5_000,
                max_milli_c: 13_000,
                excursion_minutes_max: 120,
            }))
            .sign(&mut s)
            .unwrap(),
        CorrectionBuilder::new(Hash32([7; 32]), "wrong clearance")
            .replacement(Payload::Clearance(tradeledger_types::ClearanceDecision {
                shipment_id: "SHP-2026-000123".into(),
                decision: Decision::Hold,
                reason: "awaiting documents".into(),
            }))
            .sign(&mut s)
            .unwrap(),
    ];
    let kinds: Vec<EventKind> = events.iter().map(|e| e.body.payload.kind()).collect();
    assert_eq!(kinds.len(), 14);
    let distinct: std::collections::BTreeSet<_> = kinds.iter().collect();
    assert_eq!(distinct.len(), 14, "one event of every kind");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.body.seq, i as u64 + 1);
        e.verify().unwrap();
    }
    // Extensions stay sorted by name.
    let Payload::Custody(c) = &events[2].body.payload else {
        panic!()
    };
    assert_eq!(
        c.extensions
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>(),
        ["example:a", "mxav:lane"]
    );
}

#[test]
fn errors_name_the_field_and_consume_no_sequence() {
    let mut s = Signer::new(SecretKey::from_seed([4; 32]), "tradeledger-demo");
    let cases: Vec<(Result<tradeledger_types::SignedEvent, BuildError>, &str)> = vec![
        (ShipmentBuilder::new("SHP-1").sign(&mut s), "exporter"),
        (
            shipment()
                .goods(GoodsLine {
                    hs_code: "0804".into(),
                    ..avocados(2)
                })
                .sign(&mut s),
            "goods[1].hs_code",
        ),
        (shipment().goods(avocados(1)).sign(&mut s), "goods[1].line"),
        (
            shipment().exporter(party("X", "Mexico")).sign(&mut s),
            "exporter.country",
        ),
        (
            CertificateOfOriginBuilder::new("COO-1", "SHP-1", CertifierRole::Importer).sign(&mut s),
            "signatory_name",
        ),
        (
            CustodyBuilder::new("SHP-1", "arriving", T0)
                .time_zone_offset_min(900)
                .sign(&mut s),
            "time_zone_offset_min",
        ),
        (
            CustodyBuilder::new("SHP-1", "arriving", T0)
                .biz_locode("Laredo")
                .sign(&mut s),
            "biz_location.locode",
        ),
        (
            SensorReportBuilder::new("SHP-1", "reefer 7")
                .reading(SensorKind::Temperature, 1, T0)
                .sign(&mut s),
            "device_id",
        ),
        (
            SensorReportBuilder::new("SHP-1", "reefer-7").sign(&mut s),
            "readings",
        ),
        (
            SensorReportBuilder::new("SHP-1", "reefer-7")
                .reading(SensorKind::Temperature, 1, T0)
                .reading(SensorKind::Temperature, 1, T0 - 1)
                .sign(&mut s),
            "readings",
        ),
        (
            InspectionBuilder::new(
                "SHP-1",
                InspectionKind::Physical,
                InspectionOutcome::PassAfterTreatment,
                T0,
            )
            .sign(&mut s),
            "treatment",
        ),
        (
            ClearanceBuilder::new("SHP-1", Decision::Refuse).sign(&mut s),
            "reason",
        ),
        (
            IprRecordationBuilder::new("REC-1", "M", "R", "Owner Inc")
                .valid(0, 1)
                .sign(&mut s),
            "owner",
        ),
        (
            IprRecordationBuilder::new("REC-1", "M", "R", "owner").sign(&mut s),
            "valid_from_ms",
        ),
        (
            IprLicenceBuilder::new("LIC 1", "REC-1", "L", LicenceScope::Manufacture, 0, 1)
                .sign(&mut s),
            "licence_id",
        ),
        (
            DeviceRegistrationBuilder::new(SecretKey::from_seed([1; 32]).public(), "dev")
                .sign(&mut s),
            "kinds",
        ),
        (
            DeviceRegistrationBuilder::new(SecretKey::from_seed([1; 32]).public(), "dev")
                .may_sign(EventKind::Clearance)
                .sign(&mut s),
            "kinds[0]",
        ),
        (
            RuleSetUpdateBuilder::new(2, 1, "why").sign(&mut s),
            "changes",
        ),
        (
            CorrectionBuilder::new(Hash32::ZERO, "typo")
                .replacement(Payload::Clearance(tradeledger_types::ClearanceDecision {
                    shipment_id: "SHP-1".into(),
                    decision: Decision::Hold,
                    reason: String::new(),
                }))
                .sign(&mut s),
            "replacement.reason",
        ),
    ];
    for (result, field) in cases {
        let err = result.expect_err(field);
        assert_eq!(err.field(), Some(field), "{err}");
    }
    assert_eq!(s.next_seq(), 1);
}
