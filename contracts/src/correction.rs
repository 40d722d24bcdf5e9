//! Corrections: nothing is edited in place. A correction names an earlier event of the same
//! organisation; a corrected declaration or certificate replaces the one in force (and the
//! origin verdict is recomputed); a withdrawn certificate removes the claim; any other correction
//! is kept on the shipment's timeline for the analyst.

use crate::context::{Ctx, Step, reject};
use crate::keys;
use crate::origin;
use crate::outcome::RejectCode;
use crate::records::EventRecord;
use crate::risk;
use crate::shipment;
use crate::store::Store;
use tradeledger_types::{Correction, EventKind, Payload};

pub(crate) fn correct<S: Store>(cx: &mut Ctx<'_, '_, S>, c: &Correction) -> Step {
    let key = keys::event(&c.corrects);
    let Some(mut orig): Option<EventRecord> = cx.view.get(&key)? else {
        return reject(
            RejectCode::UnknownEvent,
            format!("no applied event {}", c.corrects),
        );
    };
    if orig.org != cx.org.id {
        return reject(
            RejectCode::NotAParty,
            format!(
                "event {} was signed by {}, not {}",
                c.corrects, orig.org, cx.org.id
            ),
        );
    }
    if let Some(rep) = &c.replacement
        && (rep.kind() != orig.kind || rep.shipment_id() != orig.shipment_id.as_deref())
    {
        return reject(
            RejectCode::CorrectionMismatch,
            "a replacement must be of the same kind and for the same shipment",
        );
    }
    orig.corrected_by = Some(cx.id);
    cx.view.put(key, &orig);
    let Some(sid) = orig.shipment_id.clone() else {
        return Ok(());
    };
    let mut rec = shipment::load(cx, &sid)?;
    match c.replacement.as_deref() {
        Some(Payload::ShipmentDeclaration(d)) => {
            shipment::check_declarant(cx, d)?;
            rec.declaration = d.clone();
            risk::value_anomaly(cx, &mut rec);
        }
        Some(Payload::CertificateOfOrigin(cert)) => {
            origin::check_certifier_signed(cx, cert)?;
            let old = rec.certificate.as_ref().map(|x| x.certificate_id.clone());
            if old.as_deref() != Some(cert.certificate_id.as_str()) {
                if cx.view.exists(&keys::certificate(&cert.certificate_id))? {
                    return reject(
                        RejectCode::DuplicateCertificate,
                        format!("certificate {:?} already exists", cert.certificate_id),
                    );
                }
                cx.view.put(keys::certificate(&cert.certificate_id), &sid);
            }
            let verdict = origin::check_origin(&rec.declaration, cert, cx.rules);
            origin::record_verdict(cx, &mut rec, verdict);
            rec.certificate = Some(cert.clone());
        }
        None if orig.kind == EventKind::CertificateOfOrigin => {
            rec.certificate = None;
            rec.origin = None;
            rec.flags
                .retain(|f| f.rule_id != origin::FLAG_NOT_CONFIRMED);
        }
        _ => {}
    }
    shipment::finish(cx, &mut rec, EventKind::Correction, false)
}
