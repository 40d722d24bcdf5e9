//! Writes the seed inputs of every target into `fuzz/corpus/<target>/` (named by content
//! hash, so running it twice adds nothing). Seeds come from the types crate's golden files, the
//! SDK's EPC vectors and EPCIS examples, the testnet's genesis and config, and canonical
//! messages built here. Run once before the first fuzzing session; `cargo fuzz cmin` then
//! keeps the ones that add coverage:
//!
//! ```text
//! cargo run -p tradeledger-fuzz --example seed_corpus
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use tradeledger_consensus::{
    ConsensusMessage, Proposal, SyncRequest, SyncResponse, TimeoutMessage,
};
use tradeledger_node::config::Config;
use tradeledger_node::mempool::EventBatch;
use tradeledger_node::network::{Request, Response, SyncedBlock};
use tradeledger_types::codec::{self, MESSAGE_BYTES_MAX};
use tradeledger_types::{
    Block, Bytes, Genesis, Hash32, QuorumCertificate, SecretKey, SignedEvent, Timeout,
    TimeoutCertificate, Vote, domain::sha256,
};

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let golden = root.join("types/tests/golden");
    let events = golden_events(&golden)?;
    let block: Block = golden_item(&golden, "block.txt", "cbor")?;
    let qc: QuorumCertificate = golden_item(&golden, "quorum_certificate.txt", "cbor")?;
    let vote: Vote = golden_item(&golden, "vote.txt", "cbor")?;
    let timeout: Timeout = golden_item(&golden, "timeout.txt", "cbor")?;
    let tc: TimeoutCertificate = golden_item(&golden, "timeout_certificate.txt", "cbor")?;
    let genesis: Genesis = golden_item(&golden, "genesis.txt", "cbor")?;

    let key = SecretKey::from_seed([2; 32]);
    let messages = vec![
        ConsensusMessage::Proposal(Box::new(Proposal::sign(block.clone(), &key))),
        ConsensusMessage::Vote(vote),
        ConsensusMessage::Timeout(Box::new(TimeoutMessage {
            timeout: timeout.clone(),
            last_tc: Some(tc),
        })),
        ConsensusMessage::Timeout(Box::new(TimeoutMessage {
            timeout,
            last_tc: None,
        })),
        ConsensusMessage::SyncRequest(SyncRequest {
            committed_height: 3,
            target: Hash32([7; 32]),
        }),
        ConsensusMessage::SyncResponse(Box::new(SyncResponse {
            blocks: vec![block.clone()],
            qc: Some(qc.clone()),
        })),
    ];
    for m in &messages {
        write(&root, "consensus_message", &m.encode())?;
    }

    let batch = EventBatch::encode(&events);
    write(&root, "event_batch", &batch.bytes)?;
    write(
        &root,
        "event_batch",
        &EventBatch::encode(&events[..1]).bytes,
    )?;
    write(&root, "event_batch", &EventBatch::encode(&[]).bytes)?;
    for e in &events {
        write(&root, "signed_event_cbor", &e.to_bytes())?;
        write(
            &root,
            "signed_event_json",
            serde_json::to_string_pretty(e)?.as_bytes(),
        )?;
    }

    let requests = vec![
        Request::Consensus(Bytes(messages[1].encode())),
        Request::Consensus(Bytes(messages[0].encode())),
        Request::Batch(Bytes(batch.bytes.clone())),
        Request::SyncBlocks { from: 1, limit: 64 },
        Request::Status,
    ];
    for r in &requests {
        write(
            &root,
            "network_frame",
            &[[0u8].as_slice(), &codec::to_canonical(r)].concat(),
        )?;
    }
    let synced = SyncedBlock {
        block: Bytes(block.to_bytes()),
        certificate: Bytes(codec::to_canonical(&qc)),
    };
    let responses = vec![
        Response::Ack,
        Response::Blocks(vec![synced]),
        Response::Status { height: 42 },
        Response::Refused("busy".into()),
    ];
    for r in &responses {
        write(
            &root,
            "network_frame",
            &[[1u8].as_slice(), &codec::to_canonical(r)].concat(),
        )?;
    }

    write(&root, "genesis_toml", genesis.to_toml().as_bytes())?;
    copy_matching(&root, "genesis_toml", &root.join("testnet"), "genesis.toml")?;
    write(&root, "node_config", Config::default().to_toml().as_bytes())?;
    for node in ["carrier", "customs"] {
        copy_matching(
            &root,
            "node_config",
            &root.join("testnet/nodes").join(node),
            "config.toml",
        )?;
    }

    for text in EPC_SEEDS {
        write(&root, "epc", text.as_bytes())?;
    }
    write(&root, "epc", &hex::decode("3074257BF7194E4000001A85")?)?;
    for dir in [
        "sdk/tests/data",
        "sdk/tests/data/gs1",
        "sdk/tests/data/malformed",
    ] {
        copy_matching(&root, "epcis_document", &root.join(dir), ".json")?;
        copy_matching(&root, "epcis_document", &root.join(dir), ".jsonld")?;
    }

    // Scripts for the consensus core: fixed pseudo-random bytes (libFuzzer grows them).
    let mut state = sha256(b"tradeledger-fuzz/consensus_handle");
    for len in [64usize, 256, 1024, 4096] {
        let mut bytes = Vec::with_capacity(len);
        while bytes.len() < len {
            state = sha256(&state.0);
            bytes.extend_from_slice(&state.0);
        }
        bytes.truncate(len);
        write(&root, "consensus_handle", &bytes)?;
    }
    Ok(())
}

const EPC_SEEDS: &[&str] = &[
    "3074257BF7194E4000001A85",
    "31AC16465751CCD0C2000000",
    "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
    "urn:epc:tag:sscc-96:5.023356789.30200002",
    "urn:epc:tag:grai-96:3.0614141.12345.5678",
    "urn:epc:tag:giai-96:1.0614141.5678",
    "urn:epc:id:sgtin:0614141.812345.6789",
    "urn:epc:id:sscc:023356789.30200002",
];

fn golden_line(path: &Path, key: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let text = fs::read_to_string(path)?;
    let prefix = format!("{key}: ");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|h| Ok(hex::decode(h.trim())?))
        .collect()
}

fn golden_item<T: serde::Serialize + serde::de::DeserializeOwned>(
    dir: &Path,
    file: &str,
    key: &str,
) -> anyhow::Result<T> {
    let bytes = golden_line(&dir.join(file), key)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("{file}: no {key} line"))?;
    Ok(codec::from_canonical(&bytes, MESSAGE_BYTES_MAX, "golden")?)
}

fn golden_events(dir: &Path) -> anyhow::Result<Vec<SignedEvent>> {
    let mut events = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    for f in files {
        for bytes in golden_line(&f, "signed_event_cbor")? {
            events.push(SignedEvent::decode(&bytes)?.0);
        }
    }
    Ok(events)
}

fn copy_matching(root: &Path, target: &str, dir: &Path, suffix: &str) -> anyhow::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_file() && name.ends_with(suffix) && !name.contains("Schema") {
            write(root, target, &fs::read(&path)?)?;
        }
    }
    Ok(())
}

fn write(root: &Path, target: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = root.join("fuzz/corpus").join(target);
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(sha256(bytes).to_hex()), bytes)?;
    Ok(())
}
