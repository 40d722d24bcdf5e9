//! `tradeledger-testnet load`: open-loop load of realistic signed events.
//!
//! Before the timed window the tool registers reefer devices for the carrier, declares a
//! shipment, and pre-signs every event on every core (signing is the client's cost, reported
//! separately). During the window it posts events at the offered rate regardless of how fast
//! they commit (open loop), spread over the live nodes, and follows commits by polling the
//! block pages; latency is from the start of the submission to the moment the block holding
//! the event was first seen committed.

use crate::follow::{Commits, Follower};
use crate::network::Network;
use crate::submit::{Posted, Submitter};
use crate::workload::{Presigned, Workload};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tradeledger_sdk::client::Client;
use tradeledger_types::EventId;

/// How long one posting may keep trying other nodes.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Load parameters.
#[derive(Debug, Clone)]
pub struct LoadArgs {
    /// Offered events per second.
    pub rate: u64,
    /// Length of the timed window, seconds.
    pub duration_s: u64,
    /// Approximate size of each signed event, bytes.
    pub event_bytes: usize,
    /// Device keys signing in parallel (each has its own sequence).
    pub devices: usize,
    /// Most submissions in flight.
    pub in_flight_max: usize,
    /// Events per request (`POST /v1/events/batch`); 1 posts each event alone.
    pub batch: usize,
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Events posted.
    pub submitted: u64,
    /// Events seen in committed blocks.
    pub committed: u64,
    /// Events the node refused at submission (or no node answered for).
    pub rejected: u64,
    /// Refusals by the node's code (`unanswered` when no node answered).
    pub rejected_by_code: BTreeMap<String, u64>,
    /// Committed events per second over the window (first submission to last commit).
    pub throughput_per_s: f64,
    /// Submission-to-commit latency percentiles, milliseconds.
    pub latency_ms: Percentiles,
    /// Client-side signing rate before the window (events/s over all cores).
    pub signing_per_s: f64,
    /// Offered rate actually achieved by the client (events/s).
    pub offered_per_s: f64,
}

/// Latency percentiles.
#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 95th.
    pub p95: f64,
    /// 99th.
    pub p99: f64,
}

impl Percentiles {
    /// Percentiles of `values` (sorted here).
    pub fn of(mut values: Vec<f64>) -> Percentiles {
        values.sort_by(f64::total_cmp);
        Percentiles {
            p50: percentile(&values, 0.50),
            p95: percentile(&values, 0.95),
            p99: percentile(&values, 0.99),
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Where one event's submission stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentState {
    /// Posted, no answer yet.
    InFlight,
    /// A node accepted it (or already knew it).
    Accepted,
    /// Refused for good, with the node's code.
    Refused(String),
    /// No node answered.
    Unanswered,
}

/// One event's submission record.
#[derive(Debug, Clone)]
pub struct Sent {
    /// When it (or its batch) was first posted.
    pub first: Instant,
    /// When it was last posted.
    pub last: Instant,
    /// Its last answer.
    pub state: SentState,
}

/// Submission records by event id, shared between the posting tasks and their readers.
#[derive(Debug, Clone, Default)]
pub struct Tracker(Arc<Mutex<HashMap<EventId, Sent>>>);

impl Tracker {
    /// Locks the records (short critical sections only).
    pub fn lock(&self) -> MutexGuard<'_, HashMap<EventId, Sent>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes a posting of `id` starting now.
    pub fn posting(&self, id: EventId) {
        let now = Instant::now();
        self.lock()
            .entry(id)
            .and_modify(|s| s.last = now)
            .or_insert(Sent {
                first: now,
                last: now,
                state: SentState::InFlight,
            });
    }

    /// Notes a posting of every event of `ids` starting now (one batch).
    pub fn posting_all(&self, ids: &[EventId]) {
        let now = Instant::now();
        let mut map = self.lock();
        for id in ids {
            map.entry(*id).and_modify(|s| s.last = now).or_insert(Sent {
                first: now,
                last: now,
                state: SentState::InFlight,
            });
        }
    }

    /// Records the answers to a batch posting of `ids`.
    pub fn answered_all(&self, ids: &[EventId], posted: Vec<Posted>) {
        let mut map = self.lock();
        for (id, p) in ids.iter().zip(posted) {
            if let Some(s) = map.get_mut(id) {
                s.state = merge(p, &s.state);
            }
        }
    }

    /// Records the answer to a posting of `id`. A refusal or silence after an earlier
    /// acceptance does not undo it (a re-post of a known event may be refused as stale once
    /// it is committed).
    pub fn answered(&self, id: &EventId, posted: Posted) {
        if let Some(s) = self.lock().get_mut(id) {
            s.state = merge(posted, &s.state);
        }
    }
}

fn merge(posted: Posted, before: &SentState) -> SentState {
    match (posted, before) {
        (Posted::Accepted, _) | (_, SentState::Accepted) => SentState::Accepted,
        (Posted::Refused(code), _) => SentState::Refused(code),
        (Posted::Unanswered, _) => SentState::Unanswered,
    }
}

/// Offered-load parameters of one window.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    /// Events per second.
    pub rate: u64,
    /// Most requests in flight.
    pub in_flight_max: usize,
    /// Events per request; 1 posts each event alone on `POST /v1/events`.
    pub batch: usize,
}

/// Posts all `events` at the offered rate (in batches of `offer.batch`, each due when its
/// first event is), round-robin over the nodes, recording each posting in `tracker`. Returns
/// the rate achieved (events/s).
pub async fn offer(
    submitter: &Submitter,
    events: Arc<Presigned>,
    offer: Offer,
    tracker: &Tracker,
) -> Result<f64> {
    let sem = Arc::new(tokio::sync::Semaphore::new(offer.in_flight_max));
    let t0 = Instant::now();
    let batch = offer.batch.max(1);
    let interval = Duration::from_secs_f64(batch as f64 / offer.rate as f64);
    let mut tasks = tokio::task::JoinSet::new();
    for (k, start) in (0..events.len()).step_by(batch).enumerate() {
        let due = t0 + interval.mul_f64(k as f64);
        tokio::time::sleep_until(due.into()).await;
        let permit = sem
            .clone()
            .acquire_owned()
            .await
            .context("semaphore closed")?;
        let submitter = submitter.clone();
        let events = events.clone();
        let tracker = tracker.clone();
        tasks.spawn(async move {
            let end = (start + batch).min(events.len());
            let ids = &events.ids[start..end];
            tracker.posting_all(ids);
            if batch == 1 {
                let posted = submitter
                    .post(k, &events.events[start].to_bytes(), PATIENCE)
                    .await;
                tracker.answered(&ids[0], posted);
            } else {
                let posted = submitter
                    .post_batch(k, &events.events[start..end], PATIENCE)
                    .await;
                tracker.answered_all(ids, posted);
            }
            drop(permit);
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    Ok(events.len() as f64 / t0.elapsed().as_secs_f64().max(1e-9))
}

/// The clients of the nodes whose process runs.
pub fn live_urls(dir: &Path, network: &Network) -> Result<Vec<String>> {
    let urls: Vec<String> = network
        .nodes
        .iter()
        .filter(|n| crate::process::running_pid(dir, n).is_some())
        .map(Network::url)
        .collect();
    if urls.is_empty() {
        bail!("no node of the testnet is running: `tradeledger-testnet up` first");
    }
    Ok(urls)
}

/// Runs the load; `dir` holds the testnet.
pub fn run(dir: &Path, network: &Network, args: &LoadArgs) -> Result<LoadReport> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run_async(dir, network, args))
}

async fn run_async(dir: &Path, network: &Network, args: &LoadArgs) -> Result<LoadReport> {
    let urls = live_urls(dir, network)?;
    let admin = Client::new(&urls[0])?;
    let mut workload = Workload::setup(dir, network, &admin, args.devices).await?;
    let total = args.rate * args.duration_s;
    eprintln!("pre-signing {total} events of ~{} bytes", args.event_bytes);
    let presigned = workload.presign(usize::try_from(total)?, args.event_bytes)?;

    let start_height = admin.status().await?.height;
    let followed: Vec<Client> = urls
        .iter()
        .map(|u| Client::new(u))
        .collect::<Result<_, _>>()?;
    let commits = Commits::default();
    let follower = Follower::start(followed, start_height + 1, commits.clone());

    eprintln!("offering {} events/s for {} s", args.rate, args.duration_s);
    let submitter = Submitter::new(&urls)?;
    let tracker = Tracker::default();
    let signing_per_s = presigned.signing_per_s;
    let events = Arc::new(presigned);
    let offered_per_s = offer(
        &submitter,
        events.clone(),
        Offer {
            rate: args.rate,
            in_flight_max: args.in_flight_max,
            batch: args.batch,
        },
        &tracker,
    )
    .await?;
    drain(&events.ids, &tracker, &commits, Duration::from_secs(15)).await;
    follower.stop().await.context("commit follower")?;
    Ok(summarize(&tracker, &commits, signing_per_s, offered_per_s))
}

/// Waits until every accepted event is seen committed, or `max` passes.
pub async fn drain(ids: &[EventId], tracker: &Tracker, commits: &Commits, max: Duration) {
    let deadline = Instant::now() + max;
    // Accepted (or still in flight) and not yet seen committed; only this list is re-checked.
    let mut waiting: Vec<EventId> = {
        let sent = tracker.lock();
        let seen = commits.lock();
        ids.iter()
            .filter(|id| {
                !seen.contains_key(id)
                    && sent.get(id).is_none_or(|s| {
                        matches!(s.state, SentState::Accepted | SentState::InFlight)
                    })
            })
            .copied()
            .collect()
    };
    while !waiting.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let seen = commits.lock();
        waiting.retain(|id| !seen.contains_key(id));
    }
}

/// Counts, throughput and latency of the events in `tracker`.
pub fn summarize(
    tracker: &Tracker,
    commits: &Commits,
    signing_per_s: f64,
    offered_per_s: f64,
) -> LoadReport {
    let sent = tracker.lock();
    let seen = commits.lock();
    let t0 = sent.values().map(|s| s.first).min();
    let mut latencies = Vec::with_capacity(sent.len());
    let mut last_commit = t0;
    let mut rejected_by_code: BTreeMap<String, u64> = BTreeMap::new();
    for (id, s) in sent.iter() {
        if let Some(c) = seen.get(id) {
            latencies.push(c.at.saturating_duration_since(s.first).as_secs_f64() * 1000.0);
            last_commit = last_commit.max(Some(c.at));
            continue;
        }
        match &s.state {
            SentState::Refused(code) => *rejected_by_code.entry(code.clone()).or_default() += 1,
            SentState::Unanswered => *rejected_by_code.entry("unanswered".into()).or_default() += 1,
            SentState::Accepted | SentState::InFlight => {}
        }
    }
    let window = match (t0, last_commit) {
        (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64().max(1e-9),
        _ => 1e-9,
    };
    LoadReport {
        submitted: sent.len() as u64,
        committed: latencies.len() as u64,
        rejected: rejected_by_code.values().sum(),
        rejected_by_code,
        throughput_per_s: latencies.len() as f64 / window,
        latency_ms: Percentiles::of(latencies),
        signing_per_s,
        offered_per_s,
    }
}
