//! `POST /v1/events/batch`: many signed events in one request.
//!
//! Feeds from RFID portals and reefer gateways arrive in bursts; one HTTP round trip per event
//! costs more than the event's signature check. A batch is admitted event by event (each gets
//! its own answer, in order), and its signatures are verified together.

use super::events::{is_cbor, remember_rejection};
use super::{ApiError, State};
use crate::mempool::{EventBatch, Reject, Source};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use tradeledger_types::codec::EVENT_BYTES_MAX;
use tradeledger_types::{DecodeError, EventId, SignedEvent};

/// Most events in one batch request.
pub const BATCH_EVENTS_MAX: usize = 1_000;
/// The batch endpoint accepts bodies this many times the single-event body cap.
pub const BATCH_BODY_FACTOR: usize = 16;

/// What happened to one event of a batch.
#[derive(Debug, Serialize)]
pub struct ItemAnswer {
    /// The event id (hex); absent when the item could not be decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `pending` (admitted), `known` (already pending or committed), `rejected` (will never be
    /// admitted as sent) or `unavailable` (try again later: mempool full, node busy).
    pub status: &'static str,
    /// Stable reason code, for `rejected` and `unavailable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// What went wrong, naming the field or value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The answer to a batch: one item per submitted event, in order.
#[derive(Debug, Serialize)]
pub struct BatchAnswer {
    /// Events admitted by this request.
    pub accepted: usize,
    /// Per-event answers, in submission order.
    pub results: Vec<ItemAnswer>,
}

fn answer_of(id: EventId, r: &Result<(), Reject>) -> ItemAnswer {
    let hex = Some(id.to_hex());
    match r {
        Ok(()) => ItemAnswer {
            id: hex,
            status: "pending",
            error: None,
            message: None,
        },
        Err(e) => {
            let status = match e {
                Reject::Duplicate(_) | Reject::AlreadyCommitted(_) => "known",
                Reject::Full { .. } | Reject::Unavailable(_) => "unavailable",
                _ => "rejected",
            };
            ItemAnswer {
                id: hex,
                status,
                error: Some(e.code()),
                message: Some(e.to_string()),
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
        .map(|e| {
            let bytes = e.to_bytes();
            let id = tradeledger_types::domain::sha256(&bytes);
            (e, id, bytes.len())
        })
        .collect())
}

/// `POST /v1/events/batch`: a canonical CBOR array of signed events (`application/cbor`, the
/// same bytes validators exchange) or a JSON array of signed events. Answers 200 with one
/// result per event; a body that is not a batch at all gets a 4xx.
pub async fn submit(
    AxState(st): AxState<State>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BatchAnswer>, ApiError> {
    let body = super::error::extracted(body)?;
    let events = decode(is_cbor(&headers)?, &body)?;
    let admits = events.into_iter().map(|(event, id, size)| {
        let st = &st;
        async move {
            let r = if size > EVENT_BYTES_MAX {
                Err(Reject::Decode(DecodeError::Oversize {
                    what: "signed event",
                    len: size,
                    max: EVENT_BYTES_MAX,
                }))
            } else {
                st.mempool.admit(event, id, size, Source::Local).await
            };
            if let Err(e) = &r {
                remember_rejection(st, id, e);
            }
            (id, r)
        }
    });
    let mut accepted = 0;
    let results = futures::future::join_all(admits)
        .await
        .into_iter()
        .map(|(id, r)| {
            accepted += usize::from(r.is_ok());
            answer_of(id, &r)
        })
        .collect();
    Ok(Json(BatchAnswer { accepted, results }))
}
