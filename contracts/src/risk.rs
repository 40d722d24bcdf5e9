//! The risk contract: rules over the whole shipment, fed by custody events, sensor reports,
//! inspections and the declaration itself. Figures from DOMAIN.md; thresholds from the rule set
//! in force.

use crate::context::{Ctx, Step, reject};
use crate::governance::RuleIndex;
use crate::lane;
use crate::origin::FLAG_FIRST_CUSTODY_COUNTRY;
use crate::outcome::{Derived, RejectCode, TreatmentVerdict};
use crate::records::{ColdChain, OutsideInterval, ShipmentRecord};
use crate::shipment;
use crate::store::Store;
use crate::treatment::check_treatment;
use std::collections::BTreeSet;
use tradeledger_types::{
    CommodityRule, CustodyEvent, EventKind, InspectionOutcome, InspectionResult, Reading,
    SealStatus, SensorKind, SensorReport, Severity, TimeMs,
};

/// Cold-chain excursion: time outside the commodity's range beyond its tolerance.
pub const FLAG_COLD_CHAIN: &str = "risk.cold_chain_excursion";
/// Seal or door opened (or found broken) outside an authorised location.
pub const FLAG_SEAL_BREAK: &str = "risk.seal_break";
/// Border portal read does not match the declared EPCs.
pub const FLAG_RFID_MISMATCH: &str = "risk.rfid_mismatch";
/// Custody event in a country outside the planned route.
pub const FLAG_ROUTE_DEVIATION: &str = "risk.route_deviation";
/// Border arrival later than planned plus the rule set's tolerance.
pub const FLAG_LATE_ARRIVAL: &str = "risk.late_arrival";
/// Custody event dated more than [`FUTURE_EVENT_MS_MAX`] after the block time.
pub const FLAG_TIMING_ANOMALY: &str = "risk.timing_anomaly";
/// Declared unit value far from the reference for the HS code.
pub const FLAG_VALUE_ANOMALY: &str = "risk.value_anomaly";
/// Treatment record that does not prove the treatment.
pub const FLAG_TREATMENT_VOID: &str = "quarantine.treatment_void";
/// Inspection with outcome `fail`.
pub const FLAG_INSPECTION_FAILED: &str = "inspection.failed";

/// A deviation up to this far outside the range is "slight" (DOMAIN.md: 4–5 °F, about 2–3 °C).
pub const SLIGHT_DEVIATION_MILLI_C: i64 = 3_000;
/// An excursion shorter than this may be slight (DOMAIN.md: 12 hours).
pub const SLIGHT_DURATION_MS: u64 = 12 * 3_600_000;
/// How far after the block time an event may be dated before it is a timing anomaly.
pub const FUTURE_EVENT_MS_MAX: u64 = 3_600_000;
/// A door sensor value at or above this means open (1000 = open).
pub const DOOR_OPEN_MILLI: i64 = 1_000;

fn check_carrier<S: Store>(cx: &Ctx<'_, '_, S>, rec: &ShipmentRecord) -> Step {
    if cx.org.id != rec.declaration.carrier {
        return reject(
            RejectCode::NotShipmentCarrier,
            format!(
                "{} is not the carrier {} named by shipment {}",
                cx.org.id, rec.declaration.carrier, rec.declaration.shipment_id
            ),
        );
    }
    Ok(())
}

fn seal_authorised<S: Store>(cx: &Ctx<'_, '_, S>, locode: Option<&str>) -> bool {
    locode.is_some_and(|l| cx.rules.seal_authorised_locodes.iter().any(|a| a == l))
}

/// A custody event: physical trail of origin, route, seal, border portal (RFID, arrival time).
pub(crate) fn custody<S: Store>(cx: &mut Ctx<'_, '_, S>, e: &CustodyEvent) -> Step {
    let mut rec = shipment::load(cx, &e.shipment_id)?;
    check_carrier(cx, &rec)?;
    let d = rec.declaration.clone();
    let country = e.country().map(str::to_owned);
    let locode = e
        .read_point
        .as_ref()
        .and_then(|l| l.locode.clone())
        .or_else(|| e.biz_location.as_ref().and_then(|l| l.locode.clone()));

    if let Some(c) = &country
        && !rec.first_country_checked
    {
        rec.first_country_checked = true;
        if *c != d.origin_country {
            let detail = format!(
                "first located custody event is in {c}, origin claimed is {}",
                d.origin_country
            );
            lane::raise(
                cx,
                &mut rec,
                FLAG_FIRST_CUSTODY_COUNTRY,
                Severity::Warning,
                detail,
            );
        }
    }
    // Every located place of the event is on the route: the read point and the business
    // location both (a business location abroad is not hidden by a read point at home).
    let planned = |c: &str| {
        c == d.origin_country
            || c == d.destination_country
            || d.route.iter().any(|s| s.country == c)
    };
    let off_route = [&e.read_point, &e.biz_location]
        .into_iter()
        .flatten()
        .filter_map(|l| l.country())
        .find(|c| !planned(c))
        .map(str::to_owned);
    if let Some(c) = off_route {
        lane::raise(
            cx,
            &mut rec,
            FLAG_ROUTE_DEVIATION,
            Severity::Warning,
            format!("custody event in {c}, outside the planned route"),
        );
    }
    if let Some(seal) = &e.seal
        && matches!(seal.status, SealStatus::Opened | SealStatus::Broken)
        && !seal_authorised(cx, locode.as_deref())
    {
        let at = locode.as_deref().unwrap_or("an unknown location");
        let detail = format!(
            "seal {} {:?} at {at}, not an authorised location",
            seal.seal_id, seal.status
        )
        .to_lowercase();
        lane::raise(cx, &mut rec, FLAG_SEAL_BREAK, Severity::Critical, detail);
    }
    if e.event_time_ms > cx.block.block_time_ms.saturating_add(FUTURE_EVENT_MS_MAX) {
        let detail = format!(
            "event dated {} ms after the block time",
            e.event_time_ms - cx.block.block_time_ms
        );
        lane::raise(cx, &mut rec, FLAG_TIMING_ANOMALY, Severity::Warning, detail);
    }
    let last_stop = d.route.last().and_then(|s| s.locode.as_deref());
    let read_point = e.read_point.as_ref().and_then(|l| l.locode.as_deref());
    let portal = e.biz_step == "arriving" || (read_point.is_some() && read_point == last_stop);
    if portal {
        border_portal(cx, &mut rec, e);
    }
    rec.custody_count = rec.custody_count.saturating_add(1);
    if locode.is_some() {
        rec.last_locode = locode;
    }
    shipment::finish(cx, &mut rec, EventKind::Custody, false)
}

fn border_portal<S: Store>(cx: &mut Ctx<'_, '_, S>, rec: &mut ShipmentRecord, e: &CustodyEvent) {
    let d = &rec.declaration;
    if !d.epcs.is_empty() {
        let declared: BTreeSet<&str> = d.epcs.iter().map(String::as_str).collect();
        let read: BTreeSet<&str> = e
            .epcs
            .iter()
            .chain(e.parent.iter())
            .map(String::as_str)
            .collect();
        let missing = declared.difference(&read).count();
        let undeclared: Vec<&str> = read.difference(&declared).copied().collect();
        if missing > 0 || !undeclared.is_empty() {
            let severity = if missing > 0 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            let first = undeclared
                .first()
                .map(|s| format!(" (first undeclared: {s})"))
                .unwrap_or_default();
            let detail = format!(
                "border read: {missing} declared EPCs missing, {} undeclared read{first}",
                undeclared.len()
            );
            lane::raise(cx, rec, FLAG_RFID_MISMATCH, severity, detail);
        }
    }
    if rec.arrived_ms.is_none() {
        rec.arrived_ms = Some(e.event_time_ms);
        let tolerance_ms = u64::from(cx.rules.late_arrival_hours_max) * 3_600_000;
        let planned = rec.declaration.arrival_ms;
        if e.event_time_ms > planned.saturating_add(tolerance_ms) {
            let hours = (e.event_time_ms - planned) / 3_600_000;
            let detail = format!(
                "arrived {hours} h after the planned arrival (tolerance {} h)",
                cx.rules.late_arrival_hours_max
            );
            lane::raise(cx, rec, FLAG_LATE_ARRIVAL, Severity::Warning, detail);
        }
    }
}

/// The commodity rule of the shipment: that of the first goods line with one.
fn commodity<'r>(index: &RuleIndex<'r>, rec: &ShipmentRecord) -> Option<&'r CommodityRule> {
    rec.declaration
        .goods
        .iter()
        .find_map(|g| index.commodity(&g.hs_code))
}

/// Distance of a value outside `[min, max]` (0 inside).
pub fn deviation(c: &CommodityRule, v: i64) -> i64 {
    if v < c.min_milli_c {
        c.min_milli_c.saturating_sub(v)
    } else if v > c.max_milli_c {
        v.saturating_sub(c.max_milli_c)
    } else {
        0
    }
}

/// Most outside intervals kept per shipment; beyond it the two closest are merged (counting the
/// gap between them as outside: the measurement errs towards an excursion, never away from one).
pub const OUTSIDE_INTERVALS_MAX: usize = 64;

/// Adds a report's temperature readings to the running measurement and returns the time added
/// outside the range.
///
/// Within the report, each interval between two consecutive readings counts as outside when its
/// first reading is. The latest reading seen before (`last_time_ms`) continues into the
/// report's first later reading, so reports in time order add up as one series. A report older
/// than the latest reading is not ignored: its own intervals count too. Intervals are kept as a
/// union, so overlapping reports (two loggers in one reefer) do not count the same time twice.
/// No reading can blind the rule for those after it (found by the analyst review of issue 22:
/// one reading dated weeks ahead made every later one "older than the latest" and ignored).
pub fn accumulate(cc: &mut ColdChain, c: &CommodityRule, readings: &[Reading]) -> u64 {
    let before = cc.outside_ms;
    let mut points: Vec<(TimeMs, bool)> = Vec::new();
    for r in readings
        .iter()
        .filter(|r| r.kind == SensorKind::Temperature)
    {
        let dev = deviation(c, r.value_milli);
        cc.worst_deviation_milli = cc.worst_deviation_milli.max(dev);
        points.push((r.time_ms, dev > 0));
    }
    // Validation keeps a report's readings in time order; sorting (stable) keeps this true of
    // any caller.
    points.sort_by_key(|p| p.0);
    let Some(&latest) = points.last() else {
        return 0;
    };
    let mut added: Vec<OutsideInterval> = points
        .windows(2)
        .filter(|w| w[0].1 && w[1].0 > w[0].0)
        .map(|w| OutsideInterval {
            from_ms: w[0].0,
            until_ms: w[1].0,
        })
        .collect();
    if let Some(t) = cc.last_time_ms {
        if cc.last_outside
            && let Some(&(next, _)) = points.iter().find(|p| p.0 > t)
        {
            added.push(OutsideInterval {
                from_ms: t,
                until_ms: next,
            });
        }
        if latest.0 >= t {
            cc.last_time_ms = Some(latest.0);
            cc.last_outside = latest.1;
        }
    } else {
        cc.last_time_ms = Some(latest.0);
        cc.last_outside = latest.1;
    }
    if !added.is_empty() {
        cc.outside_intervals = union(&cc.outside_intervals, added);
        cc.outside_ms = cc
            .outside_intervals
            .iter()
            .fold(0u64, |a, i| a.saturating_add(i.until_ms - i.from_ms));
    }
    cc.outside_ms.saturating_sub(before)
}

/// The union of `kept` and `added` as disjoint intervals sorted by start, at most
/// [`OUTSIDE_INTERVALS_MAX`] (the closest two merged first, the earliest such pair on ties).
fn union(kept: &[OutsideInterval], mut added: Vec<OutsideInterval>) -> Vec<OutsideInterval> {
    added.extend_from_slice(kept);
    added.sort_by_key(|i| (i.from_ms, i.until_ms));
    let mut out: Vec<OutsideInterval> = Vec::with_capacity(added.len());
    for i in added {
        match out.last_mut() {
            Some(last) if i.from_ms <= last.until_ms => {
                last.until_ms = last.until_ms.max(i.until_ms);
            }
            _ => out.push(i),
        }
    }
    while out.len() > OUTSIDE_INTERVALS_MAX {
        let closest = (0..out.len() - 1)
            .min_by_key(|&k| (out[k + 1].from_ms - out[k].until_ms, k))
            .unwrap_or(0);
        out[closest].until_ms = out[closest + 1].until_ms;
        out.remove(closest + 1);
    }
    out
}

/// Severity of an excursion: critical beyond the slight deviation or the slight duration.
pub fn excursion_severity(cc: &ColdChain) -> Severity {
    if cc.worst_deviation_milli > SLIGHT_DEVIATION_MILLI_C || cc.outside_ms >= SLIGHT_DURATION_MS {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

/// A sensor report: cold-chain time outside range; door opened away from authorised places.
pub(crate) fn sensor<S: Store>(cx: &mut Ctx<'_, '_, S>, s: &SensorReport) -> Step {
    let mut rec = shipment::load(cx, &s.shipment_id)?;
    check_carrier(cx, &rec)?;
    if let Some(c) = commodity(cx.index, &rec).cloned() {
        let added = accumulate(&mut rec.cold_chain, &c, &s.readings);
        let tolerance_ms = u64::from(c.excursion_minutes_max) * 60_000;
        if added > 0 && rec.cold_chain.outside_ms > tolerance_ms {
            let cc = &rec.cold_chain;
            let detail = format!(
                "{}: {} minutes outside {}..{} milli-°C (tolerance {} minutes), worst {} milli-°C away",
                c.name,
                cc.outside_ms / 60_000,
                c.min_milli_c,
                c.max_milli_c,
                c.excursion_minutes_max,
                cc.worst_deviation_milli
            );
            let severity = excursion_severity(cc);
            lane::raise(cx, &mut rec, FLAG_COLD_CHAIN, severity, detail);
        }
    }
    let door_open = s
        .readings
        .iter()
        .any(|r| r.kind == SensorKind::DoorOpen && r.value_milli >= DOOR_OPEN_MILLI);
    if door_open && !seal_authorised(cx, rec.last_locode.as_deref()) {
        let at = rec
            .last_locode
            .clone()
            .unwrap_or_else(|| "an unknown location".into());
        lane::raise(
            cx,
            &mut rec,
            FLAG_SEAL_BREAK,
            Severity::Critical,
            format!("door opened near {at}, not an authorised location"),
        );
    }
    shipment::finish(cx, &mut rec, EventKind::SensorReport, false)
}

/// An inspection: a failed one is a critical flag; a treatment record is checked.
pub(crate) fn inspection<S: Store>(cx: &mut Ctx<'_, '_, S>, i: &InspectionResult) -> Step {
    let mut rec = shipment::load(cx, &i.shipment_id)?;
    if i.outcome == InspectionOutcome::Fail {
        let codes: Vec<&str> = i.findings.iter().take(8).map(|f| f.code.as_str()).collect();
        let detail = format!("{:?} inspection failed: {}", i.kind, codes.join(", ")).to_lowercase();
        lane::raise(
            cx,
            &mut rec,
            FLAG_INSPECTION_FAILED,
            Severity::Critical,
            detail,
        );
    }
    if let Some(t) = &i.treatment {
        let (valid, fault, detail) = match check_treatment(t, cx.rules.treatment_gap_minutes_max) {
            Ok(summary) => (true, None, summary),
            Err((fault, why)) => (false, Some(fault), why),
        };
        if !valid {
            lane::raise(
                cx,
                &mut rec,
                FLAG_TREATMENT_VOID,
                Severity::Critical,
                format!("{:?} treatment void: {detail}", t.kind).to_lowercase(),
            );
        }
        cx.records.push(Derived::Treatment(TreatmentVerdict {
            shipment_id: i.shipment_id.clone(),
            valid,
            fault,
            detail,
        }));
    }
    shipment::finish(cx, &mut rec, EventKind::Inspection, false)
}

/// Declared unit values against the rule set's references (same HS code and currency).
pub(crate) fn value_anomaly<S: Store>(cx: &mut Ctx<'_, '_, S>, rec: &mut ShipmentRecord) {
    let goods = rec.declaration.goods.clone();
    for g in &goods {
        let Some(r) = cx.index.reference(&g.hs_code, &g.currency) else {
            continue;
        };
        let expected = u128::from(r.unit_value_minor) * u128::from(g.quantity);
        let declared = u128::from(g.value_minor);
        let diff = declared.abs_diff(expected);
        if diff * 10_000 > u128::from(r.tolerance_bp) * expected {
            let detail = format!(
                "line {}: declared {} {} for {} units, reference {} per unit (tolerance {} bp)",
                g.line, g.value_minor, g.currency, g.quantity, r.unit_value_minor, r.tolerance_bp
            );
            lane::raise(cx, rec, FLAG_VALUE_ANOMALY, Severity::Warning, detail);
        }
    }
}
