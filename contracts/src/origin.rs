//! The origin contract: a certificate of origin against the declaration and the product-specific
//! rules of the rule set (USMCA Annex 5-A data elements; Chapter 4 rules of origin).
//!
//! Checks, in order; the verdict names the first that fails:
//! 1. `certifier`: the certifier (element 2) is the declared importer, exporter or producer, as its
//!    role (element 1) says. (That the signer belongs to the certifier is a permission: an event
//!    signed by anyone else is rejected with `not_a_party`.)
//! 2. `parties`: exporter, importer and producer (elements 3–5) agree with the declaration.
//! 3. `goods_line`, `hs_code`: each certified good (element 6) is a declared line with the same
//!    six-digit HS code.
//! 4. `blanket_period`: a blanket period (element 8, at most 12 months, checked on decoding) covers
//!    the shipment's planned departure.
//! 5. Per good, the origin criterion (element 7): A and C allow no non-originating materials; B
//!    needs the product-specific rule for the HS code (longest prefix): the tariff shift for every
//!    non-originating material, unless those failing it are at most the de minimis share of the
//!    transaction value, and, when the rule sets RVC floors, the regional value content by at least
//!    one allowed method: transaction value `(TV − VNM) / TV` or net cost `(NC − VNM) / NC`; D needs
//!    the RVC only.

use crate::context::{Ctx, Step, reject};
use crate::governance::RuleIndex;
use crate::keys;
use crate::lane;
use crate::outcome::{Derived, OriginCheck, OriginVerdict, RejectCode};
use crate::records::ShipmentRecord;
use crate::shipment;
use crate::store::Store;
use std::collections::BTreeMap;
use tradeledger_types::{
    CertificateOfOrigin, CertifierRole, EventKind, GoodsLine, OriginCriterion, Party, RuleSet,
    Severity, ShipmentDeclaration, TariffShift,
};

/// Rule id of the flag raised when origin is not confirmed.
pub const FLAG_NOT_CONFIRMED: &str = "origin.not_confirmed";
/// Rule id of the flag raised when the first located custody event is not in the origin country.
pub const FLAG_FIRST_CUSTODY_COUNTRY: &str = "origin.first_custody_country";

struct Failure {
    check: OriginCheck,
    line: Option<u32>,
    detail: String,
}

fn fail<T>(check: OriginCheck, line: Option<u32>, detail: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        check,
        line,
        detail: detail.into(),
    })
}

fn same_party(a: &Party, b: &Party) -> bool {
    a.org == b.org && a.name.trim().eq_ignore_ascii_case(b.name.trim()) && a.country == b.country
}

/// Checks a certificate against a declaration under a rule set.
pub fn check_origin(
    d: &ShipmentDeclaration,
    c: &CertificateOfOrigin,
    rules: &RuleSet,
) -> OriginVerdict {
    let (confirmed, failed, line, detail) = match run_checks(d, c, rules) {
        Ok(detail) => (true, None, None, detail),
        Err(f) => (false, Some(f.check), f.line, f.detail),
    };
    OriginVerdict {
        shipment_id: d.shipment_id.clone(),
        certificate_id: c.certificate_id.clone(),
        confirmed,
        failed,
        line,
        detail,
        rule_set_version: rules.version,
    }
}

fn run_checks(
    d: &ShipmentDeclaration,
    c: &CertificateOfOrigin,
    rules: &RuleSet,
) -> Result<String, Failure> {
    let declared = match c.certifier_role {
        CertifierRole::Importer => Some(&d.importer),
        CertifierRole::Exporter => Some(&d.exporter),
        CertifierRole::Producer => d.producer.as_ref(),
    };
    if !declared.is_some_and(|p| same_party(p, &c.certifier)) {
        return fail(
            OriginCheck::Certifier,
            None,
            format!("the certifier is not the declared {:?}", c.certifier_role).to_lowercase(),
        );
    }
    if !same_party(&c.exporter, &d.exporter) {
        return fail(
            OriginCheck::Parties,
            None,
            "the exporter differs from the declaration",
        );
    }
    if !same_party(&c.importer, &d.importer) {
        return fail(
            OriginCheck::Parties,
            None,
            "the importer differs from the declaration",
        );
    }
    if let (Some(cp), Some(dp)) = (&c.producer, &d.producer)
        && !same_party(cp, dp)
    {
        return fail(
            OriginCheck::Parties,
            None,
            "the producer differs from the declaration",
        );
    }
    if let Some(b) = &c.blanket_period
        && !(b.from_ms <= d.departure_ms && d.departure_ms <= b.until_ms)
    {
        return fail(
            OriginCheck::BlanketPeriod,
            None,
            "the blanket period does not cover the planned departure",
        );
    }
    let lines: BTreeMap<u32, &GoodsLine> = d.goods.iter().map(|l| (l.line, l)).collect();
    let index = RuleIndex::new(rules);
    let mut notes = Vec::new();
    for g in &c.goods {
        let Some(line) = lines.get(&g.line).copied() else {
            return fail(
                OriginCheck::GoodsLine,
                Some(g.line),
                format!("the declaration has no line {}", g.line),
            );
        };
        if line.hs_code != g.hs_code {
            return fail(
                OriginCheck::HsCode,
                Some(g.line),
                format!(
                    "certified as {} but declared as {}",
                    g.hs_code, line.hs_code
                ),
            );
        }
        notes.push(check_criterion(line, g.criterion, rules, &index)?);
    }
    Ok(notes.join("; "))
}

fn check_criterion(
    line: &GoodsLine,
    criterion: OriginCriterion,
    rules: &RuleSet,
    index: &RuleIndex<'_>,
) -> Result<String, Failure> {
    let l = Some(line.line);
    let non_originating = || {
        line.cost
            .iter()
            .flat_map(|c| c.materials.iter())
            .filter(|m| !m.originating)
    };
    match criterion {
        OriginCriterion::A | OriginCriterion::C => {
            if let Some(m) = non_originating().next() {
                let check = if criterion == OriginCriterion::A {
                    OriginCheck::WhollyObtained
                } else {
                    OriginCheck::OriginatingMaterials
                };
                return fail(
                    check,
                    l,
                    format!(
                        "non-originating material {:?} ({})",
                        m.description, m.hs_code
                    ),
                );
            }
            Ok(format!(
                "line {}: criterion {criterion:?}, no non-originating materials",
                line.line
            ))
        }
        OriginCriterion::B | OriginCriterion::D => {
            let Some(rule) = index.product_rule(&line.hs_code) else {
                return fail(
                    OriginCheck::NoProductRule,
                    l,
                    format!("no product-specific rule for {}", line.hs_code),
                );
            };
            let needs_rvc =
                rule.rvc_transaction_value_bp.is_some() || rule.rvc_net_cost_bp.is_some();
            let shift = if criterion == OriginCriterion::D {
                TariffShift::None
            } else {
                rule.tariff_shift
            };
            if criterion == OriginCriterion::D && !needs_rvc {
                return fail(
                    OriginCheck::RegionalValueContent,
                    l,
                    format!(
                        "criterion D needs an RVC floor; rule {} has none",
                        rule.hs_prefix
                    ),
                );
            }
            if shift == TariffShift::None && !needs_rvc {
                return Ok(format!(
                    "line {}: rule {} has no requirement",
                    line.line, rule.hs_prefix
                ));
            }
            let Some(cost) = &line.cost else {
                return fail(
                    OriginCheck::CostData,
                    l,
                    "cost data (materials, values) are needed for this rule",
                );
            };
            let digits = match shift {
                TariffShift::None => 0,
                TariffShift::Chapter => 2,
                TariffShift::Heading => 4,
                TariffShift::Subheading => 6,
            };
            let mut note = format!("line {}: rule {}", line.line, rule.hs_prefix);
            if digits > 0 {
                let same = |hs: &str| hs.get(..digits) == line.hs_code.get(..digits);
                let failing: u64 = non_originating()
                    .filter(|m| same(&m.hs_code))
                    .fold(0u64, |a, m| a.saturating_add(m.value_minor));
                if failing > 0 {
                    let tv = u128::from(cost.transaction_value_minor);
                    let within =
                        u128::from(failing) * 10_000 <= u128::from(rules.de_minimis_bp) * tv;
                    if !within {
                        return fail(
                            OriginCheck::TariffShift,
                            l,
                            format!(
                                "non-originating materials worth {failing} make no {shift:?} shift and exceed de minimis of {} bp",
                                rules.de_minimis_bp
                            )
                            .to_lowercase(),
                        );
                    }
                    note.push_str(", tariff shift met with de minimis");
                } else {
                    note.push_str(", tariff shift met");
                }
            }
            if needs_rvc {
                let vnm = non_originating().fold(0u64, |a, m| a.saturating_add(m.value_minor));
                let tv = rvc_bp(cost.transaction_value_minor, vnm);
                let nc = rvc_bp(cost.net_cost_minor, vnm);
                let tv_ok = rule
                    .rvc_transaction_value_bp
                    .is_some_and(|f| tv.is_some_and(|v| v >= u64::from(f)));
                let nc_ok = rule
                    .rvc_net_cost_bp
                    .is_some_and(|f| nc.is_some_and(|v| v >= u64::from(f)));
                let show = |v: Option<u64>| v.map_or("n/a".to_owned(), |v| format!("{v} bp"));
                if !(tv_ok || nc_ok) {
                    return fail(
                        OriginCheck::RegionalValueContent,
                        l,
                        format!(
                            "RVC transaction value {} (floor {}), net cost {} (floor {})",
                            show(tv),
                            rule.rvc_transaction_value_bp
                                .map_or("not allowed".to_owned(), |f| format!("{f} bp")),
                            show(nc),
                            rule.rvc_net_cost_bp
                                .map_or("not allowed".to_owned(), |f| format!("{f} bp")),
                        ),
                    );
                }
                note.push_str(&format!(
                    ", RVC transaction value {}, net cost {}",
                    show(tv),
                    show(nc)
                ));
            }
            Ok(note)
        }
    }
}

/// Regional value content in basis points, rounded down: `(base − vnm) × 10 000 / base`.
pub fn rvc_bp(base_minor: u64, vnm_minor: u64) -> Option<u64> {
    if base_minor == 0 {
        return None;
    }
    let v = u128::from(base_minor.saturating_sub(vnm_minor)) * 10_000 / u128::from(base_minor);
    u64::try_from(v).ok()
}

/// Records a verdict on the shipment: stores it, emits it, and raises or clears the
/// `origin.not_confirmed` flag (a corrected certificate that passes clears it).
pub(crate) fn record_verdict<S: Store>(
    cx: &mut Ctx<'_, '_, S>,
    rec: &mut ShipmentRecord,
    v: OriginVerdict,
) {
    if v.confirmed {
        rec.flags.retain(|f| f.rule_id != FLAG_NOT_CONFIRMED);
    } else {
        let detail = format!(
            "{:?}: {}",
            v.failed.unwrap_or(OriginCheck::Certifier),
            v.detail
        )
        .to_lowercase();
        lane::raise(cx, rec, FLAG_NOT_CONFIRMED, Severity::Warning, detail);
    }
    cx.records.push(Derived::Origin(v.clone()));
    rec.origin = Some(v);
}

/// Checks that the signer belongs to the certifier named in the certificate (element 9).
pub(crate) fn check_certifier_signed<S: Store>(
    cx: &Ctx<'_, '_, S>,
    c: &CertificateOfOrigin,
) -> Step {
    if c.certifier.org.as_deref() != Some(cx.org.id.as_str()) {
        return reject(
            RejectCode::NotAParty,
            format!(
                "{} is not the certifier named in the certificate",
                cx.org.id
            ),
        );
    }
    Ok(())
}

/// A certificate of origin for a declared shipment.
pub(crate) fn certificate<S: Store>(cx: &mut Ctx<'_, '_, S>, c: &CertificateOfOrigin) -> Step {
    let mut rec = shipment::load(cx, &c.shipment_id)?;
    if cx.view.exists(&keys::certificate(&c.certificate_id))? {
        return reject(
            RejectCode::DuplicateCertificate,
            format!("certificate {:?} already exists", c.certificate_id),
        );
    }
    check_certifier_signed(cx, c)?;
    cx.view
        .put(keys::certificate(&c.certificate_id), &c.shipment_id);
    let verdict = check_origin(&rec.declaration, c, cx.rules);
    record_verdict(cx, &mut rec, verdict);
    rec.certificate = Some(c.clone());
    shipment::finish(cx, &mut rec, EventKind::CertificateOfOrigin, false)
}
