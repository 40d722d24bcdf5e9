//! Submitting many events in one request (`POST /v1/events/batch`).

use super::{Client, ClientError, model};
use serde::Deserialize;
use tradeledger_types::{EventId, Hash32, SignedEvent, codec};

/// What the node did with one event of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Admitted to the mempool: it will be proposed.
    Pending,
    /// Already pending or committed (a resubmission): nothing more to do.
    Known,
    /// Refused for good as sent (bad signature, wrong chain, not permitted, ...).
    Rejected {
        /// Stable reason code.
        code: String,
        /// What went wrong.
        message: String,
    },
    /// Not admitted for now (mempool full, node busy): submit it again later.
    Unavailable {
        /// Stable reason code.
        code: String,
        /// What went wrong.
        message: String,
    },
}

/// One event's answer, in submission order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    /// The event id.
    pub id: EventId,
    /// What happened to it.
    pub outcome: BatchOutcome,
}

#[derive(Deserialize)]
struct Answer {
    results: Vec<ItemAnswer>,
}

#[derive(Deserialize)]
struct ItemAnswer {
    id: Option<String>,
    status: String,
    error: Option<String>,
    message: Option<String>,
}

impl Client {
    /// Posts `events` in one request (at most the node's batch limit, 1 000) and returns one
    /// answer per event, in order. Transport failures, 5xx and 429 are retried like
    /// [`Client::submit`]; resubmitting a batch is safe (events already admitted answer
    /// [`BatchOutcome::Known`]).
    pub async fn submit_batch(
        &self,
        events: &[SignedEvent],
    ) -> Result<Vec<BatchItem>, ClientError> {
        let body = codec::to_canonical(events);
        let url = self.url("/v1/events/batch");
        let answer = self
            .post_cbor_retrying(&url, &body, |resp| model::json::<Answer>(&url, resp))
            .await?;
        items(&url, events, answer)
    }
}

fn items(url: &str, events: &[SignedEvent], answer: Answer) -> Result<Vec<BatchItem>, ClientError> {
    let malformed = |reason: String| ClientError::BadResponse {
        url: url.to_owned(),
        reason: format!("batch: {reason}"),
    };
    if answer.results.len() != events.len() {
        return Err(malformed(format!(
            "{} results for {} events",
            answer.results.len(),
            events.len()
        )));
    }
    events
        .iter()
        .zip(answer.results)
        .map(|(event, item)| {
            let id = event.id();
            if let Some(hex) = &item.id
                && Hash32::from_hex(hex).ok() != Some(id)
            {
                return Err(malformed(format!("result id {hex} is not event {id}")));
            }
            let code = item.error.unwrap_or_default();
            let message = item.message.unwrap_or_default();
            let outcome = match item.status.as_str() {
                "pending" => BatchOutcome::Pending,
                "known" => BatchOutcome::Known,
                "rejected" => BatchOutcome::Rejected { code, message },
                "unavailable" => BatchOutcome::Unavailable { code, message },
                other => return Err(malformed(format!("status {other:?}"))),
            };
            Ok(BatchItem { id, outcome })
        })
        .collect()
}
