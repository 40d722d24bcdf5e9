//! `run`: the bridge loop, and the outbox (client + spool + sequence file) it shares with
//! `epcis import`.

use crate::cli::{NodeArgs, RunArgs};
use crate::inputs::{self, Input};
use anyhow::Context as _;
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};
use tradeledger_sdk::bridge::{Mapper, parse_message};
use tradeledger_sdk::client::{BlockingClient, Retry};
use tradeledger_sdk::delivery::{Backoff, Delivery, DrainReport};
use tradeledger_sdk::recorder::RecorderConfig;
use tradeledger_sdk::signer::{SeqFile, Signer};
use tradeledger_types::SignedEvent;

/// Signed events on their way to the node: spooled first, delivered in order.
pub struct Outbox {
    delivery: Delivery<BlockingClient>,
    seq: SeqFile,
    /// The last attempt found the node unreachable (logged once per outage).
    offline: bool,
    /// Records delivered (accepted or already known) since this outbox opened.
    pub delivered: usize,
    /// Records the node refused for good since this outbox opened.
    pub rejected: usize,
}

impl Outbox {
    /// Opens the spool, restores the key's signer from it and its sequence file.
    pub fn open(args: &NodeArgs) -> anyhow::Result<(Outbox, Signer)> {
        let node = args.node.as_deref().context("--node is required")?;
        let key_path = args.key.as_deref().context("--key is required")?;
        let spool = args.spool.as_deref().context("--spool is required")?;
        let key = crate::keyfile::read(key_path)?;
        // One attempt per post: the delivery's own backoff paces retries, so a message
        // arriving while the node is down is spooled at once instead of waiting on retries.
        let client = BlockingClient::new(node)?.with_retry(Retry {
            attempts: 1,
            ..Retry::default()
        });
        let chain_id = match &args.chain_id {
            Some(c) => c.clone(),
            None => {
                client
                    .status()
                    .context("--chain-id not given and the node's status is unavailable")?
                    .chain_id
            }
        };
        let mut delivery = Delivery::open(spool, client)?.with_backoff(Backoff {
            initial: Duration::from_millis(200).min(Duration::from_millis(args.max_backoff_ms)),
            max: Duration::from_millis(args.max_backoff_ms),
        });
        let seq = SeqFile::new(spool.join(format!("seq-{}", &key.public().to_string()[..16])));
        let signer = delivery.spool_mut().restore_signer(key, chain_id, &seq)?;
        Ok((
            Outbox {
                delivery,
                seq,
                offline: false,
                delivered: 0,
                rejected: 0,
            },
            signer,
        ))
    }

    /// Spools `event` (durably), stores the signer's next sequence number, and delivers what
    /// is due.
    pub fn send(&mut self, event: &SignedEvent, next_seq: u64) -> anyhow::Result<DrainReport> {
        let report = self.delivery.send(event)?;
        self.seq.store(next_seq)?;
        self.log(&report);
        Ok(report)
    }

    /// Delivers what is due (after a backoff).
    pub fn tick(&mut self) -> anyhow::Result<()> {
        if self.delivery.pending() > 0 && self.delivery.is_due() {
            let report = self.delivery.drain()?;
            self.log(&report);
        }
        Ok(())
    }

    /// How long until the next delivery attempt is due, if records are waiting.
    pub fn wait(&self) -> Option<Duration> {
        (self.delivery.pending() > 0).then(|| {
            self.delivery.next_attempt().map_or(Duration::ZERO, |t| {
                t.saturating_duration_since(Instant::now())
            })
        })
    }

    /// Keeps delivering for at most `within`; returns what is left.
    pub fn finish(&mut self, within: Duration) -> anyhow::Result<DrainReport> {
        let report = self.delivery.drain_blocking(within)?;
        self.log(&report);
        Ok(report)
    }
}

impl Outbox {
    fn log(&mut self, r: &DrainReport) {
        self.delivered += r.delivered;
        self.rejected += r.rejected.len();
        for rej in &r.rejected {
            eprintln!(
                "rejected by the node, set aside in rejected.jsonl: record {} event {}: {}",
                rej.index, rej.id, rej.reason
            );
        }
        if r.delivered > 0 {
            eprintln!("delivered {} (pending {})", r.delivered, r.pending);
        }
        match &r.offline {
            Some(why) if !self.offline => {
                eprintln!("node unreachable, spooling (pending {}): {why}", r.pending);
            }
            None if self.offline && r.delivered > 0 => eprintln!("node reachable again"),
            _ => {}
        }
        self.offline = r.offline.is_some() || (self.offline && r.delivered == 0);
    }
}

/// Counters printed at exit.
#[derive(Debug, Default)]
struct Stats {
    messages: u64,
    bad: u64,
    events: u64,
}

pub fn main(args: RunArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.mqtt.is_some() || args.stdin,
        "nothing to read: give --mqtt HOST:PORT --topic T, or --stdin"
    );
    let (mut outbox, signer) = Outbox::open(&args.node)?;
    eprintln!(
        "bridge: signer {} next seq {}, {} spooled",
        signer.public(),
        signer.next_seq(),
        outbox.delivery.pending()
    );
    let config = RecorderConfig {
        readings_per_report: args.readings_per_report.max(1),
        window_ms: args.window_secs.saturating_mul(1000),
        ..RecorderConfig::default()
    };
    let mut mapper = Mapper::new(signer, config)?;
    let (tx, rx) = sync_channel::<Input>(1024);
    let mut sources = 0;
    if let Some(broker) = &args.mqtt {
        inputs::mqtt(broker, &args.client_id, args.topics.clone(), tx.clone())?;
        sources += 1;
    }
    if args.stdin {
        inputs::stdin(tx.clone());
        sources += 1;
    }
    inputs::signals(tx);
    // Deliver whatever an earlier run left in the spool.
    outbox.tick()?;
    let mut stats = Stats::default();
    while sources > 0 {
        let timeout = outbox.wait().unwrap_or(Duration::from_secs(3600));
        match rx.recv_timeout(timeout) {
            Ok(Input::Message { source, bytes }) => {
                stats.messages += 1;
                let events = parse_message(&bytes).and_then(|m| mapper.handle(&m));
                match events {
                    Ok(events) => {
                        for event in events {
                            stats.events += 1;
                            eprintln!("event {} seq {} from {source}", event.id(), event.body.seq);
                            outbox.send(&event, mapper.signer().next_seq())?;
                        }
                    }
                    Err(e) => {
                        stats.bad += 1;
                        eprintln!("bad message from {source} ({} so far): {e}", stats.bad);
                    }
                }
            }
            Ok(Input::Closed) => sources -= 1,
            Ok(Input::Shutdown) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => outbox.tick()?,
        }
    }
    // Open batches leave as reports before exit.
    for event in mapper.flush()? {
        stats.events += 1;
        eprintln!(
            "event {} seq {} from open batches at exit",
            event.id(),
            event.body.seq
        );
        outbox.send(&event, mapper.signer().next_seq())?;
    }
    let report = outbox.finish(Duration::from_secs(args.drain_secs))?;
    eprintln!(
        "bridge: {} messages, {} bad, {} events, {} still spooled",
        stats.messages, stats.bad, stats.events, report.pending
    );
    println!(
        "{}",
        serde_json::json!({
            "messages": stats.messages,
            "bad": stats.bad,
            "events": stats.events,
            "delivered": outbox.delivered,
            "rejected": outbox.rejected,
            "pending": report.pending,
        })
    );
    Ok(())
}
