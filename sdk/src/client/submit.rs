//! The HTTP client as the spool's transport.
//!
//! [`BlockingClient`] implements [`Submit`]: a spooled record is posted as-is (its canonical
//! bytes, so its event id never changes), and the node's 409 ("already known") counts as
//! delivered. That is what keeps the spool's exactly-once-by-id promise over HTTP.
//! [`Client::deliver_spool`] is the same loop for async programs.

use super::{BlockingClient, Client, ClientError};
use crate::spool::{DeliverError, Spool, SpooledEvent, Submit};

impl Submit for BlockingClient {
    type Error = ClientError;

    fn submit(&mut self, event: &SpooledEvent) -> Result<(), ClientError> {
        self.submit_bytes(&event.bytes).map(|_| ())
    }
}

impl Submit for &BlockingClient {
    type Error = ClientError;

    fn submit(&mut self, event: &SpooledEvent) -> Result<(), ClientError> {
        self.submit_bytes(&event.bytes).map(|_| ())
    }
}

impl Client {
    /// Delivers every pending record of `spool` in order, persisting each acknowledgement
    /// before posting the next (the async twin of [`Spool::deliver`] with this client).
    /// Stops at the first failure, which stays first in the spool.
    pub async fn deliver_spool(
        &self,
        spool: &mut Spool,
    ) -> Result<usize, DeliverError<ClientError>> {
        let mut delivered = 0;
        while let Some(rec) = spool.peek()? {
            if let Err(error) = self.submit_bytes(&rec.bytes).await {
                return Err(DeliverError::Submit {
                    delivered,
                    index: rec.index,
                    error,
                });
            }
            spool.ack(rec.index)?;
            delivered += 1;
        }
        Ok(delivered)
    }
}
