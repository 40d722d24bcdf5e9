//! Who may write what, checked when a client submits an event: a key the chain does not know,
//! a device signing a kind it was not registered for, or an organisation signing a kind its
//! role does not allow is refused with `403` before the event reaches the mempool, so it is
//! never proposed, never committed and costs no block space.
//!
//! Execution stays the authority (it checks the same rules again at the event's height); this
//! is the early answer to the client. The check is conservative: it refuses only what
//! execution is certain to refuse whatever happens before the event is proposed.
//! - An unknown key is accepted while a registration of that device key or a rotation to that
//!   organisation key, submitted through this node's API, may still be pending (a client may
//!   register a device, or rotate a key, and submit its events without waiting for the commit).
//! - An unknown key is refused only after this node committed what it could for
//!   [`UNKNOWN_KEY_GRACE`]: a client that saw its key's introduction commit on another validator
//!   may submit to this one, which is a block behind.
//! - Kinds whose permission depends on more than the signer's role (rule-set updates,
//!   corrections, device and key management) are left to execution.

use super::{ApiError, State};
use crate::execution::OverlayState;
use axum::http::StatusCode;
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use tradeledger_types::{InspectionKind, Payload, PublicKey, Role, SignedEvent};

/// How long a submission signed by a key this node does not know waits for this node's next
/// commits before it is refused (the key may be in a block other validators committed first).
pub const UNKNOWN_KEY_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Keys remembered from registrations and rotations submitted through this node.
pub const PENDING_KEYS_MAX: usize = 16_384;

/// Keys whose device registration or organisation key rotation was submitted through this node
/// (bounded, oldest forgotten first; a committed one is found in the state instead).
#[derive(Debug, Default)]
pub struct PendingKeys {
    inner: Mutex<(HashSet<PublicKey>, VecDeque<PublicKey>)>,
}

impl PendingKeys {
    /// Remembers the keys introduced by `events` ([`introduced_key`]).
    pub fn note(&self, events: &[&SignedEvent]) {
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (set, order) = &mut *g;
        for e in events {
            if let Some(key) = introduced_key(&e.body.payload)
                && set.insert(key)
            {
                order.push_back(key);
                while order.len() > PENDING_KEYS_MAX {
                    if let Some(old) = order.pop_front() {
                        set.remove(&old);
                    }
                }
            }
        }
    }

    /// True when an event introducing `key` was submitted through this node.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .contains(key)
    }
}

/// The key `payload` brings onto the chain: a device's key, or an organisation's new key.
pub fn introduced_key(payload: &Payload) -> Option<PublicKey> {
    match payload {
        Payload::DeviceRegistration(r) => Some(r.device_key),
        Payload::KeyRotation(r) => Some(r.new_key),
        _ => None,
    }
}

/// The role an organisation needs to sign `payload`, for the kinds where the role alone
/// decides (DOMAIN.md, "Stakeholders"; the contracts' `permissions.rs` holds the same matrix and
/// the test below checks that both agree). `None`: left to execution.
pub fn required_role(payload: &Payload) -> Option<(Role, &'static str)> {
    Some(match payload {
        Payload::ShipmentDeclaration(_) => (Role::Shipper, "a shipment declaration"),
        Payload::CertificateOfOrigin(_) => (Role::Shipper, "a certificate of origin"),
        Payload::Custody(_) => (Role::Carrier, "a custody event"),
        Payload::SensorReport(_) => (Role::Carrier, "a sensor report"),
        Payload::Inspection(i) => match i.kind {
            InspectionKind::Documentary | InspectionKind::Physical => {
                (Role::Customs, "a customs inspection")
            }
            InspectionKind::Phytosanitary | InspectionKind::Sanitary => {
                (Role::Quarantine, "a phytosanitary or sanitary inspection")
            }
        },
        Payload::Clearance(_) => (Role::Customs, "a clearance decision"),
        Payload::IprRecordation(_) | Payload::IprLicence(_) | Payload::IprRevocation(_) => {
            (Role::RightsHolder, "an IPR recordation or licence")
        }
        Payload::IprAcceptance(_) => (Role::Customs, "accepting a recordation"),
        _ => return None,
    })
}

fn forbidden(code: &'static str, message: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, message)
}

/// Refuses each of `events` whose signer may not write it (see the module docs). Reads the
/// committed state in one blocking task.
pub async fn check_all(
    st: &State,
    pending: &PendingKeys,
    events: &[&SignedEvent],
) -> Result<Vec<Result<(), ApiError>>, ApiError> {
    let keys: Vec<PublicKey> = events.iter().map(|e| e.body.signer).collect();
    let mut found = lookup(st, keys).await?;
    // A key this node does not know may have been introduced in a block that other validators
    // committed already (the client saw the commit there): wait for this node's next commits
    // before refusing it.
    let started = std::time::Instant::now();
    let mut height = crate::status::snapshot(&st.status).height;
    while found.iter().zip(events).any(|(f, e)| {
        f.is_none() && e.body.chain_id == st.genesis.chain_id && !pending.contains(&e.body.signer)
    }) && started.elapsed() < UNKNOWN_KEY_GRACE
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let now = crate::status::snapshot(&st.status).height;
        if now > height {
            height = now;
            found = lookup(st, events.iter().map(|e| e.body.signer).collect()).await?;
        }
    }
    Ok(events
        .iter()
        .zip(found)
        .map(|(event, found)| {
            let key = event.body.signer;
            match found {
                None if pending.contains(&key) => Ok(()),
                None => Err(forbidden(
                    "unknown_signer",
                    format!("key {key} is not an organisation key or a registered device"),
                )),
                Some((signer, org)) => refusal(event, &signer, org.as_ref()),
            }
        })
        .collect())
}

type Found = Option<(
    tradeledger_contracts::SignerRecord,
    Option<tradeledger_types::Organisation>,
)>;

/// The signer record and organisation of each key, from the committed state.
async fn lookup(st: &State, keys: Vec<PublicKey>) -> Result<Vec<Found>, ApiError> {
    Ok(st
        .store
        .blocking(move |s| {
            let view = OverlayState::new(s, Vec::new());
            let exec = |e: tradeledger_contracts::ExecError| {
                crate::storage::StorageError::Task(e.to_string())
            };
            let mut out = Vec::with_capacity(keys.len());
            for key in &keys {
                let found = match tradeledger_contracts::signer(&view, key).map_err(exec)? {
                    Some(signer) => {
                        let org = tradeledger_contracts::organisation(&view, &signer.org)
                            .map_err(exec)?;
                        Some((signer, org))
                    }
                    None => None,
                };
                out.push(found);
            }
            Ok(out)
        })
        .await?)
}

/// Refuses `event` when its signer may not write it.
pub async fn check(st: &State, pending: &PendingKeys, event: &SignedEvent) -> Result<(), ApiError> {
    check_all(st, pending, &[event])
        .await?
        .pop()
        .unwrap_or(Ok(()))
}

fn refusal(
    event: &SignedEvent,
    signer: &tradeledger_contracts::SignerRecord,
    org: Option<&tradeledger_types::Organisation>,
) -> Result<(), ApiError> {
    let kind = event.body.payload.kind();
    if let Some(d) = &signer.device
        && !d.kinds.contains(&kind)
    {
        return Err(forbidden(
            "device_kind_not_allowed",
            format!("device {} may not sign {}", d.device_id, kind.as_str()),
        ));
    }
    let (Some(org), Some((role, what))) = (org, required_role(&event.body.payload)) else {
        return Ok(());
    };
    if org.roles.contains(&role) {
        Ok(())
    } else {
        Err(forbidden(
            "role_not_allowed",
            format!(
                "{what} needs the {} role; {} does not hold it",
                role.as_str(),
                org.id
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradeledger_contracts::testkit::{self, Actor};
    use tradeledger_contracts::{BlockContext, MemStore, Status, execute, init_genesis};
    use tradeledger_types::{ClearanceDecision, Decision, InspectionOutcome, InspectionResult};

    fn samples() -> Vec<Payload> {
        let d = testkit::declaration("SHP-1");
        let inspection = |kind| {
            Payload::Inspection(InspectionResult {
                shipment_id: "SHP-1".into(),
                kind,
                outcome: InspectionOutcome::Pass,
                findings: Vec::new(),
                treatment: None,
                inspected_ms: testkit::T0_MS,
            })
        };
        vec![
            Payload::ShipmentDeclaration(d.clone()),
            Payload::CertificateOfOrigin(testkit::certificate(&d, "CO-1")),
            Payload::Custody(testkit::custody(
                "SHP-1",
                "shipping",
                "MXUPN",
                testkit::T0_MS,
                vec![testkit::pallet(1)],
            )),
            Payload::SensorReport(testkit::sensor_report(
                "SHP-1",
                testkit::series(testkit::T0_MS, 60_000, 3, 7_000),
            )),
            inspection(InspectionKind::Documentary),
            inspection(InspectionKind::Phytosanitary),
            Payload::Clearance(ClearanceDecision {
                shipment_id: "SHP-1".into(),
                decision: Decision::Release,
                reason: String::new(),
            }),
        ]
    }

    /// The admission matrix agrees with execution: for every fixture organisation and sample
    /// kind, admission refuses with `role_not_allowed` exactly when execution does.
    #[test]
    fn admission_refuses_a_role_exactly_when_execution_does() {
        for (org_id, _, _) in testkit::ORGS {
            let org = testkit::genesis()
                .organisations
                .into_iter()
                .find(|o| o.id == org_id)
                .expect("fixture organisation");
            for payload in samples() {
                let mut store = MemStore::new();
                init_genesis(&mut store, &testkit::genesis()).expect("genesis");
                let event = Actor::new(org_id).sign(payload.clone());
                let block = BlockContext {
                    height: 1,
                    block_time_ms: testkit::T0_MS,
                };
                let results = execute(&mut store, &block, &[event]).expect("execute");
                let executed = matches!(
                    &results.outcomes[0].status,
                    Status::Rejected(r) if r.code.as_str() == "role_not_allowed"
                );
                let admitted = required_role(&payload).is_none_or(|(r, _)| org.roles.contains(&r));
                assert_eq!(
                    !admitted,
                    executed,
                    "{org_id} signing {}: admission and execution disagree",
                    payload.kind().as_str()
                );
            }
        }
    }
}
