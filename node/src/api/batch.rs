//! `POST /v1/events/batch`: many signed events in one request.
//!
//! Feeds from RFID portals and reefer gateways arrive in bursts; one HTTP round trip per event
//! costs more than the event's signature check. A batch is admitted event by event (each gets
//! its own answer, in order), and its signatures are verified together.

use super::admission::{self, PendingKeys};
use super::error::ErrorBody;
use super::events::{is_cbor, refused, remember_rejection, status_of};
use super::openapi::CborBytes;
use super::{ApiError, State};
use crate::mempool::{EventBatch, Reject, Source};
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde::Serialize;
use std::sync::Arc;
use tradeledger_types::codec::EVENT_BYTES_MAX;
use tradeledger_types::{DecodeError, EventId, SignedEvent};

/// Most events in one batch request.
pub const BATCH_EVENTS_MAX: usize = 1_000;
/// The batch endpoint accepts bodies this many times the single-event body cap.
pub const BATCH_BODY_FACTOR: usize = 16;

/// What happened to one event of a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = BatchItem)]
pub struct ItemAnswer {
    /// The event id; absent when the item could not be decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<tradeledger_types::Hash32>)]
    pub id: Option<String>,
    /// What happened to the event.
    pub status: ItemStatus,
    /// Stable reason code (as `error` of the single endpoint's answer), for `known`,
    /// `rejected` and `unavailable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// What went wrong, naming the field or value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What happened to one event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Admitted to the mempool.
    Pending,
    /// Already pending or committed.
    Known,
    /// Will never be admitted as sent.
    Rejected,
    /// Try again later: mempool full, node busy.
    Unavailable,
}

/// The answer to a batch: one item per submitted event, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchAnswer {
    /// Events admitted by this request.
    pub accepted: usize,
    /// Per-event answers, in submission order.
    pub results: Vec<ItemAnswer>,
}

/// A mempool refusal as the API error the single endpoint would answer.
fn refusal_of(e: &Reject) -> ApiError {
    ApiError::new(status_of(e), e.code(), e.to_string())
}

fn answer_of(id: EventId, r: &Result<(), ApiError>) -> ItemAnswer {
    let hex = Some(id.to_hex());
    match r {
        Ok(()) => ItemAnswer {
            id: hex,
            status: ItemStatus::Pending,
            error: None,
            message: None,
        },
        Err(e) => {
            let status = match e.status {
                StatusCode::CONFLICT => ItemStatus::Known,
                StatusCode::SERVICE_UNAVAILABLE => ItemStatus::Unavailable,
                _ => ItemStatus::Rejected,
            };
            ItemAnswer {
                id: hex,
                status,
                error: Some(e.code),
                message: Some(e.message.clone()),
            }
        }
    }
}

fn decode(cbor: bool, body: &[u8]) -> Result<Vec<(SignedEvent, EventId, usize)>, ApiError> {
    let events: Vec<SignedEvent> = if cbor {
        let max = body.len().max(1);
        EventBatch::decode(body, max)
            .map_err(|e| {
                let message = format!("batch: {e}");
                ApiError::bad_request(Reject::Decode(e).code(), message)
            })?
            .into_iter()
            .map(|(e, _)| e)
            .collect()
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request("bad_json", format!("batch: {e}")))?
    };
    if events.is_empty() {
        return Err(ApiError::bad_request(
            "empty_batch",
            "batch: send at least one signed event",
        ));
    }
    if events.len() > BATCH_EVENTS_MAX {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            format!(
                "batch: {} events; at most {BATCH_EVENTS_MAX} per request",
                events.len()
            ),
        ));
    }
    Ok(events
        .into_iter()
        .map(crate::mempool::batch::sized)
        .collect())
}

/// A decoded item of a batch with its position.
type Item = (usize, (SignedEvent, EventId, usize));

/// Checks who may write each item (one state read) and admits the allowed ones together (their
/// signatures verified in one batch); answers keep the items' positions.
async fn admit_all(
    st: &State,
    pending: &PendingKeys,
    items: Vec<Item>,
) -> Result<Vec<(usize, (EventId, Result<(), ApiError>))>, ApiError> {
    let refs: Vec<&SignedEvent> = items.iter().map(|(_, (e, _, _))| e).collect();
    let checks = admission::check_all(st, pending, &refs).await?;
    let mut out = Vec::with_capacity(items.len());
    // What the mempool admits together: positions, ids and introduced keys alongside.
    let mut places = Vec::new();
    let mut batch = Vec::new();
    for ((i, (event, id, size)), check) in items.into_iter().zip(checks) {
        if event.body.chain_id == st.genesis.chain_id
            && let Err(e) = check
        {
            refused(st, id, &e);
            out.push((i, (id, Err(e))));
            continue;
        }
        if size > EVENT_BYTES_MAX {
            let r = Reject::Decode(DecodeError::Oversize {
                what: "signed event",
                len: size,
                max: EVENT_BYTES_MAX,
            });
            remember_rejection(st, id, &r);
            out.push((i, (id, Err(refusal_of(&r)))));
            continue;
        }
        let introduces = admission::introduced_key(&event.body.payload).map(|_| event.clone());
        places.push((i, id, introduces));
        batch.push((event, id, size));
    }
    // One storage call, one lock and one signature batch for the whole request.
    let answers = st.mempool.admit_batch(batch, Source::Local).await;
    for ((i, id, introduces), r) in places.into_iter().zip(answers) {
        match &r {
            Err(e) => remember_rejection(st, id, e),
            Ok(()) => {
                if let Some(e) = &introduces {
                    pending.note(&[e]);
                }
            }
        }
        out.push((i, (id, r.map_err(|e| refusal_of(&e)))));
    }
    Ok(out)
}

/// `POST /v1/events/batch`: a canonical CBOR array of signed events (`application/cbor`, the
/// same bytes validators exchange) or a JSON array of signed events. Answers 200 with one
/// result per event; a body that is not a batch at all gets a 4xx.
#[utoipa::path(
    post,
    path = "/v1/events/batch",
    operation_id = "submitEventBatch",
    tag = "events",
    request_body(
        description = "Signed events: a canonical CBOR array of `SignedEvent` (`application/cbor`, \
                       the bytes validators exchange) or a JSON array, at most 1,000 events and 16 \
                       times the single-event body limit.",
        content(
            (Vec<SignedEvent> = "application/json"),
            (CborBytes = "application/cbor"),
        ),
    ),
    responses(
        (status = 200, description = "One answer per event, in order.", body = BatchAnswer),
        (status = 400, description = "Not a batch of events (`bad_json`, `malformed`, \
            `non_canonical`, `empty_batch`, `bad_request`).", body = ErrorBody),
        (status = 413, description = "Body too large (`too_large`) or more than 1,000 events \
            (`too_many_events`).", body = ErrorBody),
        (status = 415, description = "Neither JSON nor CBOR (`unsupported_media_type`).", body = ErrorBody),
    )
)]
pub async fn submit(
    AxState(st): AxState<State>,
    Extension(pending): Extension<Arc<PendingKeys>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BatchAnswer>, ApiError> {
    let body = super::error::extracted(body)?;
    let events = decode(is_cbor(&headers)?, &body)?;
    // Events that bring a key onto the chain (device registrations, key rotations) go first, so
    // that later items signed by a key admitted that way pass the admission check (403 codes of
    // the single endpoint); a forged introduction lets nothing through.
    let (first, rest): (Vec<Item>, Vec<Item>) = events
        .into_iter()
        .enumerate()
        .partition(|(_, (e, _, _))| admission::introduced_key(&e.body.payload).is_some());
    let mut answers: Vec<Option<(EventId, Result<(), ApiError>)>> = Vec::new();
    answers.resize_with(first.len() + rest.len(), || None);
    for phase in [first, rest] {
        for (i, answer) in admit_all(&st, &pending, phase).await? {
            answers[i] = Some(answer);
        }
    }
    let mut accepted = 0;
    let results = answers
        .into_iter()
        .flatten()
        .map(|(id, r)| {
            accepted += usize::from(r.is_ok());
            answer_of(id, &r)
        })
        .collect();
    Ok(Json(BatchAnswer { accepted, results }))
}
