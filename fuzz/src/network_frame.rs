//! The node-to-node protocol: [`FrameCodec`] reading a length-prefixed request or response
//! frame from a peer's stream, then the nested decoders the node runs on its parts (consensus
//! messages, event batches, synced blocks and their certificates).
//!
//! The first byte chooses request (even) or response (odd); the rest is the frame body, which
//! the target prefixes with its length as a peer would.

use futures::executor::block_on;
use futures::io::Cursor;
use libp2p::request_response::Codec as _;
use tradeledger_node::network::protocol::{FrameCodec, PROTOCOL};
use tradeledger_node::network::{Request, Response, SyncedBlock};
use tradeledger_types::codec::{self, MESSAGE_BYTES_MAX};
use tradeledger_types::{Block, QuorumCertificate};

/// A frame that decodes re-encodes through the codec to exactly the bytes read; its nested
/// parts satisfy their own targets' properties.
pub fn run(data: &[u8]) {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let Ok(len) = u32::try_from(body.len()) else {
        return;
    };
    let mut frame = len.to_be_bytes().to_vec();
    frame.extend_from_slice(body);
    if selector % 2 == 0 {
        request(&frame);
    } else {
        response(&frame);
    }
}

fn request(frame: &[u8]) {
    let mut codec = FrameCodec::default();
    let Ok(req) = block_on(codec.read_request(&PROTOCOL, &mut Cursor::new(frame))) else {
        return;
    };
    let mut out = Vec::new();
    block_on(codec.write_request(&PROTOCOL, &mut Cursor::new(&mut out), req.clone()))
        .expect("a decoded request re-encodes");
    assert_eq!(out, frame, "request decode→encode is not the identity");
    match &req {
        Request::Consensus(bytes) => crate::consensus_message::run(&bytes.0),
        Request::Batch(bytes) => crate::event_batch::run(&bytes.0),
        Request::SyncBlocks { .. } | Request::Status => {}
    }
}

fn response(frame: &[u8]) {
    let mut codec = FrameCodec::default();
    let Ok(res) = block_on(codec.read_response(&PROTOCOL, &mut Cursor::new(frame))) else {
        return;
    };
    let mut out = Vec::new();
    block_on(codec.write_response(&PROTOCOL, &mut Cursor::new(&mut out), res.clone()))
        .expect("a decoded response re-encodes");
    assert_eq!(out, frame, "response decode→encode is not the identity");
    if let Response::Blocks(blocks) = &res {
        blocks.iter().for_each(synced_block);
    }
}

/// What the node's sync task does with each block of a `Response::Blocks`.
fn synced_block(b: &SyncedBlock) {
    if let Ok(block) = Block::decode(&b.block.0) {
        assert_eq!(
            block.to_bytes(),
            b.block.0,
            "block decode→encode is not the identity"
        );
        let _ = block.events_match_header();
    }
    if let Ok(qc) = codec::from_canonical::<QuorumCertificate>(
        &b.certificate.0,
        MESSAGE_BYTES_MAX,
        "certificate",
    ) {
        assert_eq!(
            codec::to_canonical(&qc),
            b.certificate.0,
            "certificate decode→encode is not the identity"
        );
        let _ = qc.verify(crate::fixture::CHAIN_ID, crate::fixture::validators());
    }
}
