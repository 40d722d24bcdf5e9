//! HTTP client for a tradeledger node: submit signed events, follow them to commitment, read
//! shipments, blocks and proofs.
//!
//! [`Client`] is async (tokio); [`BlockingClient`] wraps it for programs without a runtime.
//! Submissions are idempotent: the node dedupes by event id, so re-posting the same signed
//! bytes after a timeout is always safe, and [`Client::submit`] retries transient failures
//! (connection errors, 5xx, 429) with capped exponential backoff.

mod batch;
mod blocking;
mod error;
mod model;
mod submit;

pub use batch::{BatchItem, BatchOutcome};
pub use blocking::BlockingClient;
pub use error::ClientError;
pub use model::{EventStatus, NodeStatus, SequenceWait, SubmitReceipt};

use std::time::Duration;
use tradeledger_types::{EventId, SignedEvent};

/// Retry policy for transient failures.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all (1 = no retry).
    pub attempts: u32,
    /// Delay before the first retry; doubles each time.
    pub backoff_initial: Duration,
    /// Cap on the delay between attempts.
    pub backoff_max: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 6,
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(3),
        }
    }
}

/// An async client for one node.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    retry: Retry,
}

impl Client {
    /// A client for the node at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(16)
            .build()
            .map_err(|e| ClientError::Transport {
                url: base_url.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Client {
            base: base_url.trim_end_matches('/').to_owned(),
            http,
            retry: Retry::default(),
        })
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, retry: Retry) -> Client {
        self.retry = retry;
        self
    }

    /// The node's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Posts a signed event (canonical CBOR), retrying transient failures. Returns once the
    /// node has accepted it into its mempool (or already knew it).
    pub async fn submit(&self, event: &SignedEvent) -> Result<SubmitReceipt, ClientError> {
        self.submit_bytes(&event.to_bytes()).await
    }

    /// Posts canonical signed-event bytes (as kept in the spool), retrying transient failures.
    pub async fn submit_bytes(&self, bytes: &[u8]) -> Result<SubmitReceipt, ClientError> {
        let url = self.url("/v1/events");
        let answer = self
            .post_cbor_retrying(&url, bytes, |resp| model::receipt(&url, resp))
            .await;
        match answer {
            // The node already holds (or has committed) an event with this id: the submission
            // is done, which is what makes re-submitting after a timeout safe.
            Err(ClientError::Rejected {
                status: 409, code, ..
            }) => Ok(SubmitReceipt {
                id: tradeledger_types::domain::sha256(bytes),
                status: code,
            }),
            other => other,
        }
    }

    /// POSTs `body` as CBOR to `url` and reads the answer with `read`, retrying transport
    /// failures, 5xx and 429 under the client's [`Retry`] policy.
    pub(crate) async fn post_cbor_retrying<T, F, Fut>(
        &self,
        url: &str,
        body: &[u8],
        read: F,
    ) -> Result<T, ClientError>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        let mut delay = self.retry.backoff_initial;
        let mut attempt = 1;
        loop {
            let sent = self
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/cbor")
                .body(body.to_vec())
                .send()
                .await;
            let result = match sent {
                Ok(resp) => read(resp).await,
                Err(e) => Err(ClientError::Transport {
                    url: url.to_owned(),
                    reason: e.to_string(),
                }),
            };
            match result {
                Err(e) if e.is_transient() && attempt < self.retry.attempts => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.retry.backoff_max);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The status of an event: pending, committed (with height, outcome and flags) or rejected.
    pub async fn event(&self, id: &EventId) -> Result<EventStatus, ClientError> {
        self.get_json(&format!("/v1/events/{id}")).await
    }

    /// Polls until the event is committed or rejected, or `timeout` passes.
    ///
    /// Fails with [`ClientError::SequenceGap`] when the node dropped the event after it waited
    /// too long for an earlier sequence number of its signer, and, when `timeout` passes while
    /// the event still waits for one, with [`ClientError::WaitingForSequence`] naming it
    /// (otherwise [`ClientError::Timeout`]).
    pub async fn wait_committed(
        &self,
        id: &EventId,
        timeout: Duration,
    ) -> Result<EventStatus, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        // Commits take tens of milliseconds: poll often at first, then back off gently.
        let mut delay = Duration::from_millis(10);
        let mut waiting: Option<SequenceWait> = None;
        loop {
            match self.event(id).await {
                Ok(s) if s.status == "rejected" && s.reject_code() == Some("sequence_gap") => {
                    return match s.waiting {
                        Some(w) => Err(ClientError::SequenceGap {
                            id: *id,
                            signer: w.signer,
                            missing_seq: w.waits_for_seq,
                            committed_seq: w.committed_seq,
                            waited_ms: w.waited_ms,
                        }),
                        None => Ok(s),
                    };
                }
                Ok(s) if s.is_final() => return Ok(s),
                Ok(s) => waiting = s.waiting,
                Err(ClientError::NotFound { .. }) => {}
                Err(e) if e.is_transient() => {}
                Err(e) => return Err(e),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(match waiting {
                    Some(w) => ClientError::WaitingForSequence {
                        id: *id,
                        signer: w.signer,
                        missing_seq: w.waits_for_seq,
                        committed_seq: w.committed_seq,
                        after: timeout,
                    },
                    None => ClientError::Timeout {
                        what: format!("event {id} to commit"),
                        after: timeout,
                    },
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 3 / 2).min(Duration::from_millis(100));
        }
    }

    /// `GET /v1/status`.
    pub async fn status(&self) -> Result<NodeStatus, ClientError> {
        self.get_json("/v1/status").await
    }

    /// `GET /v1/shipments/{id}` as JSON: record, lane, flags, verdicts, lane and flag history,
    /// and the first page of the timeline (`timeline_next` names the next page, if any; see
    /// [`Client::shipment_page`]).
    pub async fn shipment(&self, id: &str) -> Result<serde_json::Value, ClientError> {
        self.get_json(&format!("/v1/shipments/{id}")).await
    }

    /// `GET /v1/shipments/{id}?timeline_from=F&timeline_limit=L`: as [`Client::shipment`], with
    /// the timeline page of at most `limit` entries (the node caps it at 1000) from entry `from`.
    pub async fn shipment_page(
        &self,
        id: &str,
        from: u32,
        limit: u32,
    ) -> Result<serde_json::Value, ClientError> {
        self.get_json(&format!(
            "/v1/shipments/{id}?timeline_from={from}&timeline_limit={limit}"
        ))
        .await
    }

    /// `GET` of any API path, as JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, ClientError> {
        let url = self.url(path);
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| ClientError::Transport {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        model::json(&url, resp).await
    }

    /// `GET` of any API path, as bytes (for CBOR answers).
    pub async fn get_bytes(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        let url = self.url(path);
        let resp = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/cbor")
            .send()
            .await
            .map_err(|e| ClientError::Transport {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        model::bytes(&url, resp).await
    }

    /// Cuts (`blocked = true`) or restores the node's link to a peer (the node's admin API, for
    /// fault injection on test networks).
    pub async fn admin_peer_filter(&self, peer_id: &str, blocked: bool) -> Result<(), ClientError> {
        let url = self.url(if blocked {
            "/admin/peers/block"
        } else {
            "/admin/peers/unblock"
        });
        let resp = self
            .http
            .post(&url)
            .json(&serde_json::json!({"peers": [peer_id]}))
            .send()
            .await
            .map_err(|e| ClientError::Transport {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        model::json::<serde_json::Value>(&url, resp)
            .await
            .map(|_| ())
    }
}
