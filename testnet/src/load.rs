//! `tradeledger-testnet load`: open-loop load of realistic signed events.
//!
//! Before the timed window the tool registers reefer devices for the carrier, declares a
//! shipment, and pre-signs every event (signing is the client's cost, reported separately).
//! During the window it posts events at the offered rate regardless of how fast they commit
//! (open loop), spread over the live nodes, and follows commits by polling the block pages;
//! latency is from the start of the submission to the moment the block holding the event was
//! first seen committed.

use crate::network::Network;
use crate::setup::{self, now_ms};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tradeledger_sdk::client::{Client, ClientError};
use tradeledger_sdk::signer::{SeqFile, Signer};
use tradeledger_types::*;

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
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Events posted.
    pub submitted: u64,
    /// Events seen in committed blocks.
    pub committed: u64,
    /// Events the node refused at submission.
    pub rejected: u64,
    /// Committed events per second over the window (first submission to last commit).
    pub throughput_per_s: f64,
    /// Submission-to-commit latency percentiles, milliseconds.
    pub latency_ms: Percentiles,
    /// Client-side signing rate before the window (events/s on this process).
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// A realistic ~`bytes`-byte reefer reading report, padded through the device id.
fn reading(shipment: &str, device: usize, seq: u64, bytes: usize) -> Payload {
    let base = SensorReport {
        shipment_id: shipment.into(),
        device_id: format!("REEFER-{device:04}"),
        readings: vec![Reading {
            kind: SensorKind::Temperature,
            value_milli: 7_000 + (seq % 500) as i64,
            unit: "CEL".into(),
            time_ms: now_ms(),
        }],
        stats: vec![],
        series_len: 1,
        series_root: None,
    };
    // The envelope adds ~130 bytes (chain id, key, seq, signature).
    let current = codec::to_canonical(&base).len() + 130;
    let mut p = base;
    if bytes > current {
        let pad = (bytes - current).min(40);
        p.device_id.push_str(&"-".repeat(pad));
        if bytes > current + pad {
            let t = p.readings[0].time_ms;
            p.readings
                .extend((0..(bytes - current - pad) / 20).map(|i| Reading {
                    kind: SensorKind::Temperature,
                    value_milli: 7_000,
                    unit: "CEL".into(),
                    time_ms: t + 1 + i as u64,
                }));
        }
    }
    p.series_len = u32::try_from(p.readings.len()).unwrap_or(u32::MAX);
    debug_assert!(Payload::SensorReport(p.clone()).validate().is_ok());
    Payload::SensorReport(p)
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
    let live: Vec<Client> = network
        .nodes
        .iter()
        .filter(|n| crate::process::running_pid(dir, n).is_some())
        .map(|n| Client::new(&Network::url(n)))
        .collect::<Result<_, _>>()?;
    if live.is_empty() {
        bail!("no node of the testnet is running: `tradeledger-testnet up` first");
    }
    let admin = &live[0];
    let chain_id = network.chain_id.clone();
    let run_tag = format!("{:06}", now_ms() % 1_000_000);
    let shipment = format!("LOAD-{run_tag}");

    // Setup: the carrier registers its devices and the shipper declares the shipment.
    eprintln!(
        "setup: registering {} reefer devices and declaring {shipment}",
        args.devices
    );
    let identity = |name: &str| -> Result<Signer> {
        let id = network.identity(name)?;
        let key = setup::read_key(&dir.join(&id.key))?;
        Ok(SeqFile::new(dir.join("keys").join(format!("{name}.seq")))
            .restore_signer(key, &chain_id)?)
    };
    let mut carrier = identity("carrier")?;
    let mut shipper = identity("shipper")?;
    let mut setup_ids = Vec::new();
    let devices: Vec<SecretKey> = (0..args.devices)
        .map(|_| setup::fresh_key())
        .collect::<Result<_>>()?;
    let declaration = Payload::ShipmentDeclaration(ShipmentDeclaration {
        shipment_id: shipment.clone(),
        exporter: party("mx-avocado-exports", "MX"),
        importer: party("us-fresh-imports", "US"),
        producer: None,
        carrier: "mx-reefer-lines".into(),
        goods: vec![crate::demo::goods(
            1,
            "Fresh Hass avocados",
            "080440",
            20_000,
            "KGM",
            5_000_000,
            "MX",
        )],
        origin_country: "MX".into(),
        destination_country: "US".into(),
        route: vec![
            RouteStop {
                country: "MX".into(),
                locode: None,
            },
            RouteStop {
                country: "US".into(),
                locode: None,
            },
        ],
        epcs: vec![],
        departure_ms: now_ms(),
        arrival_ms: now_ms() + 86_400_000,
    });
    let ev = shipper.sign(declaration)?;
    setup_ids.push(admin.submit(&ev).await?.id);
    for (i, d) in devices.iter().enumerate() {
        let reg = Payload::DeviceRegistration(DeviceRegistration {
            device_key: d.public(),
            device_id: format!("REEFER-{i:04}"),
            kinds: vec![EventKind::SensorReport],
        });
        let ev = carrier.sign(reg)?;
        setup_ids.push(admin.submit(&ev).await?.id);
    }
    SeqFile::new(dir.join("keys").join("carrier.seq")).store(carrier.next_seq())?;
    SeqFile::new(dir.join("keys").join("shipper.seq")).store(shipper.next_seq())?;
    for id in &setup_ids {
        let s = admin.wait_committed(id, Duration::from_secs(60)).await?;
        if s.details.get("outcome").is_some_and(|o| o != "applied") {
            bail!("setup event {id} was not applied: {:?}", s.details);
        }
    }

    // Pre-sign every event of the window.
    let total = args.rate * args.duration_s;
    eprintln!("pre-signing {total} events of ~{} bytes", args.event_bytes);
    let t_sign = Instant::now();
    let mut signers: Vec<Signer> = devices
        .into_iter()
        .map(|k| Signer::new(k, chain_id.clone()))
        .collect();
    let mut events: Vec<(EventId, Vec<u8>)> = Vec::with_capacity(total as usize);
    for i in 0..total as usize {
        let dev = i % signers.len();
        let seq = signers[dev].next_seq();
        let ev = signers[dev].sign_unvalidated(reading(&shipment, dev, seq, args.event_bytes))?;
        let bytes = ev.to_bytes();
        events.push((domain::sha256(&bytes), bytes));
    }
    let signing_per_s = total as f64 / t_sign.elapsed().as_secs_f64().max(1e-9);

    // Follow commits from the current height.
    let start_height = admin.status().await?.height;
    let submitted_at: Arc<Mutex<HashMap<EventId, Instant>>> =
        Arc::new(Mutex::new(HashMap::with_capacity(total as usize)));
    let committed_at: Arc<Mutex<HashMap<EventId, Instant>>> =
        Arc::new(Mutex::new(HashMap::with_capacity(total as usize)));
    let done = Arc::new(AtomicU64::new(0));
    let watcher = {
        let client = admin.clone();
        let committed_at = committed_at.clone();
        let done = done.clone();
        tokio::spawn(
            async move { follow_commits(client, start_height + 1, committed_at, done).await },
        )
    };

    // The open-loop window.
    eprintln!("offering {} events/s for {} s", args.rate, args.duration_s);
    let rejected = Arc::new(AtomicU64::new(0));
    let sem = Arc::new(tokio::sync::Semaphore::new(args.in_flight_max));
    let t0 = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (id, bytes)) in events.into_iter().enumerate() {
        let due = t0 + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let permit = sem
            .clone()
            .acquire_owned()
            .await
            .context("semaphore closed")?;
        let client = live[i % live.len()].clone();
        let submitted_at = submitted_at.clone();
        let rejected = rejected.clone();
        tasks.spawn(async move {
            submitted_at.lock().await.insert(id, Instant::now());
            match client.submit_bytes(&bytes).await {
                Ok(_) => {}
                Err(
                    ClientError::Rejected { .. }
                    | ClientError::Unavailable { .. }
                    | ClientError::Transport { .. }
                    | ClientError::BadResponse { .. }
                    | ClientError::NotFound { .. }
                    | ClientError::Timeout { .. },
                ) => {
                    rejected.fetch_add(1, Ordering::Relaxed);
                }
            }
            drop(permit);
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let offered_per_s = total as f64 / t0.elapsed().as_secs_f64();
    // Let the last events commit.
    let drain_deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < drain_deadline {
        let c = committed_at.lock().await.len() as u64;
        if c + rejected.load(Ordering::Relaxed) >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done.store(1, Ordering::Relaxed);
    watcher.await.context("commit follower")??;

    let submitted = submitted_at.lock().await;
    let committed = committed_at.lock().await;
    let mut latencies: Vec<f64> = committed
        .iter()
        .filter_map(|(id, c)| {
            submitted
                .get(id)
                .map(|s| c.saturating_duration_since(*s).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let last_commit = committed.values().max().copied().unwrap_or(t0);
    let window = last_commit
        .saturating_duration_since(t0)
        .as_secs_f64()
        .max(1e-9);
    Ok(LoadReport {
        submitted: submitted.len() as u64,
        committed: latencies.len() as u64,
        rejected: rejected.load(Ordering::Relaxed),
        throughput_per_s: latencies.len() as f64 / window,
        latency_ms: Percentiles {
            p50: percentile(&latencies, 0.50),
            p95: percentile(&latencies, 0.95),
            p99: percentile(&latencies, 0.99),
        },
        signing_per_s,
        offered_per_s,
    })
}

fn party(org: &str, country: &str) -> Party {
    Party {
        org: Some(org.into()),
        name: org.into(),
        address: "testnet".into(),
        contact: "load@testnet".into(),
        country: country.into(),
    }
}

/// Polls committed block pages and records when each event was first seen committed.
async fn follow_commits(
    client: Client,
    mut next: u64,
    committed_at: Arc<Mutex<HashMap<EventId, Instant>>>,
    done: Arc<AtomicU64>,
) -> Result<()> {
    loop {
        let stop = done.load(Ordering::Relaxed) == 1;
        let bytes = match client
            .get_bytes(&format!("/v1/blocks?from={next}&limit=100&format=cbor"))
            .await
        {
            Ok(b) => b,
            Err(e) if e.is_transient() => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let now = Instant::now();
        let page: Vec<CertifiedBlock> =
            codec::from_canonical(&bytes, codec::MESSAGE_BYTES_MAX, "block page")?;
        if page.is_empty() {
            if stop {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        let mut map = committed_at.lock().await;
        for cb in &page {
            for e in &cb.block.events {
                map.entry(e.id()).or_insert(now);
            }
            next = cb.block.header.height + 1;
        }
    }
}
