//! `tradeledger-testnet chaos`: a crash loop under load.
//!
//! While the load generator posts events, a seeded schedule `kill -9`s a random validator every
//! few seconds and restarts it after a short random outage (one validator down at a time, so
//! a quorum of the four always stays up). Events a killed node had accepted but not yet shared
//! are re-posted by the client (re-posting is idempotent), as any durable client would.
//! At the end the load stops, the network settles, and the run checks that every validator
//! holds the same blocks (hash and state root at every height) and that every event the load
//! generator saw committed is committed, at the same height, on every node.

use crate::consistency::{self, Consistency};
use crate::follow::{Commits, Follower};
use crate::load::{self, Offer, SentState, Tracker};
use crate::network::Network;
use crate::submit::Submitter;
use crate::workload::{Presigned, Workload};
use crate::{binary, process};
use anyhow::{Context, Result, bail};
use nix::sys::signal::Signal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tradeledger_sdk::client::Client;
use tradeledger_types::EventId;

/// An accepted event not seen committed this long after its last posting is posted again.
const REPOST_AFTER: Duration = Duration::from_secs(4);

/// Crash-loop parameters.
#[derive(Debug, Clone)]
pub struct ChaosArgs {
    /// Length of the crash loop (and of the load), seconds.
    pub duration_s: u64,
    /// Seconds between two kills.
    pub kill_every_s: f64,
    /// Shortest outage of a killed validator, milliseconds.
    pub down_ms_min: u64,
    /// Longest outage, milliseconds.
    pub down_ms_max: u64,
    /// Seed of the kill schedule (random when absent; printed either way).
    pub seed: Option<u64>,
    /// Offered events per second.
    pub rate: u64,
    /// Approximate size of each signed event, bytes.
    pub event_bytes: usize,
    /// Device keys signing.
    pub devices: usize,
    /// Most postings in flight.
    pub in_flight_max: usize,
    /// How long the network may take to settle after the loop, seconds.
    pub settle_s: u64,
}

/// One kill of the schedule.
#[derive(Debug, Clone, Serialize)]
pub struct Kill {
    /// Seconds since the loop started.
    pub at_s: f64,
    /// The validator.
    pub node: String,
    /// How long it stayed down, milliseconds.
    pub down_ms: u64,
}

/// Event counts of a crash-loop run.
#[derive(Debug, Clone, Serialize)]
pub struct EventCounts {
    /// Events posted at least once.
    pub submitted: u64,
    /// Events some node accepted (or already knew).
    pub acknowledged: u64,
    /// Events seen in committed blocks.
    pub committed: u64,
    /// Postings repeated because the event was not committed in time (or no node answered).
    pub reposted: u64,
    /// Events refused for good at submission, by code.
    pub refused: BTreeMap<String, u64>,
    /// Acknowledged events never seen committed, even after re-posting.
    pub never_committed: u64,
    /// Events seen committed that some node does not report committed at the same height.
    pub lost: u64,
}

/// What a crash-loop run found.
#[derive(Debug, Clone, Serialize)]
pub struct ChaosReport {
    /// The schedule's seed: `--seed` replays the same kills.
    pub seed: u64,
    /// Loop length, seconds.
    pub duration_s: u64,
    /// Kills made.
    pub kills: u64,
    /// Restarts made.
    pub restarts: u64,
    /// The schedule as run.
    pub schedule: Vec<Kill>,
    /// Event counts.
    pub events: EventCounts,
    /// Client-side throughput and latency under the crash loop.
    pub load: load::LoadReport,
    /// The chains compared across validators.
    pub consistency: Consistency,
    /// For up to 8 devices with acknowledged events never committed: the first such event and
    /// what each validator says of it and of the device's event just before it.
    pub stuck: Vec<Stuck>,
}

/// A device whose events stopped committing.
#[derive(Debug, Clone, Serialize)]
pub struct Stuck {
    /// Device index in the workload.
    pub device: usize,
    /// Its first acknowledged event never seen committed.
    pub event: EventId,
    /// That event's sequence number.
    pub seq: u64,
    /// `GET /v1/events/{id}` status on each validator.
    pub status: BTreeMap<String, String>,
    /// The device's event just before it (if any), and whether it was seen committed.
    pub previous: Option<(EventId, bool)>,
}

impl ChaosReport {
    /// True when nothing was lost, every acknowledged event committed and was applied (the
    /// workload is valid, so a rejection means a node mis-ordered it), and the chains agree.
    pub fn passed(&self) -> bool {
        self.events.lost == 0
            && self.events.never_committed == 0
            && self.consistency.events_not_applied == 0
            && self.consistency.chains_identical
            && self.consistency.state_roots_equal
    }
}

/// A small seeded generator (SplitMix64): the schedule must replay from its seed alone.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// Runs the crash loop on the testnet in `dir` (started by `up`).
pub fn run(dir: &Path, network: &Network, args: &ChaosArgs) -> Result<ChaosReport> {
    if network.nodes.len() < 4 {
        bail!("the crash loop needs at least 4 validators");
    }
    let bin = binary::node_binary()?;
    for node in &network.nodes {
        process::start(dir, node, &bin)?;
    }
    let seed = match args.seed {
        Some(s) => s,
        None => {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            u64::from_le_bytes(b)
        }
    };
    eprintln!("chaos seed {seed} (replay the kill schedule with --seed {seed})");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run_async(dir, network, args, seed))
}

async fn run_async(
    dir: &Path,
    network: &Network,
    args: &ChaosArgs,
    seed: u64,
) -> Result<ChaosReport> {
    let urls: Vec<String> = network.nodes.iter().map(Network::url).collect();
    let clients: Vec<Client> = urls
        .iter()
        .map(|u| Client::new(u))
        .collect::<Result<_, _>>()?;
    consistency::wait_all_at(&clients, 2, Duration::from_secs(60)).await?;
    let admin = &clients[0];
    let mut workload = Workload::setup(dir, network, admin, args.devices).await?;
    let total = usize::try_from(args.rate * args.duration_s)?;
    eprintln!("pre-signing {total} events of ~{} bytes", args.event_bytes);
    let presigned = workload.presign(total, args.event_bytes)?;
    let start_height = admin.status().await?.height;
    let commits = Commits::default();
    let follower = Follower::start(clients.clone(), start_height + 1, commits.clone());

    // The kill schedule runs on its own thread: process control blocks.
    let stop = Arc::new(AtomicBool::new(false));
    let killer = {
        let dir = dir.to_owned();
        let network = network.clone();
        let args = args.clone();
        let stop = stop.clone();
        std::thread::spawn(move || kill_loop(&dir, &network, &args, seed, &stop))
    };

    eprintln!(
        "offering {} events/s for {} s while killing a validator every {} s",
        args.rate, args.duration_s, args.kill_every_s
    );
    let submitter = Submitter::new(&urls)?;
    let tracker = Tracker::default();
    let signing_per_s = presigned.signing_per_s;
    let events = Arc::new(presigned);
    let reposter = {
        let (submitter, events, tracker, commits, stop) = (
            submitter.clone(),
            events.clone(),
            tracker.clone(),
            commits.clone(),
            stop.clone(),
        );
        tokio::spawn(
            async move { repost_loop(&submitter, &events, &tracker, &commits, &stop).await },
        )
    };
    let offered_per_s = load::offer(
        &submitter,
        events.clone(),
        Offer {
            rate: args.rate,
            in_flight_max: args.in_flight_max,
            batch: 1,
        },
        &tracker,
    )
    .await?;
    stop.store(true, Ordering::Relaxed);
    let schedule = tokio::task::spawn_blocking(move || killer.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the kill loop panicked"))??;
    let restarts = schedule.len() as u64;
    eprintln!(
        "load done ({} kills); re-posting what is not committed and letting the network settle",
        schedule.len()
    );

    // Every validator is up again: re-post what is still not committed until it is.
    let settle = Duration::from_secs(args.settle_s);
    let deadline = Instant::now() + settle;
    let mut reposted = reposter.await??;
    loop {
        let (waiting, n) =
            repost_due(&submitter, &events, &tracker, &commits, Duration::ZERO).await;
        reposted += n;
        if waiting == 0 || Instant::now() > deadline {
            break;
        }
        load::drain(&events.ids, &tracker, &commits, Duration::from_secs(3)).await;
    }
    follower.stop().await.context("commit follower")?;

    let seen: BTreeMap<EventId, u64> = commits
        .lock()
        .iter()
        .map(|(id, s)| (*id, s.height))
        .collect();
    let (consistency, lost) = consistency::check(network, &clients, &seen, settle).await?;
    let report = load::summarize(&tracker, &commits, signing_per_s, offered_per_s);
    let (events_counts, stuck_ids) = {
        let sent = tracker.lock();
        let acknowledged = sent
            .iter()
            .filter(|(id, s)| s.state == SentState::Accepted || seen.contains_key(id))
            .count() as u64;
        let never_committed = sent
            .iter()
            .filter(|(id, s)| s.state == SentState::Accepted && !seen.contains_key(id))
            .count() as u64;
        let events_counts = EventCounts {
            submitted: sent.len() as u64,
            acknowledged,
            committed: seen.len() as u64,
            reposted,
            refused: report.rejected_by_code.clone(),
            never_committed,
            lost,
        };
        let stuck_ids: Vec<usize> = (0..events.len())
            .filter(|i| {
                let id = &events.ids[*i];
                !seen.contains_key(id)
                    && sent.get(id).is_some_and(|s| s.state == SentState::Accepted)
            })
            .collect();
        (events_counts, stuck_ids)
    };
    let stuck = stuck_sample(network, &clients, &events, &stuck_ids, &seen, args.devices).await;
    Ok(ChaosReport {
        seed,
        duration_s: args.duration_s,
        kills: schedule.len() as u64,
        restarts,
        schedule,
        events: events_counts,
        load: report,
        consistency,
        stuck,
    })
}

async fn stuck_sample(
    network: &Network,
    clients: &[Client],
    events: &Presigned,
    stuck: &[usize],
    seen: &BTreeMap<EventId, u64>,
    devices: usize,
) -> Vec<Stuck> {
    let mut out: Vec<Stuck> = Vec::new();
    for &i in stuck {
        let device = i % devices;
        if out.len() >= 8 || out.iter().any(|s| s.device == device) {
            continue;
        }
        let id = events.ids[i];
        let seq = events.events[i].body.seq;
        let mut status = BTreeMap::new();
        for (n, c) in network.nodes.iter().zip(clients) {
            let s = match c.event(&id).await {
                Ok(s) => s.status,
                Err(e) => e.to_string(),
            };
            status.insert(n.name.clone(), s);
        }
        let previous = i
            .checked_sub(devices)
            .map(|p| (events.ids[p], seen.contains_key(&events.ids[p])));
        out.push(Stuck {
            device,
            event: id,
            seq,
            status,
            previous,
        });
    }
    out
}

/// Kills a random validator every `kill_every_s`, restarting it after a random outage, until
/// `stop`; every killed validator is running again when it returns.
fn kill_loop(
    dir: &Path,
    network: &Network,
    args: &ChaosArgs,
    seed: u64,
    stop: &AtomicBool,
) -> Result<Vec<Kill>> {
    let bin = binary::node_binary()?;
    let mut rng = SplitMix64::new(seed);
    let mut schedule = Vec::new();
    let t0 = Instant::now();
    let every = Duration::from_secs_f64(args.kill_every_s);
    let mut next = t0 + every;
    loop {
        while Instant::now() < next {
            if stop.load(Ordering::Relaxed) {
                return Ok(schedule);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let victim = &network.nodes[rng.between(0, network.nodes.len() as u64 - 1) as usize];
        let down_ms = rng.between(args.down_ms_min, args.down_ms_max);
        let at_s = t0.elapsed().as_secs_f64();
        let pid = process::signal(dir, victim, Signal::SIGKILL)
            .with_context(|| format!("killing {}", victim.name))?;
        eprintln!(
            "  {at_s:7.1} s  kill -9 {} (pid {pid}), down {down_ms} ms",
            victim.name
        );
        // Wait until the process is gone before restarting it on the same data.
        let gone = Instant::now() + Duration::from_secs(10);
        while process::running_pid(dir, victim).is_some() && Instant::now() < gone {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(down_ms));
        process::start(dir, victim, &bin).with_context(|| format!("restarting {}", victim.name))?;
        schedule.push(Kill {
            at_s,
            node: victim.name.clone(),
            down_ms,
        });
        next += every;
        next = next.max(Instant::now());
    }
}

/// Every couple of seconds, re-posts events not committed long after their last posting.
async fn repost_loop(
    submitter: &Submitter,
    events: &Presigned,
    tracker: &Tracker,
    commits: &Commits,
    stop: &AtomicBool,
) -> Result<u64> {
    let mut reposted = 0;
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        reposted += repost_due(submitter, events, tracker, commits, REPOST_AFTER)
            .await
            .1;
    }
    Ok(reposted)
}

/// Re-posts every event posted before, not refused, not seen committed, and last posted at
/// least `after` ago. Returns (events still not committed, postings made).
async fn repost_due(
    submitter: &Submitter,
    events: &Presigned,
    tracker: &Tracker,
    commits: &Commits,
    after: Duration,
) -> (usize, u64) {
    let due: Vec<usize> = {
        let sent = tracker.lock();
        let seen = commits.lock();
        events
            .ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !seen.contains_key(id))
            .filter(|(_, id)| {
                sent.get(id).is_some_and(|s| {
                    matches!(s.state, SentState::Accepted | SentState::Unanswered)
                        && s.last.elapsed() >= after
                })
            })
            .map(|(i, _)| i)
            .collect()
    };
    let waiting = due.len();
    // In sequence order per device (the pre-signed order), a few at a time.
    let mut reposted = 0;
    for chunk in due.chunks(32) {
        let mut set = tokio::task::JoinSet::new();
        for &i in chunk {
            let (id, bytes) = (events.ids[i], events.events[i].to_bytes());
            let (submitter, tracker) = (submitter.clone(), tracker.clone());
            set.spawn(async move {
                tracker.posting(id);
                let posted = submitter.post(i, &bytes, load::PATIENCE).await;
                tracker.answered(&id, posted);
            });
            reposted += 1;
        }
        while set.join_next().await.is_some() {}
    }
    (waiting, reposted)
}
