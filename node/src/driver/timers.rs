//! Round timers armed by `SetTimer` effects.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Pending timers: deadline → rounds.
#[derive(Debug, Default)]
pub struct Timers {
    pending: BTreeMap<Instant, Vec<u64>>,
}

/// Most timers kept (the core re-arms per round; old ones are harmless but bounded).
const TIMERS_MAX: usize = 1024;

impl Timers {
    /// Arms a timer for `round` after `duration_ms`.
    pub fn set(&mut self, round: u64, duration_ms: u64) {
        if self.pending.len() >= TIMERS_MAX {
            self.pending.pop_first();
        }
        self.pending
            .entry(Instant::now() + Duration::from_millis(duration_ms))
            .or_default()
            .push(round);
    }

    /// Time until the next deadline.
    pub fn until_next(&self) -> Option<Duration> {
        self.pending
            .keys()
            .next()
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Rounds whose deadline passed, in deadline order.
    pub fn expired(&mut self) -> Vec<u64> {
        let now = Instant::now();
        let mut out = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > now {
                break;
            }
            out.extend(entry.remove());
        }
        out
    }
}
