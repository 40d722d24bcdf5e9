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
use tradeledger_types::{
    IprAcceptance, IprLicence, IprRecordation, IprRevocation, LicenceScope, Severity, TimeMs,
};

/// Rule id of the counterfeit flag.
pub const FLAG_COUNTERFEIT: &str = "ipr.possible_counterfeit";
/// Rule id of the gray-market flag.
pub const FLAG_GRAY_MARKET: &str = "ipr.gray_market";
/// Most recordations per mark and licences per recordation (bounds the work per goods line).
pub const REGISTRY_ENTRIES_MAX: usize = 256;
/// Most links in a licence chain (owner → licensee → sub-licensee ...).
pub const LICENCE_CHAIN_DEPTH_MAX: usize = 8;

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
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
    if ids.len() >= REGISTRY_ENTRIES_MAX {
        return reject(
            RejectCode::RegistryFull,
            format!("mark {:?} has {REGISTRY_ENTRIES_MAX} recordations", r.mark),
        );
    }
    ids.push(r.recordation_id.clone());
    cx.view.put(mk, &ids);
    cx.view.put(
        keys::recordation(&r.recordation_id),
        &RecordationRecord {
            recordation: r.clone(),
            accepted_height: None,
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
    let lk = keys::licences_of(&l.recordation_id);
    let mut ids: Vec<String> = cx.view.get(&lk)?.unwrap_or_default();
    if ids.len() >= REGISTRY_ENTRIES_MAX {
        return reject(
            RejectCode::RegistryFull,
            format!(
                "recordation {:?} has {REGISTRY_ENTRIES_MAX} licences",
                l.recordation_id
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

fn licensed<S: Store>(
    cx: &Ctx<'_, '_, S>,
    rec: &IprRecordation,
    who: &str,
    scope: LicenceScope,
    t: TimeMs,
) -> Step<bool> {
    let who = norm(who);
    let direct = match scope {
        LicenceScope::Manufacture => &rec.authorised_manufacturers,
        LicenceScope::Import => &rec.authorised_importers,
    };
    if direct.iter().any(|n| norm(n) == who) {
        return Ok(true);
    }
    let ids: Vec<String> = cx
        .view
        .get(&keys::licences_of(&rec.recordation_id))?
        .unwrap_or_default();
    for id in ids {
        if let Some(l) = cx.view.get::<LicenceRecord>(&keys::licence(&id))?
            && l.licence.scope == scope
            && norm(&l.licence.licensee) == who
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
    for g in &d.goods {
        let Some(brand) = &g.brand else { continue };
        let ids: Vec<String> = cx.view.get(&keys::mark(&norm(brand)))?.unwrap_or_default();
        for id in ids {
            let Some(r): Option<RecordationRecord> = cx.view.get(&keys::recordation(&id))? else {
                continue;
            };
            let rc = &r.recordation;
            let in_effect =
                r.accepted_height.is_some() && rc.valid_from_ms <= t && t <= rc.valid_until_ms;
            let covers = rc.hs_prefixes.is_empty()
                || rc
                    .hs_prefixes
                    .iter()
                    .any(|p| g.hs_code.starts_with(p.as_str()));
            if !in_effect || !covers {
                continue;
            }
            let maker_ok = match &g.manufacturer {
                Some(m) => licensed(cx, rc, m, LicenceScope::Manufacture, t)?,
                None => false,
            };
            let outcome = if !maker_ok {
                IprOutcome::PossibleCounterfeit
            } else if rc.gray_market_restricted
                && !licensed(cx, rc, &d.importer.name, LicenceScope::Import, t)?
            {
                IprOutcome::GrayMarket
            } else {
                IprOutcome::Authorised
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
                recordation_id: id.clone(),
                outcome,
            }));
        }
    }
    Ok(())
}
