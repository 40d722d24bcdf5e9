//! `POST /v1/events`, `GET /v1/events/{id}`, `GET /v1/proofs/events/{id}`.

use super::admission::PendingKeys;
use super::error::parse_hash;
use super::{ApiError, State};
use crate::mempool::{Reject, Source};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::PathRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::{Extension, Json};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tradeledger_contracts::{Derived, Status};
use tradeledger_types::codec::EVENT_BYTES_MAX;
use tradeledger_types::{Block, EventId, EventProof, PublicKey, SignedEvent, merkle};

pub(super) fn is_cbor(headers: &HeaderMap) -> Result<bool, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/cbor" | "application/octet-stream" => Ok(true),
        "application/json" | "" => Ok(false),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "content type {other:?}: send application/cbor (canonical bytes) or application/json"
            ),
        )),
    }
}

/// The HTTP status of a mempool refusal.
pub(super) fn status_of(r: &Reject) -> StatusCode {
    match r {
        Reject::Decode(tradeledger_types::DecodeError::Oversize { .. }) => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        Reject::Duplicate(_) | Reject::AlreadyCommitted(_) => StatusCode::CONFLICT,
        Reject::Full { .. } | Reject::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        // A retired key may no longer write: a permission refusal, like role_not_allowed.
        Reject::KeyRetired(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Answer to a submission.
#[derive(Debug, Serialize)]
pub struct Submitted {
    /// The event id (hex).
    pub id: String,
    /// Always `pending`.
    pub status: &'static str,
}

/// `POST /v1/events`: a signed event as canonical CBOR (`application/cbor`) or JSON.
pub async fn submit(
    AxState(st): AxState<State>,
    Extension(pending): Extension<Arc<PendingKeys>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let body = super::error::extracted(body)?;
    let decoded = if is_cbor(&headers)? {
        SignedEvent::decode(&body)
            .map(|(e, id)| (e, id, body.len()))
            .map_err(Reject::Decode)
    } else {
        serde_json::from_slice::<SignedEvent>(&body)
            .map_err(|e| Reject::Json(e.to_string()))
            .and_then(|e| {
                let bytes = e.to_bytes();
                if bytes.len() > EVENT_BYTES_MAX {
                    return Err(Reject::Decode(tradeledger_types::DecodeError::Oversize {
                        what: "signed event",
                        len: bytes.len(),
                        max: EVENT_BYTES_MAX,
                    }));
                }
                let id = tradeledger_types::domain::sha256(&bytes);
                Ok((e, id, bytes.len()))
            })
    };
    let (event, id, size) = match decoded {
        Ok(d) => d,
        Err(r) => {
            st.metrics.events_rejected.inc(r.code());
            return Err(ApiError::new(status_of(&r), r.code(), r.to_string()));
        }
    };
    if event.body.chain_id == st.genesis.chain_id
        && let Err(mut e) = super::admission::check(&st, &pending, &event).await
    {
        refused(&st, id, &e);
        e.id = Some(id.to_hex());
        return Err(e);
    }
    let noted = super::admission::introduced_key(&event.body.payload).map(|_| event.clone());
    match st.mempool.admit(event, id, size, Source::Local).await {
        Ok(()) => {
            if let Some(r) = &noted {
                pending.note(&[r]);
            }
            Ok((
                StatusCode::ACCEPTED,
                Json(Submitted {
                    id: id.to_hex(),
                    status: "pending",
                }),
            ))
        }
        Err(r) => {
            remember_rejection(&st, id, &r);
            let mut e = ApiError::new(status_of(&r), r.code(), r.to_string());
            e.id = Some(id.to_hex());
            Err(e)
        }
    }
}

/// Counts and remembers a refusal of the API's own checks (admission) for
/// `GET /v1/events/{id}`.
pub(super) fn refused(st: &State, id: tradeledger_types::EventId, e: &ApiError) {
    st.metrics.events_rejected.inc(e.code);
    st.rejections
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .add(id, e.code, e.message.clone());
}

/// Remembers a refusal for `GET /v1/events/{id}`, unless the event is known or may be
/// admitted later (duplicate, committed, mempool full, node busy).
pub(super) fn remember_rejection(st: &State, id: tradeledger_types::EventId, r: &Reject) {
    if !matches!(
        r,
        Reject::Duplicate(_)
            | Reject::AlreadyCommitted(_)
            | Reject::Full { .. }
            | Reject::Unavailable(_)
    ) {
        st.rejections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .add(id, r.code(), r.to_string());
    }
}

fn outcome_json(outcome: &tradeledger_contracts::EventOutcome) -> Value {
    let (applied, code, detail) = match &outcome.status {
        Status::Applied => ("applied", None, None),
        Status::Rejected(r) => ("rejected", Some(r.code.as_str()), Some(r.detail.clone())),
    };
    let flags: Vec<&tradeledger_contracts::Flag> = outcome
        .records
        .iter()
        .filter_map(|r| match r {
            Derived::Flag { flag, .. } => Some(flag),
            _ => None,
        })
        .collect();
    json!({
        "outcome": applied,
        "reject_code": code,
        "reason": detail,
        "flags": flags,
        "records": outcome.records,
    })
}

/// `GET /v1/events/{id}` of an event this node holds but has not committed.
#[derive(Debug, Serialize)]
pub struct PendingAnswer {
    /// The event id.
    pub id: EventId,
    /// Always `pending`.
    pub status: &'static str,
    /// Present when the event cannot be proposed yet: it waits for an earlier sequence number
    /// of its signer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<WaitingAnswer>,
}

/// `GET /v1/events/{id}` of an event refused at admission, or dropped after waiting behind a
/// sequence gap. It used up no sequence number.
#[derive(Debug, Serialize)]
pub struct RejectedAnswer {
    /// The event id.
    pub id: EventId,
    /// Always `rejected`.
    pub status: &'static str,
    /// Stable code (`invalid_payload`, `role_not_allowed`, `sequence_gap`, ...).
    pub reject_code: &'static str,
    /// What went wrong.
    pub reason: String,
    /// For `sequence_gap`: what the event waited for, and how long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<WaitingAnswer>,
}

/// What an event waits for: earlier sequence numbers of its signer that are neither committed
/// nor pending at this node (never sent, or refused at submission).
#[derive(Debug, Serialize)]
pub struct WaitingAnswer {
    /// The signer.
    pub signer: PublicKey,
    /// The event's own sequence number.
    pub seq: u64,
    /// The signer's last committed sequence number.
    pub committed_seq: u64,
    /// The sequence number the event waits for (the lowest missing one).
    pub waits_for_seq: u64,
    /// Missing sequence numbers below `seq`, lowest first (at most 16).
    pub missing_seqs: Vec<u64>,
    /// When the event started waiting (this node's clock, Unix ms).
    pub since_ms: u64,
    /// How long it has waited (or had, when dropped), ms.
    pub waited_ms: u64,
    /// How long this node lets an event wait before dropping it (`mempool_gap_wait_s`), ms.
    pub wait_max_ms: u64,
}

impl WaitingAnswer {
    fn new(w: crate::mempool::Waiting, waited_ms: u64, wait_max_ms: u64) -> WaitingAnswer {
        WaitingAnswer {
            signer: w.signer,
            seq: w.seq,
            committed_seq: w.committed_seq,
            waits_for_seq: w.waits_for_seq(),
            missing_seqs: w.missing,
            since_ms: w.since_ms,
            waited_ms,
            wait_max_ms,
        }
    }
}

/// `GET /v1/events/{id}`: pending (with what it waits for, if anything), committed (with
/// height, outcome, flags) or rejected.
pub async fn get_event(
    AxState(st): AxState<State>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = super::error::extracted(path)?;
    let id = parse_hash("event id", &id)?;
    if let Some((event, record)) = st.store.blocking(move |s| s.event(&id)).await? {
        let mut v = json!({
            "id": id,
            "status": "committed",
            "height": record.height,
            "index": record.index,
            "block_hash": record.block_hash,
            "event": event,
        });
        if let (Value::Object(m), Value::Object(o)) = (&mut v, outcome_json(&record.outcome)) {
            m.extend(o);
        }
        return Ok(Json(v).into_response());
    }
    let wait_max_ms = st.mempool.gap_wait_ms();
    // One lock: pending, and if so whether it waits.
    let pending = {
        let pool = st.mempool.lock();
        pool.contains(&id).then(|| pool.waiting(&id))
    };
    if let Some(waiting) = pending {
        let now_ms = crate::time::now_ms();
        let waiting = waiting.map(|w| {
            let waited_ms = now_ms.saturating_sub(w.since_ms);
            WaitingAnswer::new(w, waited_ms, wait_max_ms)
        });
        return Ok(Json(PendingAnswer {
            id,
            status: "pending",
            waiting,
        })
        .into_response());
    }
    let rejected = st
        .rejections
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&id);
    match rejected {
        Some(r) => Ok(Json(RejectedAnswer {
            id,
            status: "rejected",
            reject_code: r.code,
            reason: r.message,
            waiting: r
                .gap
                .map(|g| WaitingAnswer::new(g.waiting, g.waited_ms, wait_max_ms)),
        })
        .into_response()),
        None => Err(ApiError::not_found(format!(
            "event {id} is not pending, committed or recently rejected"
        ))),
    }
}

/// `GET /v1/proofs/events/{id}`: the event's inclusion proof in its block's `events_root`, the
/// header, the QC certifying it, and the outcome's inclusion proof in the block's results root
/// (which the header at `height + 1` carries). `?format=cbor` (or `Accept: application/cbor`)
/// gives the canonical [`EventProof`] instead, which `tradeledger audit check-proof` verifies.
pub async fn proof(
    AxState(st): AxState<State>,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<ProofQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path(id) = super::error::extracted(path)?;
    let Query(q) = super::error::extracted(q)?;
    let cbor_wanted = match q.format.as_deref() {
        Some("cbor") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_format",
                format!("format {other:?}: use json or cbor"),
            ));
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/cbor")),
    };
    let id = parse_hash("event id", &id)?;
    let found = st
        .store
        .blocking(move |s| {
            let Some((_, record)) = s.event(&id)? else {
                return Ok(None);
            };
            let block: Option<Block> = s.block(record.height)?;
            let cert = s.certificate(record.height)?;
            let next_header = s.block(record.height + 1)?.map(|b| b.header);
            let mut outcomes = Vec::new();
            if let Some(b) = &block {
                for eid in b.event_ids() {
                    if let Some((_, r)) = s.event(&eid)? {
                        outcomes.push(r.outcome);
                    }
                }
            }
            Ok(Some((record, block, cert, next_header, outcomes)))
        })
        .await?;
    let Some((record, Some(block), Some(cert), next_header, outcomes)) = found else {
        return Err(ApiError::not_found(format!("event {id} is not committed")));
    };
    let ids = block.event_ids();
    let index = record.index as usize;
    let event_proof =
        merkle::prove(&ids, index).ok_or_else(|| ApiError::internal("event index out of range"))?;
    let leaves: Vec<Vec<u8>> = outcomes
        .iter()
        .map(tradeledger_contracts::EventOutcome::result_leaf)
        .collect();
    let result_proof = (leaves.len() == ids.len())
        .then(|| merkle::prove(&leaves, index))
        .flatten();
    if cbor_wanted {
        let event = block
            .events
            .get(index)
            .cloned()
            .ok_or_else(|| ApiError::internal("event index out of range"))?;
        let proof = EventProof {
            event,
            inclusion: event_proof,
            header: block.header,
            certificate: cert,
        };
        return Ok((
            [(header::CONTENT_TYPE, "application/cbor")],
            proof.to_bytes(),
        )
            .into_response());
    }
    Ok(Json(json!({
        "event_id": id,
        "event": block.events.get(index),
        "height": record.height,
        "index": record.index,
        "block_hash": block.hash(),
        "header": block.header,
        "events_root_proof": event_proof,
        "certificate": cert,
        "outcome": record.outcome,
        "results_root_proof": result_proof,
        "results_header": next_header,
    }))
    .into_response())
}

/// Query of the proof endpoint.
#[derive(Debug, serde::Deserialize)]
pub struct ProofQuery {
    /// `cbor` for the canonical `EventProof` (event, inclusion, header, certificate).
    pub format: Option<String>,
}
