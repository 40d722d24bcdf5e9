//! The bounded fuzzing run CI does (stable Rust, no libFuzzer): for every target, replay each
//! committed corpus entry, then a fixed number of random inputs and of mutations of corpus
//! entries. The random source is seeded, so a failure replays; proptest shrinks it and prints
//! the smallest input found.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::path::{Path, PathBuf};
use tradeledger_fuzz::{TARGETS, Target};

/// Random and mutated cases per target, and the longest random input.
struct Budget {
    random: u32,
    mutated: u32,
    len_max: usize,
}

const DECODER: Budget = Budget {
    random: 256,
    mutated: 1024,
    len_max: 1024,
};
/// The consensus harness signs and verifies on most steps: fewer, longer cases.
const CONSENSUS: Budget = Budget {
    random: 32,
    mutated: 64,
    len_max: 2048,
};

fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name)
}

fn corpus(name: &str) -> Vec<Vec<u8>> {
    let dir = corpus_dir(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect()
}

fn target(name: &str) -> Target {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no target {name}"))
        .1
}

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// One edit of a byte string: overwrite, insert, delete, truncate, or copy a chunk over
/// another place (what libFuzzer's mutators do most).
fn mutate(mut bytes: Vec<u8>, edits: &[(u8, usize, usize, u8)]) -> Vec<u8> {
    for &(op, a, b, byte) in edits {
        let len = bytes.len();
        match op % 5 {
            0 if len > 0 => bytes[a % len] = byte,
            1 => bytes.insert(a % (len + 1), byte),
            2 if len > 0 => {
                bytes.remove(a % len);
            }
            3 => bytes.truncate(a % (len + 1)),
            4 if len > 0 => {
                let from = a % len;
                let n = (b % 16).min(len - from);
                let chunk = bytes[from..from + n].to_vec();
                let to = b % len;
                for (i, c) in chunk.into_iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(to + i) {
                        *slot = c;
                    }
                }
            }
            _ => {}
        }
    }
    bytes
}

fn bounded(name: &str, budget: &Budget) {
    let run = target(name);
    let seeds = corpus(name);
    assert!(!seeds.is_empty(), "{name}: empty corpus");
    for seed in &seeds {
        run(seed);
    }
    runner(budget.random)
        .run(&vec(any::<u8>(), 0..budget.len_max), |bytes| {
            run(&bytes);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}, random input: {e}"));
    let edits = vec(
        (any::<u8>(), any::<usize>(), any::<usize>(), any::<u8>()),
        1..8,
    );
    runner(budget.mutated)
        .run(&(0..seeds.len(), edits), |(i, edits)| {
            run(&mutate(seeds[i].clone(), &edits));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}, mutated corpus entry: {e}"));
}

#[test]
fn every_target_has_a_corpus_and_a_cargo_fuzz_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, _) in TARGETS {
        assert!(corpus_dir(name).is_dir(), "{name}: no corpus/{name}/");
        let bin = root.join("fuzz_targets").join(format!("{name}.rs"));
        assert!(bin.is_file(), "{name}: no {}", bin.display());
    }
}

macro_rules! bounded_tests {
    ($($name:ident: $budget:expr,)*) => {
        $(
            #[test]
            fn $name() {
                bounded(stringify!($name), &$budget);
            }
        )*
    };
}

bounded_tests! {
    consensus_message: DECODER,
    network_frame: DECODER,
    event_batch: DECODER,
    signed_event_cbor: DECODER,
    signed_event_json: DECODER,
    epcis_document: DECODER,
    epc: DECODER,
    genesis_toml: DECODER,
    node_config: DECODER,
    consensus_handle: CONSENSUS,
}
