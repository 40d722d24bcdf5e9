//! Shipments: the declaration that creates one, the bookkeeping every later event for it shares
//! (timeline, custom rules, lane), and clearance.

use crate::context::{Ctx, Step, reject};
use crate::custom::Evaluation;
use crate::ipr;
use crate::keys;
use crate::lane;
use crate::outcome::{CustomRuleFailure, Derived, Lane, RejectCode};
use crate::records::{ColdChain, ShipmentRecord, TimelineEntry};
use crate::risk;
use crate::store::Store;
use tradeledger_types::{ClearanceDecision, EventKind, Organisation, Role, ShipmentDeclaration};

/// Loads a shipment an event refers to, or rejects the event (`unknown_shipment`, its detail
/// naming the field as `invalid_payload` does).
pub(crate) fn load<S: Store>(cx: &Ctx<'_, '_, S>, id: &str) -> Step<ShipmentRecord> {
    match cx.view.get(&keys::shipment(id))? {
        Some(rec) => Ok(rec),
        None => reject(
            RejectCode::UnknownShipment,
            format!("shipment_id: no shipment {id:?}"),
        ),
    }
}

/// Checks the parties and carrier of a declaration made by the signer's organisation.
pub(crate) fn check_declarant<S: Store>(cx: &Ctx<'_, '_, S>, d: &ShipmentDeclaration) -> Step {
    let me = Some(cx.org.id.as_str());
    let named = [Some(&d.exporter), Some(&d.importer), d.producer.as_ref()];
    if !named.iter().flatten().any(|p| p.org.as_deref() == me) {
        return reject(
            RejectCode::NotAParty,
            format!(
                "{} is not the declared exporter, importer or producer",
                cx.org.id
            ),
        );
    }
    let carrier: Option<Organisation> = cx.view.get(&keys::org(&d.carrier))?;
    if !carrier.is_some_and(|c| c.roles.contains(&Role::Carrier)) {
        return reject(
            RejectCode::UnknownCarrier,
            format!(
                "carrier {:?} is not an organisation with the carrier role",
                d.carrier
            ),
        );
    }
    Ok(())
}

/// A shipment declaration: creates the shipment, checks goods against the IPR registry and the
/// reference values, and computes the first lane.
pub(crate) fn declare<S: Store>(cx: &mut Ctx<'_, '_, S>, d: &ShipmentDeclaration) -> Step {
    if cx.view.exists(&keys::shipment(&d.shipment_id))? {
        return reject(
            RejectCode::DuplicateShipment,
            format!("shipment {:?} already exists", d.shipment_id),
        );
    }
    check_declarant(cx, d)?;
    let mut rec = ShipmentRecord {
        declaration: d.clone(),
        declared_by: cx.org.id.clone(),
        declared_height: cx.block.height,
        event_count: 0,
        certificate: None,
        origin: None,
        custody_count: 0,
        first_country_checked: false,
        last_locode: None,
        arrived_ms: None,
        cold_chain: ColdChain::default(),
        flags: Vec::new(),
        lane: Lane::Green,
        lane_version: cx.rules.version,
        clearance: None,
    };
    risk::value_anomaly(cx, &mut rec);
    ipr::check_goods(cx, &mut rec)?;
    finish(cx, &mut rec, EventKind::ShipmentDeclaration, true)
}

/// A clearance decision by customs.
pub(crate) fn clearance<S: Store>(cx: &mut Ctx<'_, '_, S>, c: &ClearanceDecision) -> Step {
    let mut rec = load(cx, &c.shipment_id)?;
    rec.clearance = Some(c.decision);
    finish(cx, &mut rec, EventKind::Clearance, false)
}

/// Appends the event to the shipment's timeline, evaluates the custom rules, recomputes the lane
/// and stores the record. Every applied shipment event ends here.
pub(crate) fn finish<S: Store>(
    cx: &mut Ctx<'_, '_, S>,
    rec: &mut ShipmentRecord,
    kind: EventKind,
    is_new: bool,
) -> Step {
    let sid = rec.declaration.shipment_id.clone();
    let entry = TimelineEntry {
        event_id: cx.id,
        kind,
        org: cx.org.id.clone(),
        height: cx.block.height,
        block_time_ms: cx.block.block_time_ms,
    };
    cx.view.put(keys::timeline(&sid, rec.event_count), &entry);
    rec.event_count = rec.event_count.saturating_add(1);
    if !cx.custom.is_empty() {
        for e in cx.custom.evaluate(rec, cx.block.height) {
            match e {
                Evaluation::Fired { rule_id, severity } => {
                    if rec.flags.iter().all(|f| f.rule_id != rule_id) {
                        lane::raise(
                            cx,
                            rec,
                            &rule_id,
                            severity,
                            format!("custom rule {rule_id} evaluated to true"),
                        );
                    }
                }
                Evaluation::Failed { rule_id, fault } => {
                    cx.records
                        .push(Derived::CustomRuleFailed(CustomRuleFailure {
                            shipment_id: sid.clone(),
                            rule_id,
                            fault,
                        }));
                }
            }
        }
    }
    lane::recompute(cx, rec, is_new);
    cx.view.put(keys::shipment(&sid), rec);
    Ok(())
}
