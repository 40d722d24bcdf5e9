//! The Byzantine validator's end of the wire: the node's protocol name with a codec that moves
//! raw frames, so the attacker can send what the node's own codec refuses to write (frames
//! announcing more bytes than the cap, bytes that are not canonical CBOR).

use async_trait::async_trait;
use futures::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::{StreamProtocol, Swarm, noise, tcp, yamux};
use std::io;
use std::time::Duration;
use tradeledger_node::network::protocol::{FRAME_BYTES_MAX, PROTOCOL};
use tradeledger_node::network::{Request, Response};
use tradeledger_types::{Bytes, codec};

/// Frames as they go on the wire: a request or response is written byte for byte (the
/// length prefix included, so it may lie); a read returns the body after the prefix.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

async fn read_body<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > FRAME_BYTES_MAX {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "oversize frame"));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn write_raw<T: AsyncWrite + Unpin + Send>(io: &mut T, bytes: &[u8]) -> io::Result<()> {
    io.write_all(bytes).await?;
    io.close().await
}

#[async_trait]
impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_body(io).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_body(io).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        r: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_raw(io, &r).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        r: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_raw(io, &r).await
    }
}

/// `bytes` behind an honest length prefix.
pub fn frame(bytes: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(bytes.len())
        .expect("test frames are small")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A well-formed frame carrying `request`.
pub fn request_frame(request: &Request) -> Vec<u8> {
    frame(&codec::to_canonical(request))
}

/// A well-formed frame carrying a consensus message's bytes.
pub fn consensus_frame(msg: &tradeledger_consensus::ConsensusMessage) -> Vec<u8> {
    request_frame(&Request::Consensus(Bytes(msg.encode())))
}

/// A well-formed frame carrying the node's `Ack`.
pub fn ack_frame() -> Vec<u8> {
    frame(&codec::to_canonical(&Response::Ack))
}

/// The attacker's swarm, listening on `listen`.
pub fn swarm(
    keypair: libp2p::identity::Keypair,
    listen: libp2p::Multiaddr,
) -> Swarm<request_response::Behaviour<RawCodec>> {
    let cfg = request_response::Config::default()
        .with_request_timeout(Duration::from_secs(5))
        .with_max_concurrent_streams(1024);
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .expect("tcp transport")
        .with_behaviour(|_| {
            request_response::Behaviour::with_codec(
                RawCodec,
                [(PROTOCOL, ProtocolSupport::Full)],
                cfg,
            )
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    swarm.listen_on(listen).expect("attacker listens");
    swarm
}
