//! Custom risk rules in the sandboxed expression language: they fire, and hostile ones are
//! stopped by fuel or size limits and recorded, never hanging a block.

use crate::harness::{Chain, Parties, flag_ids};
use tradeledger_contracts::testkit;
use tradeledger_contracts::*;
use tradeledger_types::*;

fn chain_with_rule(expression: &str, fuel: u32) -> Chain {
    let mut g = testkit::genesis();
    g.rule_set.custom_rules = vec![CustomRule {
        id: "custom.rule".into(),
        expression: expression.into(),
        severity: Severity::Warning,
    }];
    g.rule_set.custom_rule_fuel = fuel;
    Chain::with_genesis(&g)
}

fn failures(records: &[Derived]) -> Vec<CustomRuleFault> {
    records
        .iter()
        .filter_map(|r| {
            if let Derived::CustomRuleFailed(f) = r {
                Some(f.fault)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn custom_rules_table() {
    let cases: Vec<(&str, &str, u32, bool, Option<CustomRuleFault>)> = vec![
        (
            "high-value produce",
            r#"total_value > 4_000_000 && "08" in chapters"#,
            10_000,
            true,
            None,
        ),
        (
            "not for this origin",
            r#"origin == "CN" && total_value > 0"#,
            10_000,
            false,
            None,
        ),
        (
            "route through a third country",
            r#"route.len() > 2"#,
            10_000,
            false,
            None,
        ),
        (
            "bounded loop within fuel",
            "let n = 0; for i in 0..500 { n += i; } n == 124750",
            100_000,
            true,
            None,
        ),
        (
            "endless loop",
            "loop { }",
            10_000,
            false,
            Some(CustomRuleFault::FuelExhausted),
        ),
        (
            "endless loop with the largest fuel",
            "let x = 0; while true { x += 1; }",
            u32::MAX,
            false,
            Some(CustomRuleFault::FuelExhausted),
        ),
        (
            "string doubling",
            r#"let s = "x"; loop { s += s; }"#,
            1_000_000,
            false,
            Some(CustomRuleFault::TooLarge),
        ),
        (
            "array growth",
            "let a = []; loop { a.push(1); }",
            1_000_000,
            false,
            Some(CustomRuleFault::TooLarge),
        ),
        (
            "one huge string at once",
            r#"let s = "x"; s.pad(2_000_000_000, "y"); true"#,
            1_000_000,
            false,
            Some(CustomRuleFault::TooLarge),
        ),
        (
            "one huge blob at once",
            "let b = blob(2_000_000_000); true",
            1_000_000,
            false,
            Some(CustomRuleFault::TooLarge),
        ),
        (
            "one huge array at once",
            "let a = []; a.pad(2_000_000_000, 0); true",
            1_000_000,
            false,
            Some(CustomRuleFault::TooLarge),
        ),
        (
            "not a boolean",
            "42",
            10_000,
            false,
            Some(CustomRuleFault::NotBoolean),
        ),
        (
            "integer overflow is an error",
            "9223372036854775807 + 1 > 0",
            10_000,
            false,
            Some(CustomRuleFault::Runtime),
        ),
        (
            "unknown variable",
            "no_such_fact > 1",
            10_000,
            false,
            Some(CustomRuleFault::Runtime),
        ),
        (
            "eval is disabled",
            r#"eval("true")"#,
            10_000,
            false,
            Some(CustomRuleFault::Compile),
        ),
    ];
    for (desc, expr, fuel, fires, fault) in cases {
        let mut chain = chain_with_rule(expr, fuel);
        let mut p = Parties::new();
        let o = chain.one(
            p.exporter
                .sign(Payload::ShipmentDeclaration(testkit::declaration("S1"))),
        );
        assert!(
            o.is_applied(),
            "{desc}: a failing rule never rejects the event"
        );
        assert_eq!(
            flag_ids(&o.records).contains(&"custom.rule".to_owned()),
            fires,
            "{desc}"
        );
        assert_eq!(
            failures(&o.records),
            fault.into_iter().collect::<Vec<_>>(),
            "{desc}"
        );
    }
}
