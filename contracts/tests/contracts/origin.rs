//! The origin contract: nine elements against the declaration, product-specific rules (tariff
//! shift, RVC 60/50, 75 for vehicles, de minimis 10 %), and the physical trail.

use crate::harness::{declared, flag_ids};
use tradeledger_contracts::origin::check_origin;
use tradeledger_contracts::testkit::{self, DAY_MS, T0_MS};
use tradeledger_contracts::*;
use tradeledger_types::*;

fn material(hs: &str, value_minor: u64, originating: bool) -> Material {
    Material {
        description: format!("material {hs}"),
        hs_code: hs.into(),
        value_minor,
        originating,
    }
}

/// A declaration whose single line is `hs` with the given cost data.
fn decl_with(hs: &str, tv: u64, nc: u64, materials: Vec<Material>) -> ShipmentDeclaration {
    let mut d = testkit::declaration("S1");
    d.goods[0].hs_code = hs.into();
    d.goods[0].cost = Some(CostData {
        transaction_value_minor: tv,
        net_cost_minor: nc,
        materials,
    });
    d
}

fn cert_with(d: &ShipmentDeclaration, criterion: OriginCriterion) -> CertificateOfOrigin {
    let mut c = testkit::certificate(d, "COO-1");
    c.goods[0].criterion = criterion;
    c
}

#[test]
fn origin_rules_table() {
    let rules = testkit::rule_set();
    type Case = (
        &'static str,
        ShipmentDeclaration,
        Box<dyn Fn(&ShipmentDeclaration) -> CertificateOfOrigin>,
        Option<OriginCheck>,
    );
    let avocado = testkit::declaration("S1");
    let cases: Vec<Case> = vec![
        (
            "A: avocados wholly obtained",
            avocado.clone(),
            Box::new(|d| cert_with(d, OriginCriterion::A)),
            None,
        ),
        (
            "A with a non-originating material",
            decl_with(
                "080440",
                100_000,
                90_000,
                vec![material("080440", 1_000, false)],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::A)),
            Some(OriginCheck::WhollyObtained),
        ),
        (
            "C with a non-originating material",
            decl_with(
                "080440",
                100_000,
                90_000,
                vec![material("392690", 1_000, false)],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::C)),
            Some(OriginCheck::OriginatingMaterials),
        ),
        (
            "certifier role says importer, certifier is the exporter",
            avocado.clone(),
            Box::new(|d| {
                let mut c = cert_with(d, OriginCriterion::A);
                c.certifier_role = CertifierRole::Importer;
                c
            }),
            Some(OriginCheck::Certifier),
        ),
        (
            "importer differs from the declaration",
            avocado.clone(),
            Box::new(|d| {
                let mut c = cert_with(d, OriginCriterion::A);
                c.importer.name = "Someone Else Inc".into();
                c
            }),
            Some(OriginCheck::Parties),
        ),
        (
            "HS code differs from the declared line",
            avocado.clone(),
            Box::new(|d| {
                let mut c = cert_with(d, OriginCriterion::A);
                c.goods[0].hs_code = "080450".into();
                c
            }),
            Some(OriginCheck::HsCode),
        ),
        (
            "certified line not declared",
            avocado.clone(),
            Box::new(|d| {
                let mut c = cert_with(d, OriginCriterion::A);
                c.goods[0].line = 7;
                c
            }),
            Some(OriginCheck::GoodsLine),
        ),
        (
            "blanket period of 12 months covering the departure",
            avocado.clone(),
            Box::new(|d| {
                let mut c = cert_with(d, OriginCriterion::A);
                c.blanket_period = Some(BlanketPeriod {
                    from_ms: T0_MS,
                    until_ms: T0_MS + 365 * DAY_MS,
                });
                c
            }),
            None,
        ),
        (
            "blanket period ending before the departure",
            avocado.clone(),
            Box::new(|d| {
                let mut c = cert_with(d, OriginCriterion::A);
                c.blanket_period = Some(BlanketPeriod {
                    from_ms: T0_MS - 300 * DAY_MS,
                    until_ms: T0_MS,
                });
                c
            }),
            Some(OriginCheck::BlanketPeriod),
        ),
        (
            "B furniture: heading shift met, RVC(TV) 65 % >= 60 %",
            decl_with(
                "940360",
                100_000,
                90_000,
                vec![
                    material("440710", 35_000, false),
                    material("940390", 20_000, true),
                ],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            None,
        ),
        (
            "B furniture: RVC(TV) 55 % < 60 % but RVC(NC) 50 % >= 50 %",
            decl_with(
                "940360",
                100_000,
                90_000,
                vec![material("440710", 45_000, false)],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            None,
        ),
        (
            "B furniture: RVC(TV) 50 %, RVC(NC) 44 %: below both floors",
            decl_with(
                "940360",
                100_000,
                90_000,
                vec![material("440710", 50_000, false)],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            Some(OriginCheck::RegionalValueContent),
        ),
        (
            "B furniture: same-heading material at 8 % is within de minimis 10 %",
            decl_with(
                "940360",
                100_000,
                90_000,
                vec![material("940390", 8_000, false)],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            None,
        ),
        (
            "B furniture: same-heading material at 12 % exceeds de minimis 10 %",
            decl_with(
                "940360",
                100_000,
                90_000,
                vec![material("940390", 12_000, false)],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            Some(OriginCheck::TariffShift),
        ),
        (
            "B light vehicle: RVC(NC) 80 % >= 75 %",
            decl_with(
                "870323",
                25_000_000,
                20_000_000,
                vec![material("840734", 4_000_000, false)],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            None,
        ),
        (
            "B light vehicle: RVC(NC) 70 % < 75 %",
            decl_with(
                "870323",
                25_000_000,
                20_000_000,
                vec![material("840734", 6_000_000, false)],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            Some(OriginCheck::RegionalValueContent),
        ),
        (
            "B without cost data",
            {
                let mut d = testkit::declaration("S1");
                d.goods[0].hs_code = "940360".into();
                d
            },
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            Some(OriginCheck::CostData),
        ),
        (
            "B with no product-specific rule for the HS code",
            decl_with("610910", 100_000, 90_000, vec![]),
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            Some(OriginCheck::NoProductRule),
        ),
        (
            "B avocados: chapter shift, no materials from chapter 08",
            decl_with(
                "080440",
                100_000,
                90_000,
                vec![material("392310", 3_000, false)],
            ),
            Box::new(|d| cert_with(d, OriginCriterion::B)),
            None,
        ),
    ];
    for (desc, d, make, expected) in cases {
        let v = check_origin(&d, &make(&d), &rules);
        assert_eq!(v.failed, expected, "{desc}: {}", v.detail);
        assert_eq!(v.confirmed, expected.is_none(), "{desc}");
        assert_eq!(v.rule_set_version, 1);
    }
}

#[test]
fn rvc_is_rounded_down_in_basis_points() {
    assert_eq!(origin::rvc_bp(90_000, 45_000), Some(5_000));
    assert_eq!(origin::rvc_bp(3, 1), Some(6_666));
    assert_eq!(origin::rvc_bp(0, 0), None);
    assert_eq!(origin::rvc_bp(100, 200), Some(0));
}

#[test]
fn certificate_on_chain_verdict_flag_and_correction() {
    let (mut chain, mut p) = declared("S1");
    let d = testkit::declaration("S1");
    // Signed by the importer while naming the exporter as certifier: not the certifier's signature.
    let c = testkit::certificate(&d, "COO-1");
    assert_eq!(
        chain.try_apply(&mut p.importer, Payload::CertificateOfOrigin(c.clone())),
        Some(RejectCode::NotAParty)
    );

    let mut wrong = c.clone();
    wrong.goods[0].hs_code = "080450".into();
    let ev = p.exporter.sign(Payload::CertificateOfOrigin(wrong));
    let wrong_id = ev.id();
    let o = chain.one(ev);
    assert!(o.is_applied());
    assert!(o.records.iter().any(
        |r| matches!(r, Derived::Origin(v) if !v.confirmed && v.failed == Some(OriginCheck::HsCode))
    ));
    assert_eq!(flag_ids(&o.records), vec!["origin.not_confirmed"]);
    assert_eq!(chain.lane("S1"), Lane::Yellow);

    assert_eq!(
        chain.try_apply(&mut p.exporter, Payload::CertificateOfOrigin(c.clone())),
        Some(RejectCode::DuplicateCertificate)
    );

    let fix = Correction {
        corrects: wrong_id,
        reason: "HS code typo".into(),
        replacement: Some(Box::new(Payload::CertificateOfOrigin(c))),
    };
    let records = chain.apply(&mut p.exporter, Payload::Correction(fix));
    assert!(
        records
            .iter()
            .any(|r| matches!(r, Derived::Origin(v) if v.confirmed))
    );
    assert_eq!(
        chain.lane("S1"),
        Lane::Green,
        "a corrected claim clears the flag"
    );
    assert!(chain.shipment("S1").flags.is_empty());
}

#[test]
fn first_custody_event_must_be_in_the_origin_country() {
    let cases = [
        ("MXUPN", vec![]),
        (
            "GTGUA",
            vec!["origin.first_custody_country", "risk.route_deviation"],
        ),
    ];
    for (locode, expected) in cases {
        let (mut chain, mut p) = declared("S1");
        let ev = testkit::custody("S1", "shipping", locode, T0_MS + DAY_MS, vec![]);
        let records = chain.apply(&mut p.carrier, Payload::Custody(ev));
        assert_eq!(flag_ids(&records), expected, "first custody at {locode}");
    }
}
