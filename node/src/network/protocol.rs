//! The node-to-node protocol: one request-response protocol carrying consensus messages,
//! event batches and block sync, as canonical CBOR frames with a length prefix and a size cap.

use async_trait::async_trait;
use futures::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use libp2p::StreamProtocol;
use serde::{Deserialize, Serialize};
use std::io;
use tradeledger_types::{Bytes, codec};

/// The protocol name.
pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/tradeledger/1.0.0");
/// Largest frame accepted either way (a sync response of several blocks).
pub const FRAME_BYTES_MAX: usize = codec::MESSAGE_BYTES_MAX;

/// A request from one node to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// A consensus message (the consensus crate's canonical encoding). Validators only.
    Consensus(Bytes),
    /// A batch of signed events for the mempool ([`crate::mempool::EventBatch`]). Validators only.
    Batch(Bytes),
    /// Committed blocks from `from` on, at most `limit`, each with its certifying QC.
    SyncBlocks {
        /// First height wanted.
        from: u64,
        /// Most blocks wanted.
        limit: u32,
    },
    /// The peer's committed height.
    Status,
}

/// One committed block with the QC certifying it, both canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedBlock {
    /// Canonical block bytes.
    pub block: Bytes,
    /// Canonical QC bytes (votes on this block's hash).
    pub certificate: Bytes,
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// Received.
    Ack,
    /// Blocks in height order (possibly fewer than asked, empty at the tip).
    Blocks(Vec<SyncedBlock>),
    /// The peer's committed height.
    Status {
        /// Committed height.
        height: u64,
    },
    /// Not served, with the reason (`not_validator`, `busy`, `storage`).
    Refused(String),
}

/// Length-prefixed canonical CBOR. Frames refused on reading (too large, undecodable) are
/// counted in `metrics` by reason: libp2p reports a failed request read to no one.
#[derive(Debug, Clone, Default)]
pub struct FrameCodec {
    /// Where refused frames are counted (none in unit tests).
    pub metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
}

impl FrameCodec {
    /// Counts a read that failed on a refused frame, and passes the error on.
    fn counted<M>(&self, r: io::Result<M>) -> io::Result<M> {
        if let (Err(e), Some(m)) = (&r, &self.metrics)
            && let Some(fe) = FrameError::from_io(e)
        {
            m.p2p_dropped.inc(fe.drop_reason().label());
        }
        r
    }
}

/// Why an inbound frame was refused before any handler saw it. Carried inside the
/// `io::Error` the codec returns (kind `InvalidData`); [`FrameError::from_io`] reads it back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length prefix exceeds [`FRAME_BYTES_MAX`]; the body is not read.
    #[error("frame of {len} bytes exceeds {FRAME_BYTES_MAX}")]
    Oversize {
        /// The announced length.
        len: usize,
    },
    /// The body is not one canonical message.
    #[error("undecodable frame: {0}")]
    Undecodable(codec::DecodeError),
}

impl FrameError {
    /// The frame error inside an I/O error from the codec, if that is what failed.
    pub fn from_io(e: &io::Error) -> Option<&FrameError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<FrameError>())
    }

    /// Why, as a metrics reason.
    pub fn drop_reason(&self) -> crate::metrics::P2pDrop {
        match self {
            FrameError::Oversize { .. } => crate::metrics::P2pDrop::OversizeFrame,
            FrameError::Undecodable(_) => crate::metrics::P2pDrop::UndecodableFrame,
        }
    }
}

async fn read_frame<T: AsyncRead + Unpin + Send, M: Serialize + serde::de::DeserializeOwned>(
    io: &mut T,
) -> io::Result<M> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > FRAME_BYTES_MAX {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            FrameError::Oversize { len },
        ));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    codec::from_canonical(&buf, FRAME_BYTES_MAX, "frame")
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, FrameError::Undecodable(e)))
}

async fn write_frame<T: AsyncWrite + Unpin + Send, M: Serialize>(
    io: &mut T,
    msg: &M,
) -> io::Result<()> {
    let bytes = codec::to_canonical(msg);
    let len = u32::try_from(bytes.len())
        .ok()
        .filter(|l| *l as usize <= FRAME_BYTES_MAX)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(&bytes).await?;
    io.close().await
}

#[async_trait]
impl libp2p::request_response::Codec for FrameCodec {
    type Protocol = StreamProtocol;
    type Request = Request;
    type Response = Response;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Request>
    where
        T: AsyncRead + Unpin + Send,
    {
        let r = read_frame(io).await;
        self.counted(r)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response>
    where
        T: AsyncRead + Unpin + Send,
    {
        let r = read_frame(io).await;
        self.counted(r)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Request,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &req).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Response,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &res).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_reject_oversize() {
        futures::executor::block_on(async {
            let mut buf = Vec::new();
            let req = Request::SyncBlocks { from: 3, limit: 10 };
            write_frame(&mut futures::io::Cursor::new(&mut buf), &req)
                .await
                .expect("write");
            let back: Request = read_frame(&mut futures::io::Cursor::new(&buf))
                .await
                .expect("read");
            assert_eq!(back, req);
            let mut huge = (u32::MAX).to_be_bytes().to_vec();
            huge.extend_from_slice(&[0; 16]);
            let err = read_frame::<_, Request>(&mut futures::io::Cursor::new(&huge))
                .await
                .expect_err("oversize");
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert_eq!(
                FrameError::from_io(&err),
                Some(&FrameError::Oversize {
                    len: u32::MAX as usize
                })
            );
            let mut junk = 3u32.to_be_bytes().to_vec();
            junk.extend_from_slice(&[0xff, 0x00, 0x13]);
            let err = read_frame::<_, Request>(&mut futures::io::Cursor::new(&junk))
                .await
                .expect_err("undecodable");
            assert!(matches!(
                FrameError::from_io(&err),
                Some(FrameError::Undecodable(_))
            ));
        });
    }
}
