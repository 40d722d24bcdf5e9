//! Posting pre-signed events to the testnet, moving on to the next node when one does not
//! answer (killed, restarting, overloaded). Re-posting is always safe: the node dedupes by id.

use std::time::{Duration, Instant};
use tradeledger_sdk::client::{BatchOutcome, Client, ClientError, Retry};
use tradeledger_types::SignedEvent;

/// The final answer to one posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// A node accepted the event or already knew it.
    Accepted,
    /// A node refused it for good (4xx other than 409), with its code.
    Refused(String),
    /// No node answered within the patience.
    Unanswered,
}

/// Clients for every node, each trying once (failover replaces the SDK's retry).
#[derive(Debug, Clone)]
pub struct Submitter {
    nodes: Vec<Client>,
}

impl Submitter {
    /// A submitter over the API URLs of the nodes.
    pub fn new(urls: &[String]) -> Result<Submitter, ClientError> {
        let once = Retry {
            attempts: 1,
            ..Retry::default()
        };
        let nodes = urls
            .iter()
            .map(|u| Client::new(u).map(|c| c.with_retry(once)))
            .collect::<Result<_, _>>()?;
        Ok(Submitter { nodes })
    }

    /// The client of node `i` (modulo the count).
    pub fn node(&self, i: usize) -> &Client {
        &self.nodes[i % self.nodes.len()]
    }

    /// Posts canonical event bytes to node `first`, then to the next nodes in turn while they
    /// fail transiently, for up to `patience`.
    pub async fn post(&self, first: usize, bytes: &[u8], patience: Duration) -> Posted {
        let deadline = Instant::now() + patience;
        let mut at = first;
        loop {
            match self.node(at).submit_bytes(bytes).await {
                Ok(_) => return Posted::Accepted,
                Err(ClientError::Rejected { code, .. }) => return Posted::Refused(code),
                Err(_) if Instant::now() < deadline => {
                    at += 1;
                    if at % self.nodes.len() == first % self.nodes.len() {
                        // Every node failed once: give them a moment.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                Err(_) => return Posted::Unanswered,
            }
        }
    }

    /// Posts `events` in one batch request to node `first`, then to the next nodes while they
    /// fail transiently, for up to `patience`; one answer per event, in order. Events the node
    /// could not take for now (mempool full) answer [`Posted::Unanswered`].
    pub async fn post_batch(
        &self,
        first: usize,
        events: &[SignedEvent],
        patience: Duration,
    ) -> Vec<Posted> {
        let deadline = Instant::now() + patience;
        let mut at = first;
        loop {
            match self.node(at).submit_batch(events).await {
                Ok(items) => {
                    return items
                        .into_iter()
                        .map(|i| match i.outcome {
                            BatchOutcome::Pending | BatchOutcome::Known => Posted::Accepted,
                            BatchOutcome::Rejected { code, .. } => Posted::Refused(code),
                            BatchOutcome::Unavailable { .. } => Posted::Unanswered,
                        })
                        .collect();
                }
                Err(ClientError::Rejected { code, .. }) => {
                    return vec![Posted::Refused(code); events.len()];
                }
                Err(_) if Instant::now() < deadline => {
                    at += 1;
                    if at % self.nodes.len() == first % self.nodes.len() {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                Err(_) => return vec![Posted::Unanswered; events.len()],
            }
        }
    }
}
