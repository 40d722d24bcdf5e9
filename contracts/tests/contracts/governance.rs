//! Rule sets as data: owning roles, versions, effective heights, validation.

use crate::harness::{Chain, Parties, declared};
use tradeledger_contracts::testkit::{self, DAY_MS, T0_MS};
use tradeledger_contracts::*;
use tradeledger_types::*;

fn update(version: u32, effective_height: u64, changes: Vec<RuleChange>) -> Payload {
    Payload::RuleSetUpdate(RuleSetUpdate {
        version,
        effective_height,
        changes,
        reason: "seasonal review".into(),
    })
}

fn avocado(excursion_minutes_max: u32) -> RuleChange {
    RuleChange::SetCommodity(CommodityRule {
        hs_prefix: "080440".into(),
        name: "avocado, mature-green".into(),
        min_milli_c: 5_000,
        max_milli_c: 13_000,
        excursion_minutes_max,
    })
}

#[test]
fn updates_are_checked_for_owner_version_height_and_validity() {
    let mut c = Chain::new();
    let mut p = Parties::new();
    c.block(&[]); // height 1
    let bad_commodity = RuleChange::SetCommodity(CommodityRule {
        hs_prefix: "0804".into(),
        name: "inverted".into(),
        min_milli_c: 13_000,
        max_milli_c: 5_000,
        excursion_minutes_max: 60,
    });
    let custom = |expr: &str| {
        RuleChange::SetCustomRule(CustomRule {
            id: "custom.x".into(),
            expression: expr.into(),
            severity: Severity::Warning,
        })
    };
    let cases: Vec<(&str, bool, Payload, Option<RejectCode>)> = vec![
        (
            "quarantine may not change product rules",
            false,
            update(2, 10, vec![RuleChange::SetDeMinimis(700)]),
            Some(RejectCode::RuleChangeNotOwned),
        ),
        (
            "customs may not change commodity thresholds",
            true,
            update(2, 10, vec![avocado(60)]),
            Some(RejectCode::RuleChangeNotOwned),
        ),
        (
            "version must be the latest plus one",
            false,
            update(3, 10, vec![avocado(60)]),
            Some(RejectCode::WrongRuleSetVersion),
        ),
        (
            "effective height must be in the future",
            false,
            update(2, 1, vec![avocado(60)]),
            Some(RejectCode::InvalidEffectiveHeight),
        ),
        (
            "the resulting rule set must be valid",
            false,
            update(2, 10, vec![bad_commodity]),
            Some(RejectCode::InvalidRuleSet),
        ),
        (
            "custom rules must compile",
            true,
            update(2, 10, vec![custom("origin == ")]),
            Some(RejectCode::InvalidCustomRule),
        ),
        (
            "quarantine tightens the avocado tolerance",
            false,
            update(2, 10, vec![avocado(60)]),
            None,
        ),
        (
            "customs builds on the pending version",
            true,
            update(
                3,
                12,
                vec![RuleChange::SetDeMinimis(700), custom("total_value > 100")],
            ),
            None,
        ),
        (
            "not before the pending version's height",
            true,
            update(4, 11, vec![RuleChange::SetLateArrival(12)]),
            Some(RejectCode::InvalidEffectiveHeight),
        ),
    ];
    for (desc, by_customs, payload, expected) in cases {
        let actor = if by_customs {
            &mut p.customs
        } else {
            &mut p.quarantine
        };
        assert_eq!(c.try_apply(actor, payload), expected, "{desc}");
    }
    assert_eq!(rule_set_at(&c.store, 9).expect("memory store").version, 1);
    let v2 = rule_set_at(&c.store, 10).expect("memory store");
    assert_eq!(
        (
            v2.version,
            v2.commodities[0].excursion_minutes_max,
            v2.de_minimis_bp
        ),
        (2, 60, 1_000)
    );
    let v3 = rule_set_at(&c.store, 12).expect("memory store");
    assert_eq!(
        (
            v3.version,
            v3.commodities[0].excursion_minutes_max,
            v3.de_minimis_bp
        ),
        (3, 60, 700)
    );
    assert_eq!(v3.custom_rules.len(), 1);
}

#[test]
fn a_new_threshold_applies_from_its_height_and_lanes_record_the_version() {
    let (mut c, mut p) = declared("S1"); // height 1
    let records = c.apply(&mut p.quarantine, update(2, 4, vec![avocado(60)])); // height 2
    assert!(records.iter().any(|r| matches!(
        r,
        Derived::RuleSetScheduled {
            version: 2,
            effective_height: 4,
            ..
        }
    )));
    // 90 minutes at 15 °C: tolerated under version 1 (120 minutes) ...
    let start = T0_MS + DAY_MS;
    let first: Vec<Reading> = (0..10)
        .map(|i| testkit::temp(start + i * 600_000, 15_000))
        .collect();
    let results = c.block(&[p
        .carrier
        .sign(Payload::SensorReport(testkit::sensor_report("S1", first)))]); // height 3
    assert_eq!(results.rule_set_version, 1);
    assert!(c.shipment("S1").flags.is_empty());
    // ... but the excursion continues under version 2 (60 minutes): flagged, lane under v2.
    let more: Vec<Reading> = (10..12)
        .map(|i| testkit::temp(start + i * 600_000, 15_000))
        .collect();
    let results = c.block(&[p
        .carrier
        .sign(Payload::SensorReport(testkit::sensor_report("S1", more)))]); // height 4
    assert_eq!(results.rule_set_version, 2);
    let rec = c.shipment("S1");
    assert_eq!(rec.flags.len(), 1);
    assert_eq!(rec.flags[0].rule_set_version, 2);
    assert_eq!((rec.lane, rec.lane_version), (Lane::Yellow, 2));
    let _ = DAY_MS;
}
