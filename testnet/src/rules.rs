//! The testnet's initial rule set: figures from shared/DOMAIN.md.

use tradeledger_types::*;

/// Rule set version 1 of a local testnet.
pub fn initial_rule_set() -> RuleSet {
    RuleSet {
        version: 1,
        commodities: vec![CommodityRule {
            // Hass avocado, mature-green: 5–13 °C; excursions tolerated up to 2 hours.
            hs_prefix: "080440".into(),
            name: "avocado (Hass, mature-green)".into(),
            min_milli_c: 5_000,
            max_milli_c: 13_000,
            excursion_minutes_max: 120,
        }],
        product_rules: vec![
            ProductRule {
                // Flat-rolled steel: change of heading, RVC 60 % (TV) or 50 % (NC).
                hs_prefix: "7208".into(),
                tariff_shift: TariffShift::Heading,
                rvc_transaction_value_bp: Some(6_000),
                rvc_net_cost_bp: Some(5_000),
            },
            ProductRule {
                // Light vehicles: 75 % RVC by net cost.
                hs_prefix: "8703".into(),
                tariff_shift: TariffShift::None,
                rvc_transaction_value_bp: None,
                rvc_net_cost_bp: Some(7_500),
            },
        ],
        de_minimis_bp: 1_000,
        reference_values: vec![ReferenceValue {
            hs_code: "851713".into(),
            currency: "USD".into(),
            unit_value_minor: 45_000,
            tolerance_bp: 5_000,
        }],
        seal_authorised_locodes: vec!["MXUPN".into(), "USPHR".into()],
        treatment_gap_minutes_max: 60,
        late_arrival_hours_max: 24,
        custom_rules: vec![],
        custom_rule_fuel: 10_000,
        lane: LanePolicy {
            warnings_for_red: 3,
        },
    }
}
