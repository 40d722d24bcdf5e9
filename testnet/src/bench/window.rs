//! One measured window of open-loop load: offered rate, committed rate, latency percentiles,
//! round timeouts.

use super::Net;
use super::metrics::{Scrape, timeouts};
use crate::follow::{Commits, Follower};
use crate::load::{self, Offer, Percentiles, SentState, Tracker};
use crate::submit::Posted;
use crate::workload::Presigned;
use anyhow::{Context, Result};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the events still pending after a window may take to commit.
const DRAIN: Duration = Duration::from_secs(10);
/// An accepted event not committed this long after its last posting is posted again.
const ACCEPTED_REPOST_AFTER: Duration = Duration::from_secs(30);
/// Re-posting what a window left behind stops when this long passes without a new commit.
const SETTLE_STALL: Duration = Duration::from_secs(30);

/// What one window measured.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// Offered events/s.
    pub rate: u64,
    /// Window length, seconds.
    pub window_s: u64,
    /// Rate the client achieved.
    pub offered_per_s: f64,
    /// Events committed during the window, per second of window.
    pub committed_per_s: f64,
    /// Events posted.
    pub submitted: u64,
    /// Events seen committed (during the window and the drain after it).
    pub committed: u64,
    /// Events refused or not taken (mempool full) at submission.
    pub refused: u64,
    /// Submission-to-commit latency of the committed events, ms.
    pub latency_ms: Percentiles,
    /// Round timeouts during the window (on the first validator).
    pub timeouts: u64,
    /// Where the timeout figure comes from.
    pub timeouts_source: String,
    /// Client signing rate before the window (events/s, every core).
    pub signing_per_s: f64,
}

/// Pre-signs `rate × window_s` events, offers them at `rate`, and measures.
pub async fn measure(net: &mut Net, rate: u64, window_s: u64) -> Result<Window> {
    let total = usize::try_from(rate * window_s)?;
    let presigned = net.workload.presign(total, net.event_bytes)?;
    let signing_per_s = presigned.signing_per_s;
    net.wait_idle(Duration::from_secs(60)).await;
    let before = Scrape::of(&net.clients[0]).await;
    let start = net.clients[0].status().await?.height;
    let commits = Commits::default();
    let follower = Follower::start(net.clients.clone(), start + 1, commits.clone());
    let tracker = Tracker::default();
    let events = Arc::new(presigned);
    eprintln!("  offering {rate} events/s for {window_s} s");
    let t0 = Instant::now();
    let offered_per_s = load::offer(
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
    let window = Duration::from_secs(window_s);
    load::drain(&events.ids, &tracker, &commits, DRAIN).await;
    let after = Scrape::of(&net.clients[0]).await;
    let in_window = commits
        .lock()
        .values()
        .filter(|s| s.at.saturating_duration_since(t0) <= window)
        .count();
    let report = load::summarize(&tracker, &commits, signing_per_s, offered_per_s);
    settle(net, &events, &tracker, &commits).await;
    follower.stop().await.context("commit follower")?;
    let (timeouts, timeouts_source) = timeouts(&before, &after);
    Ok(Window {
        rate,
        window_s,
        offered_per_s,
        committed_per_s: in_window as f64 / window_s as f64,
        submitted: report.submitted,
        committed: report.committed,
        refused: report.rejected,
        latency_ms: report.latency_ms,
        timeouts,
        timeouts_source,
        signing_per_s,
    })
}

/// Re-posts what was not taken or not committed (so no device is left with a sequence gap
/// that would stall its later events), until all of it commits or commits stop coming for
/// [`SETTLE_STALL`].
pub async fn settle(net: &Net, events: &Presigned, tracker: &Tracker, commits: &Commits) {
    let mut progress = (commits.lock().len(), Instant::now());
    loop {
        let committed = commits.lock().len();
        if committed > progress.0 {
            progress = (committed, Instant::now());
        }
        // Not committed and not refused for good: still to come; `due` of them are posted again.
        let (waiting, due): (usize, Vec<usize>) = {
            let sent = tracker.lock();
            let seen = commits.lock();
            let mut waiting = 0;
            let mut due = Vec::new();
            for i in (0..events.len()).filter(|i| !seen.contains_key(&events.ids[*i])) {
                let (wait, post) =
                    sent.get(&events.ids[i])
                        .map_or((true, true), |s| match &s.state {
                            SentState::Refused(code) => {
                                let again = code == "sequence_too_far";
                                (again, again)
                            }
                            SentState::Unanswered => (true, true),
                            // Pending in a mempool: only a node that lost it (killed) needs it again.
                            SentState::Accepted | SentState::InFlight => {
                                (true, s.last.elapsed() > ACCEPTED_REPOST_AFTER)
                            }
                        });
                waiting += usize::from(wait);
                if post {
                    due.push(i);
                }
            }
            (waiting, due)
        };
        if waiting == 0 || progress.1.elapsed() > SETTLE_STALL {
            if waiting > 0 {
                eprintln!("  {waiting} events still not committed after re-posting");
            }
            return;
        }
        for (k, chunk) in due.chunks(net.batch.max(1)).enumerate() {
            let ids: Vec<_> = chunk.iter().map(|&i| events.ids[i]).collect();
            let evs: Vec<_> = chunk.iter().map(|&i| events.events[i].clone()).collect();
            tracker.posting_all(&ids);
            let posted: Vec<Posted> = net.submitter.post_batch(k, &evs, load::PATIENCE).await;
            tracker.answered_all(&ids, posted);
        }
        load::drain(&events.ids, tracker, commits, Duration::from_secs(5)).await;
    }
}
