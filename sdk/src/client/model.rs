//! The JSON shapes of the node's answers that the client reads.

use super::ClientError;
use serde::{Deserialize, Serialize};
use tradeledger_types::{EventId, PublicKey};

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
    /// For a `pending` event: the earlier sequence number of its signer it waits for. For one
    /// `rejected` with `sequence_gap`: what it waited for until the node dropped it.
    #[serde(default)]
    pub waiting: Option<SequenceWait>,
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

    /// The rejection code: of the node's refusal (`status` `rejected`) or of the contracts
    /// (`status` `committed`, outcome `rejected`).
    pub fn reject_code(&self) -> Option<&str> {
        self.details.get("reject_code").and_then(|c| c.as_str())
    }
}

/// What an event waits for at the node: earlier sequence numbers of its signer that are
/// neither committed nor pending there (never sent, or refused at submission, which uses up no
/// number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceWait {
    /// The signer.
    pub signer: PublicKey,
    /// The event's own sequence number.
    pub seq: u64,
    /// The signer's last committed sequence number.
    pub committed_seq: u64,
    /// The sequence number the event waits for (the lowest missing one).
    pub waits_for_seq: u64,
    /// Missing sequence numbers below `seq`, lowest first (the node lists at most 16).
    #[serde(default)]
    pub missing_seqs: Vec<u64>,
    /// When the event started waiting (the node's clock, Unix ms).
    pub since_ms: u64,
    /// How long it has waited (or had, when dropped), ms.
    pub waited_ms: u64,
    /// How long the node lets an event wait before dropping it, ms.
    pub wait_max_ms: u64,
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
