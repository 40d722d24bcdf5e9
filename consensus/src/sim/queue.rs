//! The simulator's event queue: events ordered by time, ties by insertion order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tradeledger_types::PublicKey;

use crate::input::Input;
use crate::message::ConsensusMessage;

/// Something that happens at a simulated instant.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// A message arrives at instance `to`.
    Deliver {
        to: usize,
        from_node: usize,
        from: PublicKey,
        msg: ConsensusMessage,
    },
    /// An input from instance `node`'s own environment (timer, payload, validation answer),
    /// dropped if the instance restarted since (`generation`).
    Local {
        node: usize,
        generation: u64,
        input: Input,
    },
    /// Instance `node` crashes.
    Crash { node: usize },
    /// Every honest instance crashes now (counted here; each has its own `Crash`).
    FullRestart,
    /// Instance `node` restarts from what it persisted.
    Restart { node: usize },
    /// The network splits: `groups[i]` is instance i's side.
    Partition { groups: Vec<u8> },
    /// The network is whole again.
    Unpartition,
    /// The end of the fault phase: no more partitions, crashes or losses.
    Heal,
}

#[derive(Debug)]
struct Entry {
    at_ms: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at_ms, self.seq) == (other.at_ms, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at_ms, self.seq).cmp(&(other.at_ms, other.seq))
    }
}

/// Events by time.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl Queue {
    pub fn push(&mut self, at_ms: u64, event: Event) {
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            at_ms,
            seq: self.seq,
            event,
        }));
    }

    pub fn pop(&mut self) -> Option<(u64, Event)> {
        self.heap.pop().map(|Reverse(e)| (e.at_ms, e.event))
    }
}
