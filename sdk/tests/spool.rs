//! The offline spool: durability, torn-tail recovery, in-order delivery, compaction, and no
//! loss or duplicate effect when the delivering process is killed (the test re-runs its own
//! binary as the child process).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tradeledger_sdk::builders::{Build, ClearanceBuilder};
use tradeledger_sdk::signer::Signer;
use tradeledger_sdk::spool::{DeliverError, Spool, SpooledEvent, Submit};
use tradeledger_types::{Decision, SecretKey, SignedEvent};

const CHILD_ENV: &str = "TRADELEDGER_SPOOL_CHILD_DIR";

fn events(n: usize) -> Vec<SignedEvent> {
    let mut signer = Signer::new(SecretKey::from_seed([5; 32]), "tradeledger-demo");
    (0..n)
        .map(|i| {
            ClearanceBuilder::new(format!("SHP-{i}"), Decision::Release)
                .sign(&mut signer)
                .unwrap()
        })
        .collect()
}

/// A fake node: appends each delivered event id to a file (fsynced), like a node committing it.
struct FileSink {
    path: std::path::PathBuf,
    delay: Duration,
}

impl Submit for FileSink {
    type Error = std::io::Error;
    fn submit(&mut self, event: &SpooledEvent) -> Result<(), Self::Error> {
        std::thread::sleep(self.delay);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(format!("{}\n", event.id).as_bytes())?;
        f.sync_data()
    }
}

/// A sink that records in memory and fails after `fail_after` deliveries.
struct Flaky {
    got: Vec<SpooledEvent>,
    fail_after: usize,
}

impl Submit for Flaky {
    type Error = &'static str;
    fn submit(&mut self, event: &SpooledEvent) -> Result<(), Self::Error> {
        if self.got.len() >= self.fail_after {
            return Err("node unreachable");
        }
        self.got.push(event.clone());
        Ok(())
    }
}

fn delivered_ids(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap_or_default();
    // A line without its newline was cut by the kill: that submission never completed.
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .map(|l| l.trim_end().to_owned())
        .collect()
}

#[test]
fn delivers_in_order_and_resumes_after_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let evs = events(10);
    let mut spool = Spool::open(dir.path()).unwrap();
    for (i, e) in evs.iter().enumerate() {
        assert_eq!(spool.append(e).unwrap(), i as u64);
    }
    let mut sink = Flaky {
        got: Vec::new(),
        fail_after: 4,
    };
    let err = spool.deliver(&mut sink).unwrap_err();
    assert!(matches!(
        err,
        DeliverError::Submit {
            delivered: 4,
            index: 4,
            ..
        }
    ));
    assert_eq!(spool.pending(), 6);
    drop(spool);
    // Restart: the acknowledged four are not re-sent.
    let mut spool = Spool::open(dir.path()).unwrap();
    assert_eq!((spool.acked(), spool.pending()), (4, 6));
    sink.fail_after = usize::MAX;
    assert_eq!(spool.deliver(&mut sink).unwrap(), 6);
    let got: Vec<SignedEvent> = sink.got.iter().map(|r| r.event().unwrap()).collect();
    assert_eq!(got, evs);
    assert_eq!(
        sink.got.iter().map(|r| r.id).collect::<Vec<_>>(),
        evs.iter().map(SignedEvent::id).collect::<Vec<_>>()
    );
}

#[test]
fn torn_tail_is_truncated_and_earlier_records_survive() {
    let dir = tempfile::tempdir().unwrap();
    let evs = events(3);
    {
        let mut spool = Spool::open(dir.path()).unwrap();
        for e in &evs {
            spool.append(e).unwrap();
        }
    }
    let log = dir.path().join("events.log");
    let full = fs::read(&log).unwrap();
    // Cut the last record in half, as a crash mid-write would.
    let last_len = evs[2].to_bytes().len() + 36;
    fs::write(&log, &full[..full.len() - last_len / 2]).unwrap();
    let mut spool = Spool::open(dir.path()).unwrap();
    assert_eq!(spool.pending(), 2);
    // The next append goes where the torn record was, and is read back intact.
    spool.append(&evs[2]).unwrap();
    drop(spool);
    // A flipped byte in the last record's body fails its checksum.
    let mut bytes = fs::read(&log).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 0xff;
    fs::write(&log, &bytes).unwrap();
    let mut spool = Spool::open(dir.path()).unwrap();
    assert_eq!(spool.pending(), 2);
    let mut sink = Flaky {
        got: Vec::new(),
        fail_after: usize::MAX,
    };
    spool.deliver(&mut sink).unwrap();
    assert_eq!(
        sink.got
            .iter()
            .map(|r| r.event().unwrap())
            .collect::<Vec<_>>(),
        evs[..2]
    );
}

#[test]
fn compaction_keeps_pending_records_and_indices() {
    let dir = tempfile::tempdir().unwrap();
    let evs = events(8);
    let mut spool = Spool::open(dir.path()).unwrap();
    for e in &evs[..5] {
        spool.append(e).unwrap();
    }
    let mut sink = Flaky {
        got: Vec::new(),
        fail_after: 3,
    };
    let _ = spool.deliver(&mut sink);
    let before = fs::metadata(dir.path().join("events.log")).unwrap().len();
    spool.compact().unwrap();
    assert!(fs::metadata(dir.path().join("events.log")).unwrap().len() < before);
    assert_eq!(
        spool.append(&evs[5]).unwrap(),
        5,
        "indices continue after compaction"
    );
    drop(spool);
    let mut spool = Spool::open(dir.path()).unwrap();
    assert_eq!((spool.acked(), spool.pending()), (3, 3));
    for e in &evs[6..] {
        spool.append(e).unwrap();
    }
    sink.fail_after = usize::MAX;
    spool.deliver(&mut sink).unwrap();
    assert_eq!(
        sink.got
            .iter()
            .map(|r| r.event().unwrap())
            .collect::<Vec<_>>(),
        evs
    );
    let signer = evs[0].body.signer;
    assert_eq!(spool.next_seq_for(&signer).unwrap(), Some(9));
}

#[test]
fn signer_resumes_past_spooled_events_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::from_seed([5; 32]);
    let seq_file = tradeledger_sdk::signer::SeqFile::new(dir.path().join("seq"));
    let mut spool = Spool::open(dir.path().join("spool")).unwrap();
    let mut signer = spool
        .restore_signer(key.clone(), "tradeledger-demo", &seq_file)
        .unwrap();
    assert_eq!(signer.next_seq(), 1);
    for i in 0..3 {
        let e = ClearanceBuilder::new(format!("SHP-{i}"), Decision::Release)
            .sign(&mut signer)
            .unwrap();
        spool.append(&e).unwrap();
        if i < 2 {
            seq_file.store(signer.next_seq()).unwrap();
        } // the third: crash before the sequence file is written
    }
    drop(spool);
    assert_eq!(seq_file.load().unwrap(), Some(3));
    let mut spool = Spool::open(dir.path().join("spool")).unwrap();
    let signer = spool
        .restore_signer(key, "tradeledger-demo", &seq_file)
        .unwrap();
    assert_eq!(signer.next_seq(), 4, "no sequence number reused");
    assert_eq!(seq_file.load().unwrap(), Some(4));
}

/// The child process: delivers the spool in `TRADELEDGER_SPOOL_CHILD_DIR` to `deliveries.txt`,
/// slowly, until it is killed or done. Run directly (no variable), it checks the same delivery
/// in-process.
#[test]
fn spool_child_process() {
    match std::env::var_os(CHILD_ENV) {
        Some(dir) => {
            let dir = Path::new(&dir);
            let mut spool = Spool::open(dir.join("spool")).unwrap();
            let mut sink = FileSink {
                path: dir.join("deliveries.txt"),
                delay: Duration::from_millis(3),
            };
            spool.deliver(&mut sink).unwrap();
            spool.compact().unwrap();
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            let evs = events(5);
            let mut spool = Spool::open(dir.path().join("spool")).unwrap();
            for e in &evs {
                spool.append(e).unwrap();
            }
            let mut sink = FileSink {
                path: dir.path().join("deliveries.txt"),
                delay: Duration::ZERO,
            };
            assert_eq!(spool.deliver(&mut sink).unwrap(), 5);
            let want: Vec<String> = evs.iter().map(|e| e.id().to_hex()).collect();
            assert_eq!(delivered_ids(&dir.path().join("deliveries.txt")), want);
        }
    }
}

#[test]
fn killed_mid_delivery_loses_nothing_and_duplicates_only_the_in_flight_event() {
    let dir = tempfile::tempdir().unwrap();
    let evs = events(150);
    {
        let mut spool = Spool::open(dir.path().join("spool")).unwrap();
        for e in &evs {
            spool.append(e).unwrap();
        }
    }
    let exe = std::env::current_exe().unwrap();
    let mut kills = 0;
    let mut finished = false;
    // Kill the deliverer at varying points until it gets to finish on its own (bounded).
    for round in 0..40u64 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "spool_child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(40 + (round * 17) % 60));
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success(), "child failed: {status}");
                finished = true;
                break;
            }
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
                kills += 1;
            }
        }
    }
    if !finished {
        let status = Command::new(&exe)
            .args(["--exact", "spool_child_process", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    assert!(kills > 0, "the deliverer was never killed mid-delivery");
    let got = delivered_ids(&dir.path().join("deliveries.txt"));
    let want: Vec<String> = evs.iter().map(|e| e.id().to_hex()).collect();
    // Collapse redeliveries: the node ignores an event id it already has.
    let mut seen = BTreeSet::new();
    let unique: Vec<String> = got
        .iter()
        .filter(|id| seen.insert((*id).clone()))
        .cloned()
        .collect();
    assert_eq!(unique, want, "every event delivered, in order");
    let duplicates = got.len() - unique.len();
    assert!(
        duplicates <= kills,
        "{duplicates} redeliveries for {kills} kills"
    );
    // Each redelivery is of the event in flight at the kill: it immediately repeats.
    for w in got.windows(2) {
        if seen.contains(&w[1]) && w[0] != w[1] {
            let pos0 = want.iter().position(|x| *x == w[0]);
            let pos1 = want.iter().position(|x| *x == w[1]);
            assert!(pos1 > pos0 || w[0] == w[1], "out of order delivery");
        }
    }
    let mut spool = Spool::open(dir.path().join("spool")).unwrap();
    assert_eq!((spool.acked(), spool.pending()), (150, 0));
    assert!(spool.peek().unwrap().is_none());
}
