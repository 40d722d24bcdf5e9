//! `POST /v1/events`, `GET /v1/events/{id}`, `GET /v1/proofs/events/{id}`.

use super::admission::PendingKeys;
use super::error::ErrorBody;
use super::error::parse_hash;
use super::event_answer::{
    CommittedEvent, EventAnswer, PendingEvent, RejectedEvent, WaitingAnswer,
};
use super::openapi::CborBytes;
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
use std::sync::Arc;
use tradeledger_contracts::EventOutcome;
use tradeledger_types::codec::EVENT_BYTES_MAX;
use tradeledger_types::{
    Block, BlockHeader, EventId, EventProof, Hash32, InclusionProof, QuorumCertificate,
    SignedEvent, merkle,
};

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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Submitted {
    /// The event id.
    #[schema(value_type = Hash32)]
    pub id: String,
    /// Always `pending`: admitted to the mempool; follow it with `GET /v1/events/{id}`.
    pub status: SubmittedStatus,
}

/// The state of an event just admitted.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmittedStatus {
    /// In the mempool.
    Pending,
}

/// `POST /v1/events`: a signed event as canonical CBOR (`application/cbor`) or JSON.
#[utoipa::path(
    post,
    path = "/v1/events",
    operation_id = "submitEvent",
    tag = "events",
    request_body(
        description = "One signed event: canonical CBOR of `SignedEvent` (`application/cbor`, at \
                       most 65536 bytes; `application/octet-stream` is read the same) or its JSON.",
        content(
            (SignedEvent = "application/json"),
            (CborBytes = "application/cbor"),
        ),
    ),
    responses(
        (status = 202, description = "Admitted to the mempool.", body = Submitted),
        (status = 400, description = "Malformed, non-canonical, invalid or badly signed event, or one \
            the contracts would refuse (`error` says which).", body = ErrorBody),
        (status = 403, description = "The signer may not write this event (`role_not_allowed`, \
            `device_kind_not_allowed`, `device_revoked`, `key_revoked`).", body = ErrorBody),
        (status = 409, description = "Already pending or committed (`duplicate`, `already_committed`).", body = ErrorBody),
        (status = 413, description = "Body too large (`too_large`).", body = ErrorBody),
        (status = 415, description = "Neither JSON nor CBOR (`unsupported_media_type`).", body = ErrorBody),
        (status = 503, description = "Mempool full or node busy: try again later (`mempool_full`, \
            `unavailable`).", body = ErrorBody),
    )
)]
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
                    status: SubmittedStatus::Pending,
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

/// `GET /v1/events/{id}`: pending (with what it waits for, if anything), committed (with
/// height, outcome, flags) or rejected.
#[utoipa::path(
    get,
    path = "/v1/events/{id}",
    operation_id = "getEvent",
    tag = "events",
    params(("id" = Hash32, Path, description = "The event id (64 lowercase hex characters).")),
    responses(
        (status = 200, description = "Where the event stands.", body = EventAnswer),
        (status = 400, description = "The id is not 64 hex characters (`bad_id`).", body = ErrorBody),
        (status = 404, description = "The event is not pending, committed or recently rejected (`not_found`).", body = ErrorBody),
    )
)]
pub async fn get_event(
    AxState(st): AxState<State>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<EventAnswer>, ApiError> {
    let Path(id) = super::error::extracted(path)?;
    let id = parse_hash("event id", &id)?;
    if let Some((event, record)) = st.store.blocking(move |s| s.event(&id)).await? {
        return Ok(Json(EventAnswer::Committed(Box::new(CommittedEvent::new(
            id,
            record.height,
            record.index,
            record.block_hash,
            event,
            record.outcome,
        )))));
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
        return Ok(Json(EventAnswer::Pending(PendingEvent { id, waiting })));
    }
    let rejected = st
        .rejections
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&id);
    match rejected {
        Some(r) => Ok(Json(EventAnswer::Rejected(RejectedEvent {
            id,
            reject_code: r.code,
            reason: r.message,
            waiting: r
                .gap
                .map(|g| WaitingAnswer::new(g.waiting, g.waited_ms, wait_max_ms)),
        }))),
        None => Err(ApiError::not_found(format!(
            "event {id} is not pending, committed or recently rejected"
        ))),
    }
}

/// `GET /v1/proofs/events/{id}`: the event's inclusion proof in its block's `events_root`, the
/// header, the QC certifying it, and the outcome's inclusion proof in the block's results root
/// (which the header at `height + 1` carries). `?format=cbor` (or `Accept: application/cbor`)
/// gives the canonical [`EventProof`] instead, which `tradeledger audit check-proof` verifies.
#[utoipa::path(
    get,
    path = "/v1/proofs/events/{id}",
    operation_id = "getEventProof",
    tag = "events",
    params(
        ("id" = Hash32, Path, description = "The event id (64 lowercase hex characters)."),
        ProofQuery,
    ),
    responses(
        (status = 200, description = "The proof: JSON, or with `format=cbor` (or `Accept: \
            application/cbor`) the canonical CBOR of `EventProof` (event, inclusion, header, \
            certificate) that `tradeledger audit check-proof` verifies.",
            content((ProofAnswer = "application/json"), (CborBytes = "application/cbor"))),
        (status = 400, description = "Bad id (`bad_id`) or format (`bad_format`).", body = ErrorBody),
        (status = 404, description = "The event is not committed (`not_found`).", body = ErrorBody),
    )
)]
pub async fn proof(
    AxState(st): AxState<State>,
    path: Result<Path<String>, PathRejection>,
    q: Result<Query<ProofQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path(id) = super::error::extracted(path)?;
    let Query(q) = super::error::extracted(q)?;
    let cbor_wanted = super::blocks::wants_cbor(q.format.as_deref(), &headers)?;
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
    let event = block
        .events
        .get(index)
        .cloned()
        .ok_or_else(|| ApiError::internal("event index out of range"))?;
    if cbor_wanted {
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
    Ok(Json(ProofAnswer {
        event_id: id,
        event,
        height: record.height,
        index: record.index,
        block_hash: block.hash(),
        header: block.header,
        events_root_proof: event_proof,
        certificate: cert,
        outcome: record.outcome,
        results_root_proof: result_proof,
        results_header: next_header,
    })
    .into_response())
}

/// The JSON answer of `GET /v1/proofs/events/{id}`: everything needed to check that the event
/// and its outcome are on the chain, from the validators' keys alone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProofAnswer {
    /// The event id.
    #[schema(value_type = Hash32)]
    pub event_id: EventId,
    /// The event as signed (its canonical CBOR hashes to `event_id`).
    pub event: SignedEvent,
    /// Height of the block that holds it.
    pub height: u64,
    /// Its position in the block (0-based).
    pub index: u32,
    /// Hash of the block (of `header`).
    pub block_hash: Hash32,
    /// The block's header, whose `events_root` the inclusion proof leads to.
    pub header: BlockHeader,
    /// Inclusion of `event_id` in `header.events_root`.
    pub events_root_proof: InclusionProof,
    /// The quorum certificate on `block_hash`.
    pub certificate: QuorumCertificate,
    /// The event's outcome (a leaf of the block's results root).
    pub outcome: EventOutcome,
    /// Inclusion of the outcome in the results root that `results_header` carries; null until
    /// every outcome of the block is known.
    #[schema(required = true)]
    pub results_root_proof: Option<InclusionProof>,
    /// The header at `height + 1`, which carries the block's results root; null until that
    /// block is committed.
    #[schema(required = true)]
    pub results_header: Option<BlockHeader>,
}

/// Query of the proof endpoint.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// `cbor` for the canonical `EventProof` (event, inclusion, header, certificate) as
    /// `application/cbor`; `json` (the default, unless `Accept` asks for `application/cbor`)
    /// for the JSON answer.
    #[param(value_type = Option<super::blocks::Format>)]
    pub format: Option<String>,
}
