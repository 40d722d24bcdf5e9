//! Rule sets: the parameters the rule contracts read, held in state and changed by governance.
//!
//! Every number is fixed-point: temperatures in milli-°C, shares in basis points (1 % = 100 bp),
//! durations in minutes. The semantics of each field are in `contracts/` and docs/contracts.md.

use crate::validate::{self as v, Checked, FieldError};
use crate::{Currency, HsCode, Locode, wire_struct};
use serde::{Deserialize, Serialize};

/// How serious a flag is; the lane policy adds them up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Severity {
    /// Worth noting; alone it keeps the lane green.
    Info,
    /// Document review (yellow lane).
    Warning,
    /// Physical inspection (red lane).
    Critical,
}

wire_struct! {
    /// Transit conditions for a commodity, keyed by HS prefix (the longest matching prefix wins).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct CommodityRule {
        /// HS prefix, 2 to 6 digits (`0804` covers avocados, `080440` only avocados).
        pub hs_prefix: String,
        /// Name for reports (`avocado, mature-green`).
        pub name: String,
        /// Lowest acceptable temperature, milli-°C.
        pub min_milli_c: i64,
        /// Highest acceptable temperature, milli-°C.
        pub max_milli_c: i64,
        /// Time outside the range tolerated before a flag, in minutes (duration, not one reading).
        pub excursion_minutes_max: u32,
    }
}

/// The tariff-shift requirement of a product-specific rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TariffShift {
    /// No tariff shift required (RVC only).
    None,
    /// Non-originating materials must come from another chapter (2 digits).
    Chapter,
    /// ... from another heading (4 digits).
    Heading,
    /// ... from another subheading (6 digits).
    Subheading,
}

wire_struct! {
    /// A USMCA-style product-specific rule of origin, keyed by HS prefix.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ProductRule {
        /// HS prefix, 2 to 6 digits.
        pub hs_prefix: String,
        /// Tariff shift required of non-originating materials.
        pub tariff_shift: TariffShift,
        /// RVC floor, transaction-value method, basis points (6000 = 60 %), if that method is allowed.
        pub rvc_transaction_value_bp: Option<u32>,
        /// RVC floor, net-cost method, basis points (5000 = 50 %), if that method is allowed.
        pub rvc_net_cost_bp: Option<u32>,
    }
}

wire_struct! {
    /// Reference unit value for an HS code, for value-anomaly flags.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct ReferenceValue {
        /// Six-digit HS code.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub hs_code: HsCode,
        /// Currency of the reference.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pub currency: Currency,
        /// Expected value per unit of quantity, minor units.
        pub unit_value_minor: u64,
        /// Deviation tolerated either way, basis points.
        pub tolerance_bp: u32,
    }
}

wire_struct! {
    /// A custom risk rule written in the rule expression language (see docs/contracts.md).
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct CustomRule {
        /// Rule id, shown on the flags it raises (`custom.high-value-electronics`).
        pub id: String,
        /// The expression; the rule fires when it evaluates to true.
        pub expression: String,
        /// Severity of the flag raised.
        pub severity: Severity,
    }
}

wire_struct! {
    /// How flags become a lane.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct LanePolicy {
        /// Number of warning flags that make the lane red by themselves.
        pub warnings_for_red: u32,
    }
}

wire_struct! {
    /// A complete rule set.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct RuleSet {
        /// Version, increasing with every update.
        pub version: u32,
        /// Cold-chain thresholds per commodity (owned by quarantine).
        pub commodities: Vec<CommodityRule>,
        /// Product-specific rules of origin (owned by customs).
        pub product_rules: Vec<ProductRule>,
        /// De minimis share of non-originating materials that may ignore the tariff shift, bp.
        pub de_minimis_bp: u32,
        /// Reference values per HS code (owned by customs).
        pub reference_values: Vec<ReferenceValue>,
        /// Locations where opening a seal is authorised (origin warehouses, inspection sites).
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
        pub seal_authorised_locodes: Vec<Locode>,
        /// Largest gap between treatment readings before the treatment is void, minutes.
        pub treatment_gap_minutes_max: u32,
        /// Hours a shipment may arrive after its planned arrival before a timing flag.
        pub late_arrival_hours_max: u32,
        /// Custom rules (owned by customs).
        pub custom_rules: Vec<CustomRule>,
        /// Fuel for one custom rule evaluation (bounds the work per event).
        pub custom_rule_fuel: u32,
        /// Lane policy.
        pub lane: LanePolicy,
    }
}

/// Checks an HS prefix: 2 to 6 digits, of a chapter (and heading) that exists
/// ([`v::hs_nomenclature`]).
pub fn hs_prefix(field: &str, p: &str) -> Checked {
    if !(2..=6).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            format!("must be 2 to 6 digits, got {p:?}"),
        ));
    }
    v::hs_nomenclature(field, p)
}

impl RuleSet {
    /// Checks every field.
    pub fn validate(&self) -> Checked {
        v::list("commodities", &self.commodities)?;
        for (i, c) in self.commodities.iter().enumerate() {
            hs_prefix(&format!("commodities[{i}].hs_prefix"), &c.hs_prefix)?;
            if c.min_milli_c > c.max_milli_c {
                return Err(FieldError::new(
                    format!("commodities[{i}]"),
                    "min_milli_c exceeds max_milli_c",
                ));
            }
        }
        v::list("product_rules", &self.product_rules)?;
        for (i, r) in self.product_rules.iter().enumerate() {
            hs_prefix(&format!("product_rules[{i}].hs_prefix"), &r.hs_prefix)?;
            for bp in [r.rvc_transaction_value_bp, r.rvc_net_cost_bp]
                .into_iter()
                .flatten()
            {
                if bp > 10_000 {
                    return Err(FieldError::new(
                        format!("product_rules[{i}]"),
                        "an RVC floor exceeds 100 %",
                    ));
                }
            }
        }
        if self.de_minimis_bp > 10_000 {
            return Err(FieldError::new("de_minimis_bp", "exceeds 100 %"));
        }
        v::list("reference_values", &self.reference_values)?;
        for (i, r) in self.reference_values.iter().enumerate() {
            v::hs_code(&format!("reference_values[{i}].hs_code"), &r.hs_code)?;
            v::currency(&format!("reference_values[{i}].currency"), &r.currency)?;
        }
        for (i, l) in self.seal_authorised_locodes.iter().enumerate() {
            v::locode(&format!("seal_authorised_locodes[{i}]"), l)?;
        }
        v::list("custom_rules", &self.custom_rules)?;
        for (i, r) in self.custom_rules.iter().enumerate() {
            v::id(&format!("custom_rules[{i}].id"), &r.id)?;
            v::required_text(&format!("custom_rules[{i}].expression"), &r.expression)?;
        }
        Ok(())
    }
}

/// One change to the rule set. Which role may make it is part of its meaning: quarantine owns
/// commodity thresholds and treatment rules; customs owns everything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RuleChange {
    /// Insert or replace the commodity rule with the same HS prefix (quarantine).
    SetCommodity(CommodityRule),
    /// Set the longest tolerated gap in treatment records (quarantine).
    SetTreatmentGap(u32),
    /// Insert or replace the product rule with the same HS prefix (customs).
    SetProductRule(ProductRule),
    /// Set the de minimis share (customs).
    SetDeMinimis(u32),
    /// Insert or replace the reference value for an HS code and currency (customs).
    SetReferenceValue(ReferenceValue),
    /// Replace the list of seal-authorised locations (customs).
    SetSealLocations(Vec<Locode>),
    /// Set the late-arrival tolerance (customs).
    SetLateArrival(u32),
    /// Insert or replace a custom rule with the same id (customs).
    SetCustomRule(CustomRule),
    /// Remove a custom rule (customs).
    RemoveCustomRule(String),
    /// Set the lane policy (customs).
    SetLanePolicy(LanePolicy),
}

wire_struct! {
    /// A governance update: changes applied together as a new rule-set version from a height on.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct RuleSetUpdate {
        /// The new version (must be the current version plus one).
        pub version: u32,
        /// First height at which the new version is in force.
        pub effective_height: u64,
        /// The changes.
        pub changes: Vec<RuleChange>,
        /// Why (shown to auditors).
        pub reason: String,
    }
}

impl RuleSetUpdate {
    /// Checks every field.
    pub fn validate(&self) -> Checked {
        v::non_empty_list("changes", &self.changes)?;
        v::required_text("reason", &self.reason)
    }
}
