//! Flags and lanes. A flag is kept once per rule on a shipment; the lane is a pure function of
//! the flags and the lane policy of the rule set in force.

use crate::context::Ctx;
use crate::outcome::{Derived, FLAG_EVIDENCE_MAX, Flag, Lane, LaneChange};
use crate::records::ShipmentRecord;
use crate::store::Store;
use tradeledger_types::{LanePolicy, Severity};

/// The lane for a set of flags: red if any flag is critical or the warnings reach
/// `warnings_for_red` (when that is non-zero); yellow if any warning; otherwise green. Info flags
/// never change the lane.
pub fn lane_for(flags: &[Flag], policy: &LanePolicy) -> Lane {
    let critical = flags.iter().any(|f| f.severity == Severity::Critical);
    let warnings = flags
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let warnings = u32::try_from(warnings).unwrap_or(u32::MAX);
    if critical || (policy.warnings_for_red > 0 && warnings >= policy.warnings_for_red) {
        Lane::Red
    } else if warnings > 0 {
        Lane::Yellow
    } else {
        Lane::Green
    }
}

/// Raises `rule_id` on the shipment with this event as evidence. A derived flag record is emitted
/// when the flag is new or its severity rises; otherwise only the evidence grows.
pub(crate) fn raise<S: Store>(
    cx: &mut Ctx<'_, '_, S>,
    rec: &mut ShipmentRecord,
    rule_id: &str,
    severity: Severity,
    detail: String,
) {
    let (version, height, id) = (cx.rules.version, cx.block.height, cx.id);
    let emitted = match rec
        .flags
        .binary_search_by(|f| f.rule_id.as_str().cmp(rule_id))
    {
        Ok(i) => {
            let f = &mut rec.flags[i];
            if f.evidence.len() < FLAG_EVIDENCE_MAX && !f.evidence.contains(&id) {
                f.evidence.push(id);
            }
            if severity > f.severity {
                f.severity = severity;
                f.rule_set_version = version;
                f.height = height;
                f.detail = detail;
                Some(f.clone())
            } else {
                None
            }
        }
        Err(i) => {
            let f = Flag {
                rule_id: rule_id.to_owned(),
                severity,
                evidence: vec![id],
                rule_set_version: version,
                height,
                detail,
            };
            rec.flags.insert(i, f.clone());
            Some(f)
        }
    };
    if let Some(flag) = emitted {
        cx.records.push(Derived::Flag {
            shipment_id: rec.declaration.shipment_id.clone(),
            flag,
        });
    }
}

/// Recomputes the lane; emits a lane change when the lane or the rule-set version differs.
pub(crate) fn recompute<S: Store>(cx: &mut Ctx<'_, '_, S>, rec: &mut ShipmentRecord, is_new: bool) {
    let lane = lane_for(&rec.flags, &cx.rules.lane);
    if is_new || lane != rec.lane || rec.lane_version != cx.rules.version {
        cx.records.push(Derived::Lane(LaneChange {
            shipment_id: rec.declaration.shipment_id.clone(),
            previous: if is_new { None } else { Some(rec.lane) },
            lane,
            rule_set_version: cx.rules.version,
        }));
        rec.lane = lane;
        rec.lane_version = cx.rules.version;
    }
}
