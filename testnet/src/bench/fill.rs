//! Filling the chain with committed events as fast as it takes them, and timing shipment
//! queries on the filled chain.

use super::Net;
use super::window::settle;
use crate::follow::{Commits, Follower};
use crate::load::{self, Offer, Percentiles, Tracker};
use anyhow::{Context, Result};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events pre-signed and posted at a time (bounds the client's memory).
const CHUNK: usize = 200_000;

/// What filling measured.
#[derive(Debug, Clone, Serialize)]
pub struct Fill {
    /// Events committed by the fill.
    pub events: u64,
    /// Committed events on the chain afterwards (every validator's counter agrees; from the
    /// first validator's blocks).
    pub chain_events: u64,
    /// Wall time including pre-signing, seconds.
    pub seconds: f64,
    /// Committed events per second of wall time.
    pub events_per_s: f64,
}

/// Commits `target` more events, offered at `rate` (the measured maximum) in chunks.
pub async fn fill(net: &mut Net, target: u64, rate: u64) -> Result<Fill> {
    let t = Instant::now();
    let mut committed = 0u64;
    let mut left = usize::try_from(target)?;
    while left > 0 {
        let n = left.min(CHUNK);
        left -= n;
        let presigned = net.workload.presign(n, net.event_bytes)?;
        let start = net.clients[0].status().await?.height;
        let commits = Commits::default();
        let follower = Follower::start(net.clients.clone(), start + 1, commits.clone());
        let tracker = Tracker::default();
        let events = Arc::new(presigned);
        load::offer(
            &net.submitter,
            events.clone(),
            Offer {
                rate,
                in_flight_max: net.in_flight,
                batch: net.batch,
            },
            &tracker,
        )
        .await?;
        load::drain(&events.ids, &tracker, &commits, Duration::from_secs(10)).await;
        settle(net, &events, &tracker, &commits).await;
        follower.stop().await.context("commit follower")?;
        let seen = commits.lock();
        committed += events.ids.iter().filter(|id| seen.contains_key(id)).count() as u64;
        eprintln!("  filled {committed} of {target} events");
    }
    let seconds = t.elapsed().as_secs_f64();
    Ok(Fill {
        events: committed,
        chain_events: net.chain_events().await,
        seconds,
        events_per_s: committed as f64 / seconds.max(1e-9),
    })
}

/// `GET /v1/shipments/{id}` of the workload's shipment (which holds every load event) `n`
/// times in a row on the first validator; latency percentiles in ms.
pub async fn shipment_latency(net: &Net, n: usize) -> Result<Percentiles> {
    let client = &net.clients[0];
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        client
            .shipment(&net.workload.shipment)
            .await
            .context("GET /v1/shipments/{id}")?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Percentiles::of(ms))
}
