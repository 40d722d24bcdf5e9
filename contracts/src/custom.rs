//! Custom risk rules: expressions in Rhai, sandboxed.
//!
//! Why Rhai and not a language of our own: it is a maintained, pure-Rust embeddable engine whose
//! limits are part of its API. It is built here without floats (`no_float`, `only_i64`), without
//! time (`no_time`), modules, custom syntax or user functions, so a rule can only compute with
//! 64-bit integers, strings, booleans and arrays of the shipment facts below. Every evaluation
//! runs with an operations limit (the rule set's `custom_rule_fuel`, clamped to
//! [`CUSTOM_RULE_FUEL_MAX`]) and limits on string and array sizes, expression depth and variables;
//! integer overflow is an error, not a wrap. A rule that loops for ever or allocates without end
//! is stopped and recorded as a [`CustomRuleFailure`](crate::CustomRuleFailure); it never stalls a
//! block. `print`, `debug` and `eval` are disabled.
//!
//! Facts in scope (all integers are `i64`, amounts in minor units):
//! `origin`, `destination`, `carrier`, `exporter`, `importer` (strings); `hs_codes`, `chapters`,
//! `headings`, `route`, `flags` (arrays of strings); `line_count`, `total_value`,
//! `total_quantity`, `epc_count`, `event_count`, `custody_count`, `excursion_minutes`,
//! `warning_count`, `critical_count`, `height` (integers). A rule fires when its value is `true`.

use crate::outcome::CustomRuleFault;
use crate::records::ShipmentRecord;
use rhai::{AST, Array, Dynamic, Engine, EvalAltResult, Scope};
use std::collections::BTreeMap;
use tradeledger_types::{CustomRule, RuleSet, Severity};

/// Upper bound on fuel per evaluation, whatever the rule set says (bounds the work per event).
pub const CUSTOM_RULE_FUEL_MAX: u32 = 100_000;
/// Most custom rules evaluated per event: updates that would exceed it are rejected, and of a
/// genesis rule set with more, only the first ones are evaluated.
pub const CUSTOM_RULES_MAX: usize = 32;
/// Longest string a rule may build, bytes.
pub const STRING_BYTES_MAX: usize = 4096;
/// Largest array a rule may build.
pub const ARRAY_LEN_MAX: usize = 1024;

/// Why a rule failed, as text (for rejections at update time).
impl core::fmt::Display for CustomRuleFault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CustomRuleFault::FuelExhausted => "fuel exhausted",
            CustomRuleFault::TooLarge => "data too large",
            CustomRuleFault::Compile => "does not compile",
            CustomRuleFault::NotBoolean => "does not evaluate to a boolean",
            CustomRuleFault::Runtime => "evaluation error",
        })
    }
}

fn engine(fuel: u32) -> Engine {
    let mut e = Engine::new();
    e.set_max_operations(u64::from(fuel.clamp(1, CUSTOM_RULE_FUEL_MAX)))
        .set_max_string_size(STRING_BYTES_MAX)
        .set_max_array_size(ARRAY_LEN_MAX)
        .set_max_map_size(64)
        .set_max_expr_depths(32)
        .set_max_variables(64)
        .set_max_strings_interned(0);
    e.on_print(|_| {});
    e.on_debug(|_, _, _| {});
    e.disable_symbol("eval");
    e
}

/// Checks that an expression compiles (at rule-set update time).
pub fn check_compiles(expression: &str) -> Result<(), CustomRuleFault> {
    engine(1)
        .compile(expression)
        .map(|_| ())
        .map_err(|_| CustomRuleFault::Compile)
}

/// The custom rules of the rule set in force, with their compiled forms (one engine per block,
/// built on the first evaluation).
pub(crate) struct CustomRules {
    /// Built when first needed: `Engine::new` registers Rhai's standard library, which cost
    /// about 6 % of a validator's CPU when every block built one (blocks of 10 events, no
    /// custom rules in force).
    engine: Option<Engine>,
    fuel: u32,
    rules: Vec<CustomRule>,
    compiled: BTreeMap<String, Option<AST>>,
}

/// A fired or failed custom rule.
pub(crate) enum Evaluation {
    Fired {
        rule_id: String,
        severity: Severity,
    },
    Failed {
        rule_id: String,
        fault: CustomRuleFault,
    },
}

impl CustomRules {
    pub(crate) fn new(rules: &RuleSet) -> Self {
        CustomRules {
            engine: None,
            fuel: rules.custom_rule_fuel,
            rules: rules
                .custom_rules
                .iter()
                .take(CUSTOM_RULES_MAX)
                .cloned()
                .collect(),
            compiled: BTreeMap::new(),
        }
    }

    /// True when the rule set has no custom rules (nothing to evaluate).
    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Evaluates every rule on the shipment, in rule-id order.
    pub(crate) fn evaluate(&mut self, rec: &ShipmentRecord, height: u64) -> Vec<Evaluation> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let base = facts(rec, height);
        let fuel = self.fuel;
        let engine = self.engine.get_or_insert_with(|| engine(fuel));
        let mut out = Vec::new();
        for rule in &self.rules {
            let ast = self
                .compiled
                .entry(rule.id.clone())
                .or_insert_with(|| engine.compile(&rule.expression).ok());
            let Some(ast) = ast.as_ref() else {
                out.push(Evaluation::Failed {
                    rule_id: rule.id.clone(),
                    fault: CustomRuleFault::Compile,
                });
                continue;
            };
            let mut scope = base.clone();
            match engine.eval_ast_with_scope::<Dynamic>(&mut scope, ast) {
                Ok(v) => match v.as_bool() {
                    Ok(true) => out.push(Evaluation::Fired {
                        rule_id: rule.id.clone(),
                        severity: rule.severity,
                    }),
                    Ok(false) => {}
                    Err(_) => out.push(Evaluation::Failed {
                        rule_id: rule.id.clone(),
                        fault: CustomRuleFault::NotBoolean,
                    }),
                },
                Err(e) => out.push(Evaluation::Failed {
                    rule_id: rule.id.clone(),
                    fault: classify(&e),
                }),
            }
        }
        out
    }
}

fn classify(e: &EvalAltResult) -> CustomRuleFault {
    match e {
        EvalAltResult::ErrorTooManyOperations(..) => CustomRuleFault::FuelExhausted,
        EvalAltResult::ErrorDataTooLarge(..)
        | EvalAltResult::ErrorStackOverflow(..)
        | EvalAltResult::ErrorTooManyVariables(..) => CustomRuleFault::TooLarge,
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => classify(inner),
        _ => CustomRuleFault::Runtime,
    }
}

fn strings<'a>(items: impl Iterator<Item = &'a str>) -> Array {
    let mut v: Vec<&str> = items.collect();
    v.sort_unstable();
    v.dedup();
    v.into_iter().map(|s| Dynamic::from(s.to_owned())).collect()
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The shipment facts a rule sees.
fn facts(rec: &ShipmentRecord, height: u64) -> Scope<'static> {
    let d = &rec.declaration;
    let mut s = Scope::new();
    s.push_constant("origin", d.origin_country.clone());
    s.push_constant("destination", d.destination_country.clone());
    s.push_constant("carrier", d.carrier.clone());
    s.push_constant("exporter", d.exporter.name.clone());
    s.push_constant("importer", d.importer.name.clone());
    s.push_constant(
        "hs_codes",
        strings(d.goods.iter().map(|g| g.hs_code.as_str())),
    );
    s.push_constant(
        "chapters",
        strings(d.goods.iter().filter_map(|g| g.hs_code.get(..2))),
    );
    s.push_constant(
        "headings",
        strings(d.goods.iter().filter_map(|g| g.hs_code.get(..4))),
    );
    s.push_constant("route", strings(d.route.iter().map(|r| r.country.as_str())));
    s.push_constant(
        "flags",
        strings(rec.flags.iter().map(|f| f.rule_id.as_str())),
    );
    s.push_constant("line_count", int(d.goods.len() as u64));
    s.push_constant(
        "total_value",
        int(d
            .goods
            .iter()
            .fold(0u64, |a, g| a.saturating_add(g.value_minor))),
    );
    s.push_constant(
        "total_quantity",
        int(d
            .goods
            .iter()
            .fold(0u64, |a, g| a.saturating_add(g.quantity))),
    );
    s.push_constant("epc_count", int(d.epcs.len() as u64));
    s.push_constant("event_count", i64::from(rec.event_count));
    s.push_constant("custody_count", i64::from(rec.custody_count));
    s.push_constant("excursion_minutes", int(rec.cold_chain.outside_ms / 60_000));
    s.push_constant(
        "warning_count",
        int(rec
            .flags
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count() as u64),
    );
    s.push_constant(
        "critical_count",
        int(rec
            .flags
            .iter()
            .filter(|f| f.severity == Severity::Critical)
            .count() as u64),
    );
    s.push_constant("height", int(height));
    s
}
