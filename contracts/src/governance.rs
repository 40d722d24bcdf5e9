//! Rule sets as data: versions in state, changed only by a rule-set update from the owning role,
//! in force from a stated height. Quarantine owns commodity thresholds and treatment rules;
//! customs owns origin, risk, IPR-related and lane rules.

use crate::context::{Ctx, Step, reject};
use crate::custom;
use crate::error::ExecError;
use crate::keys;
use crate::outcome::{Derived, RejectCode};
use crate::records::RuleSetEntry;
use crate::state::read_record;
use crate::store::Store;
use std::collections::BTreeMap;
use tradeledger_types::{
    CommodityRule, ProductRule, ReferenceValue, Role, RuleChange, RuleSet, RuleSetUpdate,
};

/// Most updates accepted but not yet in force (bounds the search for the rule set in force).
pub const PENDING_RULE_SETS_MAX: u32 = 8;

/// The role that owns a change.
pub fn change_owner(change: &RuleChange) -> Role {
    match change {
        RuleChange::SetCommodity(_) | RuleChange::SetTreatmentGap(_) => Role::Quarantine,
        RuleChange::SetProductRule(_)
        | RuleChange::SetDeMinimis(_)
        | RuleChange::SetReferenceValue(_)
        | RuleChange::SetSealLocations(_)
        | RuleChange::SetLateArrival(_)
        | RuleChange::SetCustomRule(_)
        | RuleChange::RemoveCustomRule(_)
        | RuleChange::SetLanePolicy(_) => Role::Customs,
    }
}

/// `base` with `changes` applied in order, as version `version`. Lists stay sorted by their key
/// (HS prefix, HS code and currency, rule id) so equal rule sets encode equally.
pub fn apply_changes(base: &RuleSet, version: u32, changes: &[RuleChange]) -> RuleSet {
    let mut r = base.clone();
    r.version = version;
    for c in changes {
        match c {
            RuleChange::SetCommodity(x) => {
                upsert(&mut r.commodities, x.clone(), |a| a.hs_prefix.clone())
            }
            RuleChange::SetTreatmentGap(m) => r.treatment_gap_minutes_max = *m,
            RuleChange::SetProductRule(x) => {
                upsert(&mut r.product_rules, x.clone(), |a| a.hs_prefix.clone())
            }
            RuleChange::SetDeMinimis(bp) => r.de_minimis_bp = *bp,
            RuleChange::SetReferenceValue(x) => upsert(&mut r.reference_values, x.clone(), |a| {
                (a.hs_code.clone(), a.currency.clone())
            }),
            RuleChange::SetSealLocations(l) => {
                let mut l = l.clone();
                l.sort();
                l.dedup();
                r.seal_authorised_locodes = l;
            }
            RuleChange::SetLateArrival(h) => r.late_arrival_hours_max = *h,
            RuleChange::SetCustomRule(x) => {
                upsert(&mut r.custom_rules, x.clone(), |a| a.id.clone())
            }
            RuleChange::RemoveCustomRule(id) => r.custom_rules.retain(|a| &a.id != id),
            RuleChange::SetLanePolicy(p) => r.lane = p.clone(),
        }
    }
    r
}

fn upsert<T, K: Ord>(list: &mut Vec<T>, item: T, key: impl Fn(&T) -> K) {
    let k = key(&item);
    match list.binary_search_by(|a| key(a).cmp(&k)) {
        Ok(i) => list[i] = item,
        Err(i) => list.insert(i, item),
    }
}

/// Lookups into a rule set by key, built once per block so each lookup costs O(log n) whatever
/// the size of the lists: the commodity and product rules by HS prefix (the longest matching
/// prefix wins; of equal prefixes, the later in the list), reference values by HS code and
/// currency.
pub struct RuleIndex<'r> {
    commodities: BTreeMap<&'r str, &'r CommodityRule>,
    products: BTreeMap<&'r str, &'r ProductRule>,
    references: BTreeMap<(&'r str, &'r str), &'r ReferenceValue>,
}

impl<'r> RuleIndex<'r> {
    /// Indexes `rules`.
    pub fn new(rules: &'r RuleSet) -> Self {
        RuleIndex {
            commodities: rules
                .commodities
                .iter()
                .map(|c| (c.hs_prefix.as_str(), c))
                .collect(),
            products: rules
                .product_rules
                .iter()
                .map(|c| (c.hs_prefix.as_str(), c))
                .collect(),
            references: rules
                .reference_values
                .iter()
                .map(|r| ((r.hs_code.as_str(), r.currency.as_str()), r))
                .collect(),
        }
    }

    /// The commodity rule for an HS code.
    pub fn commodity(&self, hs: &str) -> Option<&'r CommodityRule> {
        longest(&self.commodities, hs)
    }

    /// The product-specific rule of origin for an HS code.
    pub fn product_rule(&self, hs: &str) -> Option<&'r ProductRule> {
        longest(&self.products, hs)
    }

    /// The reference value for an HS code in a currency.
    pub fn reference(&self, hs: &str, currency: &str) -> Option<&'r ReferenceValue> {
        self.references.get(&(hs, currency)).copied()
    }
}

fn longest<'r, T>(map: &BTreeMap<&'r str, &'r T>, hs: &str) -> Option<&'r T> {
    (2..=hs.len().min(6))
        .rev()
        .find_map(|n| hs.get(..n).and_then(|p| map.get(p).copied()))
}

/// The rule-set entry in force at `height`: the latest version whose effective height is at most
/// `height` (the genesis rule set for height 0).
pub fn entry_in_force<S: Store>(store: &S, height: u64) -> Result<RuleSetEntry, ExecError> {
    let latest: u32 =
        read_record(store, &keys::rules_latest())?.ok_or(ExecError::NotInitialised)?;
    let mut v = latest;
    loop {
        let entry: RuleSetEntry =
            read_record(store, &keys::rules_version(v))?.ok_or_else(|| {
                ExecError::CorruptState {
                    key: format!("rule set version {v}"),
                    reason: "missing".into(),
                }
            })?;
        // The genesis entry (made by no update) is in force until the first update's height.
        if entry.effective_height <= height || entry.made_by.is_none() {
            return Ok(entry);
        }
        if v == 0 || latest - v > PENDING_RULE_SETS_MAX {
            return Err(ExecError::CorruptState {
                key: format!("rule set version {v}"),
                reason: "more pending rule sets than allowed".into(),
            });
        }
        v -= 1;
    }
}

/// Handles a rule-set update (the role check is in [`crate::permissions`]).
pub(crate) fn update<S: Store>(cx: &mut Ctx<'_, '_, S>, u: &RuleSetUpdate) -> Step {
    let latest: u32 = cx
        .view
        .get(&keys::rules_latest())?
        .ok_or(ExecError::NotInitialised)?;
    let base: RuleSetEntry = cx
        .view
        .get(&keys::rules_version(latest))?
        .ok_or(ExecError::NotInitialised)?;
    if Some(u.version) != latest.checked_add(1) {
        return reject(
            RejectCode::WrongRuleSetVersion,
            format!(
                "expected version {}, got {}",
                latest.saturating_add(1),
                u.version
            ),
        );
    }
    if u.effective_height <= cx.block.height || u.effective_height < base.effective_height {
        return reject(
            RejectCode::InvalidEffectiveHeight,
            format!(
                "effective_height {} must be after the current height {} and not before version {}'s {}",
                u.effective_height, cx.block.height, latest, base.effective_height
            ),
        );
    }
    let in_force = cx.rules.version;
    if latest.saturating_sub(in_force) >= PENDING_RULE_SETS_MAX {
        return reject(
            RejectCode::TooManyPendingRuleSets,
            format!("{PENDING_RULE_SETS_MAX} updates are already pending"),
        );
    }
    let next = apply_changes(&base.rule_set, u.version, &u.changes);
    if let Err(e) = next.validate() {
        return reject(RejectCode::InvalidRuleSet, e.to_string());
    }
    if next.custom_rules.len() > custom::CUSTOM_RULES_MAX {
        return reject(
            RejectCode::InvalidRuleSet,
            format!("custom_rules: at most {} rules", custom::CUSTOM_RULES_MAX),
        );
    }
    for c in &u.changes {
        if let RuleChange::SetCustomRule(rule) = c
            && let Err(fault) = custom::check_compiles(&rule.expression)
        {
            return reject(
                RejectCode::InvalidCustomRule,
                format!("custom rule {}: {fault}", rule.id),
            );
        }
    }
    cx.view.put(
        keys::rules_version(u.version),
        &RuleSetEntry {
            rule_set: next,
            effective_height: u.effective_height,
            made_by: Some(cx.id),
        },
    );
    cx.view.put(keys::rules_latest(), &u.version);
    cx.records.push(Derived::RuleSetScheduled {
        version: u.version,
        effective_height: u.effective_height,
        by: cx.org.id.clone(),
    });
    Ok(())
}
