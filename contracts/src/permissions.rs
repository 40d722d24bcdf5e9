//! The role matrix: which role may sign which event kind (DOMAIN.md, "Stakeholders").
//!
//! References and party checks (the carrier named by the shipment, the certifier, the owner of a
//! recordation) are made by each kind's handler, which has the records at hand.

use crate::context::{Ctx, Step, reject};
use crate::governance::change_owner;
use crate::outcome::RejectCode;
use crate::store::Store;
use tradeledger_types::{InspectionKind, Payload, Role};

/// The role an organisation needs to sign `payload` (for a rule-set update, every change's
/// owner; for a correction, the role of the replacement's kind).
pub(crate) fn check_role<S: Store>(cx: &Ctx<'_, '_, S>, payload: &Payload) -> Step {
    match payload {
        Payload::ShipmentDeclaration(_) => cx.require_role(Role::Shipper, "a shipment declaration"),
        Payload::CertificateOfOrigin(_) => {
            cx.require_role(Role::Shipper, "a certificate of origin")
        }
        Payload::Custody(_) => cx.require_role(Role::Carrier, "a custody event"),
        Payload::SensorReport(_) => cx.require_role(Role::Carrier, "a sensor report"),
        Payload::Inspection(i) => match i.kind {
            InspectionKind::Documentary | InspectionKind::Physical => {
                cx.require_role(Role::Customs, "a customs inspection")
            }
            InspectionKind::Phytosanitary | InspectionKind::Sanitary => {
                cx.require_role(Role::Quarantine, "a phytosanitary or sanitary inspection")
            }
        },
        Payload::Clearance(_) => cx.require_role(Role::Customs, "a clearance decision"),
        Payload::IprRecordation(_) | Payload::IprLicence(_) | Payload::IprRevocation(_) => {
            cx.require_role(Role::RightsHolder, "an IPR recordation or licence")
        }
        Payload::IprAcceptance(_) => cx.require_role(Role::Customs, "accepting a recordation"),
        Payload::DeviceRegistration(_) | Payload::DeviceRevocation(_) | Payload::KeyRotation(_) => {
            if cx.org.roles.iter().any(|r| *r != Role::Auditor) {
                Ok(())
            } else {
                reject(RejectCode::RoleNotAllowed, "an auditor writes nothing")
            }
        }
        Payload::RuleSetUpdate(u) => {
            for (i, c) in u.changes.iter().enumerate() {
                let owner = change_owner(c);
                if !cx.has_role(owner) {
                    return reject(
                        RejectCode::RuleChangeNotOwned,
                        format!(
                            "changes[{i}] belongs to {}; {} does not hold that role",
                            owner.as_str(),
                            cx.org.id
                        ),
                    );
                }
            }
            Ok(())
        }
        Payload::Correction(c) => match &c.replacement {
            Some(p) => check_role(cx, p),
            None if cx.org.roles.iter().all(|r| *r == Role::Auditor) => {
                reject(RejectCode::RoleNotAllowed, "an auditor writes nothing")
            }
            None => Ok(()),
        },
    }
}
