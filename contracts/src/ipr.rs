//! The IPR contract: the registry of recorded marks and licence chains, and the check of branded
//! goods lines against it.
//!
//! A recordation is submitted by its owner (a rights holder) and is in effect once customs
//! accepts it, within its validity window. Licences are granted by the owner, directly or as a
//! sub-licence under a parent licence (same recordation, window inside the parent's, at most
//! [`LICENCE_CHAIN_DEPTH_MAX`] links); a revocation from a time on also ends every sub-licence
//! under it. At declaration, each goods line whose brand is a recorded mark (case-insensitive,
//! HS prefixes matching) is checked at the planned departure time:
//! - the manufacturer must be authorised by the recordation or hold a valid manufacture licence,
//!   else `ipr.possible_counterfeit` (critical);
//! - if the recordation is gray-market restricted, the importer must be authorised or hold a
//!   valid import licence, else `ipr.gray_market` (warning).

use crate::context::{Ctx, Step, reject};
use crate::keys;
use crate::lane;
use crate::outcome::{Derived, IprOutcome, IprVerdict, RejectCode};
use crate::records::{LicenceRecord, RecordationRecord, ShipmentRecord};
use crate::store::Store;
use std::collections::BTreeMap;
use tradeledger_types::{
    IprAcceptance, IprLicence, IprRecordation, IprRevocation, LicenceScope, Severity, TimeMs,
};

/// Rule id of the counterfeit flag.
pub const FLAG_COUNTERFEIT: &str = "ipr.possible_counterfeit";
/// Rule id of the gray-market flag.
pub const FLAG_GRAY_MARKET: &str = "ipr.gray_market";
/// Most recordations of one mark (bounds the work per goods line).
pub const RECORDATIONS_PER_MARK_MAX: usize = 32;
/// Most licences under one recordation to one licensee (bounds the work per goods line).
pub const LICENCES_PER_LICENSEE_MAX: usize = 16;
/// Most links in a licence chain (owner → licensee → sub-licensee ...).
pub const LICENCE_CHAIN_DEPTH_MAX: usize = 8;

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

fn sorted_norm(names: &[String]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|n| norm(n)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A rights holder records a mark.
pub(crate) fn record<S: Store>(cx: &mut Ctx<'_, '_, S>, r: &IprRecordation) -> Step {
    if r.owner != cx.org.id {
        return reject(
            RejectCode::NotAParty,
            format!("{} records a mark owned by {}", cx.org.id, r.owner),
        );
    }
    if cx.view.exists(&keys::recordation(&r.recordation_id))? {
        return reject(
            RejectCode::DuplicateRecordation,
            format!("recordation {:?} already exists", r.recordation_id),
        );
    }
    let mk = keys::mark(&norm(&r.mark));
    let mut ids: Vec<String> = cx.view.get(&mk)?.unwrap_or_default();
    if ids.len() >= RECORDATIONS_PER_MARK_MAX {
        return reject(
            RejectCode::RegistryFull,
            format!(
                "mark {:?} has {RECORDATIONS_PER_MARK_MAX} recordations",
                r.mark
            ),
        );
    }
    ids.push(r.recordation_id.clone());
    cx.view.put(mk, &ids);
    cx.view.put(
        keys::recordation(&r.recordation_id),
        &RecordationRecord {
            recordation: r.clone(),
            accepted_height: None,
            manufacturers_norm: sorted_norm(&r.authorised_manufacturers),
            importers_norm: sorted_norm(&r.authorised_importers),
            hs_prefixes_sorted: sorted_norm(&r.hs_prefixes),
        },
    );
    Ok(())
}

/// Customs accepts a recordation.
pub(crate) fn accept<S: Store>(cx: &mut Ctx<'_, '_, S>, a: &IprAcceptance) -> Step {
    let key = keys::recordation(&a.recordation_id);
    let Some(mut rec): Option<RecordationRecord> = cx.view.get(&key)? else {
        return reject(
            RejectCode::UnknownRecordation,
            format!("no recordation {:?}", a.recordation_id),
        );
    };
    if rec.accepted_height.is_some() {
        return reject(
            RejectCode::AlreadyAccepted,
            format!("recordation {:?} is already accepted", a.recordation_id),
        );
    }
    rec.accepted_height = Some(cx.block.height);
    cx.view.put(key, &rec);
    Ok(())
}

/// The owner grants a licence or sub-licence.
pub(crate) fn licence<S: Store>(cx: &mut Ctx<'_, '_, S>, l: &IprLicence) -> Step {
    let Some(rec): Option<RecordationRecord> =
        cx.view.get(&keys::recordation(&l.recordation_id))?
    else {
        return reject(
            RejectCode::UnknownRecordation,
            format!("no recordation {:?}", l.recordation_id),
        );
    };
    if rec.recordation.owner != cx.org.id {
        return reject(
            RejectCode::NotAParty,
            format!(
                "{} does not own recordation {:?}",
                cx.org.id, l.recordation_id
            ),
        );
    }
    if cx.view.exists(&keys::licence(&l.licence_id))? {
        return reject(
            RejectCode::DuplicateLicence,
            format!("licence {:?} already exists", l.licence_id),
        );
    }
    if let Some(parent_id) = &l.parent_licence_id {
        let Some(parent): Option<LicenceRecord> = cx.view.get(&keys::licence(parent_id))? else {
            return reject(
                RejectCode::UnknownLicence,
                format!("no parent licence {parent_id:?}"),
            );
        };
        let p = &parent.licence;
        if p.recordation_id != l.recordation_id
            || l.valid_from_ms < p.valid_from_ms
            || l.valid_until_ms > p.valid_until_ms
        {
            return reject(
                RejectCode::InvalidLicenceChain,
                "a sub-licence must be for the same recordation and inside its parent's window",
            );
        }
        if chain_depth(cx, p)? >= LICENCE_CHAIN_DEPTH_MAX {
            return reject(
                RejectCode::InvalidLicenceChain,
                format!("licence chains are at most {LICENCE_CHAIN_DEPTH_MAX} links"),
            );
        }
    }
    let lk = keys::licences_of(&l.recordation_id, &norm(&l.licensee));
    let mut ids: Vec<String> = cx.view.get(&lk)?.unwrap_or_default();
    if ids.len() >= LICENCES_PER_LICENSEE_MAX {
        return reject(
            RejectCode::RegistryFull,
            format!(
                "{:?} already holds {LICENCES_PER_LICENSEE_MAX} licences under recordation {:?}",
                l.licensee, l.recordation_id
            ),
        );
    }
    ids.push(l.licence_id.clone());
    cx.view.put(lk, &ids);
    cx.view.put(
        keys::licence(&l.licence_id),
        &LicenceRecord {
            licence: l.clone(),
            revoked_from_ms: None,
        },
    );
    Ok(())
}

fn chain_depth<S: Store>(cx: &Ctx<'_, '_, S>, l: &IprLicence) -> Step<usize> {
    let mut depth = 1;
    let mut parent = l.parent_licence_id.clone();
    while let Some(p) = parent {
        if depth > LICENCE_CHAIN_DEPTH_MAX {
            break;
        }
        depth += 1;
        parent = cx
            .view
            .get::<LicenceRecord>(&keys::licence(&p))?
            .and_then(|r| r.licence.parent_licence_id);
    }
    Ok(depth)
}

/// The owner revokes a licence from a time on.
pub(crate) fn revoke<S: Store>(cx: &mut Ctx<'_, '_, S>, r: &IprRevocation) -> Step {
    let key = keys::licence(&r.licence_id);
    let Some(mut lic): Option<LicenceRecord> = cx.view.get(&key)? else {
        return reject(
            RejectCode::UnknownLicence,
            format!("no licence {:?}", r.licence_id),
        );
    };
    let owner = cx
        .view
        .get::<RecordationRecord>(&keys::recordation(&lic.licence.recordation_id))?
        .map(|x| x.recordation.owner);
    if owner.as_deref() != Some(cx.org.id.as_str()) {
        return reject(
            RejectCode::NotAParty,
            format!(
                "{} does not own the recordation of licence {:?}",
                cx.org.id, r.licence_id
            ),
        );
    }
    if lic.revoked_from_ms.is_some() {
        return reject(
            RejectCode::AlreadyRevoked,
            format!("licence {:?} is already revoked", r.licence_id),
        );
    }
    lic.revoked_from_ms = Some(r.effective_ms);
    cx.view.put(key, &lic);
    Ok(())
}

/// True when `l` and every parent above it are valid and not revoked at `t`.
fn chain_valid_at<S: Store>(cx: &Ctx<'_, '_, S>, l: &LicenceRecord, t: TimeMs) -> Step<bool> {
    let mut cur = l.clone();
    for _ in 0..LICENCE_CHAIN_DEPTH_MAX {
        let x = &cur.licence;
        if t < x.valid_from_ms
            || t > x.valid_until_ms
            || cur.revoked_from_ms.is_some_and(|r| r <= t)
        {
            return Ok(false);
        }
        let Some(p) = &x.parent_licence_id else {
            return Ok(true);
        };
        match cx.view.get::<LicenceRecord>(&keys::licence(p))? {
            Some(parent) => cur = parent,
            None => return Ok(false),
        }
    }
    Ok(false)
}

/// True when `who` (trimmed, lowercased) may manufacture or import under the recordation at `t`:
/// named by it, or holding a licence whose chain is valid then. Costs one lookup in the sorted
/// names and at most [`LICENCES_PER_LICENSEE_MAX`] × [`LICENCE_CHAIN_DEPTH_MAX`] reads.
fn licensed<S: Store>(
    cx: &Ctx<'_, '_, S>,
    rec: &RecordationRecord,
    who: &str,
    scope: LicenceScope,
    t: TimeMs,
) -> Step<bool> {
    let direct = match scope {
        LicenceScope::Manufacture => &rec.manufacturers_norm,
        LicenceScope::Import => &rec.importers_norm,
    };
    if direct.binary_search_by(|n| n.as_str().cmp(who)).is_ok() {
        return Ok(true);
    }
    let key = keys::licences_of(&rec.recordation.recordation_id, who);
    let ids: Vec<String> = cx.view.get(&key)?.unwrap_or_default();
    for id in ids {
        if let Some(l) = cx.view.get::<LicenceRecord>(&keys::licence(&id))?
            && l.licence.scope == scope
            && chain_valid_at(cx, &l, t)?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Checks every branded goods line of a new declaration against the registry.
pub(crate) fn check_goods<S: Store>(cx: &mut Ctx<'_, '_, S>, rec: &mut ShipmentRecord) -> Step {
    let d = rec.declaration.clone();
    let t = d.departure_ms;
    let importer = norm(&d.importer.name);
    // One evaluation per recordation and manufacturer, however many lines repeat them.
    let mut memo: BTreeMap<(String, Option<String>), IprOutcome> = BTreeMap::new();
    let mut marks: BTreeMap<String, Vec<RecordationRecord>> = BTreeMap::new();
    for g in &d.goods {
        let Some(brand) = &g.brand else { continue };
        let mark = norm(brand);
        if !marks.contains_key(&mark) {
            let ids: Vec<String> = cx.view.get(&keys::mark(&mark))?.unwrap_or_default();
            let mut recs = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(r) = cx.view.get::<RecordationRecord>(&keys::recordation(&id))? {
                    recs.push(r);
                }
            }
            marks.insert(mark.clone(), recs);
        }
        let Some(recs) = marks.get(&mark) else {
            continue;
        };
        for r in recs {
            let rc = &r.recordation;
            let in_effect =
                r.accepted_height.is_some() && rc.valid_from_ms <= t && t <= rc.valid_until_ms;
            let hs = &g.hs_code;
            let covers = r.hs_prefixes_sorted.is_empty()
                || (1..=hs.len()).any(|n| {
                    hs.get(..n).is_some_and(|p| {
                        r.hs_prefixes_sorted
                            .binary_search_by(|x| x.as_str().cmp(p))
                            .is_ok()
                    })
                });
            if !in_effect || !covers {
                continue;
            }
            let maker = g.manufacturer.as_deref().map(norm);
            let memo_key = (rc.recordation_id.clone(), maker.clone());
            let outcome = match memo.get(&memo_key) {
                Some(o) => *o,
                None => {
                    let maker_ok = match &maker {
                        Some(m) => licensed(cx, r, m, LicenceScope::Manufacture, t)?,
                        None => false,
                    };
                    let o = if !maker_ok {
                        IprOutcome::PossibleCounterfeit
                    } else if rc.gray_market_restricted
                        && !licensed(cx, r, &importer, LicenceScope::Import, t)?
                    {
                        IprOutcome::GrayMarket
                    } else {
                        IprOutcome::Authorised
                    };
                    memo.insert(memo_key, o);
                    o
                }
            };
            match outcome {
                IprOutcome::PossibleCounterfeit => {
                    let who = g
                        .manufacturer
                        .as_deref()
                        .unwrap_or("an undeclared manufacturer");
                    let detail = format!(
                        "line {}: mark {:?} ({}) made by {who}, not licensed at shipment time",
                        g.line, rc.mark, rc.recordation_id
                    );
                    lane::raise(cx, rec, FLAG_COUNTERFEIT, Severity::Critical, detail);
                }
                IprOutcome::GrayMarket => {
                    let detail = format!(
                        "line {}: genuine {:?} goods imported by {}, not an authorised importer",
                        g.line, rc.mark, d.importer.name
                    );
                    lane::raise(cx, rec, FLAG_GRAY_MARKET, Severity::Warning, detail);
                }
                IprOutcome::Authorised => {}
            }
            cx.records.push(Derived::Ipr(IprVerdict {
                shipment_id: d.shipment_id.clone(),
                line: g.line,
                recordation_id: rc.recordation_id.clone(),
                outcome,
            }));
        }
    }
    Ok(())
}
