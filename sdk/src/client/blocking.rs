//! A blocking facade over [`Client`] for programs without an async runtime.

use super::{Client, ClientError, EventStatus, NodeStatus, SubmitReceipt};
use std::time::Duration;
use tradeledger_types::{EventId, SignedEvent};

/// A blocking client: each call runs on a private single-threaded tokio runtime.
#[derive(Debug)]
pub struct BlockingClient {
    inner: Client,
    rt: tokio::runtime::Runtime,
}

impl BlockingClient {
    /// A client for the node at `base_url`.
    pub fn new(base_url: &str) -> Result<BlockingClient, ClientError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError::Transport {
                url: base_url.to_owned(),
                reason: format!("cannot start a runtime: {e}"),
            })?;
        Ok(BlockingClient {
            inner: Client::new(base_url)?,
            rt,
        })
    }

    /// The same client with another retry policy (see [`Client::with_retry`]).
    pub fn with_retry(mut self, retry: super::Retry) -> BlockingClient {
        self.inner = self.inner.with_retry(retry);
        self
    }

    /// The async client inside.
    pub fn inner(&self) -> &Client {
        &self.inner
    }

    /// See [`Client::submit`].
    pub fn submit(&self, event: &SignedEvent) -> Result<SubmitReceipt, ClientError> {
        self.rt.block_on(self.inner.submit(event))
    }

    /// See [`Client::submit_bytes`].
    pub fn submit_bytes(&self, bytes: &[u8]) -> Result<SubmitReceipt, ClientError> {
        self.rt.block_on(self.inner.submit_bytes(bytes))
    }

    /// See [`Client::event`].
    pub fn event(&self, id: &EventId) -> Result<EventStatus, ClientError> {
        self.rt.block_on(self.inner.event(id))
    }

    /// See [`Client::wait_committed`].
    pub fn wait_committed(
        &self,
        id: &EventId,
        timeout: Duration,
    ) -> Result<EventStatus, ClientError> {
        self.rt.block_on(self.inner.wait_committed(id, timeout))
    }

    /// See [`Client::status`].
    pub fn status(&self) -> Result<NodeStatus, ClientError> {
        self.rt.block_on(self.inner.status())
    }

    /// See [`Client::shipment`].
    pub fn shipment(&self, id: &str) -> Result<serde_json::Value, ClientError> {
        self.rt.block_on(self.inner.shipment(id))
    }

    /// See [`Client::shipment_page`].
    pub fn shipment_page(
        &self,
        id: &str,
        from: u32,
        limit: u32,
    ) -> Result<serde_json::Value, ClientError> {
        self.rt.block_on(self.inner.shipment_page(id, from, limit))
    }

    /// See [`Client::get_json`].
    pub fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.rt.block_on(self.inner.get_json(path))
    }

    /// See [`Client::get_bytes`].
    pub fn get_bytes(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        self.rt.block_on(self.inner.get_bytes(path))
    }

    /// See [`Client::admin_peer_filter`].
    pub fn admin_peer_filter(&self, peer_id: &str, blocked: bool) -> Result<(), ClientError> {
        self.rt
            .block_on(self.inner.admin_peer_filter(peer_id, blocked))
    }
}
