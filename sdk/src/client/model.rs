//! The JSON shapes of the node's answers that the client reads.

use super::ClientError;
use serde::{Deserialize, Serialize};
use tradeledger_types::EventId;

/// The node's answer to a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitReceipt {
    /// The event id (SHA-256 of the posted bytes).
    pub id: EventId,
    /// `pending` for a new event; for a known one, its current status.
    pub status: String,
}

/// An event's status as the node reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventStatus {
    /// The event id.
    pub id: EventId,
    /// `pending`, `committed` or `rejected`.
    pub status: String,
    /// Height of the block holding it, once committed.
    #[serde(default)]
    pub height: Option<u64>,
    /// Everything else the node says (outcome, reason, flags, ...).
    #[serde(flatten)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl EventStatus {
    /// True once the event is in a committed block (applied or rejected by the contracts), or
    /// was refused for good.
    pub fn is_final(&self) -> bool {
        self.status == "committed" || self.status == "rejected"
    }
}

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// The chain id.
    pub chain_id: String,
    /// Height of the last committed block.
    pub height: u64,
    /// Everything else (round, validators, peers, sync state).
    #[serde(flatten)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct ApiError {
    error: String,
    message: String,
}

async fn check(url: &str, resp: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let code = status.as_u16();
    let text = resp.text().await.unwrap_or_default();
    if code == 404 {
        return Err(ClientError::NotFound {
            url: url.to_owned(),
        });
    }
    if code == 429 || status.is_server_error() {
        return Err(ClientError::Unavailable {
            url: url.to_owned(),
            status: code,
            message: text,
        });
    }
    let (code_str, message) = match serde_json::from_str::<ApiError>(&text) {
        Ok(e) => (e.error, e.message),
        Err(_) => ("http_error".to_owned(), text),
    };
    Err(ClientError::Rejected {
        url: url.to_owned(),
        status: code,
        code: code_str,
        message,
    })
}

pub(super) async fn json<T: serde::de::DeserializeOwned>(
    url: &str,
    resp: reqwest::Response,
) -> Result<T, ClientError> {
    let resp = check(url, resp).await?;
    let bytes = resp.bytes().await.map_err(|e| ClientError::Transport {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::BadResponse {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}

pub(super) async fn bytes(url: &str, resp: reqwest::Response) -> Result<Vec<u8>, ClientError> {
    let resp = check(url, resp).await?;
    let b = resp.bytes().await.map_err(|e| ClientError::Transport {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(b.to_vec())
}

pub(super) async fn receipt(
    url: &str,
    resp: reqwest::Response,
) -> Result<SubmitReceipt, ClientError> {
    json(url, resp).await
}
